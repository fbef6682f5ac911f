"""The staff analytics pages through Django's test client with a logged-in member."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from beacon.analytics.models import AlertRule, Wallboard
from beacon.analytics.tests.helpers import BASE, answered
from beacon.core import clock
from beacon.orgs.models import Membership
from beacon.testing import World

pytestmark = pytest.mark.django_db

NOW = BASE + dt.timedelta(days=10)


def _client(member: Membership) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_explore_shows_trend_breakdown_comparison_and_drills_down(world: World) -> None:
    answered(world, [(10, 5, "Great help")] * 20 + [(1, 1, "Slow and rude")] * 20)
    client = _client(world.owner)
    with clock.frozen_at(NOW):
        page = client.get("/analytics/", {"metric": "nps", "grain": "day", "dimension": "stage"})
        assert page.status_code == 200
        html = page.content.decode()
        assert "Explore NPS" in html and "Get help" in html and "0 (95%" not in html
        wanted: dict[str, str | int] = {"metric": "nps", "band": "detractors"}
        drill = client.get("/analytics/comments/", {**wanted, "stage_id": world.stage.pk})
        text = drill.content.decode()
    assert drill.status_code == 200
    assert text.count("Slow and rude") == 20 and "Great help" not in text


def test_bad_parameters_are_named_and_defaults_shown(world: World) -> None:
    with clock.frozen_at(NOW):
        page = _client(world.owner).get(
            "/analytics/", {"metric": "mood", "start": "2026-05-01", "end": "2026-01-01"}
        )
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>metric</strong>: unknown metric &#x27;mood&#x27;" in html
    assert "<strong>end</strong>: must be on or after start (2026-05-01)" in html


def test_drivers_page_without_enough_answers(world: World) -> None:
    page = _client(world.owner).get("/analytics/drivers/")
    assert page.status_code == 200 and "Not enough answers" in page.content.decode()


def test_alert_rule_form_creates_and_refuses(world: World) -> None:
    client = _client(world.owner)
    form = {"name": "Help NPS", "metric": "nps", "kind": "below", "threshold": "10",
            "window_days": "7", "stage": world.stage.pk,
            "notify": world.stage_owner.pk}  # fmt: skip
    ok = client.post("/analytics/alerts/", form)
    assert ok.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.stage_id, rule.notify_id, rule.threshold) == (
        world.stage.pk,
        world.stage_owner.pk,
        10,
    )
    bad = client.post("/analytics/alerts/", {"name": "x", "metric": "nps", "kind": "below"})
    assert (
        bad.status_code == 200
        and "threshold: needed for a &#x27;below&#x27; rule" in bad.content.decode()
    )
    assert AlertRule.objects.count() == 1
    assert (
        _client(world.agent).post("/analytics/alerts/", {"deactivate": rule.pk}).status_code == 403
    )


def test_wallboard_admin_creates_and_revokes(world: World, other_world: World) -> None:
    client = _client(world.owner)
    assert (
        client.post("/analytics/wallboards/", {"name": "Shop", "metrics": ["nps"]}).status_code
        == 302
    )
    wall = Wallboard.objects.get()
    page = client.get("/analytics/wallboards/").content.decode()
    assert "/wall/" in page
    theirs = _client(other_world.owner).post("/analytics/wallboards/", {"revoke": wall.pk})
    assert theirs.status_code == 404
    assert client.post("/analytics/wallboards/", {"revoke": wall.pk}).status_code == 302
    wall.refresh_from_db()
    assert wall.revoked_at is not None


def test_my_work_shows_what_concerns_the_member(world: World) -> None:
    answered(world, [(2, 1, "Nobody called back")] * 3)
    with clock.frozen_at(NOW):
        page = _client(world.stage_owner).get("/me/")
        other = _client(world.owner).get("/me/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Stage Get help" in html and "Team Support" in html
    assert html.count("Nobody called back") == 3
    # The owner owns the outside stage only, where nobody answered.
    assert "Nobody called back" not in other.content.decode()


def test_explore_breaks_down_by_a_chosen_attribute(world: World) -> None:
    from beacon.contacts.actions import do_upsert_contact
    from beacon.responses.rollups import do_set_rollup_attributes
    from beacon.testing import contact_in

    do_set_rollup_attributes(world.org, ["plan"])
    contact = do_upsert_contact(world.org, contact_in(1, attributes={"plan": "contract"}))
    answered(world, [(9, 5, "")] * 31, contact=contact)
    with clock.frozen_at(NOW):
        page = _client(world.owner).get("/analytics/", {"dimension": "attribute:plan"})
    html = page.content.decode()
    assert page.status_code == 200 and '<th scope="row">contract</th>' in html
