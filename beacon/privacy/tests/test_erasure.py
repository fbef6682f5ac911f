"""Erasing a contact: personal data and free text gone from every domain, every metric the
same before and after, idempotent, an event without the erased data; the JSON export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from beacon.analytics.customer import customer_history
from beacon.api.tests.conftest import Api
from beacon.contacts.imports import do_start_import, run_job
from beacon.contacts.models import Contact, ImportJob, ImportKind, WebhookDelivery
from beacon.contacts.webhooks import do_create_webhook, sign
from beacon.core import clock
from beacon.insights.analysis import do_backfill
from beacon.loop.actions import do_add_note, do_reply_to_customer
from beacon.loop.models import Case, CaseEvent
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.orgs.actions import do_create_api_key
from beacon.orgs.models import Event
from beacon.outcomes.actions import do_record_outcome
from beacon.outcomes.models import Outcome
from beacon.pipeline.processing import process_response
from beacon.privacy.actions import do_erase_contact
from beacon.privacy.export import contact_export
from beacon.privacy.models import Erasure
from beacon.responses.models import Answer
from beacon.testing import World
from beacon.web.tests.helpers import answer

pytestmark = pytest.mark.django_db

# Words only the erased customer's data holds, so a scan of the whole database finds them
# wherever they were copied (insights, praise, emails, audit trail).
SECRET_PHONE = "07700 900123"
SECRET_WORD = "Zanzibar"
COMMENT = f"Priya was lovely but I waited in {SECRET_WORD}, ring me on {SECRET_PHONE}"
OTHER_COMMENT = "The app crashed twice, please fix it"
# What the API answers about the organisation's figures: all must be the same after.
METRIC_READS: list[tuple[str, dict[str, str]]] = [
    ("/metrics/summary", {}),
    ("/analytics/trend", {"metric": "nps", "grain": "week"}),
    ("/analytics/trend", {"metric": "csat", "grain": "week"}),
    ("/analytics/breakdown", {"metric": "nps", "dimension": "stage"}),
    ("/analytics/breakdown", {"metric": "ces", "dimension": "team"}),
    ("/analytics/rates", {}),
    ("/insights/theme-nps", {}),
    ("/themes", {}),
]


def _customer(world: World) -> tuple[Contact, Case]:
    """A detractor who wrote a comment, got a case with a note and a reply, and bought."""
    response = answer(world, nps=2, csat=1, ces=2, text=COMMENT)
    process_response(response.pk)
    case = Case.objects.get(response=response)
    do_add_note(case, f"Called {SECRET_PHONE}, they were in {SECRET_WORD}", actor=world.agent)
    do_reply_to_customer(case, f"Sorry about {SECRET_WORD}", actor=world.agent)
    assert response.contact_id is not None
    contact = Contact.objects.get(pk=response.contact_id)
    Contact.objects.filter(pk=contact.pk).update(attributes={"phone": SECRET_PHONE})
    do_record_outcome(
        world.org,
        {"kind": "order", "contact_id": contact.external_id, "idempotency_key": "o-1",
         "occurred_at": clock.now().isoformat(), "amount": "49.90", "product": "Router"},
    )  # fmt: skip
    do_record_outcome(
        world.org,
        {"kind": "subscription_ended", "contact_id": contact.external_id,
         "idempotency_key": "o-2", "occurred_at": clock.now().isoformat(),
         "subscription_id": "s-1", "reason": f"Moving to {SECRET_WORD}"},
    )  # fmt: skip
    contact.refresh_from_db()
    return contact, case


def _logs_quoting(world: World, contact: Contact) -> tuple[ImportJob, WebhookDelivery]:
    """An import that refused the customer's row (its report quotes the cell: their email
    and phone pasted together) beside another customer's refused row; a help desk whose
    mapping takes the requester for the agent (the log quotes the customer's email)."""
    rows = (
        "external_id,email,persona\n"
        f"{contact.external_id},{contact.email} {SECRET_PHONE},{SECRET_WORD}\n"
        "cust-77,someone@,\n"
    )
    job = do_start_import(world.org, ImportKind.CONTACTS, "crm.csv", len(rows))
    run_job(job, io.BytesIO(rows.encode()))
    job.refresh_from_db()
    assert job.rows_failed == 2 and SECRET_PHONE in job.error_report
    hook = do_create_webhook(world.org, "Help desk", {"contact_id": "id", "staff": "email"})
    for who in (contact.email, "agent@elsewhere.test"):
        body = json.dumps({"id": contact.external_id, "email": who}).encode()
        client = Client(HTTP_X_BEACON_SIGNATURE=sign(hook.secret, body))
        refused = client.post(
            f"/api/v1/webhooks/{hook.token}", data=body, content_type="application/json"
        )
        assert refused.status_code == 422, refused.content
    delivery = WebhookDelivery.objects.get(webhook=hook, detail__contains=contact.email)
    return job, delivery


def _text_values(obj: models.Model) -> list[str]:
    out = []
    for f in obj._meta.concrete_fields:
        if isinstance(f, models.CharField | models.TextField | models.JSONField):
            out.append(json.dumps(getattr(obj, f.attname)) if isinstance(f, models.JSONField)
                       else str(getattr(obj, f.attname)))  # fmt: skip
    return out


def _everywhere(*needles: str) -> list[str]:
    """Every row of every Beacon table holding one of `needles` in a text or JSON column."""
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("beacon."):
            continue
        for obj in model._default_manager.all():
            for value in _text_values(obj):
                hits = [n for n in needles if n and n.lower() in value.lower()]
                if hits:
                    found.append(f"{model._meta.label} {obj.pk}: {hits}")
    return found


def _metrics(api: Api) -> list[Any]:
    out = []
    for path, params in METRIC_READS:
        r = api.get(path, **params)
        assert r.status_code == 200, (path, r.content)
        out.append(r.json())
    return out


def test_erasure_removes_personal_data_everywhere_and_keeps_every_metric(world: World) -> None:
    contact, case = _customer(world)
    job, delivery = _logs_quoting(world, contact)
    other = answer(world, nps=9, csat=5, ces=6, text=OTHER_COMMENT)
    process_response(other.pk)
    email, external_id = contact.email, contact.external_id
    planted = _everywhere(SECRET_PHONE, SECRET_WORD, email)
    assert len(planted) > 5  # planted in many places
    for log in ("outcomes.Outcome", "contacts.ImportJob", "contacts.WebhookDelivery"):
        assert any(p.startswith(f"{log} ") for p in planted), log
    reader = Api(world.api_secret)
    before = _metrics(reader)
    admin = Api(do_create_api_key(world.org, "privacy", scopes=["admin"]).secret)

    r = admin.post(f"/contacts/{contact.pk}/erase", {})

    assert r.status_code == 200, r.content
    erased_at = r.json()["erased_at"]
    assert _everywhere(SECRET_PHONE, SECRET_WORD, email) == []
    assert _metrics(reader) == before
    # Reading every comment again does not read the marker as a comment.
    do_backfill(world.org, redo=True)
    assert _metrics(reader) == before
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.external_id, contact.attributes) == (
        "", "", f"erased-{contact.pk}", {}
    )  # fmt: skip
    assert list(
        Answer.objects.filter(response__contact=contact).exclude(text="").values_list("text")
    ) == [("[erased]",)]
    assert Answer.objects.filter(response__contact=contact, number__isnull=False).count() == 3
    case.refresh_from_db()
    assert case.title.startswith("[erased] gave NPS 2")
    bodies = CaseEvent.objects.filter(case=case).exclude(body="").values_list("body", flat=True)
    assert set(bodies) == {"[erased]"}
    # The other customer's words are untouched, in the logs too; the report still says
    # which lines were refused.
    assert Answer.objects.get(response=other, question=world.comment).text == OTHER_COMMENT
    job.refresh_from_db()
    assert list(csv.reader(io.StringIO(job.error_report))) == [
        ["line", "column", "message"],
        ["2", "email", "[erased]"],
        ["2", "persona", "[erased]"],
        ["3", "email", "'someone@' is not a valid email address"],
    ]
    delivery.refresh_from_db()
    assert delivery.detail == "[erased]"
    assert WebhookDelivery.objects.exclude(pk=delivery.pk).get().detail == (
        "staff: no member with email 'agent@elsewhere.test'"
    )
    assert Outcome.objects.get(idempotency_key="o-2").reason == "[erased]"
    assert Outcome.objects.get(idempotency_key="o-1").product == "Router"
    erased = Event.objects.get(verb="contact.erased", subject_id=contact.pk)
    assert erased.data["rows"] > 5 and set(erased.data) == {"rows"}
    assert external_id not in json.dumps(erased.data)

    again = admin.post(f"/contacts/{contact.pk}/erase", {})
    assert (again.status_code, again.json()["erased_at"]) == (200, erased_at)
    assert Event.objects.filter(verb="contact.erased").count() == 1
    assert Erasure.objects.filter(contact=contact).count() == 1


def test_a_message_not_sent_yet_is_withheld_not_sent_blank(world: World) -> None:
    contact, _case = _customer(world)
    reply = OutboxMessage.objects.get(recipient=contact.email)
    assert reply.state == OutboxState.PENDING
    do_erase_contact(contact, actor=world.owner)
    reply.refresh_from_db()
    assert (reply.state, reply.recipient, reply.body_text) == (
        OutboxState.WITHHELD, "[erased]", "[erased]"
    )  # fmt: skip


def test_the_erase_api_needs_the_admin_scope_and_the_organisations_contact(
    world: World, other_world: World
) -> None:
    contact, _case = _customer(world)
    writer = Api(do_create_api_key(world.org, "w", scopes=["read", "write"]).secret)
    refused = writer.post(f"/contacts/{contact.pk}/erase", {})
    assert refused.status_code == 403 and "'admin' scope" in refused.json()["detail"]
    assert writer.get(f"/contacts/{contact.pk}/export").status_code == 403
    stranger = Api(do_create_api_key(other_world.org, "a", scopes=["admin"]).secret)
    assert stranger.post(f"/contacts/{contact.pk}/erase", {}).status_code == 404
    assert stranger.get(f"/contacts/{contact.pk}/export").status_code == 404
    contact.refresh_from_db()
    assert contact.email and not Erasure.objects.exists()


def test_the_export_holds_everything_about_the_contact(world: World) -> None:
    contact, case = _customer(world)
    data = contact_export(world.org, contact)
    assert data["contact"]["email"] == contact.email
    assert data["contact"]["attributes"] == {"phone": SECRET_PHONE}
    [response] = data["responses"]
    assert [(s["kind"], s["number"], s["high"]) for s in response["scores"]] == [
        ("nps", 2, 10), ("csat", 1, 5), ("ces", 2, 7)
    ]  # fmt: skip
    assert response["comments"][0]["text"] == COMMENT
    [exported_case] = data["cases"]
    assert exported_case["id"] == case.pk
    assert [e["kind"] for e in exported_case["timeline"]] == [
        "opened", "notified", "note", "replied"
    ]  # fmt: skip
    assert [(o["kind"], str(o["amount"]), o["product"]) for o in data["outcomes"]] == [
        ("order", "49.90", "Router"),
        ("subscription_ended", "None", ""),
    ]
    assert [m["subject"] for m in data["messages"]] == [f"About your feedback to {world.org.name}"]
    # Every field of the history, as `dataclasses.asdict` gives it.
    history = customer_history(world.org, contact, reveal=True, money=True, limit=None)
    assert data["responses"] == [asdict(r) for r in reversed(history.responses)]
    assert data["outcomes"] == [asdict(o) for o in reversed(history.outcomes)]
    assert [{k: v for k, v in c.items() if k != "timeline"} for c in data["cases"]] == [
        asdict(c) for c in reversed(history.cases)
    ]
    api = Api(do_create_api_key(world.org, "a", scopes=["admin"]).secret)
    r = api.get(f"/contacts/{contact.pk}/export")
    assert r.status_code == 200 and r.json()["contact"]["email"] == contact.email
    assert r.json()["responses"][0]["comments"][0]["text"] == COMMENT
    assert Event.objects.filter(verb="contact.exported", subject_id=contact.pk).count() == 1
    # The API answers the download's content (dates as the same ISO strings).
    client = Client()
    client.force_login(world.owner.user)
    download = json.loads(client.get(f"/contacts/{contact.pk}/export.json").content)
    assert {**r.json(), "exported_at": ""} == {**download, "exported_at": ""}


def test_erasing_again_later_changes_nothing_more(world: World) -> None:
    contact, _case = _customer(world)
    do_erase_contact(contact, actor=world.owner)
    first = _everywhere("[erased]")
    with clock.frozen_at(clock.now() + dt.timedelta(hours=20)):
        do_erase_contact(contact, actor=world.owner)
    assert _everywhere("[erased]") == first
