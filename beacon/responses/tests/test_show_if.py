"""Show-if rules at the one write path: answers to questions not asked are refused, and an
earlier answer a changed score hides is withdrawn with its count."""

from __future__ import annotations

import pytest

from beacon.analytics.metrics import histogram
from beacon.core.errors import ValidationFailed
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest, ingest_bulk
from beacon.responses.models import Answer, Response
from beacon.surveys.actions import QuestionIn, do_add_question
from beacon.surveys.models import Question
from beacon.testing import World

pytestmark = pytest.mark.django_db


def _follow_up(world: World) -> Question:
    """A CSAT asked (and required) only after an NPS of at most 6."""
    return do_add_question(
        world.survey,
        QuestionIn("csat", "How was the call?", required=True, show_if_question=world.nps,
                   show_if_op="le", show_if_value="6"),
    )  # fmt: skip


def _data(
    world: World, answers: list[AnswerIn], key: str = "k1", *, complete: bool = True
) -> ResponseIn:
    return ResponseIn(world.survey, idempotency_key=key, answers=answers, complete=complete)


def test_an_answer_to_a_question_not_asked_is_refused(world: World) -> None:
    follow = _follow_up(world)
    with pytest.raises(ValidationFailed) as exc:
        ingest(_data(world, [AnswerIn(world.nps.pk, number=9), AnswerIn(follow.pk, number=2)]))
    assert exc.value.errors == {
        "answers[1].question_id": f"question {follow.pk} is not asked: its show-if condition "
        "is not met"
    }
    assert not Response.objects.exists()
    # A required follow-up is required only when asked.
    done = ingest(_data(world, [AnswerIn(world.nps.pk, number=9)]))
    assert done.response.completed_at is not None
    with pytest.raises(ValidationFailed) as exc:
        ingest(_data(world, [AnswerIn(world.nps.pk, number=4)], key="k2"))
    assert exc.value.errors == {f"question {follow.pk}": "this question needs an answer"}


def test_a_changed_score_withdraws_the_follow_up_it_no_longer_asks(world: World) -> None:
    follow = _follow_up(world)
    ingest(_data(world, [AnswerIn(world.nps.pk, number=3)], complete=False))
    ingest(_data(world, [AnswerIn(follow.pk, number=2)], complete=False))
    assert histogram(world.org, "csat") == {2: 1}
    # Step by step, the follow-up alone is judged with the stored score: asked.
    assert Answer.objects.filter(question=follow).count() == 1
    ingest(_data(world, [AnswerIn(world.nps.pk, number=9)]))
    response = Response.objects.get()
    assert response.completed_at is not None
    assert list(Answer.objects.values_list("question_id", "number")) == [(world.nps.pk, 9)]
    assert histogram(world.org, "csat") == {}
    assert histogram(world.org, "nps") == {9: 1}
    # An answer to it now is refused, and changes nothing.
    with pytest.raises(ValidationFailed):
        ingest(_data(world, [AnswerIn(follow.pk, number=2)], key="k3", complete=False))


def test_a_rule_on_a_choice_and_the_bulk_path(world: World) -> None:
    plan = do_add_question(world.survey, QuestionIn("multi", "Plans?", choices=["Basic", "Pro"]))
    why = do_add_question(
        world.survey,
        QuestionIn("text", "Why Pro?", show_if_question=plan, show_if_op="picked",
                   show_if_value="Pro"),
    )  # fmt: skip
    nps = AnswerIn(world.nps.pk, number=9)
    both = AnswerIn(plan.pk, choices=["Basic", "Pro"])
    good = [
        _data(world, [nps, both, AnswerIn(why.pk, text="Speed")], key="a"),
        _data(world, [nps, AnswerIn(plan.pk, choices=["Basic"])], key="b"),
    ]
    assert len(ingest_bulk(good)) == 2
    bad = [_data(world, [nps, AnswerIn(plan.pk, choices=["Basic"]), AnswerIn(why.pk, text="x")],
                 key="c")]  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        ingest_bulk(bad)
    message = f"question {why.pk} is not asked: its show-if condition is not met"
    assert exc.value.errors == {"answers[2].question_id": message}
    assert Response.objects.count() == 2
    assert list(Answer.objects.filter(question=why).values_list("text", flat=True)) == ["Speed"]
