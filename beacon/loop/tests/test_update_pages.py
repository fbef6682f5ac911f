""" "You said, we did" pages: the action page at scale, bulk approval, confirming, templates."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.contacts.models import Contact
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.models import Action, CustomerUpdate, CustomerUpdateTemplate, RootCause
from beacon.loop.tests.helpers import respond
from beacon.orgs.models import Event
from beacon.testing import World
from beacon.web.tests.helpers import logged_in, page

pytestmark = pytest.mark.django_db

DRAFTS = 300


def _action(world: World, *, question: bool = False) -> Action:
    cause = RootCause.objects.for_org(world.org).get(code="process")
    case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    do_resolve_case(case, cause, "explained", actor=world.agent)
    action = do_create_action(
        world.org.pk,
        ActionIn(title="INTERNAL billing batch rework", source="root_cause",
                 owner=world.stage_owner, deadline=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                 root_cause=cause, question=world.nps if question else None,
                 public_summary="Bills now fit on one page."),
    )  # fmt: skip
    do_set_action_status(action, "done", actor=world.stage_owner)
    return action


def _many_drafts(world: World, action: Action, n: int) -> None:
    """Test data at demo scale, written in bulk (the drafting itself is tested elsewhere)."""
    contacts = Contact.objects.bulk_create(
        Contact(organization=world.org, external_id=f"bulk-{i}", name=f"Bulk {i}",
                email=f"bulk{i}@example.com")
        for i in range(n)
    )  # fmt: skip
    CustomerUpdate.objects.bulk_create(
        CustomerUpdate(organization=world.org, action=action, contact=c, subject="You told us",
                       body="Hello,\n\nBills now fit on one page.\n" * 3,
                       language="de" if i % 3 == 0 else "en")
        for i, c in enumerate(contacts)
    )  # fmt: skip


def test_action_page_stays_small_pages_through_drafts_and_approves_in_bulk(
    world: World,
) -> None:
    action = _action(world)
    _many_drafts(world, action, DRAFTS)
    client = logged_in(world.stage_owner)
    response = client.get(f"/actions/{action.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) < 200_000
    assert "Approve drafts (301)" in html
    assert "Drafts page 1 of 16" in html
    assert html.count('name="op" value="approve"') == 20
    # The preview is the first customer's message, never the internal title.
    assert "Preview: as Customer 1 receives it (en)" in html
    assert "INTERNAL" not in html.split('id="preview"')[1].split("</section>")[0]
    last = page(client, f"/actions/{action.pk}/", drafts="16")
    assert "Drafts page 16 of 16" in last and last.count('name="op" value="approve"') == 1
    bad = page(client, f"/actions/{action.pk}/", expect=400, drafts="²")
    assert "drafts: must be a page number from 1; showing the first page" in bad
    assert "Drafts page 1 of 16" in bad
    approve = f"/actions/{action.pk}/updates/approve/"
    assert client.post(approve, {"language": "de"}).status_code == 302
    assert CustomerUpdate.objects.filter(status="approved").count() == 100
    for _ in range(2):
        assert client.post(approve, {}).status_code == 302
    assert CustomerUpdate.objects.filter(status="approved").count() == DRAFTS + 1
    counts = list(
        Event.objects.filter(verb="customer_updates.approved")
        .order_by("pk")
        .values_list("data__count", flat=True)
    )
    assert counts == [100, 201]
    after = page(client, f"/actions/{action.pk}/", done="7")
    assert "Page 7 of 7" in after and "Approve drafts" not in after
    refused = client.post(approve, {"language": "xx"})
    assert refused.status_code == 400
    assert "language: must be one of en, de, fr, es, nl" in refused.content.decode()


def test_a_metric_that_did_not_move_needs_the_owners_reason(world: World) -> None:
    action = _action(world, question=True)
    client = logged_in(world.stage_owner)
    html = page(client, f"/actions/{action.pk}/")
    assert "Beacon has not proposed" in html
    assert "Completed today: NPS after completion is measured from tomorrow." in html
    url = f"/actions/{action.pk}/updates/propose/"
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert "reason: the metric does not show an improvement" in refused.content.decode()
    assert not CustomerUpdate.objects.exists()
    assert logged_in(world.agent).post(url, {"reason": "x"}).status_code == 400
    assert client.post(url, {"reason": "The fix is live."}).status_code == 302
    assert CustomerUpdate.objects.filter(action=action).count() == 1
    [event] = Event.objects.filter(verb="customer_updates.confirmed")
    assert (event.actor, event.data["reason"]) == (world.stage_owner, "The fix is live.")
    assert "drafted because Sam Stage confirmed:</strong> The fix is live." in page(
        client, f"/actions/{action.pk}/"
    )


def test_template_page_validates_placeholders_and_is_for_admins(
    world: World, other_world: World
) -> None:
    client = logged_in(world.owner)
    html = page(client, "/loop/updates/template/")
    assert "Hallo {first_name}," in html and "{what_we_changed}" in html
    refused = client.post(
        "/loop/updates/template/",
        {"language": "fr", "subject": "Bonjour {prenom}", "body": "{what_we_changed}"},
    )
    assert refused.status_code == 400
    assert "unknown placeholder {prenom}" in refused.content.decode()
    assert "Bonjour {prenom}" in refused.content.decode()
    saved = client.post(
        "/loop/updates/template/",
        {"language": "fr", "subject": "Merci {first_name}", "body": "{what_we_changed}"},
    )
    assert saved.status_code == 302
    row = CustomerUpdateTemplate.objects.get()
    assert (row.organization, row.language, row.subject) == (world.org, "fr", "Merci {first_name}")
    assert "Merci {first_name}" not in page(logged_in(other_world.owner), "/loop/updates/template/")
    assert client.post("/loop/updates/rate/", {"per_minute": "0"}).status_code == 400
    assert client.post("/loop/updates/rate/", {"per_minute": "30"}).status_code == 302
    assert 'value="30"' in page(client, "/loop/updates/template/")
    agent = logged_in(world.agent)
    assert agent.get("/loop/updates/template/").status_code == 403
    assert agent.post("/loop/updates/rate/", {"per_minute": "5"}).status_code == 403


def test_other_organisations_cannot_reach_an_actions_updates(
    world: World, other_world: World
) -> None:
    action = _action(world)
    intruder = logged_in(other_world.owner)
    for url, data in (
        (f"/actions/{action.pk}/updates/approve/", {}),
        (f"/actions/{action.pk}/updates/propose/", {"reason": "x"}),
    ):
        assert intruder.post(url, data).status_code == 404, url
    assert set(CustomerUpdate.objects.values_list("status", flat=True)) == {"draft"}
