"""Outcomes in: API single and batch, CSV import, settings; bad input named, nothing twice."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from beacon.api.tests.conftest import Api, fields
from beacon.contacts.actions import ContactIn, do_upsert_contact
from beacon.contacts.imports import do_start_import
from beacon.contacts.models import Contact, ImportKind, ImportState
from beacon.orgs.models import Event
from beacon.outcomes.actions import SettingsIn, do_save_settings
from beacon.outcomes.events import OutcomeEvent
from beacon.outcomes.models import Account, AccountMember, Outcome
from beacon.pipeline.imports import run_import_job
from beacon.testing import World

pytestmark = pytest.mark.django_db

WHEN = "2025-03-01T10:00:00Z"


@pytest.fixture
def api(world: World) -> Api:
    return Api(world.api_secret)


@pytest.fixture
def customer(world: World) -> Contact:
    return do_upsert_contact(world.org, ContactIn(external_id="cust-1"))


def euro_settings(world: World, **kw: Any) -> None:
    do_save_settings(
        world.org,
        SettingsIn(
            currency="GBP",
            exchange_rates={"EUR": Decimal("0.85")},
            cost_per_contact={"phone": Decimal("6")},
            observation_days=365,
            create_unknown_contacts=kw.get("create", False),
            viewers_see_money=False,
        ),
    )


def order(key: str = "o-1", **kw: Any) -> dict[str, Any]:
    return {"kind": "order", "contact_id": "cust-1", "idempotency_key": key,
            "occurred_at": WHEN, "amount": "49.90", **kw}  # fmt: skip


def test_order_recorded_once_with_event(api: Api, world: World, customer: Contact) -> None:
    first = api.post("/outcomes", order(plan="Gold", channel="Web"))
    again = api.post("/outcomes", order(plan="Gold", channel="Web"))
    assert (first.status_code, again.status_code) == (201, 200), first.content
    stored = Outcome.objects.get()
    assert first.json() == {"id": stored.pk, "status": "created"}
    assert again.json() == {"id": stored.pk, "status": "exists"}
    assert (stored.contact_id, stored.kind, stored.amount, stored.sent_currency) == (
        customer.pk, "order", Decimal("49.90"), "GBP")  # fmt: skip
    assert (stored.plan, stored.channel) == ("Gold", "web")
    assert Event.objects.filter(verb=OutcomeEvent.RECORDED, subject_id=stored.pk).count() == 1


def test_other_currency_is_converted_at_the_organisations_rate(
    api: Api, world: World, customer: Contact
) -> None:
    euro_settings(world)
    r = api.post("/outcomes", order(amount=100, currency="eur"))
    assert r.status_code == 201, r.content
    stored = Outcome.objects.get()
    assert (stored.amount, stored.sent_amount, stored.sent_currency) == (
        Decimal("85.00"), Decimal("100.00"), "EUR")  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (order(contact_id="nobody"), "contact_id", "unknown customer 'nobody'"),
        (order(amount="lots"), "amount", "decimal"),
        (order(currency="XYZ"), "currency", "is not an ISO 4217 currency code"),
        (order(currency="USD"), "currency", "no exchange rate for it is set"),
        (
            {**order(), "kind": "subscription_renewed", "amount": -5},
            "amount",
            "must not be negative",
        ),
        (order(occurred_at="2999-01-01T00:00:00Z"), "occurred_at", "is in the future"),
        (order(kind="refund"), "kind", "Input should be"),
        ({**order(), "amount": None}, "amount", "is required"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    api: Api, world: World, customer: Contact, body: dict[str, Any], field: str, message: str
) -> None:
    r = api.post("/outcomes", body)
    errors = fields(r)
    assert field in errors, errors
    assert message in errors[field]
    assert Outcome.objects.count() == 0


def test_refund_may_be_negative(api: Api, customer: Contact) -> None:
    assert api.post("/outcomes", order(amount="-20")).status_code == 201
    assert Outcome.objects.get().amount == Decimal("-20.00")


def test_ended_before_started_is_refused(api: Api, customer: Contact) -> None:
    start = {"kind": "subscription_started", "contact_id": "cust-1", "idempotency_key": "s",
             "occurred_at": WHEN, "amount": 30, "subscription_id": "sub-1"}  # fmt: skip
    assert api.post("/outcomes", start).status_code == 201
    end = {**start, "kind": "subscription_ended", "idempotency_key": "e",
           "occurred_at": "2025-02-01T00:00:00Z", "reason": "price"}  # fmt: skip
    end.pop("amount")
    assert fields(api.post("/outcomes", end)) == {
        "occurred_at": "is before the subscription started (2025-03-01)"
    }
    end["occurred_at"] = "2025-04-01T00:00:00Z"
    assert api.post("/outcomes", end).status_code == 201
    assert Outcome.objects.get(kind="subscription_ended").reason == "price"


def test_unknown_customer_created_when_the_organisation_allows(api: Api, world: World) -> None:
    euro_settings(world, create=True)
    assert api.post("/outcomes", order(contact_id="new-9")).status_code == 201
    assert Outcome.objects.get().contact.external_id == "new-9"


def test_service_contact_costs_its_channel_when_no_cost_is_sent(
    api: Api, world: World, customer: Contact
) -> None:
    euro_settings(world)
    body = {"kind": "service_contact", "contact_id": "cust-1", "idempotency_key": "c1",
            "occurred_at": WHEN, "channel": "Phone", "handle_minutes": 7.5}  # fmt: skip
    assert api.post("/outcomes", body).status_code == 201
    stored = Outcome.objects.get()
    assert (stored.amount, stored.handle_minutes, stored.channel) == (
        Decimal("6.00"), Decimal("7.50"), "phone")  # fmt: skip


def test_account_groups_contacts_under_its_revenue(api: Api, customer: Contact) -> None:
    body = {"kind": "account", "contact_id": "cust-1", "idempotency_key": "a1",
            "occurred_at": WHEN, "account_id": "ACME", "account_name": "Acme Ltd",
            "annual_revenue": 120000}  # fmt: skip
    assert api.post("/outcomes", body).status_code == 201
    account = Account.objects.get()
    assert (account.external_id, account.name, account.annual_revenue) == (
        "ACME", "Acme Ltd", Decimal("120000.00"))  # fmt: skip
    assert AccountMember.objects.get().contact_id == customer.pk


def test_batch_answers_each_item_and_a_retry_stores_nothing_twice(
    api: Api, world: World, customer: Contact
) -> None:
    items = [order("b1"), order("b2", amount="x"), order("b3", contact_id="ghost"), order("b1")]
    r = api.post("/outcomes/batch", {"items": items})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["exists"], body["invalid"]) == (1, 0, 3)
    statuses = [(i["index"], i["status"]) for i in body["items"]]
    assert statuses == [(0, "created"), (1, "invalid"), (2, "invalid"), (3, "invalid")]
    assert body["items"][1]["errors"][0]["field"] == "amount"
    assert body["items"][2]["errors"] == [{"field": "contact_id",
                                          "message": "unknown customer 'ghost'"}]  # fmt: skip
    assert body["items"][3]["errors"] == [{"field": "idempotency_key", "message": "repeats item 0"}]
    again = api.post("/outcomes/batch", {"items": items}).json()
    assert (again["created"], again["exists"]) == (0, 1)
    assert Outcome.objects.count() == 1


def test_batch_of_more_than_1000_is_refused(api: Api, customer: Contact) -> None:
    r = api.post("/outcomes/batch", {"items": [order(f"k{i}") for i in range(1001)]})
    assert "items" in fields(r)
    assert Outcome.objects.count() == 0


def test_other_organisations_customers_are_unknown(
    api: Api, world: World, other_world: World
) -> None:
    do_upsert_contact(other_world.org, ContactIn(external_id="cust-1"))
    assert fields(api.post("/outcomes", order())) == {"contact_id": "unknown customer 'cust-1'"}


def test_settings_round_trip_and_bad_values(api: Api, world: World) -> None:
    put = api.client.put(
        "/api/v1/outcomes/settings",
        data={"currency": "EUR", "exchange_rates": {"GBP": 1.17},
              "cost_per_contact": {"chat": 2.5}, "observation_days": 180},
        content_type="application/json", **api.headers,
    )  # fmt: skip
    assert put.status_code == 200, put.content
    got = api.get("/outcomes/settings").json()
    assert got["currency"] == "EUR" and got["observation_days"] == 180
    assert got["cost_per_contact"] == {"chat": "2.5"}
    bad = api.client.put(
        "/api/v1/outcomes/settings", data={"currency": "QQQ", "observation_days": 5},
        content_type="application/json", **api.headers,
    )  # fmt: skip
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["detail"]} == {"observation_days"}
    bad = api.client.put(
        "/api/v1/outcomes/settings", data={"currency": "QQQ"},
        content_type="application/json", **api.headers,
    )  # fmt: skip
    assert fields(bad) == {"currency": "'QQQ' is not an ISO 4217 currency code"}


def test_no_key_is_refused(world: World) -> None:
    assert Api(None).post("/outcomes", order()).status_code == 401


# ---------------------------------------------------------------- CSV


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=sorted({k for r in rows for k in r}))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def run_csv(world: World, data: bytes) -> Any:
    job = do_start_import(world.org, ImportKind.OUTCOMES, "outcomes.csv", len(data))
    return run_import_job(job, io.BytesIO(data))


def test_csv_import_reports_row_errors_and_twice_stores_nothing_twice(
    world: World, customer: Contact
) -> None:
    today = dt.date(2025, 3, 1).isoformat()
    data = csv_bytes([
        {"kind": "order", "contact_id": "cust-1", "occurred_at": today, "amount": "10"},
        {"kind": "order", "contact_id": "cust-1", "occurred_at": today, "amount": "ten"},
        {"kind": "subscription_started", "contact_id": "cust-1", "occurred_at": today,
         "amount": "30", "subscription_id": "s1"},
        {"kind": "subscription_ended", "contact_id": "cust-1", "occurred_at": "2025-01-01",
         "subscription_id": "s1"},
        {"kind": "service_contact", "contact_id": "nobody", "occurred_at": today},
    ])  # fmt: skip
    job = run_csv(world, data)
    assert job.state == ImportState.DONE, job.message
    assert (job.rows_done, job.rows_imported, job.rows_failed) == (5, 2, 3)
    report = list(csv.reader(io.StringIO(job.error_report)))
    assert report == [
        ["line", "column", "message"],
        ["3", "amount", "'ten' is not a number"],
        ["5", "occurred_at", "is before the subscription started (2025-03-01)"],
        ["6", "contact_id", "unknown customer 'nobody'"],
    ]
    again = run_csv(world, data)
    assert again.rows_imported == 0
    assert Outcome.objects.count() == 2
