"""Survey and question texts per language."""

from __future__ import annotations

import pytest

from beacon.core.errors import ValidationFailed
from beacon.surveys.actions import (
    QuestionIn,
    do_add_question,
    do_translate_question,
    do_translate_survey,
)
from beacon.testing import World

pytestmark = pytest.mark.django_db


def test_translations_are_stored_checked_and_removable(world: World) -> None:
    do_translate_survey(world.survey, "DE", {"title": "Wie war es?", "intro": " "})
    assert world.survey.translations == {"de": {"title": "Wie war es?"}}
    shop = do_add_question(world.survey, QuestionIn("single", "Which shop?", choices=["N", "S"]))
    do_translate_question(shop, "fr", {"text": "Quel magasin ?", "choices": ["Nord", "Sud"]})
    assert shop.translations == {"fr": {"text": "Quel magasin ?", "choices": ["Nord", "Sud"]}}
    with pytest.raises(ValidationFailed) as err:
        do_translate_question(shop, "fr", {"choices": ["Nord"], "colour": "x"})
    assert set(err.value.errors) == {"texts.choices", "texts.colour"}
    with pytest.raises(ValidationFailed) as err:
        do_translate_survey(world.survey, "german!", {"title": "x"})
    assert set(err.value.errors) == {"language"}
    do_translate_survey(world.survey, "de", {})
    assert world.survey.translations == {}
