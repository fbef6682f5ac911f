"""Reasons for contact in a real browser: defined on their page, seen and corrected on a case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from beacon.contacts.actions import InteractionIn
from beacon.core import clock
from beacon.insights.models import ContactReason, InteractionReason
from beacon.insights.reason_reading import do_reread_reasons
from beacon.insights.reasons import do_create_reason
from beacon.loop.actions import do_open_case_for
from beacon.pipeline.actions import receive_interaction
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.testing import World, contact_in
from tests.browser.axe import load_axe
from tests.browser.test_navigation import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"


def test_staff_define_reasons_and_correct_one_on_a_case(
    world: World, live_server: Any, page: Page
) -> None:
    do_create_reason(world.org, "Card problem", "Card lost, blocked or declined", ["declined"])
    interaction = receive_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(1),
            occurred_at=clock.now(),
            description="Customer asks why a payment was taken twice this month",
            idempotency_key="b-1",
            touchpoint=world.touchpoint,
        ),
    ).interaction
    response = ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key="b-r1",
            answers=[AnswerIn(world.nps.pk, number=1)],
            interaction=interaction,
        )
    ).response
    case = do_open_case_for(response)
    assert case is not None

    _log_in(page, live_server.url, world.owner.email)
    page.goto(f"{live_server.url}/insights/reasons/")
    page.fill("#r-name", "Bill question")
    page.fill("#r-description", "Charges on the bill, payments taken twice, refunds")
    page.fill("#r-phrases", "charged twice\npayment taken twice")
    page.get_by_role("button", name="Add reason").click()
    expect(page.get_by_role("link", name="Bill question")).to_be_visible()
    load_axe(page)
    violations = page.evaluate(
        "async () => (await axe.run('main')).violations.map(v => [v.id, v.nodes.map(n => n.html)])"
    )
    assert violations == []

    do_reread_reasons(world.org)
    bill = ContactReason.objects.get(organization=world.org, name="Bill question")
    assert InteractionReason.objects.get(interaction=interaction).reason == bill
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.locator("dl.facts")).to_contain_text("Bill question")
    expect(page.locator("dl.facts")).to_contain_text("read by the model")
    page.select_option("#cr-reason", label="Card problem")
    page.get_by_role("button", name="Set reason").click()
    expect(page.locator("dl.facts")).to_contain_text("Card problem · set by staff")
    row = InteractionReason.objects.get(interaction=interaction)
    assert (row.reason.name if row.reason else None, row.source) == ("Card problem", "staff")
