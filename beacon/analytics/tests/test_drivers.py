from __future__ import annotations

import numpy as np
import pytest

from beacon.analytics import drivers
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest_bulk
from beacon.surveys.actions import QuestionIn, do_add_question
from beacon.testing import World


def test_relative_weights_recover_known_shares_of_variance() -> None:
    rng = np.random.default_rng(7)
    n = 20_000
    x = rng.normal(size=(n, 3))
    # Independent predictors: each one's true share of variance is b² / total variance.
    y = 3 * x[:, 0] + 2 * x[:, 1] + 1 * x[:, 2] + rng.normal(scale=2, size=n)
    weights, low, high = drivers.analyse(x, y, samples=50)
    truth = np.array([9, 4, 1]) / 18
    assert list(np.argsort(-weights)) == [0, 1, 2]
    assert weights == pytest.approx(truth, abs=0.02)
    assert np.all(low <= truth + 0.01) and np.all(truth - 0.01 <= high)
    assert weights.sum() == pytest.approx(14 / 18, abs=0.02)


def test_correlated_predictors_share_the_credit_but_keep_their_order() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    common = rng.normal(size=n)
    x = np.column_stack([common + rng.normal(size=n) for _ in range(3)])
    y = 2 * x[:, 0] + 1 * x[:, 1] + 0 * x[:, 2] + rng.normal(size=n)
    weights = drivers.relative_weights(x, y)
    design = np.column_stack([x, np.ones(n)])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r2 = 1 - np.var(y - fitted) / np.var(y)
    assert list(np.argsort(-weights)) == [0, 1, 2]
    assert weights.sum() == pytest.approx(r2, abs=0.01)
    # The third question has no effect of its own but shares the common factor.
    assert 0 < weights[2] < weights[1]


@pytest.mark.django_db
def test_key_drivers_of_a_survey_from_stored_answers(world: World) -> None:
    rating = do_add_question(
        world.survey,
        QuestionIn("rating", "How knowledgeable was the agent?", scale_min=1, scale_max=5),
    )
    rng = np.random.default_rng(11)
    items = []
    for i in range(600):
        csat, ces, knows = (
            int(v) for v in (rng.integers(1, 6), rng.integers(1, 8), rng.integers(1, 6))
        )
        raw = 5 + 1.6 * (csat - 3) + 0.5 * (knows - 3) + rng.normal(scale=1.0)
        nps = int(np.clip(round(raw), 0, 10))
        scores = [(world.nps, nps), (world.csat, csat), (world.ces, ces), (rating, knows)]
        answers = [AnswerIn(q.pk, number=v) for q, v in scores]
        items.append(ResponseIn(survey=world.survey, idempotency_key=f"d{i}", answers=answers))
    ingest_bulk(items, historical=True)
    result = drivers.key_drivers(world.org, world.survey.pk, samples=40)
    assert result.enough and result.n == 600
    assert [d.question_id for d in result.drivers] == [world.csat.pk, rating.pk, world.ces.pk]
    top, agent, easy = result.drivers
    assert top.weight > 0.6 and 0.03 < agent.weight < 0.15 and easy.weight < 0.01
    assert top.low <= top.weight <= top.high


@pytest.mark.django_db
def test_too_few_answers_give_no_drivers(world: World) -> None:
    result = drivers.key_drivers(world.org, world.survey.pk)
    assert (result.enough, result.n, result.drivers) == (False, 0, [])
