"""The interactions batch writes its rows as tuples: every column is what the single
endpoint writes (ids and invitation tokens aside)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from beacon.api.tests.conftest import Api, interaction_body
from beacon.contacts import actions as contacts
from beacon.contacts.actions import do_upsert_contact
from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.orgs.models import Event
from beacon.surveys.distribution import do_set_survey_budget
from beacon.surveys.models import ContactBudget, Invitation, Suppression, SuppressionReason
from beacon.testing import World

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)


def _items(world: World) -> list[dict[str, Any]]:
    return [
        interaction_body(world, "i-1", occurred_at="2026-05-01T09:30:00+02:00",
                         attributes={"order": "A-17", "paid": True}, description="Late"),
        interaction_body(world, "i-2", contact={"external_id": "cust-2", "name": "Bo",
                                                "attributes": {"language": "de"}}),
        interaction_body(world, "i-3", contact={"external_id": "cust-1", "name": "Ann B"}),
    ]  # fmt: skip


def _rows(world: World) -> dict[str, list[Any]]:
    """The organisation's rows, ids spelt as keys and names."""
    contact = dict(Contact.objects.filter(organization=world.org).values_list("pk", "external_id"))
    interactions = Interaction.objects.filter(organization=world.org)
    key = dict(interactions.values_list("pk", "idempotency_key"))
    invitation = dict(Invitation.objects.filter(organization=world.org).values_list(
        "pk", "interaction__idempotency_key"))  # fmt: skip
    ours = {world.survey.pk: "survey", world.stage.pk: "stage", world.touchpoint.pk: "touchpoint",
            world.team.pk: "team", world.agent.pk: "agent", None: None}  # fmt: skip

    def spelt(row: dict[str, Any]) -> tuple[Any, ...]:
        row = {k: v for k, v in row.items() if k not in ("id", "organization_id", "token")}
        for name in ("survey_id", "stage_id", "touchpoint_id", "team_id", "staff_id", "rule_id"):
            if name in row:
                row[name] = ours.get(row[name], row[name])
        if "contact_id" in row:
            row["contact_id"] = contact[row["contact_id"]]
        if "interaction_id" in row:
            row["interaction_id"] = key[row["interaction_id"]]
        return tuple(sorted(row.items()))

    events = []
    for e in Event.objects.filter(
        organization=world.org, verb__in=["interaction.recorded", "invitation.created"]
    ):
        subject = key if e.subject_type == "contacts.interaction" else invitation
        events.append((e.verb, e.subject_type, subject[e.subject_id], e.data, e.created_at,
                       e.actor_id))  # fmt: skip

    def of(model: Any) -> list[tuple[Any, ...]]:
        return sorted((spelt(r) for r in model.objects.filter(organization=world.org).values()),
                      key=repr)  # fmt: skip

    return {"contacts": of(Contact), "interactions": of(Interaction),
            "invitations": of(Invitation), "budgets": of(ContactBudget),
            "events": sorted(events, key=repr)}  # fmt: skip


def test_a_batch_writes_the_rows_of_the_single_endpoint(world: World, other_world: World) -> None:
    with clock.frozen_at(AT):
        for item in _items(world):
            assert Api(world.api_secret).post("/interactions", item).status_code == 201
        answer = Api(other_world.api_secret).post("/interactions/batch",
                                                  {"items": _items(other_world)})  # fmt: skip
    assert [i["status"] for i in answer.json()["items"]] == [201, 201, 201]
    single, batch = _rows(world), _rows(other_world)
    assert len(batch["interactions"]) == 3
    assert len(batch["invitations"]) == 3
    assert len(batch["events"]) == 6
    assert batch == single


def test_a_batch_of_stored_and_new_contacts_writes_the_budgets_of_the_single_endpoint(
    world: World, other_world: World
) -> None:
    """The batch writes a new contact's budget row at once and locks and updates a stored
    contact's: the rows and decisions are those of one call per item."""

    def items(w: World) -> list[dict[str, Any]]:
        return [
            interaction_body(w, "i-1"),  # cust-1, invited below: within the budget
            interaction_body(w, "i-2", contact={"external_id": "cust-5"}),  # no budget row
            interaction_body(w, "i-3", contact={"external_id": "cust-7"}),  # new
            interaction_body(w, "i-4", contact={"external_id": "cust-7"}),  # new, again
        ]

    with clock.frozen_at(AT):
        for w in (world, other_world):
            do_set_survey_budget(w.org, min_days_between=30)
            do_upsert_contact(w.org, contacts.ContactIn(external_id="cust-5"))
            first = Api(w.api_secret).post("/interactions", interaction_body(w, "i-0"))
            assert len(first.json()["invitations"]) == 1
        alone = [Api(world.api_secret).post("/interactions", i).json() for i in items(world)]
        answer = Api(other_world.api_secret).post("/interactions/batch",
                                                  {"items": items(other_world)})  # fmt: skip
    together = [i["result"] for i in answer.json()["items"]]
    assert [len(a["invitations"]) for a in alone] == [0, 1, 1, 0]
    assert [len(t["invitations"]) for t in together] == [0, 1, 1, 0]
    assert _rows(other_world) == _rows(world)

    def suppressed(w: World) -> list[tuple[str, str]]:
        return sorted(Suppression.objects.filter(organization=w.org).values_list(
            "interaction__idempotency_key", "reason"))  # fmt: skip

    assert suppressed(world) == [("i-1", SuppressionReason.BUDGET),
                                 ("i-4", SuppressionReason.BUDGET)]  # fmt: skip
    assert suppressed(other_world) == suppressed(world)
