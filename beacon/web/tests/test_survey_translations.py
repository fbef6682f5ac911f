"""The translations screen: every text of a survey per language, and which are complete."""

from __future__ import annotations

import pytest
from django.test import Client

from beacon.surveys.actions import QuestionIn, do_add_question
from beacon.testing import World
from beacon.web.tests.helpers import logged_in

pytestmark = pytest.mark.django_db


def _form(world: World, shop_pk: int, **changes: str) -> dict[str, str]:
    data = {
        "language": "de",
        "survey_title": "Wie war es?",
        "survey_thank_you": "Danke!",
        f"q{world.nps.pk}_text": "Wie wahrscheinlich empfehlen Sie uns weiter?",
        f"q{world.csat.pk}_text": "Wie zufrieden waren Sie mit dem Anruf?",
        f"q{world.ces.pk}_text": "Wie einfach war es?",
        f"q{world.comment.pk}_text": "Was ist der Hauptgrund?",
        f"q{shop_pk}_text": "Welche Filiale?",
        f"q{shop_pk}_choices": "Nord\r\nSüd\r\n",
    }
    data.update(changes)
    return data


def test_translations_are_entered_shown_complete_and_reach_the_respondent(world: World) -> None:
    shop = do_add_question(world.survey, QuestionIn("single", "Which shop?", choices=["N", "S"]))
    client = logged_in(world.owner)
    url = f"/surveys/{world.survey.pk}/translations/"
    before = client.get(url).content.decode()
    for code in ("en", "de", "fr", "es", "nl"):
        assert f'<a href="?language={code}"' in before
    assert before.count("0 / 8") == 5 and "Not started" in before
    assert "Original: Which shop?" in before and "Original: N<br>S" in before
    saved = client.post(url, _form(world, shop.pk))
    assert saved.status_code == 302 and saved["Location"] == f"{url}?language=de"
    world.survey.refresh_from_db()
    shop.refresh_from_db()
    assert world.survey.translations == {"de": {"title": "Wie war es?", "thank_you": "Danke!"}}
    assert shop.translations == {"de": {"text": "Welche Filiale?", "choices": ["Nord", "Süd"]}}
    after = client.get(f"{url}?language=de").content.decode()
    assert after.count("8 / 8") == 1 and "Complete" in after
    assert 'value="Welche Filiale?"' in after and ">Nord\nSüd</textarea>" in after
    # Half a language is shown as such, with what is missing.
    partial = client.post(url, {"language": "fr", "survey_title": "Comment était-ce ?"})
    assert partial.status_code == 302
    page = client.get(url).content.decode()
    assert "1 / 8" in page and "Partial" in page and "survey thank you, question 1 text" in page
    # The respondent page speaks German to a German browser.
    survey_page = Client().get(
        f"/s/a/{world.survey.anonymous_token}/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"
    )
    assert "<h1>Wie war es?</h1>" in survey_page.content.decode()


def test_bad_translations_show_the_form_again_and_save_nothing(world: World) -> None:
    shop = do_add_question(world.survey, QuestionIn("single", "Which shop?", choices=["N", "S"]))
    client = logged_in(world.owner)
    url = f"/surveys/{world.survey.pk}/translations/"
    bad = client.post(
        url,
        _form(
            world, shop.pk, **{f"q{shop.pk}_choices": "Nord", f"q{world.ces.pk}_text": "x" * 501}
        ),
    )
    html = bad.content.decode()
    assert bad.status_code == 400 and "Nothing was saved" in html
    assert "question 5 choices: must list 2 labels, one per choice" in html
    assert "question 3 text: must be at most 500 characters" in html
    assert f'id="q{shop.pk}_choices-error">must list 2 labels' in html
    assert 'value="Wie war es?"' in html  # what was typed is kept
    world.survey.refresh_from_db()
    shop.refresh_from_db()
    assert world.survey.translations == {} and shop.translations == {}
    code = client.post(url, {"language": "german!", "survey_title": "x"})
    assert code.status_code == 400 and "must be a language code" in code.content.decode()


def test_translations_of_another_organisation_or_role_are_refused(
    world: World, other_world: World
) -> None:
    url = f"/surveys/{world.survey.pk}/translations/"
    assert logged_in(other_world.owner).get(url).status_code == 404
    agent = logged_in(world.agent)
    assert agent.get(url).status_code == 200
    assert agent.post(url, {"language": "de", "survey_title": "x"}).status_code == 403
    world.survey.refresh_from_db()
    assert world.survey.translations == {}
