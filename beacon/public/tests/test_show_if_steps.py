"""Show-if on the respondent's steps: a follow-up not asked is skipped, counted out, and
an answer posted to it anyway is refused without storing anything."""

from __future__ import annotations

import pytest
from django.test import Client

from beacon.public.tests.helpers import answer, html, stored
from beacon.surveys.actions import QuestionIn, do_add_question
from beacon.testing import World

pytestmark = pytest.mark.django_db


def test_a_follow_up_is_asked_only_after_a_low_score(world: World) -> None:
    # Questions: NPS, CSAT, CES, comment, then "What went wrong?" after an NPS of at most 6.
    follow = do_add_question(
        world.survey,
        QuestionIn("text", "What went wrong?", show_if_question=world.nps, show_if_op="le",
                   show_if_value="6"),
    )  # fmt: skip
    prefix = f"/s/a/{world.survey.anonymous_token}/"
    client = Client()
    assert "Question 1 of 4" in html(client.get(prefix))
    assert answer(client, prefix, 1, world.nps, "9")["Location"] == f"{prefix}2/"
    for step, question in ((2, world.csat), (3, world.ces)):
        answer(client, prefix, step, question)
    page = client.get(f"{prefix}4/")
    assert "Question 4 of 4" in html(page) and ">Finish</button>" in html(page)
    # The follow-up's own address moves back to the last question asked.
    assert client.get(f"{prefix}5/")["Location"] == f"{prefix}4/"
    refused = answer(client, prefix, 5, follow, "Nothing")
    assert refused.status_code == 400
    assert "This answer was meant for a different question." in html(refused)
    assert follow.pk not in stored()
    # A low score asks it: step 4 is no longer the last.
    answer(client, prefix, 1, world.nps, "4")
    page = client.get(f"{prefix}4/")
    assert "Question 4 of 5" in html(page) and ">Next</button>" in html(page)
    assert answer(client, prefix, 4, world.comment, "")["Location"] == f"{prefix}5/"
    assert answer(client, prefix, 5, follow, "Slow")["Location"] == f"{prefix}thanks/"
    assert stored()[follow.pk] == (None, "Slow", [])
