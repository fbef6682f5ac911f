"""Theme detection: word presence weighed per theme, the folded heads, and models pickled
before word presence existed."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from beacon.insights.labels import Example, ThemeSpec
from beacon.insights.themefeatures import WordPresence, log_count_ratios
from beacon.insights.themes import Heads, ThemeModel

THEMES = [
    ThemeSpec("food", "Food", "Dishes, taste and the menu", ("the pizza was cold",)),
    ThemeSpec("staff", "Staff", "Waiters and service", ("our waiter was rude",)),
]
EXAMPLES = [
    Example("The soup was delicious", {"food": "positive"}),
    Example("Bland noodles and cold soup", {"food": "negative"}),
    Example("The waiter forgot our order", {"staff": "negative"}),
    Example("Friendly waiter, quick service", {"staff": "positive"}),
]


def test_word_presence_counts_each_word_once_and_scales_by_length() -> None:
    presence = WordPresence().fit(["soup soup good"])
    vocab = presence.vectorizer.vocabulary_
    row = presence.transform(["soup soup good"]).toarray()[0]
    # Four distinct 1-2 grams, each counted once: 1/sqrt(4 + 1).
    assert sorted(vocab) == ["good", "soup", "soup good", "soup soup"]
    assert row == pytest.approx([1 / np.sqrt(5.0)] * 4)


def test_log_count_ratios_favour_the_words_of_each_theme() -> None:
    # Words: 0 only with theme A, 1 only with theme B, 2 with both.
    present = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1]], dtype=np.float32))
    labels = np.array([[True, False], [True, False], [False, True]])
    ratios = log_count_ratios(present, labels, smoothing=1.0)
    # Theme A: inside counts 2,0,2 (+1: 3,1,3 of 7); outside 0,1,1 (+1: 1,2,2 of 5).
    expected_a = np.log(np.array([3 / 7, 1 / 7, 3 / 7]) / np.array([1 / 5, 2 / 5, 2 / 5]))
    assert ratios.shape == (2, 3)
    assert ratios[0] == pytest.approx(expected_a, rel=1e-6)
    assert ratios[0, 0] > 0 > ratios[0, 1]
    assert ratios[1, 1] > 0 > ratios[1, 0]


def test_heads_keep_a_theme_without_examples_constant() -> None:
    heads = Heads(
        weights=np.array([[2.0, 5.0], [0.0, 5.0]], dtype=np.float32),
        bias=np.array([-1.0, 0.0], dtype=np.float32),
        constant=np.array([np.nan, 0.0], dtype=np.float32),
    )
    scores = heads.scores(sp.csr_matrix(np.array([[1.0, 1.0], [0.0, 0.0]], dtype=np.float32)))
    assert scores[:, 0] == pytest.approx([1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(1.0))])
    assert scores[:, 1].tolist() == [0.0, 0.0]


def test_a_theme_model_reads_the_words_its_examples_taught() -> None:
    model = ThemeModel(THEMES).fit(EXAMPLES)
    scores = model.predict(["the soup was bland", "the waiter was friendly"])
    found = model.found(scores)
    assert found.tolist() == [[True, False], [False, True]]
    assert model.heads is not None
    assert model.heads.weights.shape == (
        model.features.transform(["x"]).shape[1] + model.presence.size,
        2,
    )


def test_a_theme_with_no_examples_and_no_words_scores_zero() -> None:
    # No name, description or phrase: nothing to learn from, so a constant 0.
    model = ThemeModel([*THEMES, ThemeSpec("parking", "")]).fit(EXAMPLES)
    assert model.predict(["where do I park", "cold soup"])[:, 2].tolist() == [0.0, 0.0]
