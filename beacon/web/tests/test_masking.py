"""Analysts and viewers see personal data masked everywhere: in search, and on the case
page (the customer's contact details and what they wrote)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from beacon.insights.tests.test_pages import add_analyst
from beacon.loop.actions import do_open_case_for, do_reassign
from beacon.loop.models import Case
from beacon.orgs.models import Membership
from beacon.pipeline.processing import process_response
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, answer, logged_in, page

pytestmark = pytest.mark.django_db

PHONE_COMMENT = "Nobody called me back on 07700 900123, please ring"


def _shown(html: str) -> bool:
    return "Nobody called me back" in html


def test_analysts_and_viewers_cannot_find_comments_by_masked_personal_data(
    world: World,
) -> None:
    # The worker's step after commit: the comment read, and stored masked.
    process_response(answer(world, nps=2, text=PHONE_COMMENT).pk)
    for member in (add_analyst(world), add_viewer(world)):
        client = logged_in(member)
        assert not _shown(page(client, "/verbatims/", q="07700"))
        assert not _shown(page(client, "/verbatims/", q="900123"))
        found = page(client, "/verbatims/", q="called me back")
        assert _shown(found) and "07700" not in found and "[phone]" in found
    agent = page(logged_in(world.agent), "/verbatims/", q="07700")
    assert _shown(agent) and "07700 900123" in agent


def _case_page(world: World, member: Membership) -> str:
    response = answer(world, nps=1, text=PHONE_COMMENT)
    case = do_open_case_for(response)
    assert case is not None and case.contact is not None
    return page(logged_in(member), f"/cases/{case.pk}/")


def test_the_case_page_masks_contact_details_for_analysts(world: World) -> None:
    html = _case_page(world, add_analyst(world))
    assert "@example.com" not in html and "mailto:" not in html
    # The title names the customer for those who see them ("Customer 1 gave NPS 1 ...").
    assert "Customer " not in html and "<h1>the customer gave NPS 1 on" in html
    assert "07700" not in html and "[phone]" in html
    assert "Hidden for your role" in html


def test_the_cases_list_and_its_export_mask_customers_names_for_analysts(world: World) -> None:
    html = _case_page(world, world.agent)  # opens the case; the agent sees the name
    name = re.findall(r"<h1>(Customer \d+) gave NPS 1 on", html)[0]
    analyst_member = add_analyst(world)
    analyst = logged_in(analyst_member)
    listed = page(analyst, "/cases/")
    assert name not in listed and "the customer gave NPS 1 on" in listed
    exported = b"".join(analyst.get("/exports/cases.csv").streaming_content).decode()  # type: ignore[attr-defined]
    assert name not in exported and "the customer gave NPS 1 on" in exported
    assert f"{name} gave NPS 1 on" in page(logged_in(world.agent), "/cases/")
    # An analyst who owns the case sees it masked on My work too.
    do_reassign(Case.objects.get(), analyst_member, "covering", actor=world.owner)
    mine = page(analyst, "/me/")
    assert name not in mine and "the customer gave NPS 1 on" in mine


def test_the_case_page_shows_contact_details_to_agents(world: World) -> None:
    html = _case_page(world, world.agent)
    assert "mailto:" in html and "07700 900123" in html
    assert "Hidden for your role" not in html


def test_the_verbatim_export_searches_what_the_viewer_is_shown(world: World) -> None:
    """An analyst's export finds nothing by the masked phone number; an admin's finds it."""
    process_response(answer(world, nps=2, text=PHONE_COMMENT).pk)
    analyst = _csv(logged_in(add_analyst(world)), {"q": "900123"})
    assert analyst.strip().count("\n") == 0  # the header only
    admin = _csv(logged_in(world.stage_owner), {"q": "900123"})
    assert admin.strip().count("\n") == 1 and "07700 900123" in admin


def _csv(client: Any, params: dict[str, str]) -> str:
    response = client.get("/exports/verbatims.csv", params)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()
