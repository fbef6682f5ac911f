"""Reasons for contact end to end: defined by staff, read from each new interaction's
description by the worker, corrected on the case page or over the API, learned from."""

from __future__ import annotations

import io

import pytest

from beacon.contacts.actions import InteractionIn
from beacon.contacts.imports import do_start_import
from beacon.contacts.models import Interaction
from beacon.core import clock
from beacon.insights.models import ContactReason, InteractionReason
from beacon.insights.reason_reading import do_reread_reasons
from beacon.insights.reasons import do_create_reason
from beacon.insights.registry import do_train_reasons
from beacon.insights.tests.test_api import call
from beacon.loop.actions import do_open_case_for
from beacon.loop.models import Case
from beacon.orgs.models import Event
from beacon.pipeline.actions import receive_interaction
from beacon.pipeline.imports import run_import_job
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.testing import World, contact_in
from beacon.web.tests.helpers import add_viewer, logged_in, page

pytestmark = pytest.mark.django_db

CARD = ("Card problem", "Card lost, stolen, blocked or declined", ["my card was declined"])
BILL = ("Bill question", "Charges on the invoice, refunds", ["charged twice"])


def reasons(world: World) -> tuple[ContactReason, ContactReason]:
    card = do_create_reason(world.org, CARD[0], CARD[1], CARD[2])
    bill = do_create_reason(world.org, BILL[0], BILL[1], BILL[2])
    return card, bill


def as_body(spec: tuple[str, str, list[str]]) -> dict[str, object]:
    return {"name": spec[0], "description": spec[1], "phrases": spec[2]}


def contact(world: World, n: int, description: str) -> Interaction:
    received = receive_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(n),
            occurred_at=clock.now(),
            description=description,
            idempotency_key=f"why-{n}",
            touchpoint=world.touchpoint,
        ),
    )
    return received.interaction


def test_each_new_interaction_is_read_by_the_worker_after_commit(
    world: World, django_capture_on_commit_callbacks
) -> None:
    card, bill = reasons(world)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        declined = contact(world, 1, "Customer says their card got declined in a shop")
    # One job (no survey is asked after this touchpoint): reading the reason, which the
    # immediate test queue ran; its first run trained the reason model.
    assert len(queued) == 1
    row = InteractionReason.objects.get(interaction=declined)
    assert (row.reason, row.source) == (card, "model")
    with django_capture_on_commit_callbacks(execute=True):
        silent = contact(world, 2, "   ")
    assert not InteractionReason.objects.filter(interaction=silent).exists()
    # An organisation without reasons queues nothing for its interactions.
    ContactReason.objects.filter(organization=world.org).update(active=False)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        contact(world, 3, "Why was I charged twice on this month's invoice?")
    assert queued == []
    assert bill.pk


def test_reasons_over_the_api(world: World, other_world: World) -> None:
    r = call(
        world, "post", "/reasons", {"name": CARD[0], "description": CARD[1], "phrases": CARD[2]}
    )
    assert r.status_code == 201
    card = r.json()["id"]
    r = call(world, "post", "/reasons", {"name": "card PROBLEM"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "name"
    assert "already exists" in r.json()["detail"][0]["message"]
    assert call(world, "post", "/reasons", {"name": " "}).status_code == 422
    assert call(world, "post", "/reasons", {"name": "X", "colour": "red"}).status_code == 422
    assert call(world, "post", "/reasons", {"name": "Bad\x00name"}).status_code == 422
    r = call(
        world, "post", "/reasons", {"name": BILL[0], "description": BILL[1], "phrases": BILL[2]}
    )
    bill = r.json()["id"]
    r = call(world, "put", f"/reasons/{bill}", {"name": "Bills", "phrases": ["charged twice"]})
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["description"]) == ("Bills", "")
    assert call(world, "put", "/reasons/999999", {"name": "Y"}).status_code == 404
    assert call(other_world, "put", f"/reasons/{bill}", {"name": "Y"}).status_code == 404
    listed = call(world, "get", "/reasons").json()["items"]
    assert [(i["name"], i["active"]) for i in listed] == [("Bills", True), ("Card problem", True)]
    assert call(other_world, "get", "/reasons").json()["items"] == []
    assert ContactReason.objects.filter(organization=world.org).count() == 2

    interaction = contact(world, 1, "Why was I charged twice on this month's invoice?")
    path = f"/interactions/{interaction.pk}/reason"
    assert call(world, "get", path).status_code == 404  # not read yet
    do_reread_reasons(world.org)
    r = call(world, "get", path)
    assert r.status_code == 200
    assert (r.json()["reason"], r.json()["source"]) == ("Bills", "model")
    assert 0 < r.json()["confidence"] <= 1
    r = call(world, "put", path, {"reason_id": card})
    assert r.status_code == 200
    assert r.json() == {
        "interaction_id": interaction.pk,
        "reason_id": card,
        "reason": "Card problem",
        "source": "staff",
        "confidence": 1.0,
    }
    # What staff said is kept when the model reads the history again.
    do_train_reasons(world.org)
    do_reread_reasons(world.org)
    assert call(world, "get", path).json()["source"] == "staff"
    assert call(world, "put", path, {"reason_id": 999999}).status_code == 422
    assert call(world, "put", path, {"reason_id": "x"}).status_code == 422
    assert call(other_world, "get", path).status_code == 404
    assert call(other_world, "put", path, {"reason_id": card}).status_code == 404
    theirs = do_create_reason(other_world.org, "Theirs")
    r = call(world, "put", path, {"reason_id": theirs.pk})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reason_id"
    assert Event.objects.filter(organization=world.org, verb="insights.reason_set").count() == 1


def _case_for(world: World, interaction: Interaction) -> Case:
    response = ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key=f"case-{interaction.pk}",
            answers=[AnswerIn(world.nps.pk, number=1)],
            interaction=interaction,
            contact=interaction.contact,
        )
    ).response
    case = do_open_case_for(response)
    assert case is not None
    return case


def test_reasons_pages_and_the_case_page(world: World, other_world: World) -> None:
    card, bill = reasons(world)
    interaction = contact(world, 1, "Why was I charged twice on this month's invoice?")
    do_reread_reasons(world.org)
    case = _case_for(world, interaction)
    owner = logged_in(world.owner)
    html = page(owner, "/insights/reasons/")
    assert "Card problem" in html and "Bill question" in html
    r = owner.post("/insights/reasons/", {"name": "", "description": "x"})
    assert r.status_code == 400 and "is required" in r.content.decode()
    r = owner.post("/insights/reasons/", {"name": "Moving home", "phrases": "I am moving\n"})
    assert r.status_code == 302
    moving = ContactReason.objects.get(organization=world.org, name="Moving home")
    assert moving.phrases == ["I am moving"]
    detail = page(owner, f"/insights/reasons/{bill.pk}/")
    assert "charged twice on this month" in detail and "The model" in detail
    r = owner.post(f"/insights/reasons/{bill.pk}/", {"name": "Card problem"})
    assert r.status_code == 400 and "already exists" in r.content.decode()
    r = owner.post(f"/insights/reasons/{bill.pk}/", {"name": "Bills", "active": ""})
    assert r.status_code == 302
    bill.refresh_from_db()
    assert (bill.name, bill.active) == ("Bills", False)
    page(logged_in(other_world.owner), f"/insights/reasons/{bill.pk}/", expect=404)
    viewer = logged_in(add_viewer(world))
    assert "Add a reason" not in page(viewer, "/insights/reasons/")
    assert viewer.post("/insights/reasons/", {"name": "Nope"}).status_code == 403

    html = page(owner, f"/cases/{case.pk}/")
    assert "Why was I charged twice" in html and "read by the model" in html
    r = owner.post(f"/cases/{case.pk}/reason/", {"reason": str(card.pk)})
    assert r.status_code == 302
    assert InteractionReason.objects.get(interaction=interaction).reason == card
    assert "set by staff" in page(owner, f"/cases/{case.pk}/")
    # A switched-off reason, another organisation's reason or nonsense: the page again.
    for bad in [str(bill.pk), "abc", ""]:
        r = owner.post(f"/cases/{case.pk}/reason/", {"reason": bad})
        assert r.status_code == 400 and "choose one of the reasons" in r.content.decode()
    assert InteractionReason.objects.get(interaction=interaction).reason == card
    outsider = logged_in(other_world.owner)
    assert outsider.post(f"/cases/{case.pk}/reason/", {"reason": str(card.pk)}).status_code == 404


def test_an_import_reads_its_reasons_in_one_job_after_the_file(
    world: World, django_capture_on_commit_callbacks
) -> None:
    card, bill = reasons(world)
    data = (
        "contact_id,email,touchpoint,description,idempotency_key\n"
        f"c1,a@example.com,{world.touchpoint.pk},My card was declined at the till,t-1\n"
        f"c2,b@example.com,{world.touchpoint.pk},Charged twice on the invoice,t-2\n"
        f"c3,c@example.com,{world.touchpoint.pk},,t-3\n"
    ).encode()
    job = do_start_import(world.org, "interactions", "calls.csv", len(data))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        done = run_import_job(job, io.BytesIO(data))
    assert done.rows_imported == 3
    # One job for the whole file, not one per row.
    assert len(queued) == 1
    read = dict(
        InteractionReason.objects.filter(organization=world.org).values_list(
            "interaction__idempotency_key", "reason"
        )
    )
    assert read == {"csv:t-1": card.pk, "csv:t-2": bill.pk}


def test_a_reread_gives_each_row_the_new_models_reading(world: World) -> None:
    card, bill = reasons(world)
    charged = contact(world, 1, "Why was I charged twice on this month's invoice?")
    declined = contact(world, 2, "Customer says their card got declined in a shop")
    labelled = contact(world, 3, "Asked about the invoice again")
    do_reread_reasons(world.org)
    rows = InteractionReason.objects.for_org(world.org)
    InteractionReason.objects.filter(interaction=labelled).update(reason=card, source="staff")
    # As an older model had left them: nothing read, or read wrongly.
    rows.filter(interaction=charged).update(reason=None, confidence=0.0, model_version="old")
    rows.filter(interaction=declined).update(reason=bill, confidence=0.1, model_version="old")
    latest = do_train_reasons(world.org)
    do_reread_reasons(world.org)
    read = {r.interaction_id: r for r in rows}
    version = f"{latest.engine}/v{latest.version}"
    assert (read[charged.pk].reason, read[charged.pk].model_version) == (bill, version)
    assert (read[declined.pk].reason, read[declined.pk].model_version) == (card, version)
    assert 0.1 < read[declined.pk].confidence <= 1 and read[charged.pk].confidence > 0
    assert (read[labelled.pk].reason, read[labelled.pk].source) == (card, "staff")


def test_a_second_reading_updates_the_models_rows_and_leaves_what_staff_set(
    world: World,
) -> None:
    """A label a person set between the model's readings wins: only rows the model owns
    take the new model's reading (one statement for the batch, `rows.update_by_key`)."""
    from beacon.insights.reason_reading import do_classify_interactions

    card, bill = reasons(world)
    charged = contact(world, 1, "Why was I charged twice on this month's invoice?")
    declined = contact(world, 2, "My card was declined at the shop again")
    first = do_classify_interactions(world.org, [charged, declined])
    assert [(r.reason, r.source) for r in first] == [(bill, "model"), (card, "model")]
    first_version = first[0].model_version
    # A person says the first was about the card, straight in the table as a page would.
    InteractionReason.objects.filter(interaction=charged).update(
        reason=card, source="staff", confidence=1.0, model_version=""
    )
    InteractionReason.objects.filter(interaction=declined).update(reason=None, confidence=0.0)
    record = do_train_reasons(world.org)
    second = do_classify_interactions(world.org, [charged, declined])
    assert [(r.reason, r.source, r.confidence, r.model_version) for r in second] == [
        (card, "staff", 1.0, ""),
        (card, "model", second[1].confidence, f"{record.engine}/v{record.version}"),
    ]
    assert 0 < second[1].confidence <= 1 and second[1].model_version != first_version
