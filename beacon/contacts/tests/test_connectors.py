"""Help-desk connectors: each product's documented payload shape becomes an interaction
with its contact, staff member, team and touchpoint; other statuses are ignored; a missing
field is named in the webhook's log and nothing is written."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client

from beacon.contacts.connectors import CONNECTORS
from beacon.contacts.models import Contact, DeliveryOutcome, InboundWebhook, Interaction
from beacon.contacts.webhooks import do_create_webhook, sign
from beacon.cxmodel.actions import do_add_touchpoint
from beacon.testing import World
from beacon.web.tests.helpers import logged_in

AGENT = "agent@acme-telecom.test"  # world.agent's email


# Zendesk: the body a trigger sends with the connector's placeholder body filled in
# (placeholders: https://support.zendesk.com/hc/en-us/articles/4408886858138).
def zendesk(status: str = "Solved", **ticket: Any) -> dict[str, Any]:
    body = {
        "id": "35436",
        "status": status,
        "title": "Router keeps dropping the connection",
        "via": "Mail",
        "updated_at": "2026-06-30T14:05:12Z",
        "requester": {"id": "20978392", "email": "ana@example.com", "name": "Ana Lima"},
        "assignee": {"email": AGENT},
        "group": {"name": "Support"},
    }
    body.update(ticket)
    return {"ticket": body}


# Freshdesk: automation rule webhook, content "Simple" (keys under freshdesk_webhook):
# https://support.freshdesk.com/support/solutions/articles/132589-using-webhooks-in-automation-rules
def freshdesk(status: str = "Resolved") -> dict[str, Any]:
    return {
        "freshdesk_webhook": {
            "ticket_id": 1042,
            "ticket_status": status,
            "ticket_subject": "Refund not received",
            "ticket_source": "Email",
            "ticket_contact_name": "Ben Okafor",
            "ticket_contact_email": "ben@example.com",
            "ticket_agent_email": AGENT,
            "ticket_group_name": "Support",
        }
    }


# Intercom: notification_event for topic conversation.admin.closed whose item is the
# conversation model: https://developers.intercom.com/docs/references/2.11/webhooks/webhook-models
def intercom(topic: str = "conversation.admin.closed") -> dict[str, Any]:
    return {
        "type": "notification_event",
        "app_id": "abc123de",
        "id": "notif_6b2c7e60-1f42-4a1c-9c37-1d1b2c3d4e5f",
        "topic": topic,
        "created_at": 1782828312,
        "delivery_attempts": 1,
        "data": {
            "type": "notification_event_data",
            "item": {
                "type": "conversation",
                "id": "215467891234567",
                "title": "Billing question",
                "created_at": 1782820000,
                "updated_at": 1782828312,
                "state": "closed",
                "admin_assignee_id": 4521,
                "team_assignee_id": "5312",
                "source": {
                    "type": "conversation",
                    "delivered_as": "customer_initiated",
                    "subject": "",
                    "author": {
                        "type": "user",
                        "id": "5f7a1b2c3d4e5f6a7b8c9d0e",
                        "name": "Chen Wei",
                        "email": "chen@example.com",
                    },
                },
                "conversation_parts": {
                    "type": "conversation_part.list",
                    "conversation_parts": [
                        {
                            "type": "conversation_part",
                            "part_type": "close",
                            "body": "<p>Glad we could help.</p>",
                            "author": {
                                "type": "admin",
                                "id": "4521",
                                "name": "Priya Agent",
                                "email": AGENT,
                            },
                        }
                    ],
                    "total_count": 1,
                },
            },
        },
    }


# HubSpot: workflow "Send a webhook" with a customised body of ticket, contact and owner
# properties (https://knowledge.hubspot.com/workflows/how-do-i-use-webhooks-with-hubspot-workflows;
# stage "4" is Closed in the default support pipeline).
def hubspot(stage: str = "4") -> dict[str, Any]:
    return {
        "ticket": {
            "hs_object_id": "1874520033",
            "subject": "Cannot log in",
            "hs_pipeline_stage": stage,
            "source_type": "EMAIL",
            "closed_date": "2026-06-30T14:05:12.000Z",
            "hs_primary_team_name": "Support",
        },
        "contact": {"hs_object_id": "551", "email": "dara@example.com", "firstname": "Dara"},
        "owner": {"email": AGENT},
    }


# Salesforce Service Cloud: record-triggered flow HTTP callout with the Case's fields
# (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_case.htm).
def salesforce(status: str = "Closed") -> dict[str, Any]:
    return {
        "Case": {
            "Id": "5005g00000AbCdEAAV",
            "CaseNumber": "00001026",
            "Status": status,
            "IsClosed": status == "Closed",
            "Origin": "Phone",
            "Subject": "Late delivery",
            "ClosedDate": "2026-06-30T14:05:12.000+0000",
            "ContactId": "0035g00000XyZaBAAV",
            "ContactEmail": "eve@example.com",
            "Contact": {"Name": "Eve Martin"},
            "Owner": {"Email": AGENT, "Department": "Support"},
        }
    }


SAMPLES: dict[str, tuple[Any, ...]] = {
    "zendesk": (zendesk, zendesk("Open"), "20978392", "ana@example.com", "Mail"),
    "freshdesk": (freshdesk, freshdesk("Pending"), "ben@example.com", "ben@example.com", "Email"),
    "intercom": (
        intercom,
        intercom("conversation.user.replied"),
        "5f7a1b2c3d4e5f6a7b8c9d0e",
        "chen@example.com",
        "conversation",
    ),
    "hubspot": (hubspot, hubspot("2"), "551", "dara@example.com", "email"),
    "salesforce": (
        salesforce,
        salesforce("Working"),
        "0035g00000XyZaBAAV",
        "eve@example.com",
        "Phone",
    ),
}


def _hook(world: World, key: str) -> InboundWebhook:
    c = CONNECTORS[key]
    return do_create_webhook(
        world.org,
        c.name,
        dict(c.mapping),
        connector=key,
        only_when_path=c.only_when_path,
        only_when_values=list(c.only_when_values),
    )


def _post(hook: InboundWebhook, payload: Any):
    body = json.dumps(payload).encode()
    return Client().post(
        f"/api/v1/webhooks/{hook.token}",
        data=body,
        content_type="application/json",
        HTTP_X_BEACON_SIGNATURE=sign(hook.secret, body),
    )


@pytest.mark.parametrize("key", list(SAMPLES))
def test_solved_ticket_becomes_an_interaction_with_its_people(world: World, key: str) -> None:
    make, _other, contact_id, email, channel = SAMPLES[key]
    touchpoint = do_add_touchpoint(world.stage, channel.capitalize(), channel.lower())
    hook = _hook(world, key)
    response = _post(hook, make())
    assert response.status_code == 201, response.json()
    interaction = Interaction.objects.select_related("contact").get(
        pk=response.json()["interaction_id"]
    )
    assert interaction.contact.external_id == contact_id
    assert interaction.contact.email == email
    assert interaction.staff == world.agent
    assert interaction.touchpoint == touchpoint
    assert interaction.team == (None if key == "intercom" else world.team)
    if key != "freshdesk":  # Freshdesk's dates are not machine-readable: arrival time used
        assert interaction.occurred_at == dt.datetime(2026, 6, 30, 14, 5, 12, tzinfo=dt.UTC)
    [entry] = hook.deliveries.all()
    assert (entry.outcome, entry.interaction_id) == (DeliveryOutcome.CREATED, interaction.pk)
    assert _post(hook, make()).status_code == 200  # the same ticket again: no second row
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize("key", list(SAMPLES))
def test_a_ticket_not_yet_solved_is_ignored_and_logged(world: World, key: str) -> None:
    _make, other, *_ = SAMPLES[key]
    hook = _hook(world, key)
    response = _post(hook, other)
    assert response.status_code == 202
    assert CONNECTORS[key].only_when_path in response.json()["detail"]
    assert not Interaction.objects.exists() and not Contact.objects.exists()
    assert hook.deliveries.get().outcome == DeliveryOutcome.IGNORED


def test_missing_requester_is_named_in_the_log_and_nothing_is_written(world: World) -> None:
    do_add_touchpoint(world.stage, "Mail", "email")
    hook = _hook(world, "zendesk")
    response = _post(hook, zendesk(requester={"email": "ana@example.com", "name": "Ana"}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "contact_id"
    entry = hook.deliveries.get()
    assert entry.outcome == DeliveryOutcome.REFUSED
    assert entry.detail == "contact_id: nothing found at ticket.requester.id"
    assert not Contact.objects.exists() and not Interaction.objects.exists()
    page = logged_in(world.owner).get("/imports/").content.decode()
    assert "Refused: contact_id: nothing found at ticket.requester.id" in page


def test_another_organisations_agent_or_team_is_refused(world: World, other_world: World) -> None:
    do_add_touchpoint(world.stage, "Mail", "email")
    hook = _hook(world, "zendesk")
    foreign = zendesk(assignee={"email": other_world.agent.user.email}, group={"name": "Nope"})
    response = _post(hook, foreign)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["detail"]}
    assert fields == {"staff", "team"}
    assert not Contact.objects.exists()


def test_zendesk_connector_chosen_from_the_list_on_the_page(world: World) -> None:
    client = logged_in(world.owner)
    page = client.get("/imports/", {"connector": "zendesk"}).content.decode()
    assert 'value="ticket.requester.id"' in page and "{{ticket.requester.email}}" in page
    preset = CONNECTORS["zendesk"]
    form = {f"path_{k}": v for k, v in preset.mapping.items()}
    # The mapping stays editable: the description is read from another path.
    form["path_description"] = "ticket.id"
    form.update(
        name="Zendesk",
        connector="zendesk",
        only_when_path="ticket.status",
        only_when_values="solved, closed",
    )
    assert client.post("/imports/webhooks/", form).status_code == 200
    hook = InboundWebhook.objects.get()
    assert hook.connector == "zendesk" and hook.mapping["description"] == "ticket.id"
    assert hook.only_when_values == ["solved", "closed"]
    do_add_touchpoint(world.stage, "Mail", "email")
    # Zendesk signs with its own secret, which exists only once the webhook is set up there:
    # until it is pasted, posts are refused and the log says why.
    assert hook.signature == "zendesk"
    assert _post(hook, zendesk()).status_code == 401
    assert hook.deliveries.get().detail == (
        "no Zendesk signing secret is set on this webhook yet: paste it on the imports page"
    )
    signing = f"/imports/webhooks/{hook.pk}/signing/"
    bad = client.post(signing, {"signature": "md5", "help_desk_secret": "x"})
    assert bad.status_code == 400
    assert (
        "<li>signature: must be one of beacon, zendesk, intercom, token, stripe, shopify, "
        "basic</li>" in bad.content.decode()
    )
    assert logged_in(world.agent).post(signing, {"signature": "zendesk"}).status_code == 403
    saved = client.post(signing, {"signature": "zendesk", "help_desk_secret": "zd-secret"})
    assert saved.status_code == 302 and saved["Location"] == "/imports/"
    body = json.dumps(zendesk()).encode()
    stamp = "2026-12-03T10:00:00Z"
    mac = hmac.new(b"zd-secret", stamp.encode() + body, hashlib.sha256).digest()
    posted = Client().post(
        f"/api/v1/webhooks/{hook.token}",
        data=body,
        content_type="application/json",
        headers={
            "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        },
    )
    assert posted.status_code == 201
    assert Interaction.objects.get().description == "35436"
    refused = client.post("/imports/webhooks/", {**form, "connector": "otrs"})
    assert refused.status_code == 400 and InboundWebhook.objects.count() == 1
    assert logged_in(world.agent).get("/imports/", {"connector": "zendesk"}).status_code == 403


def test_an_unknown_connector_in_the_address_answers_400_naming_it(world: World) -> None:
    """It was ignored in silence: the page looked as if no connector had been asked for."""
    response = logged_in(world.owner).get("/imports/", {"connector": "otrs"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<li>connector: must be one of {', '.join(CONNECTORS)}</li>" in html
    assert 'value="ticket.requester.id"' not in html
