from __future__ import annotations

import pytest

from beacon.analytics.metrics import histogram
from beacon.contacts.actions import do_upsert_contact
from beacon.core.errors import ValidationFailed
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest, ingest_bulk
from beacon.responses.models import Answer, Response, ScoreRollup
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_invitation
from beacon.surveys.models import Invitation
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db


def _data(world: World, key: str = "k1", **kw) -> ResponseIn:
    kw.setdefault("answers", [AnswerIn(world.nps.pk, number=9)])
    return ResponseIn(survey=world.survey, idempotency_key=key, **kw)


@pytest.mark.parametrize(
    ("answer", "field", "message"),
    [
        (lambda w: AnswerIn(w.nps.pk, number=11), "answers[0].number", "between 0 and 10"),
        (lambda w: AnswerIn(w.csat.pk, number=0), "answers[0].number", "between 1 and 5"),
        (lambda w: AnswerIn(w.ces.pk, number=8), "answers[0].number", "between 1 and 7"),
        (lambda w: AnswerIn(999999, number=1), "answers[0].question_id", "no question 999999"),
        (lambda w: AnswerIn(w.nps.pk, text="nine"), "answers[0].number", "needs a score"),
        (lambda w: AnswerIn(w.comment.pk, text="x" * 20_001), "answers[0].text", "at most"),
        (lambda w: AnswerIn(w.comment.pk, number=3), "answers[0].number", "takes no score"),
    ],
)
def test_bad_answers_are_refused_naming_the_field(world: World, answer, field, message) -> None:
    with pytest.raises(ValidationFailed) as exc:
        ingest(_data(world, answers=[answer(world)]))
    assert message in exc.value.errors[field]
    assert Response.objects.count() == 0 and ScoreRollup.objects.count() == 0


def test_choice_questions_validate_their_choices(world: World) -> None:
    single = do_add_question(world.survey, QuestionIn("single", "Why?", choices=["a", "b"]))
    with pytest.raises(ValidationFailed) as exc:
        ingest(_data(world, answers=[AnswerIn(single.pk, choices=["c"])]))
    assert exc.value.errors == {"answers[0].choices": f"not a choice of question {single.pk}: 'c'"}
    with pytest.raises(ValidationFailed) as exc:
        ingest(_data(world, answers=[AnswerIn(single.pk, choices=["a", "b"])]))
    assert exc.value.errors == {"answers[0].choices": "pick exactly one choice"}


def test_another_organisations_question_is_unknown(world: World, other_world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        ingest(_data(world, answers=[AnswerIn(other_world.nps.pk, number=5)]))
    assert exc.value.errors == {
        "answers[0].question_id": f"no question {other_world.nps.pk} in this survey"
    }


def test_partial_answers_are_kept_and_changes_move_the_rollup(world: World) -> None:
    first = ingest(_data(world, complete=False, answers=[AnswerIn(world.nps.pk, number=3)]))
    assert first.created and first.changed and first.response.completed_at is None
    assert histogram(world.org, "nps") == {3: 1}
    changed = ingest(_data(world, complete=False, answers=[AnswerIn(world.nps.pk, number=8)]))
    assert not changed.created and changed.changed
    assert histogram(world.org, "nps") == {8: 1}
    ingest(_data(world, answers=[AnswerIn(world.comment.pk, text="fine")]))
    response = Response.objects.get()
    assert response.completed_at is not None
    assert set(Answer.objects.values_list("number", "text")) == {(None, "fine"), (8, "")}


def test_a_retry_after_completion_changes_nothing(world: World) -> None:
    ingest(_data(world, answers=[AnswerIn(world.nps.pk, number=3)]))
    again = ingest(_data(world, answers=[AnswerIn(world.nps.pk, number=10)]))
    assert (again.created, again.changed) == (False, False)
    assert Answer.objects.get().number == 3
    assert histogram(world.org, "nps") == {3: 1}


def test_required_question_must_be_answered_to_complete(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        ingest(_data(world, answers=[AnswerIn(world.csat.pk, number=4)]))
    assert exc.value.errors == {f"question {world.nps.pk}": "this question needs an answer"}
    assert Response.objects.count() == 0


def test_completing_an_invitation_uses_its_token(world: World) -> None:
    contact = do_upsert_contact(world.org, contact_in(1))
    invitation = do_create_invitation(world.survey, contact)
    ingest(_data(world, invitation=invitation))
    invitation = Invitation.objects.get(pk=invitation.pk)
    assert invitation.completed_at is not None
    assert Response.objects.get().contact_id == contact.pk


def test_bulk_ingest_skips_keys_already_stored_and_repeated(world: World) -> None:
    ingest(_data(world, key="a", answers=[AnswerIn(world.nps.pk, number=10)]))
    items = [
        _data(world, key="a", answers=[AnswerIn(world.nps.pk, number=0)]),
        _data(world, key="b", answers=[AnswerIn(world.nps.pk, number=6)]),
        _data(world, key="b", answers=[AnswerIn(world.nps.pk, number=6)]),
        _data(world, key="c", answers=[AnswerIn(world.nps.pk, number=9)]),
    ]
    created = ingest_bulk(items, historical=True)
    assert sorted(r.idempotency_key for r in created) == ["b", "c"]
    assert Response.objects.count() == 3
    assert histogram(world.org, "nps") == {10: 1, 6: 1, 9: 1}
    assert all(r.processed_at is not None for r in Response.objects.filter(idempotency_key="b"))


def test_bulk_ingest_is_all_or_nothing_on_bad_input(world: World) -> None:
    items = [
        _data(world, key="ok", answers=[AnswerIn(world.nps.pk, number=10)]),
        _data(world, key="bad", answers=[AnswerIn(world.nps.pk, number=12)]),
    ]
    with pytest.raises(ValidationFailed):
        ingest_bulk(items)
    assert Response.objects.count() == 0
