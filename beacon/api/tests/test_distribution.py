"""May-survey, delivery/send log, coverage, and the signed inbound webhook."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from beacon.api.tests.conftest import Api, interaction_body
from beacon.contacts.models import Interaction
from beacon.contacts.webhooks import do_create_webhook, sign
from beacon.core.errors import ValidationFailed
from beacon.pipeline.actions import submit_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.surveys.distribution import RuleIn, do_add_rule, do_set_survey_budget
from beacon.surveys.models import Invitation
from beacon.testing import World

pytestmark = pytest.mark.django_db(transaction=True)

MAPPING = {
    "contact_id": "ticket.requester.id",
    "email": "ticket.requester.email",
    "name": "ticket.requester.name",
    "touchpoint": "ticket.channel",
    "team": "ticket.group",
    "staff": "ticket.assignee",
    "occurred_at": "ticket.solved_at",
    "idempotency_key": "ticket.id",
}


def ticket(world: World, **over: Any) -> dict[str, Any]:
    t = {
        "id": 981,
        "channel": "Phone support",
        "group": "Support",
        "assignee": world.agent.email,
        "solved_at": "2026-03-01T10:00:00+01:00",
        "requester": {"id": "cust-9", "email": "nine@example.com", "name": "Nina"},
    }
    t.update(over)
    return {"ticket": t}


def post_hook(token: str, body: bytes, signature: str | None) -> Any:
    headers: dict[str, Any] = {"HTTP_X_BEACON_SIGNATURE": signature} if signature else {}
    return Client().post(
        f"/api/v1/webhooks/{token}", data=body, content_type="application/json", **headers
    )


def test_may_survey_follows_budget_and_is_tenant_scoped(
    world: World, other_world: World, api: Api
) -> None:
    do_set_survey_budget(world.org, min_days_between=14)
    assert api.post("/interactions", interaction_body(world)).status_code == 201
    page = api.get("/contacts/cust-1/may-survey")
    assert page.status_code == 200
    body = page.json()
    assert body["allowed"] is False and body["reason"] == "budget"
    assert body["next_allowed_at"] is not None
    other = Api(other_world.api_secret)
    assert other.get("/contacts/cust-1/may-survey").status_code == 404
    assert api.get("/contacts/cust-1/may-survey", survey_id=other_world.survey.pk).status_code == (
        404
    )
    assert api.get("/contacts/nobody/may-survey").json() == {
        "detail": "no contact with external_id 'nobody'"
    }


def test_delivery_counts_and_send_log(
    world: World, other_world: World, api: Api, smtp: Any
) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    api.post("/interactions", interaction_body(world, "a"))
    api.post(
        "/interactions",
        interaction_body(world, "b", contact={"external_id": "cust-2", "email": "b@example.com"}),
    )
    inv = Invitation.objects.order_by("pk").first()
    assert inv is not None
    respondent = Client()
    respondent.get(f"/s/{inv.token}/score/7/")  # the score preselected (ADR 0005)
    respondent.post(
        f"/s/{inv.token}/", {"question": world.nps.pk, "answer": "7", "oneclick": "auto"}
    )
    page = api.get(f"/surveys/{world.survey.pk}/delivery")
    assert page.status_code == 200
    body = page.json()
    assert body["channels"] == [
        {"channel": "email", "invited": 2, "sent": 2, "delivered": 2, "bounced": 0,
         "failed": 0, "opened": 1, "clicked": 1, "answered": 1, "completed": 0,
         "response_rate": 0.5}
    ]  # fmt: skip
    assert [e["delivery"] for e in body["log"]] == ["sent", "sent"]
    assert body["responses_without_invitation"] == {}
    # Answers without an invitation, per channel (from the channel rollup); a partial one
    # counts as an answer, as it did when each response was read.
    for key, channel, complete in (("w1", "widget", True), ("w2", "widget", False),
                                   ("l1", "link", True)):  # fmt: skip
        submit_response(ResponseIn(survey=world.survey, idempotency_key=key, channel=channel,
                                   complete=complete,
                                   answers=[AnswerIn(world.nps.pk, number=8)]))  # fmt: skip
    body = api.get(f"/surveys/{world.survey.pk}/delivery").json()
    assert body["responses_without_invitation"] == {"link": 1, "widget": 2}
    assert Api(other_world.api_secret).get(f"/surveys/{world.survey.pk}/delivery").status_code == (
        404
    )
    cover = api.get("/coverage").json()
    stage = {"stage_id": world.stage.pk, "stage": world.stage.name, "interactions": 2,
             "surveyed": 2, "sampled_out": 0, "suppressed": {}}  # fmt: skip
    assert cover == {"stages": [stage]}


def test_signed_webhook_records_interaction_once(world: World) -> None:
    hook = do_create_webhook(world.org, "Zendesk", MAPPING)
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint, channel="link"))
    body = json.dumps(ticket(world)).encode()
    first = post_hook(hook.token, body, sign(hook.secret, body))
    assert first.status_code == 201, first.content
    assert first.json()["invitations"] == 1
    again = post_hook(hook.token, body, sign(hook.secret, body))
    assert again.status_code == 200 and again.json()["created"] is False
    interaction = Interaction.objects.get()
    assert interaction.contact.external_id == "cust-9"
    assert interaction.contact.email == "nine@example.com"
    assert interaction.touchpoint_id == world.touchpoint.pk
    assert interaction.team_id == world.team.pk and interaction.staff_id == world.agent.pk
    assert interaction.occurred_at.isoformat() == "2026-03-01T09:00:00+00:00"
    assert Invitation.objects.count() == 1


def test_webhook_refuses_bad_signature_unknown_shape_and_other_org_names(
    world: World, other_world: World
) -> None:
    hook = do_create_webhook(world.org, "Zendesk", MAPPING)
    body = json.dumps(ticket(world)).encode()
    assert post_hook(hook.token, body, None).status_code == 401
    wrong = post_hook(hook.token, body, sign("not the secret", body))
    assert wrong.status_code == 401 and "X-Beacon-Signature" in wrong.json()["detail"]
    assert post_hook("nope", body, sign(hook.secret, body)).status_code == 404
    shapeless = json.dumps({"something": "else"}).encode()
    page = post_hook(hook.token, shapeless, sign(hook.secret, shapeless))
    assert page.status_code == 422
    assert page.json()["detail"][0]["field"] == "contact_id"
    foreign = json.dumps(
        ticket(world, channel=str(other_world.touchpoint.pk), solved_at="yesterday")
    ).encode()
    page = post_hook(hook.token, foreign, sign(hook.secret, foreign))
    assert page.status_code == 422
    assert {e["field"] for e in page.json()["detail"]} == {"touchpoint", "occurred_at"}
    broken = b"{not json"
    page = post_hook(hook.token, broken, sign(hook.secret, broken))
    assert page.status_code == 422 and page.json()["detail"][0]["field"] == "body"
    assert Interaction.objects.count() == 0
    with pytest.raises(ValidationFailed) as err:
        do_create_webhook(world.org, "x", {"contact": "a.b"})
    assert set(err.value.errors) == {"mapping.contact", "mapping.contact_id"}


@pytest.mark.parametrize("value", ["²", "٣", "-1", str(10**30), "1" * 19])
def test_webhook_names_a_touchpoint_or_team_it_cannot_read_never_a_500(
    world: World, value: str
) -> None:
    """`"²".isdigit()` is true and `int("²")` raises: such ids are unknown names, not crashes."""
    hook = do_create_webhook(world.org, "Zendesk", {**MAPPING, "email": "ticket.requester.²"})
    body = json.dumps(ticket(world, channel=value, group=value)).encode()
    page = post_hook(hook.token, body, sign(hook.secret, body))
    assert page.status_code == 422, page.content
    assert {e["field"] for e in page.json()["detail"]} == {"touchpoint", "team"}
    assert Interaction.objects.count() == 0
