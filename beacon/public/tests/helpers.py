"""Building invitations and driving the respondent pages the way a browser does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from beacon.contacts.actions import InteractionIn, do_record_interaction, do_upsert_contact
from beacon.responses.models import Answer
from beacon.surveys.actions import do_create_invitation
from beacon.surveys.models import Invitation, Question
from beacon.testing import World, contact_in

Page = Any  # what the test client returns


def invite(world: World, n: int = 1) -> Invitation:
    contact = do_upsert_contact(world.org, contact_in(n))
    interaction = do_record_interaction(
        world.org,
        InteractionIn(contact=contact_in(n), idempotency_key=f"call-{n}",
                      touchpoint=world.touchpoint, team=world.team, staff=world.agent),
    ).interaction  # fmt: skip
    return do_create_invitation(world.survey, contact, interaction=interaction)


def step_url(prefix: str, step: int) -> str:
    return prefix if step == 1 else f"{prefix}{step}/"


def answer(client: Client, prefix: str, step: int, question: Question | int, *values: Any) -> Page:
    qid = question if isinstance(question, int) else question.pk
    return client.post(step_url(prefix, step), {"question": str(qid), "answer": list(values)})


def stored(**filters: Any) -> dict[int, tuple[int | None, str, list[str]]]:
    return {
        a.question_id: (a.number, a.text, a.choices)
        for a in Answer.objects.filter(**filters).order_by("question_id")
    }


def html(page: Page) -> str:
    return str(page.content.decode())
