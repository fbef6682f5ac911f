"""Ready-made outcome webhooks (Stripe, Shopify, Chargebee): each preset's sample payload,
written in the product's documented format and signed its way, makes the exact outcome
rows; a payload missing a needed field is logged naming it and writes nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from beacon.contacts.actions import ContactIn, do_upsert_contact
from beacon.contacts.connectors import CONNECTORS, OUTCOME_PRESETS
from beacon.contacts.models import DeliveryOutcome, InboundWebhook
from beacon.contacts.signatures import Scheme, shopify_signature, stripe_signature
from beacon.contacts.webhooks import do_set_webhook_signing
from beacon.outcomes.actions import SettingsIn, do_save_settings
from beacon.outcomes.models import Outcome
from beacon.outcomes.webhooks import do_create_outcome_webhook
from beacon.testing import World
from beacon.web.tests.helpers import logged_in

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_0123456789"
# 2025-03-01 10:00 UTC and the days after it, as Unix time (Stripe's and Chargebee's).
T0 = 1740823200


def at(day: int = 0, hour: int = 10) -> dt.datetime:
    return dt.datetime(2025, 3, 1, hour, tzinfo=dt.UTC) + dt.timedelta(days=day)


# ---------------------------------------------------------------- sample payloads


def stripe_event(event_id: str, kind: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "api_version": "2024-06-20", "type": kind,
            "created": created, "livemode": False, "data": {"object": obj}}  # fmt: skip


def stripe_invoice(**over: Any) -> dict[str, Any]:
    invoice = {
        "id": "in_1QxAbc", "object": "invoice", "customer": "cus_R1x", "status": "paid",
        "amount_paid": 4900, "amount_due": 4900, "currency": "usd",
        "billing_reason": "manual", "status_transitions": {"paid_at": T0},
        "lines": {"object": "list", "data": [
            {"id": "il_1", "description": "Installation visit", "amount": 4900,
             "currency": "usd", "price": {"id": "price_install", "unit_amount": 4900}},
        ]},
        **over,
    }  # fmt: skip
    return stripe_event("evt_1QxInv", "invoice.paid", T0, invoice)


def stripe_subscription(event_id: str, kind: str, created: int, price: str, cents: int,
                        **over: Any) -> dict[str, Any]:  # fmt: skip
    sub = {
        "id": "sub_1QxSub", "object": "subscription", "customer": "cus_R1x",
        "currency": "usd", "status": "active",
        "items": {"object": "list", "data": [
            {"id": "si_1", "price": {"id": price, "unit_amount": cents, "currency": "usd",
                                     "recurring": {"interval": "month"}}, "quantity": 1},
        ]},
        "cancellation_details": {"reason": None, "comment": None, "feedback": None},
        **over,
    }  # fmt: skip
    return stripe_event(event_id, kind, created, sub)


def stripe_refund(**over: Any) -> dict[str, Any]:
    charge = {"id": "ch_3QxChg", "object": "charge", "customer": "cus_R1x", "amount": 4900,
              "amount_refunded": 1500, "currency": "usd", "refunded": False, **over}  # fmt: skip
    return stripe_event("evt_1QxRef", "charge.refunded", T0 + 86400, charge)


def shopify_order(**over: Any) -> dict[str, Any]:
    return {
        "id": 5801234567890, "admin_graphql_api_id": "gid://shopify/Order/5801234567890",
        "email": "ana@example.com", "created_at": "2025-03-01T05:00:00-05:00",
        "currency": "USD", "total_price": "129.95", "subtotal_price": "119.95",
        "financial_status": "paid", "source_name": "web",
        "customer": {"id": 7212345678901, "email": "ana@example.com"},
        "line_items": [{"id": 1, "title": "Trail shoe", "quantity": 1, "price": "119.95"}],
        **over,
    }  # fmt: skip


def shopify_refund(**over: Any) -> dict[str, Any]:
    return {
        "id": 990123, "order_id": 5801234567890, "created_at": "2025-03-02T09:30:00-05:00",
        "note": "Wrong size", "restock": True, "user_id": 42,
        "refund_line_items": [{"id": 7, "line_item_id": 1, "quantity": 1}],
        "transactions": [{"id": 55, "order_id": 5801234567890, "kind": "refund",
                          "status": "success", "amount": "40.00", "currency": "USD"}],
        **over,
    }  # fmt: skip


def chargebee_event(event_id: str, kind: str, when: int, cents: int,
                    **over: Any) -> dict[str, Any]:  # fmt: skip
    sub = {"id": "AzZlGJUTyV", "customer_id": "cb_cust_1", "currency_code": "EUR",
           "status": "active",
           "subscription_items": [{"item_price_id": "pro-EUR-monthly", "item_type": "plan",
                                   "quantity": 1, "unit_price": cents, "amount": cents}],
           **over}  # fmt: skip
    return {"id": event_id, "occurred_at": when, "source": "admin", "object": "event",
            "api_version": "v2", "event_type": kind,
            "content": {"subscription": sub, "customer": {"id": "cb_cust_1"}}}  # fmt: skip


# ---------------------------------------------------------------- posting


def from_preset(world: World, key: str) -> InboundWebhook:
    """As the imports page creates it when the preset is chosen and nothing is edited."""
    c = CONNECTORS[key]
    hook = do_create_outcome_webhook(
        world.org, c.name, c.records, dict(c.mapping),
        only_when_path=c.only_when_path, only_when_values=list(c.only_when_values),
        signature=c.signature, connector=c.key, minor_units=c.minor_units,
    )  # fmt: skip
    if c.signature in (Scheme.STRIPE, Scheme.SHOPIFY):
        do_set_webhook_signing(hook, c.signature, SECRET)
    return hook


def post(hook: InboundWebhook, payload: dict[str, Any], *, secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    headers: dict[str, str] = {}
    if hook.signature == Scheme.STRIPE:
        headers["Stripe-Signature"] = stripe_signature(secret, str(T0), body)
    elif hook.signature == Scheme.SHOPIFY:
        headers["X-Shopify-Hmac-Sha256"] = shopify_signature(secret, body)
    else:
        token = base64.b64encode(f"chargebee:{hook.secret}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return Client().post(
        f"/api/v1/webhooks/{hook.token}", data=body, content_type="application/json",
        headers=headers,
    )  # fmt: skip


@pytest.fixture
def shop(world: World) -> World:
    do_save_settings(
        world.org,
        SettingsIn("USD", {"EUR": Decimal("1.10"), "JPY": Decimal("0.0067")}, {}, 365, False,
                   False),
    )  # fmt: skip
    for customer in ("cus_R1x", "7212345678901", "cb_cust_1"):
        do_upsert_contact(world.org, ContactIn(external_id=customer))
    return world


Row = tuple[str, str, str, dt.datetime, Decimal | None, str, str, str, str, str]


def rows() -> list[Row]:
    return [
        (o.contact.external_id, o.kind, o.idempotency_key.split(":", 1)[1], o.occurred_at,
         o.amount, o.sent_currency, o.plan, o.product, o.channel, o.reason)
        for o in Outcome.objects.select_related("contact").order_by("pk")
    ]  # fmt: skip


def log(hook: InboundWebhook) -> list[tuple[str, str]]:
    return [(d.outcome, d.detail) for d in hook.deliveries.order_by("pk")]


# ---------------------------------------------------------------- each preset


def test_every_outcome_preset_is_listed_with_its_kind_and_documentation() -> None:
    assert [c.key for c in OUTCOME_PRESETS] == [
        "stripe-invoices", "stripe-subscriptions", "stripe-refunds", "shopify-orders",
        "shopify-refunds", "chargebee",
    ]  # fmt: skip
    assert all(c.records and c.doc.startswith("https://") for c in OUTCOME_PRESETS)
    assert [c.key for c in OUTCOME_PRESETS if c.minor_units] == [
        "stripe-invoices", "stripe-subscriptions", "stripe-refunds", "chargebee",
    ]  # fmt: skip


def test_stripe_paid_invoice_is_an_order_in_dollars(shop: World) -> None:
    hook = from_preset(shop, "stripe-invoices")
    assert post(hook, stripe_invoice()).status_code == 201
    assert post(hook, stripe_invoice()).status_code == 200  # Stripe retries: stored once
    assert rows() == [("cus_R1x", "order", "in_1QxAbc", at(), Decimal("49.00"), "USD",
                       "price_install", "Installation visit", "", "")]  # fmt: skip
    # A subscription's own invoice is left to the subscription events.
    cycle = stripe_invoice(id="in_2", billing_reason="subscription_cycle")
    assert post(hook, cycle).status_code == 202
    assert Outcome.objects.count() == 1


def test_stripe_zero_decimal_currency_is_not_divided(shop: World) -> None:
    hook = from_preset(shop, "stripe-invoices")
    assert post(hook, stripe_invoice(amount_paid=5000, currency="jpy")).status_code == 201
    o = Outcome.objects.get()
    # 5,000 yen (JPY has no minor unit) at 0.0067 dollars each.
    assert (o.sent_amount, o.sent_currency, o.amount) == (Decimal("5000"), "JPY", Decimal("33.50"))


def test_stripe_subscription_events_start_change_and_end(shop: World) -> None:
    hook = from_preset(shop, "stripe-subscriptions")
    day = 86400
    posts = [
        stripe_subscription("evt_a", "customer.subscription.created", T0, "price_gold", 3000),
        stripe_subscription("evt_b", "customer.subscription.updated", T0 + 30 * day,
                            "price_platinum", 4500),
        stripe_subscription("evt_c", "customer.subscription.deleted", T0 + 45 * day,
                            "price_platinum", 4500, status="canceled",
                            cancellation_details={"reason": "cancellation_requested"}),
        stripe_subscription("evt_d", "customer.subscription.trial_will_end", T0 + day,
                            "price_gold", 3000),
    ]  # fmt: skip
    assert [post(hook, p).status_code for p in posts] == [201, 201, 201, 202]
    assert rows() == [
        ("cus_R1x", "subscription_started", "evt_a", at(), Decimal("30.00"), "USD",
         "price_gold", "", "", ""),
        ("cus_R1x", "subscription_changed", "evt_b", at(30), Decimal("45.00"), "USD",
         "price_platinum", "", "", ""),
        ("cus_R1x", "subscription_ended", "evt_c", at(45), Decimal("45.00"), "USD",
         "price_platinum", "", "", "cancellation_requested"),
    ]  # fmt: skip
    assert set(Outcome.objects.values_list("subscription_id", flat=True)) == {"sub_1QxSub"}


def test_stripe_refunded_charge_is_a_negative_order(shop: World) -> None:
    hook = from_preset(shop, "stripe-refunds")
    assert post(hook, stripe_refund()).status_code == 201
    assert rows() == [("cus_R1x", "order", "ch_3QxChg", at(1), Decimal("-15.00"), "USD",
                       "", "", "", "")]  # fmt: skip


def test_shopify_order_and_its_refund(shop: World) -> None:
    orders, refunds = from_preset(shop, "shopify-orders"), from_preset(shop, "shopify-refunds")
    # A refund of an order Beacon has not seen names the order: its customer is unknown.
    early = post(refunds, shopify_refund())
    assert early.status_code == 422
    unknown = "no order '5801234567890' is recorded, so its customer is unknown"
    assert log(refunds) == [(DeliveryOutcome.REFUSED, f"order_id: at order_id: {unknown}")]
    assert post(orders, shopify_order()).status_code == 201
    assert post(refunds, shopify_refund()).status_code == 201
    assert rows() == [
        ("7212345678901", "order", "5801234567890", at(), Decimal("129.95"), "USD", "",
         "Trail shoe", "web", ""),
        ("7212345678901", "order", "990123", at(1, 14) + dt.timedelta(minutes=30),
         Decimal("-40.00"), "USD", "", "", "", "Wrong size"),
    ]  # fmt: skip


def test_chargebee_subscription_events_in_cents(shop: World) -> None:
    hook = from_preset(shop, "chargebee")
    day = 86400
    posts = [
        chargebee_event("ev_1", "subscription_created", T0, 2500),
        chargebee_event("ev_2", "subscription_renewed", T0 + 31 * day, 2500),
        chargebee_event("ev_3", "subscription_cancelled", T0 + 40 * day, 2500,
                        status="cancelled", cancel_reason="not_paid"),
        chargebee_event("ev_4", "customer_changed", T0, 2500),
    ]  # fmt: skip
    assert [post(hook, p).status_code for p in posts] == [201, 201, 201, 202]
    # 25.00 EUR at 1.10 dollars each.
    assert rows() == [
        ("cb_cust_1", "subscription_started", "ev_1", at(), Decimal("27.50"), "EUR",
         "pro-EUR-monthly", "", "", ""),
        ("cb_cust_1", "subscription_renewed", "ev_2", at(31), Decimal("27.50"), "EUR",
         "pro-EUR-monthly", "", "", ""),
        ("cb_cust_1", "subscription_ended", "ev_3", at(40), Decimal("27.50"), "EUR",
         "pro-EUR-monthly", "", "", "not_paid"),
    ]  # fmt: skip


# ---------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("key", "payload", "detail"),
    [
        ("stripe-invoices", stripe_invoice(customer=None),
         "contact_id: at data.object.customer: is required"),
        ("stripe-invoices", stripe_invoice(amount_paid=None),
         "amount: at data.object.amount_paid: is required"),
        ("stripe-invoices", stripe_invoice(amount_paid="49.5"),
         "amount: at data.object.amount_paid: '49.5' is not a whole number of USD's minor unit"),
        ("stripe-subscriptions",
         stripe_subscription("evt_x", "customer.subscription.created", T0, "price_gold", 3000,
                             items={"object": "list", "data": []}),
         "amount: at data.object.items.data.0.price.unit_amount: is required"),
        ("shopify-orders", shopify_order(total_price=None),
         "amount: at total_price: is required"),
        ("shopify-refunds", shopify_refund(transactions=[{"amount": "-5.00"}]),
         "amount: at transactions.0.amount: a refund's amount is sent positive, not '-5.00'"),
        ("chargebee", chargebee_event("ev_9", "subscription_created", T0, 2500,
                                      customer_id=None),
         "contact_id: at content.subscription.customer_id: is required"),
    ],
)  # fmt: skip
def test_a_payload_missing_a_needed_field_is_logged_naming_it(
    shop: World, key: str, payload: dict[str, Any], detail: str
) -> None:
    hook = from_preset(shop, key)
    if key == "shopify-refunds":
        assert post(from_preset(shop, "shopify-orders"), shopify_order()).status_code == 201
    before = Outcome.objects.count()
    assert post(hook, payload).status_code == 422
    assert log(hook) == [(DeliveryOutcome.REFUSED, detail)]
    assert Outcome.objects.count() == before


def test_a_wrong_provider_signature_is_refused_and_logged(shop: World) -> None:
    stripe, shopify = from_preset(shop, "stripe-invoices"), from_preset(shop, "shopify-orders")
    assert post(stripe, stripe_invoice(), secret="whsec_other").status_code == 401
    assert post(shopify, shopify_order(), secret="other").status_code == 401
    assert log(stripe)[0][1].startswith("missing or wrong Stripe-Signature")
    assert log(shopify)[0][1].startswith("missing or wrong X-Shopify-Hmac-Sha256")
    chargebee = from_preset(shop, "chargebee")
    body = json.dumps(chargebee_event("ev_1", "subscription_created", T0, 2500)).encode()
    wrong = base64.b64encode(b"chargebee:guess").decode()
    answer = Client().post(f"/api/v1/webhooks/{chargebee.token}", data=body,
                           content_type="application/json",
                           headers={"Authorization": f"Basic {wrong}"})  # fmt: skip
    assert answer.status_code == 401
    assert not Outcome.objects.exists()


def test_preset_chosen_on_the_page_prefills_kind_and_minor_units_and_stays_editable(
    shop: World,
) -> None:
    client = logged_in(shop.owner)
    page = client.get("/imports/", {"connector": "stripe-subscriptions"}).content.decode()
    assert '<option value="subscription" selected>' in page
    assert 'name="minor_units" checked' in page
    assert 'value="data.object.items.data.0.price.unit_amount"' in page
    preset = CONNECTORS["stripe-subscriptions"]
    form = {f"path_{k}": v for k, v in preset.mapping.items()}
    form["path_plan"] = "data.object.items.data.0.price.nickname"  # edited
    form.update(name="Stripe subscriptions", records="subscription", minor_units="on",
                connector="stripe-subscriptions", only_when_path="type",
                only_when_values=", ".join(preset.only_when_values))  # fmt: skip
    assert client.post("/imports/webhooks/", form).status_code == 200
    hook = InboundWebhook.objects.get()
    assert (hook.connector, hook.records, hook.minor_units, hook.signature) == (
        "stripe-subscriptions",
        "subscription",
        True,
        "stripe",
    )
    assert hook.mapping["plan"] == "data.object.items.data.0.price.nickname"
    listing = client.get("/imports/").content.decode()
    assert "records subscription, amounts in minor units" in listing
