from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics.actions import (
    AlertRuleIn,
    WallboardIn,
    do_create_alert_rule,
    do_create_wallboard,
    do_deactivate_alert_rule,
    do_revoke_wallboard,
    evaluate_alert_rules,
    wall_for_token,
    wall_token,
)
from beacon.analytics.models import Alert
from beacon.analytics.tests.helpers import BASE, answered
from beacon.core.errors import ValidationFailed
from beacon.notifications.models import OutboxMessage
from beacon.testing import World

pytestmark = pytest.mark.django_db

NOW = BASE + dt.timedelta(days=6, hours=6)


def _below(world: World, threshold: float = 0) -> AlertRuleIn:
    return AlertRuleIn(name="Help stage NPS", metric="nps", kind="below", threshold=threshold,
                       window_days=7, stage=world.stage, notify=world.stage_owner)  # fmt: skip


def test_a_below_rule_fires_once_while_it_holds_and_again_after_it_cleared(world: World) -> None:
    rule = do_create_alert_rule(world.org, _below(world))
    answered(world, [(2, 1, "")] * 40, day=2, prefix="bad")
    fired = evaluate_alert_rules(NOW)
    assert [a.rule_id for a in fired] == [rule.pk]
    alert = fired[0]
    assert alert.value == -100.0 and alert.n == 40
    assert alert.message.startswith("Help stage NPS: NPS -100.0 over the last 7 days (n=40")
    mails = OutboxMessage.objects.filter(idempotency_key=f"alert:{alert.pk}")
    assert [(m.recipient, m.subject) for m in mails] == [
        (world.stage_owner.email, "Beacon alert: Help stage NPS")
    ]
    # Still below an hour later: no second alert, no second email.
    assert evaluate_alert_rules(NOW + dt.timedelta(hours=1)) == []
    assert (
        Alert.objects.count() == 1
        and OutboxMessage.objects.filter(subject__startswith="Beacon alert").count() == 1
    )
    # Customers got happier: the alert closes; a later fall fires anew.
    answered(world, [(10, 5, "")] * 200, day=7, prefix="good")
    assert evaluate_alert_rules(NOW + dt.timedelta(days=1)) == []
    alert.refresh_from_db()
    assert alert.resolved_at == NOW + dt.timedelta(days=1)
    answered(world, [(0, 1, "")] * 400, day=9, prefix="worse")
    again = evaluate_alert_rules(NOW + dt.timedelta(days=3))
    assert len(again) == 1 and Alert.objects.count() == 2


def test_too_few_answers_neither_fire_nor_clear(world: World) -> None:
    do_create_alert_rule(world.org, _below(world))
    answered(world, [(0, 1, "")] * 29, day=2)
    assert evaluate_alert_rules(NOW) == [] and Alert.objects.count() == 0


def test_a_changed_rule_fires_on_a_significant_change(world: World) -> None:
    shift = AlertRuleIn(name="NPS shift", metric="nps", kind="changed", notify=world.owner)
    rule = do_create_alert_rule(world.org, shift)
    answered(world, [(10, 5, "")] * 60 + [(0, 1, "")] * 40, day=-5, prefix="before")
    answered(world, [(10, 5, "")] * 30 + [(0, 1, "")] * 70, day=2, prefix="now")
    fired = evaluate_alert_rules(NOW)
    assert len(fired) == 1 and fired[0].rule_id == rule.pk
    assert fired[0].previous_value == pytest.approx(20.0) and fired[0].value == pytest.approx(-40.0)
    assert fired[0].p_value is not None and fired[0].p_value < 0.001
    do_deactivate_alert_rule(rule)
    assert Alert.objects.get().resolved_at is not None


def test_rules_are_checked_and_scoped(world: World, other_world: World) -> None:
    with pytest.raises(ValidationFailed) as e:
        bad = AlertRuleIn(name="", metric="happiness", kind="below", notify=other_world.owner,
                          window_days=0)  # fmt: skip
        do_create_alert_rule(world.org, bad)
    assert e.value.errors == {
        "name": "must be 1-200 characters",
        "metric": "one of nps, csat, ces, ces_easy",
        "threshold": "needed for a 'below' rule",
        "window_days": "must be between 1 and 366",
        "notify": "belongs to another organisation",
    }
    do_create_alert_rule(world.org, _below(world))
    answered(other_world, [(0, 1, "")] * 50, day=2)
    assert evaluate_alert_rules(NOW) == []


def test_wallboard_tokens_are_signed_and_revocable(world: World) -> None:
    wall = do_create_wallboard(world.org, WallboardIn(name="Shop TV", metrics=["nps", "csat"]))
    token = wall_token(wall)
    assert wall_for_token(token) == wall
    assert wall_for_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert wall_for_token("nonsense") is None
    do_revoke_wallboard(wall)
    assert wall_for_token(token) is None
    with pytest.raises(ValidationFailed) as e:
        do_create_wallboard(world.org, WallboardIn(name="x", metrics=["nps", "mood"]))
    assert e.value.errors == {"metrics": "one or more of nps, csat, ces, ces_easy, each once"}
