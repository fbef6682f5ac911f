"""GET /surveys."""

from __future__ import annotations

import pytest

from beacon.api.tests.conftest import Api, fields, response_body
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey
from beacon.testing import World

pytestmark = pytest.mark.django_db


def test_lists_surveys_with_questions(api: Api, world: World) -> None:
    draft = do_create_survey(world.org, "Onboarding", "Welcome aboard?")
    plan = do_add_question(draft, QuestionIn("single", "Which plan?", choices=["Basic", "Pro"]))
    stars = do_add_question(draft, QuestionIn("rating", "Stars?", scale_min=1, scale_max=10))
    r = api.get("/surveys")
    assert r.status_code == 200
    assert r.json() == {
        "items": [
            {
                "id": world.survey.pk,
                "name": "Support follow-up",
                "title": "How did we do?",
                "status": "active",
                "touchpoint_ids": [world.touchpoint.pk],
                "questions": [
                    {"id": world.nps.pk, "kind": "nps", "required": True, "choices": [],
                     "text": "How likely are you to recommend us?",
                     "scale": {"low": 0, "high": 10}},
                    {"id": world.csat.pk, "kind": "csat", "required": False, "choices": [],
                     "text": "How satisfied were you with the call?",
                     "scale": {"low": 1, "high": 5}},
                    {"id": world.ces.pk, "kind": "ces", "required": False, "choices": [],
                     "text": "How easy was it to get your issue solved?",
                     "scale": {"low": 1, "high": 7}},
                    {"id": world.comment.pk, "kind": "text", "required": False, "choices": [],
                     "text": "What is the main reason for your score?", "scale": None},
                ],
            },
            {
                "id": draft.pk,
                "name": "Onboarding",
                "title": "Welcome aboard?",
                "status": "draft",
                "touchpoint_ids": [],
                "questions": [
                    {"id": plan.pk, "kind": "single", "required": False,
                     "choices": ["Basic", "Pro"], "text": "Which plan?", "scale": None},
                    {"id": stars.pk, "kind": "rating", "required": False, "choices": [],
                     "text": "Stars?", "scale": {"low": 1, "high": 10}},
                ],
            },
        ]
    }  # fmt: skip


def test_choice_answers_are_checked_against_the_listed_choices(api: Api, world: World) -> None:
    survey = do_create_survey(world.org, "Plans", "Which plan?")
    plan = do_add_question(survey, QuestionIn("single", "Which plan?", choices=["Basic", "Pro"]))
    answers = [{"question_id": plan.pk, "choices": ["Pro"]}]
    ok = api.post("/responses", {**response_body(world, answers=answers), "survey_id": survey.pk})
    assert ok.status_code == 201, ok.content
    assert ok.json()["answers"] == [
        {"question_id": plan.pk, "number": None, "text": "", "choices": ["Pro"]}
    ]
    answers = [{"question_id": plan.pk, "choices": ["Gold"]}]
    bad = api.post(
        "/responses", {**response_body(world, key="2", answers=answers), "survey_id": survey.pk}
    )
    assert fields(bad) == {"answers.0.choices": f"not a choice of question {plan.pk}: 'Gold'"}
