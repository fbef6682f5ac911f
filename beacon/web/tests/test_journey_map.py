"""The journey map page, its editing, and the stage owner on case, action and alert pages:
figures shown with n and interval, cross-tenant and role rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from beacon.analytics.actions import AlertRuleIn, do_create_alert_rule, evaluate_alert_rules
from beacon.analytics.tests.helpers import BASE, answered
from beacon.core import clock
from beacon.cxmodel.actions import do_add_need
from beacon.cxmodel.models import Need, OwnerChange
from beacon.loop.actions import do_create_root_cause, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_deactivate_member
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, answer, logged_in, open_case, page

pytestmark = pytest.mark.django_db


def _stage_html(html: str, stage_id: int) -> str:
    return html.split(f'id="stage-{stage_id}"')[1].split('<li class="card stage')[0]


def test_each_stage_shows_scores_trend_cases_and_need_targets(
    world: World, other_world: World
) -> None:
    for i in range(32):
        answer(
            world, nps=[10, 9, 8, 3][i % 4], csat=5, ces=6, when=clock.now() - dt.timedelta(days=i)
        )
    open_case(world)  # a 33rd response, due later: open, not overdue
    need = do_add_need(world.stage, "Reach a person", "Answered fast", owner=world.agent,
                       measure="nps", target=-50.0)  # fmt: skip
    do_add_need(other_world.stage, "Globex need", "Globex outcome", owner=other_world.agent)
    html = page(logged_in(world.agent), "/cx/journey/")
    stage = _stage_html(html, world.stage.pk)
    assert '<td class="num">33</td>' in stage  # NPS n
    counts = "Responses: <strong>33</strong> · Open cases: <strong>1</strong> · Overdue: "
    assert counts + "<strong>0</strong>" in stage
    assert "NPS: not enough answers to compare periods" in stage  # nothing the period before
    assert f'href="/verbatims/?stage={world.stage.pk}"' in stage
    assert f'href="/cases/?status=open&amp;stage={world.stage.pk}"' in stage
    target = stage.split(f'id="need-{need.pk}"')[1].split("</li>")[0]
    assert "Target: NPS at least -50" in target
    assert '<strong class="need-status status-met">Met</strong>' in target
    assert "n=33" in target and "95% " in target
    assert "Globex need" not in html
    outside = _stage_html(html, world.outside_stage.pk)
    assert "Outside the company" in outside and "Not enough answers" in outside


def test_percent_of_perfect_and_a_bad_scale(world: World) -> None:
    for i in range(30):
        answer(world, nps=10 if i % 2 else 0, when=clock.now() - dt.timedelta(days=i))
    client = logged_in(world.owner)
    html = page(client, "/cx/journey/", scale="perfect")
    assert "NPS (% of perfect)" in _stage_html(html, world.stage.pk)
    assert '<td class="num">50%</td>' in _stage_html(html, world.stage.pk)
    bad = page(client, "/cx/journey/", expect=400, scale="best")
    assert "<li>scale: must be native or perfect</li>" in bad
    assert "NPS (% of perfect)" not in bad


def test_admin_changes_a_stage_owner_and_the_history_shows_it(world: World) -> None:
    client = logged_in(world.owner)
    data = {"stage": str(world.stage.pk), "owner": str(world.agent.pk)}
    response = client.post("/cx/journey/owners/", data)
    assert response.status_code == 302
    changes = list(OwnerChange.objects.filter(stage=world.stage).order_by("pk"))
    assert [(c.owner_id, c.previous_owner_id, c.actor_id) for c in changes] == [
        (world.stage_owner.pk, None, None),
        (world.agent.pk, world.stage_owner.pk, world.owner.pk),
    ]
    assert changes[1].event.verb == "stage.owner_set"
    stage = _stage_html(page(client, "/cx/journey/"), world.stage.pk)
    assert "Priya Agent (after Sam Stage), set by Olive Owner" in stage


def test_a_deactivated_owner_orphans_stage_and_need(world: World) -> None:
    need = do_add_need(world.stage, "Know the wait", "Told up front", owner=world.stage_owner)
    do_deactivate_member(world.stage_owner, actor=world.owner)
    client = logged_in(world.owner)
    stage = _stage_html(page(client, "/cx/journey/"), world.stage.pk)
    assert stage.count('<span class="badge badge-flag flag-orphaned">Orphaned</span>') == 2
    # A deactivated member cannot be made an owner again.
    response = client.post("/cx/journey/owners/", {"stage": str(world.outside_stage.pk),
                                                  "owner": str(world.stage_owner.pk)})  # fmt: skip
    assert response.status_code == 400
    assert "<li>owner: Sam Stage is deactivated</li>" in response.content.decode()
    assert Need.objects.get(pk=need.pk).owner_id == world.stage_owner.pk


def test_admin_sets_a_need_measure_and_bad_values_are_refused(
    world: World, other_world: World
) -> None:
    need = do_add_need(world.stage, "Know the wait", "Told up front", owner=world.agent)
    client = logged_in(world.owner)
    base = {"need": str(need.pk), "measure": "question", "target": "4.5",
            "question": str(world.ces.pk)}  # fmt: skip
    for bad, message in (
        ({"measure": "joy"}, "measure: must be one of nps, csat, ces, question"),
        ({"target": "lots"}, "target: must be a number"),
        ({"measure": "nps", "target": "300", "question": ""}, "target: must be from -100 to 100"),
        ({"question": ""}, "question: choose the question that measures this need"),
        ({"question": str(world.comment.pk)}, "question: choose a scored question"),
        ({"question": str(other_world.ces.pk)}, "question: choose a scored question"),
        ({"need": str(Need.objects.create(organization=other_world.org, stage=other_world.stage,
          description="x", successful_outcome="y", owner=other_world.agent).pk)},
         "need: choose a need of this organisation"),
    ):  # fmt: skip
        response = client.post("/cx/journey/measures/", {**base, **bad})
        assert response.status_code == 400, bad
        assert f"<li>{message}" in response.content.decode()
    need.refresh_from_db()
    assert (need.measure, need.target) == ("", None)
    assert client.post("/cx/journey/measures/", base).status_code == 302
    need.refresh_from_db()
    assert (need.measure, need.target, need.measure_question_id) == ("question", 4.5, world.ces.pk)
    target = page(client, "/cx/journey/").split(f'id="need-{need.pk}"')[1].split("</li>")[0]
    assert "Target: How easy was it to get your issue solved? at least 4.5" in target
    assert "Not enough data" in target


def test_non_admins_read_the_map_but_change_nothing(world: World) -> None:
    need = do_add_need(world.stage, "Know the wait", "Told up front", owner=world.agent)
    for member in (add_viewer(world), world.agent):
        client = logged_in(member)
        html = page(client, "/cx/journey/")
        assert "Change a stage's owner" not in html and "Set a need's measure" not in html
        owner = {"stage": str(world.stage.pk), "owner": str(member.pk)}
        assert client.post("/cx/journey/owners/", owner).status_code == 403
        measure = {"need": str(need.pk), "measure": "nps", "target": "10"}
        assert client.post("/cx/journey/measures/", measure).status_code == 403
    assert OwnerChange.objects.filter(stage=world.stage).count() == 1
    assert Need.objects.get(pk=need.pk).measure == ""


def test_other_organisations_rows_cannot_be_edited(world: World, other_world: World) -> None:
    client = logged_in(world.owner)
    response = client.post("/cx/journey/owners/", {"stage": str(other_world.stage.pk),
                                                  "owner": str(world.agent.pk)})  # fmt: skip
    assert response.status_code == 400
    assert "<li>stage: choose a stage of this organisation</li>" in response.content.decode()
    response = client.post("/cx/journey/owners/", {"stage": str(world.stage.pk),
                                                  "owner": str(other_world.agent.pk)})  # fmt: skip
    assert "<li>owner: choose a member of this organisation</li>" in response.content.decode()
    assert (
        other_world.stage.owner_id
        == type(other_world.stage).objects.get(pk=other_world.stage.pk).owner_id
    )


def test_the_cases_list_filters_by_stage(world: World, other_world: World) -> None:
    case = open_case(world)
    client = logged_in(world.agent)
    assert case.title in page(client, "/cases/", stage=str(world.stage.pk))
    assert "No cases match." in page(client, "/cases/", stage=str(world.outside_stage.pk))
    foreign = page(client, "/cases/", expect=400, stage=str(other_world.stage.pk))
    assert "stage: unknown stage; the filter was not applied." in foreign
    assert case.title in foreign


def test_the_stage_owner_is_named_on_case_action_and_alert_pages(world: World) -> None:
    case = open_case(world)
    cause = do_create_root_cause(world.org.pk, "queue", "Long queue")
    do_resolve_case(case, cause, "Called back", actor=world.agent)
    action = do_create_action(world.org.pk, ActionIn(
        title="Shorter queue", source="cases", owner=world.agent,
        deadline=clock.now() + dt.timedelta(days=9), cases=[case], stage=world.stage,
    ))  # fmt: skip
    client = logged_in(world.agent)
    line = "Accountable for this stage: <strong>Sam Stage</strong>"
    assert line in page(client, f"/cases/{case.pk}/")
    assert line in page(client, f"/actions/{action.pk}/")
    do_deactivate_member(world.stage_owner, actor=world.owner)
    assert "the stage is orphaned until it is handed over" in page(client, f"/cases/{case.pk}/")


def test_an_alert_of_a_stage_names_its_accountable_owner(world: World) -> None:
    rule = AlertRuleIn(name="Help NPS", metric="nps", kind="below", threshold=0, window_days=7,
                       stage=world.stage, notify=world.owner)  # fmt: skip
    do_create_alert_rule(world.org, rule)
    answered(world, [(2, 1, "")] * 40, day=2, prefix="bad")
    (alert,) = evaluate_alert_rules(BASE + dt.timedelta(days=6))
    mail = OutboxMessage.objects.get(idempotency_key=f"alert:{alert.pk}")
    assert "\nAccountable for this stage: Sam Stage (Get help)\n" in mail.body_text
    html = page(logged_in(world.agent), "/analytics/alerts/")
    assert "Accountable for this stage: <strong>Sam Stage</strong>" in html


def test_the_map_reads_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for target in (0.0, 10.0, 20.0):
        do_add_need(world.stage, f"Need {target}", "Outcome", owner=world.agent,
                    measure="nps", target=target)  # fmt: skip
    client = logged_in(world.agent)
    # Grouped reads for all stages; each measured need adds two.
    with django_assert_max_num_queries(36):
        page(client, "/cx/journey/")


def test_the_analytics_breakdown_as_percent_of_perfect(world: World) -> None:
    for i in range(30):
        answer(world, nps=9, csat=[5, 4, 1][i % 3], when=clock.now() - dt.timedelta(days=i))
    client = logged_in(world.agent)
    html = page(client, "/analytics/", metric="csat", dimension="stage", scale="perfect")
    assert "CSAT (% of perfect) by stage" in html
    row = html.split('<th scope="row">Get help</th>')[1].split("</tr>")[0]
    assert '<td class="num">58%</td>' in row  # mean 3.33 of 1-5: 58% of the way to 5
    native = page(client, "/analytics/", metric="csat", dimension="stage")
    assert '<td class="num">67%</td>' in native.split('<th scope="row">Get help</th>')[1]
    bad = page(client, "/analytics/", expect=400, scale="best")
    assert "<strong>scale</strong>: must be native or perfect" in bad
