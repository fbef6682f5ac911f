"""Sentiment of one theme in one comment (and of the whole comment: the theme 'overall').

For each (comment, theme) pair, the words near the theme's indicative words (its name,
description, phrases and the words that predict it in training) are weighted apart from
the whole sentence, and tokens after a negation are marked; one multinomial logistic
regression over positive / negative / neutral / mixed, shared by all themes, with
theme-conjoined features, lexicon valences and the sentence vectors of the comment and of
the words near the theme.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from beacon.insights.features import (
    LEXICON_SCALE,
    SENTIMENT_VECTOR_WEIGHT,
    _char_vectorizer,
    _word_vectorizer,
    lexicon_features,
    mark_negation,
    vector_block,
)
from beacon.insights.labels import OVERALL
from beacon.insights.vectors import WORDS


def local_context(text: str, words: frozenset[str], window: int = 4) -> str:
    """The part of the sentence around the theme's words: where its opinion usually is."""
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
        self.near = _word_vectorizer((1, 2))
        self.conj = _word_vectorizer((1, 1))
        self.chars = _char_vectorizer()
        self.clf: LogisticRegression | None = None
        self.constant = "neutral"
        self.lexicon = True
        self.vectors = SENTIMENT_VECTOR_WEIGHT

    @staticmethod
    def _rows(
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

    def _matrix(self, rows: tuple[list[str], list[str], list[str], list[str]]) -> sp.csr_matrix:
        whole, near, conj, raw = rows
        # A comment appears once per theme found in it (and once for 'overall'); its
        # whole-text features are the same each time, so they are computed once.
        first: dict[str, int] = {}
        index = [first.setdefault(text, len(first)) for text in raw]
        unique_whole = [""] * len(first)
        for text, w in zip(raw, whole, strict=True):
            unique_whole[first[text]] = w
        unique_raw = list(first)
        blocks = [
            self.whole.transform(unique_whole)[index],
            self.near.transform(near),
            self.conj.transform(conj),
            self.chars.transform(unique_raw)[index],
        ]
        # Models pickled before the lexicon existed were trained without it.
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

    def fit(
        self, pairs: Sequence[tuple[str, str, str]], indicative: dict[str, frozenset[str]]
    ) -> SentimentModel:
        labels = [p[2] for p in pairs]
        rows = self._rows([(t, k) for t, k, _ in pairs], indicative)
        self.whole.fit(rows[0])
        self.near.fit(rows[1] + ["_"])
        self.conj.fit(rows[2] + ["_"])
        try:
            self.chars.fit(rows[3])
        except ValueError:
            self.chars.set_params(min_df=1)
            self.chars.fit(rows[3])
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
