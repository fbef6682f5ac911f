"""The Value page, its settings and the triple-crown panels: who sees what, whose data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from beacon.analytics.tasks import refresh_value_reports
from beacon.analytics.tests.money_synth import TODAY, action_plan, retention_plan, to_db
from beacon.api.tests.conftest import Api
from beacon.core import clock
from beacon.cxmodel.actions import do_add_touchpoint
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.models import Action
from beacon.orgs.actions import do_add_member
from beacon.orgs.models import Membership, Role
from beacon.outcomes.models import OutcomeSettings
from beacon.outcomes.queries import settings_of
from beacon.testing import PASSWORD, World
from beacon.web.tests.helpers import embedded_json, logged_in, page

pytestmark = pytest.mark.django_db


def _member(world: World, role: str) -> Membership:
    return do_add_member(world.org, f"{role}@{world.org.slug}.test", role=role,
                         display_name=role.title(), password=PASSWORD)  # fmt: skip


@pytest.fixture
def money_world(world: World) -> tuple[World, Action]:
    """A small organisation with outcomes, a completed action and stored figures."""
    other = do_add_touchpoint(world.outside_stage, "Shop", "in_person")
    plan = retention_plan(11, n=240)
    plan.customers += action_plan(12, n=120).customers
    to_db(world, plan, stage_touchpoints=(world.touchpoint, other))
    completed = TODAY - dt.timedelta(days=60)
    with clock.frozen_at(completed - dt.timedelta(days=10)):
        action = do_create_action(
            world.org.pk,
            ActionIn(title="Fewer repeat calls", source="driver", owner=world.owner,
                     deadline=completed, stage=world.stage, driver="repeat calls"),
            actor=world.owner,
        )  # fmt: skip
    with clock.frozen_at(completed):
        do_set_action_status(action, "in_progress", actor=world.owner)
        do_set_action_status(action, "done", actor=world.owner)
    with clock.frozen_at(TODAY):
        refresh_value_reports(world.org.pk)
    return world, action


def test_analyst_sees_every_section_with_its_figures(money_world: tuple[World, Action]) -> None:
    world, action = money_world
    html = page(logged_in(_member(world, Role.ANALYST)), "/value/")
    for section in (
        "retention",
        "revenue",
        "point-value",
        "at-risk",
        "cost-to-serve",
        "triple-crown",
        f"crown-action-{action.pk}",
        f"crown-stage-{world.stage.pk}",
    ):
        assert f'id="{section}"' in html, section  # fmt: skip
    curves = embedded_json(html, "retention-data")
    assert [g["label"] for g in curves] == ["promoter", "passive", "detractor"]
    assert all(g["enough"] and g["curve"][0][1] == 1.0 for g in curves)
    assert "Detractors&#x27; churn hazard" in html or "Detractors' churn hazard" in html
    assert 'title="n = ' in html  # every figure carries n, window and method on hover
    action_html = page(logged_in(_member(world, Role.VIEWER)), f"/actions/{action.pk}/")
    assert 'id="triple-crown"' not in action_html  # a viewer sees no money by default
    owner_action = page(logged_in(world.owner), f"/actions/{action.pk}/")
    assert 'id="triple-crown"' in owner_action and "Cost to serve per customer" in owner_action
    journey = page(logged_in(world.owner), "/cx/journey/")
    assert f'id="crown-stage-{world.stage.pk}"' in journey


def test_money_needs_analyst_or_a_viewer_the_organisation_allows(world: World) -> None:
    viewer, agent = _member(world, Role.VIEWER), world.agent
    page(logged_in(agent), "/value/", expect=403)
    page(logged_in(viewer), "/value/", expect=403)
    OutcomeSettings.objects.create(organization=world.org, viewers_see_money=True)
    html = page(logged_in(viewer), "/value/")
    assert "Not computed yet" in html
    page(logged_in(agent), "/value/", expect=403)  # agents never: the setting is for viewers
    assert logged_in(viewer).post("/value/refresh/").status_code == 403


def test_analyst_recomputes_in_the_worker(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = logged_in(_member(world, Role.ANALYST))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/value/refresh/")
    assert r.status_code == 302
    html = page(client, "/value/")
    assert "Figures as of" in html


def test_settings_are_for_admins_and_bad_input_is_shown_on_the_form(world: World) -> None:
    page(logged_in(_member(world, Role.ANALYST)), "/value/settings/", expect=403)
    client = logged_in(world.owner)
    bad = client.post("/value/settings/", {"currency": "XXZ", "observation_days": "10",
                                           "cost_per_contact": "phone six"})  # fmt: skip
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "must be at least 30" in html
    assert "write each cost as NAME=NUMBER" in html
    assert not OutcomeSettings.objects.exists()
    bad = client.post("/value/settings/", {"currency": "XXZ", "observation_days": "90"})
    assert "is not an ISO 4217 currency code" in bad.content.decode()
    good = client.post("/value/settings/", {"currency": "eur", "observation_days": "90",
                                            "cost_per_contact": "Phone=6, chat=2.5",
                                            "exchange_rates": "GBP=1.17"})  # fmt: skip
    assert good.status_code == 302
    s = settings_of(world.org)
    assert (s.currency, s.observation_days) == ("EUR", 90)
    assert s.cost_per_contact == {"phone": "6", "chat": "2.5"}


def test_other_organisations_figures_are_not_found(
    money_world: tuple[World, Action], other_world: World
) -> None:
    world, action = money_world
    theirs = Api(other_world.api_secret)
    assert theirs.get(f"/value/actions/{action.pk}/triple-crown").status_code == 404
    assert theirs.get(f"/value/stages/{world.stage.pk}/triple-crown").status_code == 404
    assert theirs.get("/value").json()["as_of"] is None
    ours = Api(world.api_secret)
    crown = ours.get(f"/value/actions/{action.pk}/triple-crown")
    assert crown.status_code == 200 and crown.json()["data"]["touched"] == 60
    assert ours.get("/value/retention").json()["data"]["retention"]["n"] > 0
    other_owner = logged_in(other_world.owner)
    page(other_owner, f"/actions/{action.pk}/", expect=404)
    assert "Not computed yet" in page(other_owner, "/value/")


def _fig(value: float, low: float, high: float, n: int = 300, **extra: Any) -> dict[str, Any]:
    return {"value": value, "low": low, "high": high, "n": n, "min_n": 30, "enough": True,
            "window": "365 days", "method": "bootstrap", "note": "", **extra}  # fmt: skip


def test_figures_on_the_page_and_the_api_follow_the_one_decimals_rule(world: World) -> None:
    """Money per customer in pence, totals whole, ratios two places, percentages whole
    unless the margin needs more: the same text on the page and in the API."""
    from beacon.outcomes.actions import do_store_report

    churn = _fig(12.3456, 12.30, 12.39, unit="%")
    data = {
        "currency": "GBP",
        "history_days": 400,
        "window_days": 365,
        "min_n": 30,
        "retention": {"by_nps": [{"label": "promoter", "n": 300, "events": 40, "enough": True,
                                  "curve": [], "churn": {"90": churn, "180": churn,
                                                         "365": churn}}],
                      "hazard_ratio": {"detractor": _fig(2.4567, 1.9, 3.1)}},
        "revenue": {"by_nps": {"promoter": _fig(123.456, 110.0, 137.0)}},
        "at_risk": {"at_risk": _fig(12345.6, 10000.2, 15000.9, n=80)},
    }  # fmt: skip
    do_store_report(world.org.pk, "value", 0, TODAY, data)
    html = page(logged_in(_member(world, Role.ANALYST)), "/value/")
    assert 'GBP 123.46 <span class="muted">(GBP 110.00 to GBP 137.00, n = 300)</span>' in html
    assert '2.46\u00d7 <span class="muted">(1.90 to 3.10\u00d7, n = 300)</span>' in html
    assert 'GBP 12346 <span class="muted">(GBP 10000 to GBP 15001, n = 80)</span>' in html
    # A margin of 0.05 points would read ±0 at whole percentages: two places are shown.
    assert '12.35% <span class="muted">(12.30 to 12.39%, n = 300)</span>' in html
    api = Api(world.api_secret).get("/value").json()["data"]
    assert api["revenue"]["by_nps"]["promoter"]["shown"] == {
        "value": "123.46", "margin": "13.54", "low": "110.00", "high": "137.00"}  # fmt: skip
    assert api["retention"]["hazard_ratio"]["detractor"]["shown"]["value"] == "2.46"
    assert api["at_risk"]["at_risk"]["shown"] == {
        "value": "12346", "margin": "2655", "low": "10000", "high": "15001"}  # fmt: skip
    assert api["retention"]["by_nps"][0]["churn"]["90"]["shown"]["margin"] == "0.05"
    assert api["revenue"]["by_nps"]["promoter"]["value"] == 123.456  # the stored float kept
