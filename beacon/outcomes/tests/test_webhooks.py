"""Outcomes through the inbound webhook mapping: real signed posts, the same checks as the
API and CSV, every delivery logged, a retried post stored once."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from beacon.contacts.actions import ContactIn, do_upsert_contact
from beacon.contacts.models import DeliveryOutcome, InboundWebhook
from beacon.contacts.webhooks import sign
from beacon.core.errors import ValidationFailed
from beacon.outcomes.actions import SettingsIn, do_save_settings
from beacon.outcomes.models import Outcome
from beacon.outcomes.webhooks import do_create_outcome_webhook
from beacon.testing import World
from beacon.web.tests.helpers import logged_in

pytestmark = pytest.mark.django_db

# A shop's order notification (the shape of a typical e-commerce "order paid" webhook).
SHOP_MAPPING = {
    "contact_id": "order.customer.id",
    "amount": "order.total_price",
    "currency": "order.currency",
    "occurred_at": "order.processed_at",
    "idempotency_key": "order.id",
    "product": "order.line_items.0.title",
    "channel": "order.source_name",
}
# A billing system's subscription events (event type, Unix time, nested object).
BILLING_MAPPING = {
    "contact_id": "data.object.customer",
    "event": "type",
    "subscription_id": "data.object.id",
    "plan": "data.object.plan.nickname",
    "amount": "data.object.plan.amount",
    "reason": "data.object.cancellation_details.reason",
    "occurred_at": "created",
    "idempotency_key": "id",
}


def shop_order(**over: Any) -> dict[str, Any]:
    order = {
        "id": 820982911946154508,
        "customer": {"id": "cust-1"},
        "total_price": "199.00",
        "currency": "EUR",
        "processed_at": "2025-03-01T10:00:00-05:00",
        "source_name": "Web",
        "line_items": [{"title": "Router X2"}],
        **over,
    }
    return {"order": order}


def billing(event_id: str, kind: str, created: int, **obj: Any) -> dict[str, Any]:
    thing = {"id": "sub_1", "customer": "cust-1", "plan": {"nickname": "Gold", "amount": 30}}
    return {"id": event_id, "type": kind, "created": created, "data": {"object": {**thing, **obj}}}


def post(hook: InboundWebhook, payload: Any) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Client().post(
        f"/api/v1/webhooks/{hook.token}",
        data=body,
        content_type="application/json",
        HTTP_X_BEACON_SIGNATURE=sign(hook.secret, body),
    )


@pytest.fixture
def settings_eur(world: World) -> None:
    do_upsert_contact(world.org, ContactIn(external_id="cust-1"))
    do_save_settings(
        world.org,
        SettingsIn("GBP", {"EUR": Decimal("0.85")}, {"phone": Decimal("6")}, 365, False, False),
    )


def log(hook: InboundWebhook) -> list[tuple[str, str]]:
    return [(d.outcome, d.detail) for d in hook.deliveries.order_by("pk")]


def test_an_order_posted_twice_is_stored_once_converted_and_logged(
    world: World, settings_eur: None
) -> None:
    hook = do_create_outcome_webhook(world.org, "Shop", "order", SHOP_MAPPING)
    first = post(hook, shop_order())
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["kind"], body["created"], body["interaction_id"]) == ("order", True, None)
    again = post(hook, shop_order())
    assert again.status_code == 200 and again.json()["created"] is False
    stored = Outcome.objects.get()
    assert stored.pk == body["outcome_id"] == again.json()["outcome_id"]
    assert (stored.kind, stored.amount, stored.sent_amount, stored.sent_currency) == (
        "order", Decimal("169.15"), Decimal("199.00"), "EUR",
    )  # fmt: skip
    assert stored.contact.external_id == "cust-1"
    assert (stored.product, stored.channel) == ("Router X2", "web")
    assert stored.occurred_at == dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC)
    assert stored.idempotency_key == f"wh{hook.pk}:820982911946154508"
    assert log(hook) == [
        (DeliveryOutcome.CREATED, f"order {stored.pk}"),
        (DeliveryOutcome.REPEATED, f"order {stored.pk}"),
    ]


def test_subscription_events_read_by_their_last_word_and_unix_time(
    world: World, settings_eur: None
) -> None:
    hook = do_create_outcome_webhook(world.org, "Billing", "subscription", BILLING_MAPPING)
    started = post(hook, billing("evt_1", "customer.subscription.created", 1735725600))
    assert started.status_code == 201, started.content
    ended = post(
        hook,
        billing("evt_2", "customer.subscription.deleted", 1740823200,
                cancellation_details={"reason": "too expensive"}),
    )  # fmt: skip
    assert ended.status_code == 201, ended.content
    rows = list(Outcome.objects.order_by("occurred_at").values_list(
        "kind", "subscription_id", "plan", "amount", "reason", "occurred_at"))  # fmt: skip
    assert rows == [
        ("subscription_started", "sub_1", "Gold", Decimal("30.00"), "",
         dt.datetime(2025, 1, 1, 10, tzinfo=dt.UTC)),
        ("subscription_ended", "sub_1", "Gold", Decimal("30.00"), "too expensive",
         dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)),
    ]  # fmt: skip
    paused = post(hook, billing("evt_3", "customer.subscription.paused", 1740823300))
    assert paused.status_code == 422
    [error] = paused.json()["detail"]
    assert error["field"] == "event"
    assert error["message"] == (
        "at type: 'customer.subscription.paused' is not a subscription event; send started, "
        "renewed, changed or ended"
    )
    assert Outcome.objects.count() == 2


def test_bad_payloads_answered_422_naming_the_field_and_its_path_and_logged(
    world: World, other_world: World, settings_eur: None
) -> None:
    hook = do_create_outcome_webhook(world.org, "Shop", "order", SHOP_MAPPING)
    do_upsert_contact(other_world.org, ContactIn(external_id="theirs"))
    cases = [
        (shop_order(total_price="lots"), "amount", "at order.total_price: 'lots' is not a number"),
        (shop_order(currency="XYZ"), "currency", "at order.currency: 'XYZ' is not an ISO 4217 "
         "currency code"),
        (shop_order(customer={"id": "theirs"}), "contact_id",
         "at order.customer.id: unknown customer 'theirs'"),
        (shop_order(processed_at="2999-01-01T00:00:00Z"), "occurred_at",
         "at order.processed_at: is in the future"),
        (shop_order(total_price=None), "amount", "at order.total_price: is required"),
    ]  # fmt: skip
    for payload, field, message in cases:
        response = post(hook, payload)
        assert response.status_code == 422, response.content
        assert response.json()["detail"] == [{"field": field, "message": message}]
    broken = post(hook, b"{not json")
    assert broken.status_code == 422 and broken.json()["detail"][0]["field"] == "body"
    refused = log(hook)
    assert [o for o, _ in refused] == [DeliveryOutcome.REFUSED] * 6
    assert refused[0][1] == "amount: at order.total_price: 'lots' is not a number"
    assert not Outcome.objects.exists()
    page = logged_in(world.owner).get("/imports/").content.decode()
    assert "Refused: amount: at order.total_price: is required" in page  # the latest five


def test_a_service_contact_without_cost_costs_its_channels_rate(
    world: World, settings_eur: None
) -> None:
    mapping = {"contact_id": "requester", "channel": "via", "handle_minutes": "minutes"}
    hook = do_create_outcome_webhook(world.org, "Desk", "service_contact", mapping)
    response = post(hook, {"requester": "cust-1", "via": "Phone", "minutes": 12})
    assert response.status_code == 201, response.content
    stored = Outcome.objects.get()
    assert (stored.kind, stored.amount, stored.handle_minutes, stored.channel) == (
        "service_contact", Decimal("6.00"), Decimal("12.00"), "phone",
    )  # fmt: skip


def test_mapping_checked_against_the_kinds_fields(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        do_create_outcome_webhook(world.org, "Shop", "order", {"contact_id": "a", "email": "b"})
    assert set(err.value.errors) == {"mapping.email", "mapping.amount"}
    with pytest.raises(ValidationFailed) as err:
        do_create_outcome_webhook(world.org, "Shop", "returns", SHOP_MAPPING)
    assert set(err.value.errors) == {"records"}


def test_an_order_webhook_set_up_on_the_imports_page(world: World, settings_eur: None) -> None:
    client = logged_in(world.owner)
    page = client.get("/imports/").content.decode()
    assert '<option value="order">Orders (revenue; refunds negative)</option>' in page
    form = {f"path_{k}": v for k, v in SHOP_MAPPING.items()}
    form.update(name="Shop", records="order")
    wrong = client.post("/imports/webhooks/", {**form, "path_email": "order.email"})
    assert wrong.status_code == 400
    assert "mapping.email" in wrong.content.decode()
    assert client.post("/imports/webhooks/", {**form, "records": "gift"}).status_code == 400
    assert not InboundWebhook.objects.exists()
    created = client.post("/imports/webhooks/", form)
    assert created.status_code == 200
    hook = InboundWebhook.objects.get()
    assert (hook.records, hook.mapping) == ("order", SHOP_MAPPING)
    assert hook.secret in created.content.decode()
    assert post(hook, shop_order()).status_code == 201
    assert "records order" in client.get("/imports/").content.decode()
    assert logged_in(world.agent).post("/imports/webhooks/", form).status_code == 403
