"""The demo organisation invites customers by its rules when an interaction arrives."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.contacts.actions import ContactIn, InteractionIn
from beacon.core import clock
from beacon.cxmodel.models import Touchpoint
from beacon.demo.distribution import ORG_BUDGET_DAYS
from beacon.demo.seed import seed
from beacon.notifications.models import OutboxMessage
from beacon.pipeline.actions import receive_interaction
from beacon.surveys.distribution import org_budget_days, send_due
from beacon.surveys.models import DistributionRule, Invitation, Suppression, Survey

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def _visit(org: object, touchpoint: Touchpoint, n: int, key: str) -> list[Invitation]:
    data = InteractionIn(
        contact=ContactIn(external_id=f"WALK-IN-{n}", email=f"walkin{n}@example.net"),
        idempotency_key=key,
        touchpoint=touchpoint,
    )
    return receive_interaction(org, data).invitations  # type: ignore[arg-type]


def test_interactions_posted_to_the_demo_trigger_invitations_by_its_rules() -> None:
    org = seed(responses=60, today=TODAY)
    rules = DistributionRule.objects.for_org(org)
    assert rules.count() == 9 and org_budget_days(org.pk) == ORG_BUDGET_DAYS == 14
    support = Survey.objects.for_org(org).get(name="After a support contact")
    touchpoints = {t.name: t for t in Touchpoint.objects.for_org(org)}
    start = TODAY + dt.timedelta(days=1)
    with clock.frozen_at(start):
        [invitation] = _visit(org, touchpoints["Phone support"], 1, "call-1")
        assert (invitation.survey, invitation.channel) == (support, "email")
        assert invitation.send_at == start + dt.timedelta(hours=1)
        assert send_due() == (0, 0)  # not before the hour
        # The same customer again: not the support survey for 30 days, nothing for 14.
        assert _visit(org, touchpoints["Store help desk"], 1, "desk-1") == []
        assert _visit(org, touchpoints["Online checkout"], 1, "shop-web-1") == []
    with clock.frozen_at(start + dt.timedelta(minutes=61)):
        assert send_due() == (1, 0)
    email = OutboxMessage.objects.for_org(org).get(idempotency_key=f"invitation:{invitation.pk}")
    assert (email.recipient, email.state) == ("walkin1@example.net", "pending")
    reasons = dict(
        Suppression.objects.for_org(org).values_list("interaction__idempotency_key", "reason")
    )
    assert reasons == {"desk-1": "survey_budget", "shop-web-1": "budget"}
    # One shop visit in five is asked.
    with clock.frozen_at(start):
        invited = sum(
            len(_visit(org, touchpoints["Store visit"], 100 + n, f"shop-{n}")) for n in range(100)
        )
    sampled_out = Suppression.objects.for_org(org).filter(reason="sampled_out").count()
    shop_rule = rules.get(touchpoint=touchpoints["Store visit"])
    assert shop_rule.sample_percent == 20 and invited + sampled_out == 100
    # The draw hashes the rule's id, which differs between databases: a binomial bound
    # (n=100, p=0.2; outside 8..33 has probability < 0.001) instead of one number.
    assert 8 <= invited <= 33
