"""Alert rules and wallboards on a theme (and a sentiment): evaluation, pages, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from beacon.analytics.actions import (
    AlertRuleIn,
    WallboardIn,
    do_create_alert_rule,
    do_create_wallboard,
    evaluate_alert_rules,
    wall_token,
)
from beacon.analytics.models import AlertRule, Wallboard
from beacon.analytics.tests.helpers import BASE, answered, said
from beacon.analytics.wallboard import change_marker, snapshot
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.insights.corrections import do_correct_theme
from beacon.insights.models import Theme, ThemeMention
from beacon.insights.taxonomy import do_create_theme, do_update_theme
from beacon.notifications.models import OutboxMessage
from beacon.orgs.models import Event, Membership
from beacon.responses.models import Answer
from beacon.testing import World

pytestmark = pytest.mark.django_db

NOW = BASE + dt.timedelta(days=6, hours=6)


def _client(member: Membership) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def _themes(world: World) -> tuple[Theme, Theme]:
    world.org.min_sample_size = 5
    world.org.save()
    return do_create_theme(world.org, "Network coverage"), do_create_theme(world.org, "Billing")


def _rule(world: World, name: str, theme: Theme | None, sentiment: str = "") -> AlertRuleIn:
    return AlertRuleIn(name=name, metric="nps", kind="below", threshold=-20, window_days=7,
                       theme=theme, sentiment=sentiment, notify=world.owner)  # fmt: skip


def test_a_theme_rule_fires_on_its_themes_nps_and_not_on_a_drop_elsewhere(world: World) -> None:
    network, billing = _themes(world)
    on_network = do_create_alert_rule(world.org, _rule(world, "Network NPS", network))
    on_billing = do_create_alert_rule(world.org, _rule(world, "Billing NPS", billing))
    billing_angry = do_create_alert_rule(
        world.org, _rule(world, "Angry about billing", billing, "negative")
    )
    everyone = do_create_alert_rule(world.org, _rule(world, "All NPS", None))
    said(world, [(10, {billing: "positive"}, "positive")] * 6, day=2, prefix="happy")
    # Detractors who do not mention Billing: all responses' NPS falls, Billing's does not.
    said(world, [(0, {}, "negative")] * 10, day=2, prefix="plain")
    assert [a.rule_id for a in evaluate_alert_rules(NOW)] == [everyone.pk]
    said(world, [(0, {network: "negative"}, "negative")] * 5, day=3, prefix="network")
    fired = evaluate_alert_rules(NOW + dt.timedelta(hours=1))
    assert [(a.rule_id, a.value, a.n) for a in fired] == [(on_network.pk, -100.0, 5)]
    assert fired[0].message.startswith(
        "Network NPS: NPS (comments about Network coverage) -100.0 over the last 7 days (n=5,"
    )
    mail = OutboxMessage.objects.get(idempotency_key=f"alert:{fired[0].pk}")
    assert (mail.recipient, mail.subject) == (world.owner.email, "Beacon alert: Network NPS")
    assert "comments about Network coverage" in mail.body_text
    # Five angry Billing comments: Billing's NPS is 100 * (6 - 5) / 11, above -20; its
    # negative comments' NPS is -100.
    said(world, [(0, {billing: "negative"}, "negative")] * 5, day=4, prefix="bills")
    fired = evaluate_alert_rules(NOW + dt.timedelta(hours=2))
    assert [(a.rule_id, a.n) for a in fired] == [(billing_angry.pk, 5)]
    assert fired[0].message.startswith(
        "Angry about billing: NPS (comments about Billing, negative) -100.0 over"
    )
    assert not on_billing.alerts.exists()


def test_a_sentiment_rule_without_a_theme_reads_the_comments_overall_sentiment(
    world: World,
) -> None:
    network, _ = _themes(world)
    rule = do_create_alert_rule(world.org, _rule(world, "Unhappy", None, "negative"))
    said(world, [(0, {network: "negative"}, "positive")] * 5, day=2, prefix="odd")
    assert evaluate_alert_rules(NOW) == []
    said(world, [(3, {}, "negative")] * 5, day=2, prefix="sad")
    fired = evaluate_alert_rules(NOW + dt.timedelta(hours=1))
    assert [(a.rule_id, a.n, a.value) for a in fired] == [(rule.pk, 5, -100.0)]
    assert fired[0].message.startswith("Unhappy: NPS (negative comments) -100.0 over")


def test_theme_and_sentiment_are_checked_and_the_event_recorded(
    world: World, other_world: World
) -> None:
    network, billing = _themes(world)
    theirs = do_create_theme(other_world.org, "Network coverage")
    with pytest.raises(ValidationFailed) as e:
        do_create_alert_rule(world.org, _rule(world, "x", theirs, "angry"))
    assert e.value.errors == {
        "theme": "belongs to another organisation",
        "sentiment": "one of positive, negative, neutral, mixed",
    }
    with pytest.raises(ValidationFailed) as e:
        do_create_wallboard(world.org, WallboardIn(name="TV", metrics=["nps"], theme=theirs))
    assert e.value.errors == {"theme": "belongs to another organisation"}
    do_update_theme(network, name=network.name, description="", phrases=[], active=False)
    with pytest.raises(ValidationFailed) as e:
        do_create_wallboard(world.org, WallboardIn(name="TV", metrics=["nps"], theme=network))
    assert e.value.errors == {"theme": "is switched off"}
    assert not AlertRule.objects.exists() and not Wallboard.objects.exists()
    rule = do_create_alert_rule(world.org, _rule(world, "B", billing, "mixed"), actor=world.owner)
    wall = do_create_wallboard(
        world.org, WallboardIn(name="TV", metrics=["nps"], theme=billing), actor=world.owner
    )
    assert (rule.theme_id, rule.sentiment, wall.theme_id) == (billing.pk, "mixed", billing.pk)
    created = ["alert_rule.created", "wallboard.created"]
    events = Event.objects.filter(organization=world.org, verb__in=created)
    assert sorted((e.verb, e.subject_id, e.actor_id) for e in events) == [
        ("alert_rule.created", rule.pk, world.owner.pk),
        ("wallboard.created", wall.pk, world.owner.pk),
    ]


def _commented(world: World, rows: list[tuple[int, str, Theme | None]], prefix: str) -> None:
    """Responses with distinct comments; the theme (if any) set by staff's correction."""
    responses = answered(world, [(nps, None, text) for nps, text, _ in rows], day=2, prefix=prefix)
    for response, (_, _, theme) in zip(responses, rows, strict=True):
        if theme is not None:
            comment = Answer.objects.get(response=response, question=world.comment)
            do_correct_theme(comment, theme, "negative", actor=world.owner)


def test_a_theme_wallboard_shows_the_themes_figures_and_comments(world: World) -> None:
    network, billing = _themes(world)
    _commented(world, [(0, f"Bill wrong {i}", billing) for i in range(5)], "bill")
    _commented(world, [(10, f"Signal fine {i}", network) for i in range(5)], "net")
    _commented(world, [(9, "Nice shop", None)], "plain")
    themed = do_create_wallboard(
        world.org, WallboardIn(name="Billing TV", metrics=["nps"], theme=billing)
    )
    plain = do_create_wallboard(world.org, WallboardIn(name="Shop TV", metrics=["nps"]))
    with clock.frozen_at(NOW):
        data = snapshot(themed)
        everything = snapshot(plain)
    assert (data["title"], data["theme"]) == ("Billing TV · Billing", "Billing")
    assert [(m["key"], m["n"], m["value"]) for m in data["metrics"]] == [("nps", 5, -100.0)]
    assert sorted(v["text"] for v in data["verbatims"]) == [f"Bill wrong {i}" for i in range(5)]
    assert (everything["title"], everything["theme"]) == ("Shop TV", None)
    assert [(m["n"], m["value"]) for m in everything["metrics"]] == [(11, 9.0)]
    newest = ThemeMention.objects.filter(theme=billing).order_by("-pk").first()
    assert newest is not None and change_marker(themed) == newest.pk
    with clock.frozen_at(NOW):
        page = Client().get(f"/wall/{wall_token(themed)}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Billing TV · Billing</h1>" in html and "Signal fine" not in html
    assert html.count("Bill wrong") == 5


def test_alert_form_takes_a_theme_and_a_sentiment_and_names_bad_ones(
    world: World, other_world: World
) -> None:
    network, _ = _themes(world)
    theirs = do_create_theme(other_world.org, "Theirs")
    client = _client(world.owner)
    form: dict[str, str | int]
    form = {"name": "Network NPS", "metric": "nps", "kind": "below", "threshold": "-20",
            "window_days": "7", "notify": world.owner.pk}  # fmt: skip
    page = client.get("/analytics/alerts/").content.decode()
    assert f'<option value="{network.pk}">Network coverage</option>' in page
    assert "Theirs" not in page
    bad_input: list[tuple[dict[str, str | int], str]] = [
        ({"theme": theirs.pk}, "theme: not found in this organisation"),
        ({"theme": "abc"}, "theme: not found in this organisation"),
        ({"sentiment": "angry"}, "sentiment: one of positive, negative, neutral, mixed"),
    ]
    for bad, message in bad_input:
        refused = client.post("/analytics/alerts/", {**form, **bad})
        assert refused.status_code == 200 and message in refused.content.decode()
    assert not AlertRule.objects.exists()
    ok = client.post("/analytics/alerts/", {**form, "theme": network.pk, "sentiment": "negative"})
    assert ok.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.theme_id, rule.sentiment, rule.threshold) == (network.pk, "negative", -20)
    page = client.get("/analytics/alerts/").content.decode()
    assert "nps of comments about Network coverage (negative) over 7 days" in page


def test_wallboard_form_takes_a_theme_and_refuses_another_organisations(
    world: World, other_world: World
) -> None:
    _, billing = _themes(world)
    theirs = do_create_theme(other_world.org, "Theirs")
    client = _client(world.owner)
    refused = client.post(
        "/analytics/wallboards/", {"name": "TV", "metrics": ["nps"], "theme": theirs.pk}
    )
    assert refused.status_code == 200
    assert "theme: not found in this organisation" in refused.content.decode()
    assert not Wallboard.objects.exists()
    ok = client.post(
        "/analytics/wallboards/", {"name": "Billing TV", "metrics": ["nps"], "theme": billing.pk}
    )
    assert ok.status_code == 302 and Wallboard.objects.get().theme_id == billing.pk
    page = client.get("/analytics/wallboards/").content.decode()
    assert "nps of comments about Billing" in page
