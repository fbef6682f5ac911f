"""Amounts in the currency's minor unit (cents): the API's `*_minor` fields, CSV columns
of the same names, a source declared in minor units; converted by ISO 4217's exponent."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from beacon.api.tests.conftest import Api, fields
from beacon.contacts.actions import ContactIn, do_upsert_contact
from beacon.contacts.models import Contact, ImportState
from beacon.outcomes.actions import SettingsIn, do_save_settings
from beacon.outcomes.checks import Checker, OutcomeIn
from beacon.outcomes.currencies import exponent, from_minor
from beacon.outcomes.models import Account, Outcome
from beacon.outcomes.queries import settings_of
from beacon.outcomes.tests.test_ingest import csv_bytes, run_csv
from beacon.testing import World

pytestmark = pytest.mark.django_db

WHEN = "2025-03-01T10:00:00Z"


@pytest.fixture
def api(world: World) -> Api:
    return Api(world.api_secret)


@pytest.fixture
def customer(world: World) -> Contact:
    do_save_settings(
        world.org,
        SettingsIn(
            currency="USD",
            exchange_rates={"JPY": Decimal("0.0067"), "KWD": Decimal("3.25")},
            cost_per_contact={},
            observation_days=365,
            create_unknown_contacts=False,
            viewers_see_money=False,
        ),
    )
    return do_upsert_contact(world.org, ContactIn(external_id="cust-1"))


def order(key: str, **kw: Any) -> dict[str, Any]:
    return {"kind": "order", "contact_id": "cust-1", "idempotency_key": key,
            "occurred_at": WHEN, **kw}  # fmt: skip


@pytest.mark.parametrize(
    ("code", "places", "minor", "unit"),
    [
        ("JPY", 0, 1500, "1500"),
        ("USD", 2, 1999, "19.99"),
        ("gbp", 2, -250, "-2.50"),
        ("BHD", 3, 12345, "12.345"),
        ("KWD", 3, 7, "0.007"),
        ("CLF", 4, 12345, "1.2345"),
    ],
)
def test_minor_units_follow_iso_4217_exponents(
    code: str, places: int, minor: int, unit: str
) -> None:
    assert exponent(code) == places
    assert from_minor(Decimal(minor), code) == Decimal(unit)


def test_codes_without_a_minor_unit_have_none() -> None:
    assert exponent("XAU") is None
    assert from_minor(Decimal(100), "XDR") is None


def stored(key: str) -> tuple[Decimal | None, Decimal | None, str]:
    o = Outcome.objects.get(idempotency_key=key)
    return o.amount, o.sent_amount, o.sent_currency


def test_api_amount_minor_is_converted_exactly(api: Api, customer: Contact) -> None:
    for body in (
        order("usd", amount_minor=1999),
        order("jpy", amount_minor=1500, currency="JPY"),
        order("kwd", amount_minor=12345, currency="KWD"),
        order("refund", amount_minor=-250),
    ):
        assert api.post("/outcomes", body).status_code == 201
    assert stored("usd") == (Decimal("19.99"), Decimal("19.99"), "USD")
    # 1,500 yen at 0.0067 = 10.05 dollars; 12.345 dinars at 3.25 = 40.12125 -> 40.12.
    assert stored("jpy") == (Decimal("10.05"), Decimal("1500"), "JPY")
    assert stored("kwd") == (Decimal("40.12"), Decimal("12.345"), "KWD")
    assert stored("refund") == (Decimal("-2.50"), Decimal("-2.50"), "USD")


def test_cost_and_annual_revenue_in_minor_units(api: Api, customer: Contact) -> None:
    contact = {"kind": "service_contact", "contact_id": "cust-1", "idempotency_key": "call",
               "occurred_at": WHEN, "channel": "phone", "cost_minor": 650}  # fmt: skip
    account = {"kind": "account", "account_id": "acme", "contact_id": "cust-1",
               "idempotency_key": "acc", "occurred_at": WHEN,
               "annual_revenue_minor": 12000000}  # fmt: skip
    assert api.post("/outcomes", contact).status_code == 201
    assert api.post("/outcomes", account).status_code == 201
    assert stored("call")[0] == Decimal("6.50")
    assert Account.objects.get().annual_revenue == Decimal("120000.00")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (order("b", amount="19.99", amount_minor=1999), "amount_minor",
         "send either amount or amount_minor, not both"),
        (order("b", amount_minor=19.5), "amount_minor", "Input should be a valid integer"),
        (order("b", amount_minor="lots"), "amount_minor", "Input should be a valid integer"),
        (order("b", amount_minor=100, currency="XAU"), "amount_minor",
         "XAU has no minor unit; send the amount in XAU itself"),
        (order("b", amount_minor=100, currency="ZZZ"), "currency",
         "'ZZZ' is not an ISO 4217 currency code"),
        (order("b"), "amount", "is required"),
        ({**order("b", kind="service_contact", cost=1, cost_minor=100)}, "cost_minor",
         "send either cost or cost_minor, not both"),
    ],
)  # fmt: skip
def test_bad_minor_amounts_are_refused_naming_the_field(
    api: Api, customer: Contact, body: dict[str, Any], field: str, message: str
) -> None:
    errors = fields(api.post("/outcomes", body))
    assert field in errors, errors
    assert message in errors[field]
    assert Outcome.objects.count() == 0


def test_batch_answers_a_bad_minor_amount_per_item(api: Api, customer: Contact) -> None:
    r = api.post("/outcomes/batch", {"items": [
        order("ok", amount_minor=500), order("both", amount=5, amount_minor=500),
    ]})  # fmt: skip
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["status"] for i in items] == ["created", "invalid"]
    assert items[1]["errors"] == [
        {"field": "amount_minor", "message": "send either amount or amount_minor, not both"}
    ]
    assert stored("ok")[0] == Decimal("5.00")


def test_a_source_declared_in_minor_units_reads_amount_as_cents(
    world: World, customer: Contact
) -> None:
    checker = Checker(world.org, settings_of(world.org), minor_units=True)
    item, errors = checker.check(order("w", amount="1999", currency="usd"))
    assert errors == {}
    assert isinstance(item, OutcomeIn) and item.amount == Decimal("19.99")
    _, errors = checker.check(order("w2", amount="19.99"))
    assert errors == {"amount": "'19.99' is not a whole number of USD's minor unit"}


def test_csv_column_amount_minor_declares_the_file_in_minor_units(
    world: World, customer: Contact
) -> None:
    day = dt.date(2025, 3, 1).isoformat()
    data = csv_bytes([
        {"kind": "order", "contact_id": "cust-1", "occurred_at": day, "amount_minor": "1999",
         "currency": "USD", "idempotency_key": "c1"},
        {"kind": "order", "contact_id": "cust-1", "occurred_at": day, "amount_minor": "1500",
         "currency": "JPY", "idempotency_key": "c2"},
        {"kind": "order", "contact_id": "cust-1", "occurred_at": day, "amount_minor": "9.5",
         "currency": "USD", "idempotency_key": "c3"},
    ])  # fmt: skip
    job = run_csv(world, data)
    assert job.state == ImportState.DONE, job.message
    assert (job.rows_imported, job.rows_failed) == (2, 1)
    assert "amount_minor" in job.error_report
    assert "'9.5' is not a whole number of USD's minor unit" in job.error_report
    assert stored("c1") == (Decimal("19.99"), Decimal("19.99"), "USD")
    assert stored("c2") == (Decimal("10.05"), Decimal("1500"), "JPY")
    assert io.StringIO(job.error_report).read().count("\n") == 2
