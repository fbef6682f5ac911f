"""Help desks sign inbound webhooks their own way: Zendesk, Intercom, or a secret header."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client

from beacon.contacts.models import InboundWebhook, Interaction
from beacon.contacts.webhooks import do_create_webhook, do_set_webhook_signing
from beacon.core.errors import ValidationFailed
from beacon.orgs.models import Event
from beacon.testing import World
from beacon.web.tests.helpers import logged_in

pytestmark = pytest.mark.django_db

MAPPING = {"contact_id": "ticket.requester.id", "idempotency_key": "ticket.id"}
BODY = json.dumps({"ticket": {"id": 77, "requester": {"id": "cust-77"}}}).encode()


def post(hook: InboundWebhook, **headers: str) -> Any:
    return Client().post(
        f"/api/v1/webhooks/{hook.token}",
        data=BODY,
        content_type="application/json",
        headers=headers,
    )


def test_zendesk_signs_the_timestamp_and_body_with_its_own_secret(world: World) -> None:
    hook = do_create_webhook(world.org, "Zendesk", MAPPING, signature="zendesk")
    stamp = "2026-12-03T10:00:00Z"
    # Zendesk's documented signature: base64 of HMAC-SHA256(secret, timestamp + body).
    good = base64.b64encode(
        hmac.new(b"zd-signing-secret", stamp.encode() + BODY, hashlib.sha256).digest()
    ).decode()
    headers = {"X-Zendesk-Webhook-Signature": good, "X-Zendesk-Webhook-Signature-Timestamp": stamp}
    refused = post(hook, **headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == (
        "no Zendesk signing secret is set on this webhook yet: paste it on the imports page"
    )
    do_set_webhook_signing(hook, "zendesk", " zd-signing-secret ", actor=world.owner)
    assert post(hook, **headers).status_code == 201
    assert Interaction.objects.get().contact.external_id == "cust-77"
    replayed_later = {**headers, "X-Zendesk-Webhook-Signature-Timestamp": "2026-12-03T10:05:00Z"}
    wrong = post(hook, **replayed_later)
    assert (wrong.status_code, wrong.json()["detail"]) == (
        401,
        "missing or wrong X-Zendesk-Webhook-Signature (with X-Zendesk-Webhook-Signature-Timestamp)",
    )
    event = Event.objects.get(verb="webhook.signing_set")
    assert event.data == {"scheme": "zendesk"}  # the secret never reaches the audit log


def test_intercom_signs_the_body_with_hmac_sha1(world: World) -> None:
    hook = do_create_webhook(
        world.org, "Intercom", MAPPING, signature="intercom", help_desk_secret="client-secret"
    )
    digest = hmac.new(b"client-secret", BODY, hashlib.sha1).hexdigest()
    assert post(hook, **{"X-Hub-Signature": f"sha1={digest}"}).status_code == 201
    assert post(hook, **{"X-Hub-Signature": f"sha1={'0' * 40}"}).status_code == 401
    # Beacon's own signature does not stand in for the help desk's.
    beacon = "sha256=" + hmac.new(hook.secret.encode(), BODY, hashlib.sha256).hexdigest()
    assert post(hook, **{"X-Beacon-Signature": beacon}).status_code == 401


def test_a_secret_header_for_help_desks_that_cannot_sign(world: World) -> None:
    hook = do_create_webhook(world.org, "Freshdesk", MAPPING, signature="token")
    assert post(hook, **{"X-Beacon-Token": hook.secret}).status_code == 201
    wrong = post(hook, **{"X-Beacon-Token": hook.secret[:-1]})
    assert (wrong.status_code, wrong.json()["detail"]) == (
        401,
        "missing or wrong X-Beacon-Token (the webhook's secret)",
    )


def test_signing_settings_are_checked(world: World) -> None:
    with pytest.raises(ValidationFailed) as unknown:
        do_create_webhook(world.org, "Odd", MAPPING, signature="md5")
    assert unknown.value.errors == {
        "signature": "unknown scheme; use one of beacon, zendesk, intercom, token, stripe, "
        "shopify, basic"
    }
    hook = do_create_webhook(world.org, "Relay", MAPPING)
    with pytest.raises(ValidationFailed) as pointless:
        do_set_webhook_signing(hook, "token", "some secret")
    assert pointless.value.errors == {
        "help_desk_secret": "only Zendesk, Intercom, Stripe and Shopify use the sender's secret"
    }
    assert InboundWebhook.objects.get(pk=hook.pk).signature == "beacon"
    assert not Event.objects.filter(verb="webhook.signing_set").exists()


def test_another_organisations_webhook_signing_is_not_found(
    world: World, other_world: World
) -> None:
    hook = do_create_webhook(other_world.org, "Theirs", MAPPING)
    client = logged_in(world.owner)
    r = client.post(f"/imports/webhooks/{hook.pk}/signing/", {"signature": "token"})
    assert r.status_code == 404
    assert InboundWebhook.objects.get(pk=hook.pk).signature == "beacon"
