"""Exports of outcome items and of an alignment round's answers: the same rows on the page
and through the API, masked by role, one organisation's only, bad parameters named."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from beacon.alignment.actions import do_answer
from beacon.alignment.tests.helpers import answer_in, recipient, send_round
from beacon.api.tests.conftest import Api
from beacon.contacts.actions import ContactIn, do_upsert_contact
from beacon.outcomes.actions import do_record_outcome
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, logged_in

pytestmark = pytest.mark.django_db

WHEN = "2026-05-04T10:00:00+00:00"


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def _orders(world: World) -> None:
    do_upsert_contact(world.org, ContactIn(external_id="cust-1", name="Ann Lee"))
    for key, kind, extra in (
        ("o-1", "order", {"amount": "49.90", "plan": "Gold"}),
        ("s-1", "subscription_ended", {"reason": "Moved to a rival"}),
    ):
        raw = {"kind": kind, "contact_id": "cust-1", "idempotency_key": key, "occurred_at": WHEN}
        do_record_outcome(world.org, {**raw, **extra})


def test_outcomes_export_from_the_value_page(world: World, other_world: World) -> None:
    _orders(world)
    _orders(other_world)
    owner = logged_in(world.owner)
    rows = _rows(owner.get("/exports/outcomes.csv"))
    assert [(r["kind"], r["amount"], r["currency"], r["contact_name"]) for r in rows] == [
        ("order", "49.9", "GBP", "Ann Lee"),
        ("subscription_ended", "", "", "Ann Lee"),
    ]
    only = _rows(owner.get("/exports/outcomes.csv", {"kind": "order"}))
    assert [r["plan"] for r in only] == ["Gold"]
    bad = owner.get("/exports/outcomes.csv", {"kind": "gift"})
    assert bad.status_code == 400 and bad.content.decode().startswith("kind: must be one of")
    assert logged_in(add_viewer(world)).get("/exports/outcomes.csv").status_code == 403
    page = owner.get("/value/").content.decode()
    assert 'href="/exports/outcomes.csv?kind="' in page
    # Through the API a key sees customers masked.
    api = Api(world.api_secret).get("/exports/outcomes", kind="order").json()
    items = [(i["kind"], i["contact_name"], i["amount"]) for i in api["items"]]
    assert items == [("order", "", 49.9)]
    assert Api(world.api_secret).get("/exports/outcomes", kind="gift").status_code == 422


def test_alignment_answers_export_one_round(world: World, other_world: World) -> None:
    issued = send_round(world)
    do_answer(recipient(issued, world.agent), answer_in(world, overall=world.owner))
    owner = logged_in(world.owner)
    rows = _rows(owner.get("/exports/alignment.csv", {"round": issued.round.pk}))
    stages = sorted(r["stage"] for r in rows)
    assert stages == sorted([world.stage.name, world.outside_stage.name])
    first = rows[0]
    # The round did not ask to show names: by department and role only.
    assert (first["role"], first["respondent"], first["accountable_overall"]) == (
        "agent",
        "",
        world.owner.display_name,
    )
    page = owner.get(f"/cx/alignment/{issued.round.pk}/").content.decode()
    assert f'href="/exports/alignment.csv?round={issued.round.pk}"' in page
    theirs = send_round(other_world)
    missing = owner.get("/exports/alignment.csv", {"round": theirs.round.pk})
    assert missing.status_code == 400 and missing.content.decode() == "round: unknown round"
    assert owner.get("/exports/alignment.csv").status_code == 400
    api = Api(world.api_secret)
    assert len(api.get("/exports/alignment", round_id=issued.round.pk).json()["items"]) == 2
    refused = api.get("/exports/alignment")
    assert refused.status_code == 422
    assert Api(other_world.api_secret).get(
        "/exports/alignment", round_id=issued.round.pk
    ).status_code in (404, 422)
