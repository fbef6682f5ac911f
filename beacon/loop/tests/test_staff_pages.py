from __future__ import annotations

import datetime as dt

import pytest

from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.lost import ChurnIn, do_create_lost_reason, do_record_churn
from beacon.loop.models import (
    Action,
    CaseRule,
    Channel,
    CustomerUpdate,
    RootCause,
    WallPost,
    WinBackCall,
)
from beacon.loop.sharing import do_record_survey_consent, do_share_response
from beacon.loop.tests.helpers import respond
from beacon.loop.updates import send_approved_updates
from beacon.notifications.models import OutboxMessage
from beacon.testing import World
from beacon.web.tests.helpers import logged_in, page

pytestmark = pytest.mark.django_db


def _action(world: World) -> Action:
    return do_create_action(
        world.org.pk,
        ActionIn(title="Simplify billing", source="root_cause", owner=world.stage_owner,
                 deadline=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                 root_cause=RootCause.objects.for_org(world.org).get(code="process"),
                 public_summary="Bills fit on one page now."),
    )  # fmt: skip


def test_board_create_and_refusals(world: World, other_world: World) -> None:
    client = logged_in(world.stage_owner)
    html = page(client, "/actions/")
    assert "New action" in html
    refused = client.post("/actions/new/", {"title": "Fix it", "source": "driver", "driver": "x"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert (
        "every action needs exactly one owner" in text and "every action needs a deadline" in text
    )
    assert Action.objects.count() == 0
    cause = RootCause.objects.for_org(world.org).get(code="process")
    made = client.post("/actions/new/", {
        "title": "Fix <b>billing</b>", "source": "root_cause", "root_cause": cause.pk,
        "owner": world.agent.pk, "deadline": "2030-03-01", "question": world.nps.pk,
    })  # fmt: skip
    action = Action.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/actions/{action.pk}/"
    assert (action.owner, action.deadline.date()) == (world.agent, dt.date(2030, 3, 1))
    assert "Fix &lt;b&gt;billing&lt;/b&gt;" in page(client, f"/actions/{action.pk}/")
    foreign = client.post("/actions/new/", {
        "title": "x", "source": "root_cause", "root_cause": cause.pk,
        "owner": other_world.agent.pk, "deadline": "2030-03-01",
    })  # fmt: skip
    assert "every action needs exactly one owner" in foreign.content.decode()
    page(logged_in(other_world.owner), f"/actions/{action.pk}/", expect=404)
    assert logged_in(world.agent).post("/actions/new/", {}).status_code == 403


def test_complete_then_approve_you_said_we_did_once(world: World) -> None:
    case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    cause = RootCause.objects.for_org(world.org).get(code="process")
    client = logged_in(world.stage_owner)
    client.post(f"/cases/{case.pk}/resolve/", {"root_cause": cause.pk, "resolution": "done"})
    action = _action(world)
    assert client.post(f"/actions/{action.pk}/status/", {"status": "done"}).status_code == 302
    draft = CustomerUpdate.objects.get(action=action)
    html = page(client, f"/actions/{action.pk}/")
    assert "Approve drafts (1)" in html
    body = {"op": "approve", "subject": "We fixed it", "body": "Hello <there>"}
    assert client.post(f"/actions/updates/{draft.pk}/", body).status_code == 302
    again = client.post(f"/actions/updates/{draft.pk}/", body)
    assert again.status_code == 409
    assert "already approved, sent or discarded" in again.content.decode()
    assert send_approved_updates() == 1
    assert OutboxMessage.objects.filter(idempotency_key__startswith="you-said-we-did:").count() == 1
    # The agent neither owns the action nor is an admin.
    assert logged_in(world.agent).post(f"/actions/updates/{draft.pk}/", body).status_code == 400


def test_case_reply_page_escapes_and_needs_a_body(world: World, other_world: World) -> None:
    case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    client = logged_in(world.agent)
    empty = client.post(f"/cases/{case.pk}/reply/", {"body": " "})
    assert empty.status_code == 400 and "must not be empty" in empty.content.decode()
    sent = client.post(f"/cases/{case.pk}/reply/", {"body": "<script>x()</script>Sorry"})
    assert sent.status_code == 302
    html = page(client, f"/cases/{case.pk}/reply/")
    assert "&lt;script&gt;x()&lt;/script&gt;Sorry" in html and "<script>x()" not in html
    page(logged_in(other_world.owner), f"/cases/{case.pk}/reply/", expect=404)


def test_rules_page_is_for_admins(world: World) -> None:
    page(logged_in(world.agent), "/cases/rules/", expect=403)
    client = logged_in(world.stage_owner)
    bad = client.post("/cases/rules/", {"keyword": "", "max_score": "x"})
    assert bad.status_code == 400 and "must be a whole number" in bad.content.decode()
    rule_in = {"keyword": "cancel", "priority": "urgent", "owner_rule": "member",
               "owner_member": world.agent.pk}  # fmt: skip
    ok = client.post("/cases/rules/", rule_in)
    assert ok.status_code == 302
    rule = CaseRule.objects.get()
    assert (rule.keyword, rule.owner_member) == ("cancel", world.agent)
    assert "comment mentions “cancel”" in page(client, "/cases/rules/")


def test_channel_with_a_private_url_is_refused_with_a_message(world: World) -> None:
    client = logged_in(world.stage_owner)
    channel_in = {"name": "Ops", "kind": "slack", "url": "http://127.0.0.1:8080/hook",
                  "event": "case"}  # fmt: skip
    r = client.post("/loop/channels/", channel_in)
    assert r.status_code == 400
    assert "resolves to 127.0.0.1, which is not a public internet address" in r.content.decode()
    assert Channel.objects.count() == 0


def test_wall_moderation_and_lost_call_pages(world: World) -> None:
    client = logged_in(world.stage_owner)
    do_record_survey_consent(world.survey, "We may publish it.")
    response = respond(world, 1, nps=9, comment="Great, reach me at jo@example.com")
    do_share_response(response)
    post = WallPost.objects.get()
    assert "reach me at [email]" in page(client, "/loop/wall/")
    r = client.post(
        "/loop/wall/", {"op": "approve", "post": post.pk, "text": "Great, call 020 7946 0958"}
    )
    assert r.status_code == 302
    post.refresh_from_db()
    assert (post.status, post.text) == ("approved", "Great, call [phone]")
    reason = do_create_lost_reason(world.org.pk, "price", "Price")
    call = do_record_churn(world.org, ChurnIn("cust-1", "churn")).call
    assert "Great, reach me at jo@example.com" in page(client, f"/loop/lost/{call.pk}/")
    bad = client.post(f"/loop/lost/{call.pk}/", {"outcome": "", "reason": ""})
    assert bad.status_code == 400 and "choose why the customer left" in bad.content.decode()
    ok = client.post(f"/loop/lost/{call.pk}/", {"outcome": "Stays", "reason": reason.pk,
                                                 "won_back": "yes"})  # fmt: skip
    assert ok.status_code == 302
    assert WinBackCall.objects.get().won_back is True
    assert "win-back rate 100%, n = 1" in page(client, "/loop/lost/")
    assert "Price" in page(client, "/loop/reports/")
    page(client, "/loop/digest/")
    # The team's story of the day, redacted, as the worker picked it (jobs run at once).
    praise = page(client, "/loop/recognition/")
    assert "<p>Great, reach me at [email]</p>" in praise and "Computed " in praise
    assert client.post("/loop/digest/", {"frequency": "daily"}).status_code == 302
    assert client.post("/loop/digest/", {"frequency": "hourly"}).status_code == 400


def test_an_admin_sets_when_digests_go_out(world: World) -> None:
    admin = logged_in(world.stage_owner)
    html = page(admin, "/loop/digest/")
    assert "Digests go out after 06:00, UTC time" in html
    assert "<option selected>UTC</option>" in html
    bad = admin.post("/loop/digest/", {"form": "schedule", "timezone": "Mars/Base",
                                       "digest_hour": "25"})  # fmt: skip
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "must be a time zone name such as Europe/London or UTC" in body
    assert "must be an hour between 0 and 23" in body
    assert admin.post("/loop/digest/", {"form": "schedule", "timezone": "Asia/Kolkata",
                                        "digest_hour": "x"}).status_code == 400  # fmt: skip
    world.org.refresh_from_db()
    assert (world.org.timezone, world.org.digest_hour) == ("UTC", 6)
    ok = admin.post("/loop/digest/", {"form": "schedule", "timezone": "Asia/Kolkata",
                                      "digest_hour": "9"})  # fmt: skip
    assert ok.status_code == 302
    world.org.refresh_from_db()
    assert (world.org.timezone, world.org.digest_hour) == ("Asia/Kolkata", 9)
    assert "Digests go out after 09:00, Asia/Kolkata time" in page(admin, "/loop/digest/")
    # An agent chooses their own frequency but not the organisation's time.
    agent = logged_in(world.agent)
    assert "When digests go out" not in page(agent, "/loop/digest/")
    refused = agent.post("/loop/digest/", {"form": "schedule", "timezone": "UTC",
                                           "digest_hour": "1"})  # fmt: skip
    assert refused.status_code == 403
    world.org.refresh_from_db()
    assert world.org.digest_hour == 9


def test_another_organisations_ids_are_unknown_on_every_loop_page(
    world: World, other_world: World
) -> None:
    case = do_open_case_for(respond(world, 1, nps=2, comment="bad"))
    assert case is not None
    cause = RootCause.objects.for_org(world.org).get(code="process")
    do_record_survey_consent(world.survey, "We may publish it.")
    do_share_response(respond(world, 2, nps=9, comment="good"))
    post = WallPost.objects.get()
    call = do_record_churn(world.org, ChurnIn("cust-1", "churn")).call
    action = _action(world)
    case.refresh_from_db()
    do_resolve_case(case, cause, "done", actor=world.agent)
    do_set_action_status(action, "done", actor=world.stage_owner)
    update = CustomerUpdate.objects.get()
    intruder = logged_in(other_world.owner)
    for url in (f"/actions/{action.pk}/", f"/cases/{case.pk}/reply/", f"/loop/lost/{call.pk}/"):
        page(intruder, url, expect=404)
    for url, data in (
        (f"/actions/{action.pk}/status/", {"status": "in_progress"}),
        (f"/actions/{action.pk}/progress/", {"body": "x"}),
        (f"/actions/{action.pk}/publish/", {"public_summary": "x"}),
        (f"/actions/updates/{update.pk}/", {"op": "approve", "subject": "s", "body": "b"}),
        (f"/cases/{case.pk}/reply/", {"body": "hi"}),
        (f"/loop/lost/{call.pk}/", {"outcome": "x", "won_back": "yes"}),
        ("/loop/wall/", {"op": "approve", "post": post.pk}),
    ):
        assert intruder.post(url, data).status_code == 404, url
    post.refresh_from_db()
    update.refresh_from_db()
    assert (post.status, update.status) == ("pending", "draft")
