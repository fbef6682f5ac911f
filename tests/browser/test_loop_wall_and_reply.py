"""The customer-facing side of the loop in a real browser: the public wall (also inside
another site's frame) and the reply page a customer reaches from a case email."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from beacon.loop.actions import do_open_case_for, do_reply_to_customer, reply_url
from beacon.loop.improvements import (
    ActionIn,
    do_create_action,
    do_publish_action,
    do_set_action_status,
)
from beacon.loop.models import CaseEvent, WallPost
from beacon.loop.sharing import (
    do_moderate_wall_post,
    do_record_survey_consent,
    do_set_wall,
    do_share_response,
)
from beacon.loop.tests.helpers import respond
from beacon.testing import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_wall_and_embed(world: World, live_server, page: Page) -> None:
    do_record_survey_consent(world.survey, "We may publish your comment without your name.")
    for n, text in ((1, "Fixed in one call <b>thanks</b>, mail jo@example.com"),
                    (2, "Still waiting, this must never appear")):  # fmt: skip
        do_share_response(respond(world, n, nps=9, comment=text))
    approved = WallPost.objects.get(response__contact__external_id="cust-1")
    do_moderate_wall_post(approved, approve=True, actor=world.owner, public_reply="Glad to help!")
    action = do_create_action(
        world.org.pk,
        ActionIn(title="Shorter hold times", source="driver", driver="waiting",
                 owner=world.stage_owner, deadline=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)),
    )  # fmt: skip
    do_set_action_status(action, "done", actor=world.stage_owner)
    do_publish_action(action, "Two more people answer at peak hours.", on_wall=True,
                      actor=world.stage_owner)  # fmt: skip
    do_set_wall(world.org.pk, enabled=True, embeddable=True, headline="Acme listens")

    page.goto(f"{live_server.url}/s/w/{world.org.slug}/")
    expect(page.get_by_role("heading", name="Acme listens")).to_be_visible()
    expect(page.get_by_text("Fixed in one call <b>thanks</b>, mail [email]")).to_be_visible()
    expect(page.get_by_text("Glad to help!")).to_be_visible()
    expect(page.get_by_text("Two more people answer at peak hours.")).to_be_visible()
    assert "jo@example.com" not in page.content()
    assert "Still waiting" not in page.content()

    # The embeddable variant loads inside another page's frame.
    page.set_content(
        f'<iframe title="wall" src="{live_server.url}/s/w/{world.org.slug}/embed/"'
        ' width="600" height="600"></iframe>'
    )
    frame = page.frame_locator("iframe")
    expect(frame.get_by_text("Glad to help!")).to_be_visible()


def test_customer_answers_a_case_reply(world: World, live_server, page: Page) -> None:
    case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    do_reply_to_customer(case, "We are sorry. Is the line working now?", actor=world.agent)
    url = reply_url(case).replace(settings.BASE_URL, live_server.url)

    page.goto(url)
    expect(page.get_by_text("We are sorry. Is the line working now?")).to_be_visible()
    page.get_by_role("button", name="Send").click()  # empty: the browser asks for text
    assert CaseEvent.objects.filter(case=case, kind="customer").count() == 0
    page.get_by_label("Your answer").fill("Yes <i>it works</i>, thank you")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you — your answer has reached the team.")
    expect(page.get_by_text("Yes <i>it works</i>, thank you")).to_be_visible()
    assert CaseEvent.objects.filter(case=case, kind="customer").get().body == (
        "Yes <i>it works</i>, thank you"
    )
