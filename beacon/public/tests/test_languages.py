"""The respondent page speaks the invitation's, the contact's or the browser's language."""

from __future__ import annotations

import pytest
from django.test import Client

from beacon.public.tests.helpers import html, invite
from beacon.surveys.models import Invitation
from beacon.testing import World

pytestmark = pytest.mark.django_db


def translate(world: World) -> None:
    world.survey.translations = {
        "de": {"title": "Wie war es?"},
        "ar": {"title": "كيف كانت تجربتك؟"},
    }
    world.survey.save()
    world.nps.translations = {"de": {"text": "Wie wahrscheinlich empfehlen Sie uns?"},
                              "ar": {"text": "ما مدى احتمال أن توصي بنا؟"}}  # fmt: skip
    world.nps.save()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "Frage 1 von 4"),
        ("fr-CH, fr;q=0.9", "Question 1 sur 4"),
        ("es", "Pregunta 1 de 4"),
        ("nl-BE", "Vraag 1 van 4"),
        ("ja, en;q=0.4", "Question 1 of 4"),
        ("", "Question 1 of 4"),
    ],
)
def test_browser_language_chooses_page_strings(world: World, accept: str, expected: str) -> None:
    inv = invite(world)
    page = html(Client().get(f"/s/{inv.token}/", HTTP_ACCEPT_LANGUAGE=accept))
    assert expected in page


def test_survey_text_translated_and_invitation_language_wins(world: World) -> None:
    translate(world)
    inv = invite(world)
    Invitation.objects.filter(pk=inv.pk).update(language="de")
    page = html(Client().get(f"/s/{inv.token}/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert '<html lang="de" dir="ltr">' in page
    assert "<h1>Wie war es?</h1>" in page and "Wie wahrscheinlich empfehlen Sie uns?" in page
    assert "Überhaupt nicht wahrscheinlich" in page and ">Weiter<" in page


def test_right_to_left_survey_sets_dir_rtl(world: World) -> None:
    translate(world)
    inv = invite(world)
    page = html(Client().get(f"/s/{inv.token}/", HTTP_ACCEPT_LANGUAGE="ar"))
    assert '<html lang="ar" dir="rtl">' in page and "كيف كانت تجربتك؟" in page


def test_problem_and_unsubscribe_pages_are_translated(world: World) -> None:
    inv = invite(world)
    gone = Client().get("/s/not-a-token/", HTTP_ACCEPT_LANGUAGE="nl")
    assert gone.status_code == 404 and "We kunnen deze enquête niet vinden" in html(gone)
    page = Client().get(f"/s/u/{inv.token}/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Darse de baja de las encuestas" in html(page)
