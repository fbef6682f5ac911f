"""Theme sentiment: aspect attention (aspects.py) and the sentiment model that reads it."""

from __future__ import annotations

import itertools
import pickle
import random
from collections import Counter

import numpy as np
import pytest

from beacon.insights.aspects import (
    TAU,
    attention,
    learn_relevance,
    parse,
    weighted_bag,
    weighted_lexicon,
)
from beacon.insights.labels import OVERALL
from beacon.insights.sentiment import SentimentModel
from beacon.insights.vectors import WORDS, available

needs_vectors = pytest.mark.skipif(not available(WORDS), reason="wordllama not installed")

FOOD = ["the pasta", "the soup", "the pizza", "the dessert", "the curry", "the salad"]
STAFF = ["the waiter", "our server", "the hostess", "the waitress", "the manager"]
GOOD = ["was great", "was lovely", "was excellent", "was superb"]
BAD = ["was rude", "was awful", "was terrible", "was horrible"]


def _corpus() -> list[tuple[str, str, str]]:
    """Comments about food or staff alone, and two-clause comments whose food and staff
    opinions differ (which comes first, and which is good, chosen at random)."""
    rng = random.Random(7)
    pairs: list[tuple[str, str, str]] = []
    for thing, key in [*((f, "food") for f in FOOD), *((s, "staff") for s in STAFF)]:
        pairs += [(f"{thing} {g}.", key, "positive") for g in rng.sample(GOOD, 2)]
        pairs += [(f"{thing} {b}.", key, "negative") for b in rng.sample(BAD, 2)]
    for food, staff, good, bad in itertools.product(FOOD, STAFF, GOOD, BAD):
        if rng.random() < 0.7:
            continue
        food_good = rng.random() < 0.5
        said = {"food": f"{food} {good if food_good else bad}"}
        said["staff"] = f"{staff} {bad if food_good else good}"
        first, second = ("food", "staff") if rng.random() < 0.5 else ("staff", "food")
        text = f"{said[first]} but {said[second]}."
        pairs.append((text, "food", "positive" if food_good else "negative"))
        pairs.append((text, "staff", "negative" if food_good else "positive"))
    pairs += [("we loved it.", OVERALL, "positive"), ("never again.", OVERALL, "negative")]
    return pairs


def test_parse_marks_negation_up_to_and_and_counts_clauses() -> None:
    p = parse("The soup was not hot and the bread was fresh, but slow service")
    assert p.words == [
        "the",
        "soup",
        "was",
        "not",
        "hot",
        "and",
        "the",
        "bread",
        "was",
        "fresh",
        "but",
        "slow",
        "service",
    ]
    assert p.marked[3:8] == ["not", "NOT_hot", "and", "the", "bread"]
    assert p.clause.tolist() == [0] * 10 + [2, 2, 2]


def test_learned_theme_words_leave_out_words_of_other_themes() -> None:
    themes_of: dict[str, set[str]] = {}
    for text, key, _ in _corpus():
        themes_of.setdefault(text, set())
        if key != OVERALL:
            themes_of[text].add(key)
    # Comments about neither theme: without them every word would point at both.
    for i in range(6):
        themes_of[f"we came back on day {i} and parked nearby"] = set()
    relevance = learn_relevance(themes_of)
    assert set(relevance) == {"food", "staff"}
    assert {"soup", "pizza", "curry"} <= set(relevance["food"])
    assert {"waiter", "hostess", "manager"} <= set(relevance["staff"])
    assert not {"waiter", "hostess", "manager", "the", "was"} & set(relevance["food"])


def test_learn_relevance_without_enough_text_learns_nothing() -> None:
    assert learn_relevance({}) == {}
    assert learn_relevance({"one comment": {"food"}}) == {}
    assert learn_relevance({"a b": {"food"}, "c d": set()}) == {}


def test_attention_decays_with_distance_and_across_clauses() -> None:
    p = parse("soup was cold but waiter was kind")
    weights = attention(p, {"waiter": 1.0})
    assert weights is not None
    assert weights.tolist() == pytest.approx(
        [
            float(np.exp(-(d + (4 if i < 3 else 0)) / TAU))
            for i, d in enumerate([4, 3, 2, 1, 0, 1, 2])
        ]
    )
    assert weights[6] > weights[2]  # 'kind' (same clause) outweighs 'cold'
    assert attention(p, {"price": 1.0}) is None


def test_weighted_features_follow_the_attention() -> None:
    p = parse("soup was awful but waiter was lovely")
    weights = attention(p, {"waiter": 1.0})
    assert weights is not None
    bag = weighted_bag(p, weights, "staff")
    assert bag["w:lovely"] > bag["w:awful"]
    assert bag["t:staff:waiter"] == 1.0
    assert "p:awful but" not in bag  # word pairs stay inside a clause
    counts = Counter(f"t:__overall__:{w}" for w in p.marked)
    assert weighted_bag(p, None, OVERALL) == {"__overall__": 1.0, **counts}
    pos, neg, _, _, balance = weighted_lexicon(p.marked, weights)
    assert pos > neg
    assert balance == pytest.approx(pos - neg)
    assert weighted_lexicon(p.marked, np.zeros(len(p.marked))) == [0.0, 0.0, 0.0, 0.0, 0.0]


@needs_vectors
def test_one_comment_two_themes_two_opinions() -> None:
    model = SentimentModel().fit(_corpus(), {})
    comments = [
        ("the lasagna was superb but our server was awful.", "food"),
        ("the lasagna was superb but our server was awful.", "staff"),
        ("the curry was horrible but the waitress was lovely.", "food"),
        ("the curry was horrible but the waitress was lovely.", "staff"),
    ]
    assert [p for p, _ in model.predict(comments, {})] == [
        "positive",
        "negative",
        "negative",
        "positive",
    ]
    # Survives a pickle round trip, as a trained model is stored.
    again = pickle.loads(pickle.dumps(model))  # noqa: S301 - our own bytes
    assert again.predict(comments, {}) == model.predict(comments, {})


@needs_vectors
def test_theme_without_labeled_comments_uses_its_own_words() -> None:
    model = SentimentModel().fit(_corpus(), {})
    indicative = {"price": frozenset({"bill", "great"})}
    # 'great' is a sentiment word, so only 'bill' places the theme.
    assert model._theme_words("price", indicative) == {"bill": 1.0}
    assert model.predict([("the bill was awful.", "price")], indicative)[0][0] == "negative"


def test_one_polarity_only_gives_it_for_everything() -> None:
    model = SentimentModel().fit([("nice food", "food", "positive")], {})
    assert model.predict([("awful", "food"), ("bad", OVERALL)], {}) == [
        ("positive", 1.0),
        ("positive", 1.0),
    ]
    assert model.predict([], {}) == []
