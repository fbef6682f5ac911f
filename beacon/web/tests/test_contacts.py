"""The customers list, a customer's page with their history, erasure with its confirm step,
the JSON download, and the case page's history and first contact: roles, masking and
another organisation's ids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from beacon.contacts.actions import ContactIn, InteractionIn, do_record_interaction
from beacon.contacts.models import Contact
from beacon.insights.tests.test_pages import add_analyst
from beacon.loop.models import Case, CaseEvent
from beacon.orgs.models import Event
from beacon.outcomes.actions import do_record_outcome
from beacon.pipeline.actions import submit_response
from beacon.privacy.models import Erasure
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, logged_in, open_case, page

pytestmark = pytest.mark.django_db

PHONE = "07700 900123"


def _again(world: World, contact: Contact, key: str, *, csat: int, ces: int) -> None:
    """A later response of the same customer (another interaction, same customer id)."""
    interaction = do_record_interaction(
        world.org,
        InteractionIn(
            contact=ContactIn(external_id=contact.external_id, email=contact.email),
            idempotency_key=f"visit-{key}",
            touchpoint=world.touchpoint,
        ),
    ).interaction
    submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key=f"again-{key}",
            answers=[
                AnswerIn(world.nps.pk, number=9),
                AnswerIn(world.csat.pk, number=csat),
                AnswerIn(world.ces.pk, number=ces),
            ],
            interaction=interaction,
        )
    )


@pytest.fixture
def case(world: World) -> Case:
    case = open_case(world, text=f"Ring me on {PHONE}")
    contact = case.contact
    assert contact is not None
    Contact.objects.filter(pk=contact.pk).update(attributes={"plan": "Gold", "mobile": PHONE})
    _again(world, contact, "1", csat=2, ces=3)
    do_record_outcome(
        world.org,
        {"kind": "order", "contact_id": contact.external_id, "idempotency_key": "o-1",
         "occurred_at": "2026-11-01T10:00:00Z", "amount": "49.90", "product": "Router"},
    )  # fmt: skip
    return case


def test_the_contact_page_shows_the_customer_and_their_history(world: World, case: Case) -> None:
    contact = case.contact
    assert contact is not None
    html = page(logged_in(world.agent), f"/contacts/{contact.pk}/")
    assert f'<a href="mailto:{contact.email}">{contact.email}</a>' in html
    assert f"<dt>mobile</dt><dd>{PHONE}</dd>" in html and "<dt>plan</dt><dd>Gold</dd>" in html
    assert 'Responses <span class="muted">(2)</span>' in html
    for score in ("<strong>2 of 10</strong>", "<strong>2 of 5</strong>", "<strong>3 of 7</strong>"):
        assert score in html
    assert f"Ring me on {PHONE}" in html and f'href="/cases/{case.pk}/"' in html
    assert "Router" in html
    # Agents deal with customers but take no decisions about their data; money is not theirs.
    assert "Erase this customer" not in html and "export.json" not in html
    assert "49.90" not in html


def test_analysts_and_viewers_see_the_customer_masked(world: World, case: Case) -> None:
    contact = case.contact
    assert contact is not None
    for member in (add_analyst(world), add_viewer(world)):
        html = page(logged_in(member), f"/contacts/{contact.pk}/")
        assert contact.email not in html and contact.name not in html
        assert "07700" not in html and "<dt>mobile</dt><dd>[phone]</dd>" in html
        assert "Ring me on [phone]" in html and "Hidden for your role" in html
        assert "<strong>2 of 10</strong>" in html
        listed = page(logged_in(member), "/contacts/", q=contact.name)
        assert "No customers match." in listed
        assert f"Contact {contact.pk}</a>" in page(logged_in(member), "/contacts/", q=contact.pk)


def test_the_list_searches_the_organisations_contacts_only(
    world: World, other_world: World, case: Case
) -> None:
    contact = case.contact
    assert contact is not None
    open_case(other_world)
    owner = logged_in(world.owner)
    html = page(owner, "/contacts/", q=contact.email)
    assert f'href="/contacts/{contact.pk}/"' in html and "1 customer<" in html
    assert "No customers match." in page(owner, "/contacts/", q="globex")
    assert "1 customer<" in page(owner, "/contacts/")
    html = page(owner, "/contacts/", expect=400, persona=other_world.persona.pk)
    assert "persona: unknown persona; the filter was not applied." in html
    page(logged_in(other_world.owner), f"/contacts/{contact.pk}/", expect=404)
    export: Any = owner.get("/exports/contacts.csv", {"q": contact.email})
    assert b"".join(export.streaming_content).decode().count("\n") == 2  # header, one row


def test_erasing_from_the_page_asks_first_and_is_for_owners_and_admins(
    world: World, other_world: World, case: Case
) -> None:
    contact = case.contact
    assert contact is not None
    url = f"/contacts/{contact.pk}/erase/"
    for member in (world.agent, add_analyst(world)):
        assert logged_in(member).get(url).status_code == 403
        assert logged_in(member).post(url, {"confirm": "erase"}).status_code == 403
    assert logged_in(other_world.owner).post(url, {"confirm": "erase"}).status_code == 404
    admin = logged_in(world.stage_owner)
    confirm = page(admin, url)
    assert f"Erase {contact.name}?" in confirm and 'name="confirm" value="erase"' in confirm
    refused = admin.post(url, {})
    assert refused.status_code == 400
    assert "confirm: confirm the erasure on the confirmation page" in refused.content.decode()
    assert not Erasure.objects.exists()

    done = admin.post(url, {"confirm": "erase"})

    assert done.status_code == 302 and done["Location"] == f"/contacts/{contact.pk}/"
    contact.refresh_from_db()
    assert (contact.name, contact.email) == ("", "")
    html = page(admin, f"/contacts/{contact.pk}/")
    assert f"Contact {contact.pk} (erased)" in html and "by Sam Stage" in html
    assert "07700" not in html and "[erased]" in html and "<strong>2 of 10</strong>" in html
    assert "Ring me" not in page(admin, f"/cases/{case.pk}/")


def test_the_json_download(world: World, other_world: World, case: Case) -> None:
    contact = case.contact
    assert contact is not None
    url = f"/contacts/{contact.pk}/export.json"
    response = logged_in(world.owner).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="beacon-contact-{contact.pk}.json"'
    )
    data = json.loads(response.content)
    assert data["contact"]["email"] == contact.email
    assert [len(r["scores"]) for r in data["responses"]] == [1, 3]
    assert Event.objects.filter(verb="contact.exported", actor=world.owner).count() == 1
    for member in (world.agent, add_viewer(world)):
        assert logged_in(member).get(url).status_code == 403
    assert logged_in(other_world.owner).get(url).status_code == 404


def test_the_case_page_shows_the_customers_history(world: World, case: Case) -> None:
    html = page(logged_in(world.agent), f"/cases/{case.pk}/")
    assert "The customer's history" in html
    assert "<strong>2 of 5</strong>" in html and "<strong>3 of 7</strong>" in html
    assert '<span class="badge">This case</span>' in html and "Router" in html


def test_first_contact_is_recorded_once_with_how_and_what(
    world: World, other_world: World, case: Case
) -> None:
    url = f"/cases/{case.pk}/first-contact/"
    assert "Contacted the customer</button>" in page(logged_in(world.agent), f"/cases/{case.pk}/")
    assert logged_in(add_viewer(world)).post(url, {"channel": "phone"}).status_code == 403
    assert logged_in(other_world.owner).post(url, {"channel": "phone"}).status_code == 404
    agent = logged_in(world.agent)
    refused = agent.post(url, {"channel": "", "note": "x"})
    assert refused.status_code == 400
    assert "channel: say how you reached the customer" in refused.content.decode()
    case.refresh_from_db()
    assert case.first_contact_at is None

    done = agent.post(url, {"channel": "phone", "note": "Apologised, sending a router"})

    assert done.status_code == 302
    case.refresh_from_db()
    assert case.first_contact_at is not None and case.status == "in_progress"
    step = CaseEvent.objects.get(case=case, kind="first_contact")
    assert (step.body, step.data, step.actor_id) == (
        "Apologised, sending a router", {"channel": "phone"}, world.agent.pk
    )  # fmt: skip
    html = page(agent, f"/cases/{case.pk}/")
    assert "Contacted the customer (Phone call)" in html and "Contacted the customer?" not in html
    again = agent.post(url, {"channel": "email"})
    assert again.status_code == 409 and "already recorded" in again.content.decode()
    assert CaseEvent.objects.filter(case=case, kind="first_contact").count() == 1


def test_the_reason_for_contact_starts_unset(world: World, case: Case) -> None:
    from beacon.insights.reasons import do_create_reason

    do_create_reason(world.org, "Billing", phrases=["invoice"])
    do_create_reason(world.org, "Broadband", phrases=["router"])
    html = page(logged_in(world.agent), f"/cases/{case.pk}/")
    assert '<option value="">Choose a reason…</option>' in html
    assert " selected>Billing" not in html and " selected>Broadband" not in html
    refused = logged_in(world.agent).post(f"/cases/{case.pk}/reason/", {"reason": ""})
    assert refused.status_code == 400
    assert "reason: choose one of the reasons" in refused.content.decode()


def test_the_history_shows_a_page_of_responses_with_links_to_older_ones(
    world: World, case: Case
) -> None:
    contact = case.contact
    assert contact is not None
    for n in range(2, 46):
        _again(world, contact, str(n), csat=3, ces=4)
    agent = logged_in(world.agent)
    url = f"/contacts/{contact.pk}/"

    first = page(agent, url)
    assert 'Responses <span class="muted">(newest 20 of 46)</span>' in first
    assert first.count('class="history-item') == 20
    assert 'href="?history=2#history" rel="next">Older responses' in first
    assert "Newer responses" not in first and f"Ring me on {PHONE}" not in first

    second = page(agent, url, history=2)
    assert 'Responses <span class="muted">(21 to 40 of 46)</span>' in second
    assert 'href="?history=1#history" rel="prev">Newer responses' in second
    assert 'href="?history=3#history" rel="next">Older responses' in second

    # The oldest response (the one that opened the case) is on the last page.
    last = page(logged_in(world.agent), f"/cases/{case.pk}/", history=3)
    assert 'Responses <span class="muted">(41 to 46 of 46)</span>' in last
    assert last.count('class="history-item') == 6 and "Older responses" not in last
    assert '<span class="badge">This case</span>' in last

    beyond = page(agent, url, history=9)
    assert "(none on page 9 of 46)" in beyond and "No responses on this page." in beyond
    assert 'href="?history=8#history" rel="prev">Newer responses' in beyond
    for wrong, message in (("0", "pages start at 1"), ("two", "must be a whole number")):
        html = page(agent, url, expect=400, history=wrong)
        assert f"history: {message}; showing the newest." in html
        assert 'Responses <span class="muted">(newest 20 of 46)</span>' in html
        page(agent, f"/cases/{case.pk}/", expect=400, history=wrong)

    # The export still holds every response, oldest first, and the erasure page counts them.
    data = json.loads(logged_in(world.owner).get(f"/contacts/{contact.pk}/export.json").content)
    assert len(data["responses"]) == 46
    assert [r["responded_at"] for r in data["responses"]] == sorted(
        r["responded_at"] for r in data["responses"]
    )
    assert data["responses"][0]["comments"][0]["text"] == f"Ring me on {PHONE}"
    erase = page(logged_in(world.owner), f"/contacts/{contact.pk}/erase/")
    assert "the text of their 46 responses" in erase and "of their 1 case," in erase
