"""Sentiment of one theme in one comment (and of the whole comment: the theme 'overall').

Each word of the comment is weighted by how close it stands to the words that point at
the theme (aspects.py: learned per theme, with clause boundaries counting as distance), so
"the food was great but the waiter was rude" reads positive for food and negative for
staff. One multinomial logistic regression over positive / negative / neutral / mixed,
shared by all themes, reads the whole comment (word and character n-grams, lexicon
valences, its sentence vector) beside the theme's attention-weighted words, word pairs,
theme-tagged words, lexicon valences (near the theme and elsewhere) and word vectors.

A model stored by an older engine is never read with this code: it is retrained
(actions.theme_model_for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import DictVectorizer  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfTransformer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from beacon.insights.aspects import (
    Parsed,
    attention,
    learn_relevance,
    parse,
    weighted_bag,
    weighted_lexicon,
)
from beacon.insights.features import (
    _NEGATORS,
    _STOP,
    LEXICON_SCALE,
    SENTIMENT_VECTOR_WEIGHT,
    _char_vectorizer,
    _word_vectorizer,
    lexicon_features,
    sentiment_lexicon,
    vector_block,
)
from beacon.insights.labels import OVERALL
from beacon.insights.vectors import DIM, WORDS, encoder

_NO_VALENCE = [0.0] * 10  # weighted_lexicon near the theme and elsewhere, no theme word


@dataclass
class _Rows:
    """One row per (comment, theme) pair; comment-level features are computed once."""

    raw: list[str]
    whole: list[str]  # negation-marked words of the comment
    bags: list[dict[str, float]]
    valence: list[list[float]]
    pooled: list[tuple[list[str], np.ndarray[Any, Any]] | None]


def _fallback_words(indicative: frozenset[str]) -> dict[str, float]:
    """A theme nothing was learned for (no labeled comments yet) is found by its own
    words, less the sentiment words that would pull in every opinion of the comment."""
    lexicon = sentiment_lexicon()
    return {
        w: 1.0 for w in indicative if w not in lexicon and w not in _STOP and w not in _NEGATORS
    }


def _pooled_vectors(pooled: Sequence[tuple[list[str], np.ndarray[Any, Any]] | None]) -> Any:
    """Attention-weighted mean of the word vectors (unit length; zeros without a theme
    word). Always the default install's word vectors: a word at a time is cheap there."""
    words = list(dict.fromkeys(w for p in pooled if p is not None for w in p[0]))
    out = np.zeros((len(pooled), DIM), dtype=np.float32)
    if not words:
        return out
    index = {w: i for i, w in enumerate(words)}
    table = encoder(WORDS).embed(words)
    for r, p in enumerate(pooled):
        if p is None:
            continue
        v = p[1].astype(np.float32) @ table[[index[w] for w in p[0]]]
        out[r] = v / max(float(np.linalg.norm(v)), 1e-6)
    return out


class SentimentModel:
    """Polarity of one theme in one comment (the theme 'overall' for the whole comment)."""

    def __init__(self, C: float = 2.0, encoder: str = WORDS) -> None:
        self.C = C
        self.encoder = encoder
        self.whole = _word_vectorizer((1, 3))
        self.chars = _char_vectorizer()
        self.bags = DictVectorizer(dtype=np.float32)
        self.bag_idf = TfidfTransformer()
        self.relevance: dict[str, dict[str, float]] = {}
        self.clf: LogisticRegression | None = None
        self.constant = "neutral"
        self.vectors = SENTIMENT_VECTOR_WEIGHT

    # --- aspect attention -------------------------------------------------------------

    def _theme_words(self, key: str, indicative: dict[str, frozenset[str]]) -> dict[str, float]:
        learned = self.relevance.get(key)
        if learned is not None:
            return learned
        return _fallback_words(indicative.get(key, frozenset()))

    def _rows(
        self, pairs: Sequence[tuple[str, str]], indicative: dict[str, frozenset[str]]
    ) -> _Rows:
        rows = _Rows([], [], [], [], [])
        parsed: dict[str, Parsed] = {}
        words: dict[str, dict[str, float]] = {}
        for text, key in pairs:
            p = parsed.get(text)
            if p is None:
                p = parsed[text] = parse(text)
            weights = None
            if key != OVERALL:
                if key not in words:
                    words[key] = self._theme_words(key, indicative)
                weights = attention(p, words[key])
            rows.raw.append(text)
            rows.whole.append(" ".join(p.marked))
            rows.bags.append(weighted_bag(p, weights, key))
            if weights is None:
                rows.valence.append(_NO_VALENCE)
                rows.pooled.append(None)
            else:
                near = weighted_lexicon(p.marked, weights)
                rows.valence.append(near + weighted_lexicon(p.marked, 1.0 - weights))
                rows.pooled.append((p.words, weights))
        return rows

    def _bag_counts(self, bags: Sequence[dict[str, float]]) -> sp.csr_matrix:
        """DictVectorizer.transform's result, built straight from its vocabulary: its own
        transform checks each value's type and costs as much as the rest of this model."""
        vocabulary: dict[str, int] = self.bags.vocabulary_
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for bag in bags:
            for name, value in bag.items():
                j = vocabulary.get(name)
                if j is not None:
                    indices.append(j)
                    data.append(value)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int64), indptr),
            shape=(len(bags), len(vocabulary)),
        )

    def _matrix(self, rows: _Rows) -> sp.csr_matrix:
        # A comment appears once per theme found in it (and once for 'overall'); its
        # whole-comment features are the same each time, so they are computed once.
        first: dict[str, int] = {}
        index = [first.setdefault(text, len(first)) for text in rows.raw]
        unique_whole = [""] * len(first)
        for text, w in zip(rows.raw, rows.whole, strict=True):
            unique_whole[first[text]] = w
        unique_raw = list(first)
        whole_valence = np.array([lexicon_features(w) for w in unique_whole], dtype=np.float32)
        blocks = [
            self.whole.transform(unique_whole)[index],
            self.bag_idf.transform(self._bag_counts(rows.bags)),
            self.chars.transform(unique_raw)[index],
            sp.csr_matrix(whole_valence[index] * LEXICON_SCALE),
            sp.csr_matrix(np.array(rows.valence, dtype=np.float32) * LEXICON_SCALE),
        ]
        if self.vectors:
            weight = np.float32(self.vectors)
            blocks.append(vector_block(unique_raw, self.vectors, self.encoder)[index])
            blocks.append(sp.csr_matrix(_pooled_vectors(rows.pooled) * weight))
        return sp.hstack(blocks, format="csr")

    def fit(
        self, pairs: Sequence[tuple[str, str, str]], indicative: dict[str, frozenset[str]]
    ) -> SentimentModel:
        labels = [p[2] for p in pairs]
        themes_of: dict[str, set[str]] = {}
        for text, key, _ in pairs:
            keys = themes_of.setdefault(text, set())
            if key != OVERALL:
                keys.add(key)
        self.relevance = learn_relevance(themes_of)
        rows = self._rows([(t, k) for t, k, _ in pairs], indicative)
        self.whole.fit(rows.whole)
        try:
            self.chars.fit(rows.raw)
        except ValueError:
            self.chars.set_params(min_df=1)
            self.chars.fit(rows.raw)
        self.bag_idf.fit(self.bags.fit_transform(rows.bags))
        if len(set(labels)) < 2:
            self.constant = labels[0] if labels else "neutral"
            return self
        self.clf = LogisticRegression(C=self.C, max_iter=3000)
        self.clf.fit(self._matrix(rows), labels)
        return self

    def predict(
        self, pairs: Sequence[tuple[str, str]], indicative: dict[str, frozenset[str]]
    ) -> list[tuple[str, float]]:
        if not pairs:
            return []
        if self.clf is None:
            return [(self.constant, 1.0)] * len(pairs)
        proba = self.clf.predict_proba(self._matrix(self._rows(pairs, indicative)))
        classes = list(self.clf.classes_)
        best = proba.argmax(axis=1)
        return [(str(classes[i]), float(proba[r, i])) for r, i in enumerate(best)]
