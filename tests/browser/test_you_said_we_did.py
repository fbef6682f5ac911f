""" "You said, we did" in a real browser: the owner reads the preview and approves every
draft with one click; the throttled sender then hands them to the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.models import CustomerUpdate, RootCause
from beacon.loop.tests.helpers import respond
from beacon.loop.updates import send_approved_updates
from beacon.testing import PASSWORD, World
from tests.browser.axe import load_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_previews_and_approves_every_draft_at_once(
    world: World, live_server, page: Page
) -> None:
    cause = RootCause.objects.for_org(world.org).get(code="process")
    for n, language in ((1, "en"), (2, "de"), (3, "en")):
        case = do_open_case_for(respond(world, n, nps=2, attributes={"language": language}))
        assert case is not None
        do_resolve_case(case, cause, "explained", actor=world.agent)
    action = do_create_action(
        world.org.pk,
        ActionIn(title="INTERNAL: billing batch rework", source="root_cause",
                 owner=world.stage_owner, deadline=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                 root_cause=cause, public_summary="Bills now fit on one page."),
    )  # fmt: skip
    do_set_action_status(action, "done", actor=world.stage_owner)

    page.goto(f"{live_server.url}/login/")
    page.fill('input[name="login"]', world.stage_owner.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    page.goto(f"{live_server.url}/actions/{action.pk}/")

    preview = page.locator("#preview")
    expect(preview.get_by_role("heading")).to_have_text("Preview: as Customer 1 receives it (en)")
    expect(preview.locator("pre")).to_contain_text("Here is what we changed:\nBills now fit")
    expect(preview).not_to_contain_text("INTERNAL")
    assert _violations(page) == []
    summary = page.locator("#updates-summary")
    expect(summary).to_contain_text("Drafted 3 · approved and waiting 0")

    page.get_by_role("button", name="Approve drafts (3)").click()
    expect(page.get_by_text("3 updates approved; they leave in batches.")).to_be_visible()
    expect(page.get_by_role("button", name="Approve drafts")).to_have_count(0)
    expect(page.locator("#updates-done tbody tr")).to_have_count(3)
    expect(summary).to_contain_text("Drafted 0 · approved and waiting 3")

    assert send_approved_updates() == 3
    page.reload()
    # The outbox's job runs at once in tests: the mail server took all three.
    expect(summary).to_contain_text("delivered 3 · in the outbox 0 · failed 0")
    assert set(CustomerUpdate.objects.values_list("status", flat=True)) == {"sent"}
    assert _violations(page) == []
    page.goto(f"{live_server.url}/loop/updates/template/")
    expect(page.locator("#t-de-subject")).to_have_value(
        "Sie haben es uns gesagt, und wir haben es geändert"
    )
    assert _violations(page) == []


def _violations(page: Page) -> list[object]:
    load_axe(page)
    found: list[object] = page.evaluate(
        "async () => (await axe.run(document)).violations.map(v => [v.id, v.nodes.length])"
    )
    return found
