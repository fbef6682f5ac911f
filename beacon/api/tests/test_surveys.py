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
    why = do_add_question(
        draft,
        QuestionIn(
            "text", "Why Basic?", show_if_question=plan, show_if_op="picked", show_if_value="Basic"
        ),
    )
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
                     "scale": {"low": 0, "high": 10}, "show_if": None},
                    {"id": world.csat.pk, "kind": "csat", "required": False, "choices": [],
                     "text": "How satisfied were you with the call?",
                     "scale": {"low": 1, "high": 5}, "show_if": None},
                    {"id": world.ces.pk, "kind": "ces", "required": False, "choices": [],
                     "text": "How easy was it to get your issue solved?",
                     "scale": {"low": 1, "high": 7}, "show_if": None},
                    {"id": world.comment.pk, "kind": "text", "required": False, "choices": [],
                     "text": "What is the main reason for your score?", "scale": None,
                     "show_if": None},
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
                     "choices": ["Basic", "Pro"], "text": "Which plan?", "scale": None,
                     "show_if": None},
                    {"id": stars.pk, "kind": "rating", "required": False, "choices": [],
                     "text": "Stars?", "scale": {"low": 1, "high": 10}, "show_if": None},
                    {"id": why.pk, "kind": "text", "required": False, "choices": [],
                     "text": "Why Basic?", "scale": None,
                     "show_if": {"question_id": plan.pk, "op": "picked", "value": "Basic"}},
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


def test_an_answer_to_a_question_not_asked_is_refused(api: Api, world: World) -> None:
    """Show-if: the follow-up is asked only after a score of at most 6."""
    survey = do_create_survey(world.org, "Follow-up", "How likely?")
    nps = do_add_question(survey, QuestionIn("nps", "How likely?", required=True))
    why = do_add_question(survey, QuestionIn("text", "What went wrong?", required=True,
                                             show_if_question=nps, show_if_op="le",
                                             show_if_value="6"))  # fmt: skip
    answers = [{"question_id": nps.pk, "number": 9}, {"question_id": why.pk, "text": "Nothing"}]
    bad = api.post("/responses", {**response_body(world, answers=answers), "survey_id": survey.pk})
    assert bad.status_code == 422
    assert fields(bad) == {
        "answers.1.question_id": f"question {why.pk} is not asked: its show-if condition is not met"
    }
    # Not asked, so not required either: the score alone completes the response.
    answers = [{"question_id": nps.pk, "number": 9}]
    ok = api.post("/responses", {**response_body(world, answers=answers), "survey_id": survey.pk})
    assert ok.status_code == 201, ok.content
    answers = [{"question_id": nps.pk, "number": 4}, {"question_id": why.pk, "text": "Slow"}]
    low = api.post(
        "/responses", {**response_body(world, key="2", answers=answers), "survey_id": survey.pk}
    )
    assert low.status_code == 201, low.content
    assert [a["question_id"] for a in low.json()["answers"]] == [nps.pk, why.pk]
