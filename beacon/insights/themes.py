"""Theme detection: which themes a comment is about.

TF-IDF over word 1-2 grams and character 2-5 grams plus a sentence vector, and the word
1-2 grams present weighed per theme by their log-count ratio (themefeatures.py); one
logistic regression per theme; a decision threshold and a floor (a comment's best theme
counts when no theme reaches the threshold) chosen together by cross-validation on the
training data.
Each item a theme's description lists is a training example of its own.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import KFold  # type: ignore[import-untyped]

from beacon.insights.features import _STOP, TextFeatures
from beacon.insights.labels import Example, ThemeSpec, tokens
from beacon.insights.themefeatures import WordPresence, log_count_ratios
from beacon.insights.vectors import WORDS

_LIST_SEPARATOR = re.compile(r"[,;:/()]|\band\b|\bor\b")


def _theme_examples(themes: Sequence[ThemeSpec]) -> list[Example]:
    """The organisation's own words for each theme are training examples too: the name with
    the description, each phrase, and each item the description lists ('dishes, taste,
    the menu'), since one example per item teaches each word more than one long line."""
    out: list[Example] = []
    for theme in themes:
        seed = [f"{theme.name}. {theme.description}".strip(" ."), *list(theme.phrases)]
        items = [p.strip() for p in _LIST_SEPARATOR.split(theme.description)]
        seed.extend(p for p in items if p and p not in seed)
        out.extend(Example(text, {theme.key: ""}) for text in seed if text.strip())
    return out


# Below this many examples the held-out folds say nothing: threshold 0.5, no floor. From
# here to 300 examples five folds, above three.
MIN_CALIBRATE = 40
DEFAULT_FLOOR = 1.0
FLOORS = (1.0, 0.1, 0.15, 0.2, 0.25, 0.3)


def decide(scores: np.ndarray[Any, Any], threshold: float, floor: float) -> np.ndarray[Any, Any]:
    """Which themes each comment is about, from the theme scores."""
    hits = scores >= threshold
    if scores.shape[1] and floor < 1.0:
        rows = np.flatnonzero(~hits.any(axis=1))
        best = scores[rows].argmax(axis=1)
        hits[rows, best] = scores[rows, best] >= floor
    return np.asarray(hits)


@dataclass(frozen=True)
class Heads:
    """One logistic regression per theme over [shared features, word presence], the
    theme's log-count ratios folded into its weights so scoring is one product."""

    weights: np.ndarray[Any, Any]  # (features, themes)
    bias: np.ndarray[Any, Any]  # (themes,)
    # A theme with no negatives (or positives) cannot be learned: its constant score,
    # NaN where the theme was learned.
    constant: np.ndarray[Any, Any]

    def scores(self, z: sp.csr_matrix) -> np.ndarray[Any, Any]:
        out = expit(np.asarray(z @ self.weights, dtype=np.float32) + self.bias)
        fixed = ~np.isnan(self.constant)
        out[:, fixed] = self.constant[fixed]
        return np.asarray(out, dtype=np.float32)


class ThemeModel:
    # C: 2 and 4 tie on five-fold cross-validation of SemEval-2014's train split with the
    # word-presence block (82.9 and 82.7 micro-F1); 8, best without it, overfits it.
    def __init__(self, themes: Sequence[ThemeSpec], C: float = 2.0, encoder: str = WORDS) -> None:
        self.keys = [t.key for t in themes]
        self.specs = list(themes)
        self.C = C
        self.features = TextFeatures(encoder)
        self.presence = WordPresence()
        self.heads: Heads | None = None
        self.threshold = 0.5
        # A comment is about something: when no theme reaches the threshold, its best theme
        # still counts if its score reaches the floor (1.0: never).
        self.floor = 1.0
        self.indicative: dict[str, frozenset[str]] = {}

    def fit(self, examples: Sequence[Example]) -> ThemeModel:
        data = list(examples) + _theme_examples(self.specs)
        texts = [e.text for e in data]
        self.features.fit(texts)
        self.presence.fit(texts)
        x = self.features.transform(texts)
        present = self.presence.transform(texts)
        y = np.array([[k in e.themes for k in self.keys] for e in data], dtype=bool)
        self.heads = self._fit_all(x, present, y)
        self.threshold, self.floor = self._calibrate(x, present, y)
        self.indicative = self._indicative_words(data)
        return self

    def _fit_all(self, x: sp.csr_matrix, present: sp.csr_matrix, y: np.ndarray[Any, Any]) -> Heads:
        # Ratios from these rows only: in calibration a held-out comment's own words must
        # not have shaped them.
        ratios = log_count_ratios(present, y)
        width = x.shape[1]
        weights = np.zeros((width + present.shape[1], len(self.keys)), dtype=np.float32)
        bias = np.zeros(len(self.keys), dtype=np.float32)
        constant = np.full(len(self.keys), np.nan, dtype=np.float32)
        for j in range(len(self.keys)):
            col = y[:, j]
            if col.all() or not col.any():
                constant[j] = 1.0 if col.all() else 0.0
                continue
            scaled = sp.csr_matrix(present @ sp.diags(ratios[j]), dtype=np.float32)
            clf = self._classifier(col).fit(sp.hstack([x, scaled], format="csr"), col)
            coef = clf.coef_[0].astype(np.float32)
            weights[:width, j] = coef[:width]
            weights[width:, j] = coef[width:] * ratios[j]
            bias[j] = clf.intercept_[0]
        return Heads(weights, bias, constant)

    def _classifier(self, col: np.ndarray[Any, Any]) -> LogisticRegression:
        # Up-weight a rare theme's examples, but only so far: a theme with three
        # phrases must not claim every comment.
        weight = min(float((~col).sum()) / float(col.sum()), 3.0)
        return LogisticRegression(C=self.C, class_weight={True: weight, False: 1.0}, max_iter=2000)

    def _calibrate(
        self, x: sp.csr_matrix, present: sp.csr_matrix, y: np.ndarray[Any, Any]
    ) -> tuple[float, float]:
        """The threshold and the floor, chosen together for micro-F1 on held-out folds."""
        n = x.shape[0]
        if n < MIN_CALIBRATE:
            # Too few examples for held-out folds to say more than the defaults.
            return 0.5, DEFAULT_FLOOR
        scores = np.zeros(y.shape, dtype=np.float32)
        folds = 3 if n >= 300 else 5
        for train, test in KFold(n_splits=folds, shuffle=True, random_state=7).split(np.arange(n)):
            heads = self._fit_all(x[train], present[train], y[train])
            scores[test] = heads.scores(sp.hstack([x[test], present[test]], format="csr"))
        best, best_f1 = (0.5, 1.0), -1.0
        for floor in FLOORS:
            for t in np.arange(0.2, 0.81, 0.025):
                pred = decide(scores, float(t), floor)
                tp = float((pred & y).sum())
                f1 = 2 * tp / max(float(pred.sum() + y.sum()), 1.0)
                if f1 > best_f1:
                    best, best_f1 = (float(t), floor), f1
        return best

    def _indicative_words(self, data: Sequence[Example]) -> dict[str, frozenset[str]]:
        """Words that point at each theme: its own words plus the most theme-specific ones."""
        doc_freq: Counter[str] = Counter()
        theme_freq: dict[str, Counter[str]] = {k: Counter() for k in self.keys}
        theme_docs: Counter[str] = Counter()
        for e in data:
            words = set(tokens(e.text)) - _STOP
            doc_freq.update(words)
            for k in e.themes:
                if k in theme_freq:
                    theme_freq[k].update(words)
                    theme_docs[k] += 1
        n = max(len(data), 1)
        out: dict[str, frozenset[str]] = {}
        for spec in self.specs:
            own = set(tokens(f"{spec.name} {spec.description} {' '.join(spec.phrases)}")) - _STOP
            ranked = []
            docs = max(theme_docs[spec.key], 1)
            for word, count in theme_freq[spec.key].items():
                if count < 2:
                    continue
                p_in = count / docs
                p_all = doc_freq[word] / n
                ranked.append((p_in * math.log(p_in / p_all + 1e-9), word))
            ranked.sort(reverse=True)
            out[spec.key] = frozenset(own | {w for s, w in ranked[:40] if s > 0})
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        assert self.heads is not None, "predict before fit"
        x = self.features.transform(texts)
        return self.heads.scores(sp.hstack([x, self.presence.transform(texts)], format="csr"))

    def found(self, scores: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return decide(scores, self.threshold, self.floor)
