"""Sentence vectors and the theme decisions built on them (engine code shared by every
encoder; the optional transformer encoder itself is exercised by the benchmark)."""

from __future__ import annotations

import numpy as np
import pytest

from beacon.insights.default import default_specs
from beacon.insights.engine import Example, ThemeModel, ThemeSpec, _theme_examples, decide
from beacon.insights.labels import key_of
from beacon.insights.vectors import MINILM, WORDS, available, encoder


def test_word_vectors_put_related_comments_close() -> None:
    vectors = encoder(WORDS).embed(
        ["there is no signal at my house", "poor reception in my area", "the waiter was rude", ""]
    )
    assert vectors.shape == (4, 256)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    # An empty comment has no direction at all rather than a made-up one.
    assert not vectors[3].any()
    sims = vectors[:3] @ vectors[:3].T
    assert sims[0, 1] > sims[0, 2] + 0.1
    assert sims[0, 1] > sims[1, 2] + 0.1


def test_encoders_are_named_and_the_default_is_installed() -> None:
    assert available(WORDS)
    assert encoder(WORDS) is encoder(WORDS)  # loaded once per process
    with pytest.raises(ValueError, match="unknown sentence encoder 'bert'"):
        encoder("bert")
    assert MINILM != WORDS


def test_decide_gives_an_unthemed_comment_its_best_theme_above_the_floor() -> None:
    scores = np.array(
        [
            [0.7, 0.1, 0.6],  # two themes reach the threshold
            [0.3, 0.2, 0.1],  # none does; the best clears the floor
            [0.1, 0.05, 0.0],  # none does and the best is under the floor
        ],
        dtype=np.float32,
    )
    assert decide(scores, 0.5, 0.25).tolist() == [
        [True, False, True],
        [True, False, False],
        [False, False, False],
    ]
    # Floor 1.0 is "never": only the threshold counts.
    assert decide(scores, 0.5, 1.0).tolist() == [
        [True, False, True],
        [False, False, False],
        [False, False, False],
    ]
    assert decide(np.zeros((2, 0), dtype=np.float32), 0.5, 0.1).shape == (2, 0)


def test_each_item_a_description_lists_is_an_example_of_its_own() -> None:
    spec = ThemeSpec("net", "Network coverage", "Signal strength, dropped calls and mobile data")
    texts = [e.text for e in _theme_examples([spec])]
    assert texts == [
        "Network coverage. Signal strength, dropped calls and mobile data",
        "Signal strength",
        "dropped calls",
        "mobile data",
    ]


def test_vectors_let_a_few_phrases_recognise_words_they_never_used() -> None:
    themes = [
        ThemeSpec("net", "Network coverage", "", ("no signal at home", "calls keep dropping")),
        ThemeSpec("staff", "Staff", "", ("the staff were rude", "friendly assistant")),
        ThemeSpec("price", "Price", "", ("too expensive", "good value for money")),
    ]
    examples = [Example("Loved the shop, nice people", {"staff": "positive"})]
    unseen = [
        "reception is terrible in my flat",
        "poor reception in the countryside",
        "my mobile internet is useless out of town",
        "4G vanishes on the train",
    ]

    def net_scores(weight: float) -> np.ndarray:
        model = ThemeModel(themes)
        model.features.vectors = weight
        model.fit(examples)
        scores: np.ndarray = model.predict(unseen)[:, 0]
        return scores

    with_vectors, without = net_scores(1.0), net_scores(0.0)
    assert (with_vectors > without).all()


def test_an_organisations_theme_maps_onto_the_default_model_by_name() -> None:
    keys = {spec.key for spec in default_specs()}
    assert key_of("Price & value") == key_of("price and  value") == "price and value"
    assert key_of("Price & value") in keys
    assert key_of("Network Coverage") in keys
