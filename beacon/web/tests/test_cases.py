"""Cases: list, case page, and the actions agents take, through the loop's do_* functions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from beacon.core import clock
from beacon.loop.actions import do_create_root_cause
from beacon.loop.models import Case, CaseEvent, CaseStatus
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, logged_in, open_case, page
from beacon.web.views.cases import PAGE_SIZE


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


@pytest.fixture
def case(world: World) -> Case:
    return open_case(world, nps=2, text="Waited 40 minutes\nand nobody called back")


def test_case_opened_by_the_pipeline_after_commit_is_listed(world: World, capture: Any) -> None:
    opened = open_case(world, capture, nps=1, text="Opened after commit")
    html = page(logged_in(world.stage_owner), "/cases/", mine="1")
    assert f'<a href="/cases/{opened.pk}/">' in html
    assert "Opened after commit" in page(logged_in(world.owner), f"/cases/{opened.pk}/")


def _kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


def test_list_shows_owner_due_priority_and_status(world: World, case: Case) -> None:
    html = page(logged_in(world.owner), "/cases/")
    row = html.split(f'<a href="/cases/{case.pk}/">')[1].split("</tr>")[0]
    assert row.startswith("Customer ") and "gave NPS 2 on Support follow-up</a>" in row
    assert '<span class="badge badge-new">New</span>' in row
    assert '<span class="badge badge-priority-normal">Normal</span>' in row
    assert "<td>Sam Stage</td>" in row
    assert case.due_at.strftime("%-d %b %Y, %H:%M") in row
    assert "Overdue" not in row


def test_overdue_cases_are_highlighted_and_filterable(world: World, case: Case) -> None:
    client = logged_in(world.owner)
    assert "No cases match." in page(client, "/cases/", overdue="1")
    with clock.frozen_at(case.due_at + dt.timedelta(hours=1)):
        html = page(client, "/cases/")
        assert '<tr class="row-overdue">' in html
        assert '<strong class="overdue">Overdue</strong>' in html
        assert f"/cases/{case.pk}/" in page(client, "/cases/", overdue="1")
        assert '<strong class="overdue">Overdue</strong>' in page(client, f"/cases/{case.pk}/")


def test_mine_and_status_filters(world: World, case: Case) -> None:
    assert "No cases match." in page(logged_in(world.owner), "/cases/", mine="1")
    client = logged_in(world.stage_owner)
    assert f"/cases/{case.pk}/" in page(client, "/cases/", mine="1")
    assert "No cases match." in page(client, "/cases/", status="resolved")
    assert f"/cases/{case.pk}/" in page(client, "/cases/", status="new")
    assert f"/cases/{case.pk}/" in page(client, "/cases/", status="all")
    html = page(client, "/cases/", expect=400, status="bogus")
    assert "status: must be one of open, new, in_progress, resolved, all" in html
    assert f"/cases/{case.pk}/" in html


def test_case_page_shows_answers_contact_stage_and_timeline(world: World, case: Case) -> None:
    html = page(logged_in(world.owner), f"/cases/{case.pk}/")
    assert f"<dt>{world.nps.text}</dt>" in html
    # Each score with its scale: a bare "2" does not say whether 2 is good.
    assert '<strong class="answer-score">2 of 10</strong> <span class="muted">NPS</span>' in html
    assert "<p>Waited 40 minutes<br>and nobody called back</p>" in html
    contact = case.contact
    assert contact is not None
    assert (
        f'<a href="/contacts/{contact.pk}/">{contact.name}</a> · '
        f'<a href="mailto:{contact.email}">{contact.email}</a>'
    ) in html
    assert "<dt>Stage</dt><dd>Get help</dd>" in html
    assert "Case opened by rule nps&lt;=6" in html
    assert "Owner notified at stage@acme-telecom.test" in html


def test_add_note(world: World, case: Case) -> None:
    client = logged_in(world.agent)
    response = client.post(f"/cases/{case.pk}/note/", {"body": "Called, left a voicemail."})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    note = CaseEvent.objects.get(case=case, kind="note")
    assert (note.body, note.actor_id) == ("Called, left a voicemail.", world.agent.pk)
    html = page(client, f"/cases/{case.pk}/")
    assert "Note added." in html
    assert '<div class="event-body">Called, left a voicemail.</div>' in html
    assert "Priya Agent" in html


def test_empty_note_is_refused(world: World, case: Case) -> None:
    before = _kinds(case)
    response = logged_in(world.agent).post(f"/cases/{case.pk}/note/", {"body": "   "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<li>body: must not be empty</li>" in html
    assert '<p class="field-error">must not be empty</p>' in html
    assert _kinds(case) == before


def test_html_in_a_note_is_escaped(world: World, case: Case) -> None:
    client = logged_in(world.agent)
    client.post(f"/cases/{case.pk}/note/", {"body": "<script>alert(1)</script> & <b>x</b>"})
    html = page(client, f"/cases/{case.pk}/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html


def test_status_moves_new_and_in_progress(world: World, case: Case) -> None:
    client = logged_in(world.agent)
    assert client.post(f"/cases/{case.pk}/status/", {"status": "in_progress"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.first_contact_at is not None
    html = page(client, f"/cases/{case.pk}/")
    assert "Status changed from New to In progress" in html
    assert 'value="new" class="button button-quiet">Move to New</button>' in html
    assert client.post(f"/cases/{case.pk}/status/", {"status": "new"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW


def test_bad_status_is_refused(world: World, case: Case) -> None:
    client = logged_in(world.agent)
    before = _kinds(case)
    for value, message in (
        ("resolved", "status: resolve a case with a root cause"),
        ("closed", "status: must be one of new, in_progress, resolved"),
        ("new", "status: cannot move from new to new"),
    ):
        response = client.post(f"/cases/{case.pk}/status/", {"status": value})
        assert response.status_code == 400
        assert f"<li>{message}</li>" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW and _kinds(case) == before


def test_reassign_with_a_reason(world: World, case: Case) -> None:
    client = logged_in(world.agent)
    response = client.post(
        f"/cases/{case.pk}/reassign/", {"owner": str(world.agent.pk), "reason": "I took the call"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner_id == world.agent.pk
    html = page(client, f"/cases/{case.pk}/")
    assert "Reassigned from Sam Stage to Priya Agent" in html
    assert '<div class="event-body">I took the call</div>' in html


def test_reassign_refused_without_reason_or_to_a_stranger(
    world: World, other_world: World, case: Case
) -> None:
    client = logged_in(world.agent)
    before = _kinds(case)
    for data, message in (
        ({"owner": str(world.agent.pk), "reason": " "}, "reason: say why the case moves"),
        ({"owner": str(other_world.agent.pk), "reason": "x"},
         "owner: choose a member of this organisation"),
        ({"owner": "", "reason": "x"}, "owner: choose a member of this organisation"),
    ):  # fmt: skip
        response = client.post(f"/cases/{case.pk}/reassign/", data)
        assert response.status_code == 400
        assert f"<li>{message}</li>" in response.content.decode()
    case.refresh_from_db()
    assert case.owner_id == world.stage_owner.pk and _kinds(case) == before


def test_resolve_needs_a_root_cause(world: World, case: Case) -> None:
    client = logged_in(world.agent)
    data = {"root_cause": "", "resolution": "Refunded"}
    response = client.post(f"/cases/{case.pk}/resolve/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<li>root_cause: choose the root cause before resolving</li>" in html
    # What was typed is kept so it need not be typed again.
    assert ">Refunded</textarea>" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW and case.root_cause_id is None
    assert "resolved" not in _kinds(case)


def test_resolve_refuses_a_root_cause_of_another_organisation(
    world: World, other_world: World, case: Case
) -> None:
    theirs = do_create_root_cause(other_world.org.pk, "price", "Price")
    response = logged_in(world.agent).post(
        f"/cases/{case.pk}/resolve/", {"root_cause": str(theirs.pk), "resolution": "Done"}
    )
    assert response.status_code == 400
    assert "<li>root_cause: choose one of this organisation&#x27;s root causes</li>" in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW


def test_resolve(world: World, case: Case) -> None:
    cause = do_create_root_cause(world.org.pk, "process", "Process gap")
    client = logged_in(world.agent)
    response = client.post(
        f"/cases/{case.pk}/resolve/", {"root_cause": str(cause.pk), "resolution": "Called back"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.root_cause_id) == ("resolved", cause.pk)
    assert case.resolution == "Called back"
    html = page(client, f"/cases/{case.pk}/")
    assert "Resolved (root cause: process)" in html
    assert "<dt>Root cause</dt><dd>Process gap</dd>" in html
    assert 'id="resolve"' not in html
    # A second resolve (an old tab) is a conflict, shown on the page.
    response = client.post(
        f"/cases/{case.pk}/resolve/", {"root_cause": str(cause.pk), "resolution": "Again"}
    )
    assert response.status_code == 409
    assert "the case is already resolved" in response.content.decode()
    assert _kinds(case).count("resolved") == 1


def test_viewer_reads_but_cannot_act(world: World, case: Case) -> None:
    client = logged_in(add_viewer(world))
    html = page(client, f"/cases/{case.pk}/")
    assert "You can read this case; agents and above can act on it." in html
    assert 'method="post"' not in html.split('<main id="main"')[1]
    before = _kinds(case)
    cause = do_create_root_cause(world.org.pk, "process", "Process gap")
    for action, data in (
        ("note", {"body": "hi"}),
        ("status", {"status": "in_progress"}),
        ("reassign", {"owner": str(world.agent.pk), "reason": "x"}),
        ("resolve", {"root_cause": str(cause.pk), "resolution": "x"}),
    ):
        assert client.post(f"/cases/{case.pk}/{action}/", data).status_code == 403, action
    case.refresh_from_db()
    assert (case.status, case.owner_id) == ("new", world.stage_owner.pk)
    assert _kinds(case) == before


def test_other_organisations_cases_are_404(world: World, other_world: World, case: Case) -> None:
    theirs = open_case(other_world, text="Globex case")
    client = logged_in(world.owner)
    assert f"/cases/{theirs.pk}/" not in page(client, "/cases/", status="all")
    assert client.get(f"/cases/{theirs.pk}/").status_code == 404
    before = _kinds(theirs)
    for action, data in (
        ("note", {"body": "hi"}),
        ("status", {"status": "in_progress"}),
        ("reassign", {"owner": str(world.agent.pk), "reason": "x"}),
        ("resolve", {"root_cause": "1", "resolution": "x"}),
    ):
        assert client.post(f"/cases/{theirs.pk}/{action}/", data).status_code == 404, action
    theirs.refresh_from_db()
    assert (theirs.status, theirs.owner_id) == ("new", other_world.stage_owner.pk)
    assert _kinds(theirs) == before
    assert client.get("/cases/999999/").status_code == 404


def _listed(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<a href="/cases/(\d+)/">', html)]


def test_list_counts_sorts_and_pages_keeping_filters_in_every_link(world: World) -> None:
    opened = []
    for n, score in enumerate([4, 0, 6, 2] + [5] * (PAGE_SIZE - 3)):
        with clock.frozen_at(dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)):
            opened.append(open_case(world, nps=score, text=f"case {n}"))
    # Deadlines in the reverse order of opening, so each order is a different list.
    for n, case in enumerate(opened):
        Case.objects.filter(pk=case.pk).update(
            due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=n)
        )
    total = len(opened)
    client = logged_in(world.stage_owner)
    html = page(client, "/cases/", sort="score", mine="1")
    assert f"{total} cases, showing 1\N{EN DASH}{PAGE_SIZE}" in html
    assert _listed(html)[:3] == [opened[1].pk, opened[3].pk, opened[0].pk]
    assert "<td>0 of 10</td>" in html
    # The next page keeps the filter and the order; so does the export (all pages).
    assert 'href="?status=open&amp;sort=score&amp;mine=1&amp;page=2"' in html
    assert 'href="/exports/cases.csv?status=open&amp;sort=score&amp;mine=1"' in html
    second = page(client, "/cases/", sort="score", mine="1", page="2")
    assert f"{total} cases, showing {PAGE_SIZE + 1}\N{EN DASH}{total}" in second
    assert _listed(second)[-1] == opened[2].pk  # the highest score, 6, last
    assert set(_listed(html)) | set(_listed(second)) == {c.pk for c in opened}
    assert _listed(page(client, "/cases/", sort="opened"))[0] == opened[-1].pk
    assert _listed(page(client, "/cases/", sort="deadline"))[0] == opened[-1].pk
    assert _listed(page(client, "/cases/", sort="status"))[0] == opened[-1].pk
    # An unknown order names the field and falls back to the default.
    refused = page(client, "/cases/", expect=400, sort="owner")
    assert "sort: must be one of status, deadline, opened, score; sorted by status." in refused
    assert "No cases match." in page(client, "/cases/", status="resolved")
