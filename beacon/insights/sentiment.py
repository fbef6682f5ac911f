"""Sentiment of one theme in one comment (and of the whole comment: the theme 'overall').

Each word of the comment is weighted by how close it stands to the words that point at
the theme (aspects.py: learned per theme, with clause boundaries counting as distance), so
"the food was great but the waiter was rude" reads positive for food and negative for
staff. One multinomial logistic regression over positive / negative / neutral / mixed,
shared by all themes, reads the whole comment (word and character n-grams, lexicon
valences, its sentence vector) beside the theme's attention-weighted words, word pairs,
theme-tagged words, lexicon valences (near the theme and elsewhere) and word vectors.

Models pickled before aspect attention existed (no `aspect_attention` attribute) keep reading
with the fixed window around the theme's indicative words they were trained with.
"""

from __future__ import annotations

import re
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
    mark_negation,
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


def local_context(text: str, words: frozenset[str], window: int = 4) -> str:
    """The part of the sentence around the theme's words (models pickled before aspect
    attention)."""
    toks = mark_negation(text).split()
    bare = [t.removeprefix("NOT_") for t in toks]
    keep = [False] * len(toks)
    hit = False
    for i, tok in enumerate(bare):
        if tok in words:
            hit = True
            # Stay inside the clause: '|' separates clauses.
            lo = i
            while lo > 0 and i - lo < window and toks[lo - 1] != "|":
                lo -= 1
            hi = i
            while hi < len(toks) - 1 and hi - i < window and toks[hi + 1] != "|":
                hi += 1
            for j in range(lo, hi + 1):
                keep[j] = True
    if not hit:
        return ""
    return " ".join(t for t, k in zip(toks, keep, strict=True) if k and t != "|")


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
        self.aspect_attention = True

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
        if getattr(self, "aspect_attention", False):
            x = self._matrix(self._rows(pairs, indicative))
        else:
            x = self._legacy_matrix(self._legacy_rows(pairs, indicative))
        proba = self.clf.predict_proba(x)
        classes = list(self.clf.classes_)
        best = proba.argmax(axis=1)
        return [(str(classes[i]), float(proba[r, i])) for r, i in enumerate(best)]

    # --- models pickled before aspect attention ---------------------------------------

    @staticmethod
    def _legacy_rows(
        pairs: Sequence[tuple[str, str]], indicative: dict[str, frozenset[str]]
    ) -> tuple[list[str], list[str], list[str], list[str]]:
        whole, near, conj, raw = [], [], [], []
        negations: dict[str, str] = {}
        for text, key in pairs:
            negated = negations.get(text)
            if negated is None:
                negated = negations[text] = mark_negation(text)
            ctx = "" if key == OVERALL else local_context(text, indicative.get(key, frozenset()))
            whole.append(negated)
            near.append(ctx)
            tag = re.sub(r"\W", "_", key)
            conj.append(" ".join(f"{tag}__{t}" for t in (ctx or negated).split() if t != "|"))
            raw.append(text)
        return whole, near, conj, raw

    def _legacy_matrix(self, rows: tuple[list[str], list[str], list[str], list[str]]) -> Any:
        whole, near, conj, raw = rows
        first: dict[str, int] = {}
        index = [first.setdefault(text, len(first)) for text in raw]
        unique_whole = [""] * len(first)
        for text, w in zip(raw, whole, strict=True):
            unique_whole[first[text]] = w
        unique_raw = list(first)
        legacy: Any = self
        blocks = [
            self.whole.transform(unique_whole)[index],
            legacy.near.transform(near),
            legacy.conj.transform(conj),
            self.chars.transform(unique_raw)[index],
        ]
        if getattr(self, "lexicon", False):
            dense = np.array(
                [
                    lexicon_features(w) + lexicon_features(n)
                    for w, n in zip(whole, near, strict=True)
                ],
                dtype=np.float32,
            )
            blocks.append(sp.csr_matrix(dense * LEXICON_SCALE))
        weight = getattr(self, "vectors", 0.0)
        if weight:
            blocks.append(vector_block(unique_raw, weight, self.encoder)[index])
            blocks.append(vector_block(near, weight, self.encoder))
        return sp.hstack(blocks, format="csr")
