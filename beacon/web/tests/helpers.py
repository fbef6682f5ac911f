"""Putting answers and cases in through the real entry points, for the page tests."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any

from django.test import Client

from beacon.contacts.actions import InteractionIn, do_record_interaction
from beacon.loop.actions import do_open_case_for
from beacon.loop.models import Case
from beacon.orgs.actions import do_add_member
from beacon.orgs.models import Membership, Role
from beacon.pipeline.actions import submit_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.models import Response
from beacon.testing import PASSWORD, World, contact_in

_keys = itertools.count(1)


def answer(
    world: World,
    *,
    nps: int | None = None,
    csat: int | None = None,
    ces: int | None = None,
    text: str = "",
    when: dt.datetime | None = None,
    persona: bool = True,
    team: bool = True,
) -> Response:
    """One completed response given after a phone-support call (stage "Get help").

    The interaction carries the team and touchpoint, the contact the persona, exactly as
    an integration would send them.
    """
    n = next(_keys)
    interaction = do_record_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(n, persona=world.persona if persona else None),
            idempotency_key=f"{world.org.slug}-call-{n}",
            touchpoint=world.touchpoint,
            team=world.team if team else None,
            staff=world.agent,
        ),
    ).interaction
    answers = [
        AnswerIn(q.pk, number=v)
        for q, v in ((world.nps, nps), (world.csat, csat), (world.ces, ces))
        if v is not None
    ]
    if text:
        answers.append(AnswerIn(world.comment.pk, text=text))
    result = submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key=f"{world.org.slug}-resp-{n}",
            answers=answers,
            interaction=interaction,
            responded_at=when,
        )
    )
    return result.response


def open_case(world: World, capture: Any = None, *, nps: int = 2, text: str = "Call me") -> Case:
    """A detractor's answer and the follow-up case it calls for.

    With `capture` (pytest-django's django_capture_on_commit_callbacks) the case opens the
    way it does in production: the pipeline's fan-out after commit, insights included.
    Without it, the loop's own action opens it directly, which keeps the many case-page
    tests fast (the fan-out trains a theme model on an organisation's first answer).
    """
    if capture is not None:
        with capture(execute=True):
            response = answer(world, nps=nps, text=text)
    else:
        response = answer(world, nps=nps, text=text)
        do_open_case_for(response)
    return Case.objects.get(response=response)


def add_viewer(world: World) -> Membership:
    return do_add_member(
        world.org,
        f"viewer@{world.org.slug}.test",
        role=Role.VIEWER,
        display_name="Vic Viewer",
        password=PASSWORD,
    )


def logged_in(member: Membership) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def page(client: Client, url: str, expect: int = 200, **params: Any) -> str:
    """The page's HTML, after checking the status code."""
    response = client.get(url, params)
    assert response.status_code == expect, (url, response.status_code)
    return response.content.decode()


def embedded_json(html: str, element_id: str) -> Any:
    """The data a page hands to its charts through Django's json_script."""
    match = re.search(
        rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no json_script with id {element_id}"
    return json.loads(match.group(1))
