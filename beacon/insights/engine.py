"""The text models: themes with per-theme sentiment, overall sentiment, reasons for contact.

Pure scikit-learn on CPU, no Django: the product (per-organisation models trained from its
themes, example phrases and staff corrections) and the benchmark train and predict
through these same classes.

Themes: TF-IDF over word 1-2 grams and character 2-5 grams plus a sentence vector
(vectors.py: static word vectors by default, a sentence transformer with the optional
extra), one logistic regression per theme; a decision threshold and a floor (a comment's
best theme counts when no theme reaches the threshold) chosen together by
cross-validation on the training data. Each item a theme's description lists is a
training example of its own.
Sentiment: for each (comment, theme) pair, the words near the theme's indicative words
(its name, description, phrases and the words that predict it in training) are weighted
apart from the whole sentence, and tokens after a negation are marked; one multinomial
logistic regression over positive / negative / neutral / mixed, shared by all themes,
with theme-conjoined features, lexicon valences and the sentence vectors of the comment
and of the words near the theme. Overall sentiment is the same model with the
pseudo-theme "overall".
"""

from __future__ import annotations

import math
import pickle
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import KFold  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

from beacon.insights.labels import (
    _TOKEN,
    OVERALL,
    POLARITIES,
    Analysis,
    Example,
    ThemeResult,
    ThemeSpec,
    tokens,
)
from beacon.insights.vectors import WORDS, encoder

__all__ = ["OVERALL", "POLARITIES", "Analysis", "Example", "ThemeResult", "ThemeSpec", "tokens"]

ENGINE_VERSION = "tfidf-lr-lex-vec-3"
# VADER's valences (-4..4) for 7,500 English words and emoticons; the lexicon ships in the
# vaderSentiment wheel (MIT), so nothing is downloaded. It tells the model that "superb"
# is positive even when no training comment said so.
LEXICON_SCALE = 1.0
NEGATED_VALENCE = -0.74  # VADER's own factor for a negated word


@cache
def sentiment_lexicon() -> dict[str, float]:
    out: dict[str, float] = {}
    text = (files("vaderSentiment") / "vader_lexicon.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return out


def lexicon_features(marked: str) -> list[float]:
    """Positive and negative valence (sums and counts) of negation-marked tokens."""
    lexicon = sentiment_lexicon()
    pos = neg = n_pos = n_neg = 0.0
    for tok in marked.split():
        negated = tok.startswith("NOT_")
        v = lexicon.get(tok[4:] if negated else tok)
        if v is None:
            continue
        if negated:
            v *= NEGATED_VALENCE
        if v > 0:
            pos += v
            n_pos += 1
        else:
            neg -= v
            n_neg += 1
    return [pos / 4, neg / 4, math.log1p(n_pos), math.log1p(n_neg), (pos - neg) / 4]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nothing",
        "nobody",
        "neither",
        "nor",
        "cannot",
        "without",
        "hardly",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "wouldn't",
        "can't",
        "couldn't",
        "shouldn't",
        "haven't",
        "hasn't",
        "hadn't",
        "ain't",
        "n't",
    ]
)
_CLAUSE_END = re.compile(r"[.,;:!?]|\bbut\b|\bhowever\b|\balthough\b|\bthough\b")
_STOP = _words(
    """the a an and or but is are was were be been being it its this that these those i me
    my we our you your he she they them their of to in on at for with from by as so if
    there here have has had do does did will would can could should just what which who
    whom when where how all any some than then also very too about into over after before
    again out up down only own same such more most other s t"""
)


def mark_negation(text: str) -> str:
    """Prefix words inside a negated clause with NOT_ so 'not good' is not 'good'."""
    out: list[str] = []
    for clause in _CLAUSE_END.split(text.lower()):
        negated = False
        for tok in _TOKEN.findall(clause):
            if tok in _NEGATORS or tok.endswith("n't"):
                negated = True
                out.append(tok)
                continue
            out.append("NOT_" + tok if negated else tok)
        out.append("|")
    return " ".join(out)


def _word_vectorizer(ngrams: tuple[int, int] = (1, 2)) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="word",
        ngram_range=ngrams,
        sublinear_tf=True,
        lowercase=True,
        token_pattern=r"(?u)\b\w[\w']*\b",  # noqa: S106 - a regex, not a secret
        dtype=np.float32,
    )


def _char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        lowercase=True,
        min_df=2,
        max_features=150_000,
        dtype=np.float32,
    )


# How much the sentence-vector block (unit length) weighs beside the TF-IDF blocks (each
# of unit length too). 2 and 4 did no better than 1 on SemEval-2014 with 10 examples per
# category; for sentiment, 1 and 0 tie with word vectors (SemEval -0.5, MAMS +0.6 points)
# while 1 adds 2 points with the sentence transformer.
VECTOR_WEIGHT = 1.0
SENTIMENT_VECTOR_WEIGHT = 1.0


def vector_block(texts: Sequence[str], weight: float, name: str) -> sp.csr_matrix:
    return sp.csr_matrix(encoder(name).embed(texts) * np.float32(weight))


class TextFeatures:
    """Word + character TF-IDF and word vectors, shared by the theme and reason models."""

    def __init__(self, encoder: str = WORDS, vectors: float = VECTOR_WEIGHT) -> None:
        self.word = _word_vectorizer()
        self.char = _char_vectorizer()
        self.encoder = encoder
        self.vectors = vectors

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        self.word.fit(texts)
        try:
            self.char.fit(texts)
        except ValueError:
            # Too few texts for min_df=2 (a brand-new organisation): keep every n-gram.
            self.char.set_params(min_df=1)
            self.char.fit(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [self.word.transform(texts), self.char.transform(texts)]
        # Models pickled before word vectors existed were trained without them.
        weight = getattr(self, "vectors", 0.0)
        if weight:
            blocks.append(vector_block(texts, weight, self.encoder))
        return sp.hstack(blocks, format="csr")


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


class ThemeModel:
    def __init__(self, themes: Sequence[ThemeSpec], C: float = 8.0, encoder: str = WORDS) -> None:
        self.keys = [t.key for t in themes]
        self.specs = list(themes)
        self.C = C
        self.features = TextFeatures(encoder)
        self.models: dict[str, LogisticRegression | float] = {}
        self.threshold = 0.5
        # A comment is about something: when no theme reaches the threshold, its best theme
        # still counts if its score reaches the floor (1.0: never).
        self.floor = 1.0
        self.indicative: dict[str, frozenset[str]] = {}

    def fit(self, examples: Sequence[Example]) -> ThemeModel:
        data = list(examples) + _theme_examples(self.specs)
        texts = [e.text for e in data]
        self.features.fit(texts)
        x = self.features.transform(texts)
        y = np.array([[k in e.themes for k in self.keys] for e in data], dtype=bool)
        self.models = self._fit_all(x, y)
        self.threshold, self.floor = self._calibrate(x, y)
        self.indicative = self._indicative_words(data)
        return self

    def _fit_all(
        self, x: sp.csr_matrix, y: np.ndarray[Any, Any]
    ) -> dict[str, LogisticRegression | float]:
        models: dict[str, LogisticRegression | float] = {}
        for j, key in enumerate(self.keys):
            col = y[:, j]
            if col.all() or not col.any():
                # A theme with no negatives (or positives) cannot be learned: constant.
                models[key] = 1.0 if col.all() else 0.0
                continue
            # Up-weight a rare theme's examples, but only so far: a theme with three
            # phrases must not claim every comment.
            weight = min(float((~col).sum()) / float(col.sum()), 3.0)
            clf = LogisticRegression(
                C=self.C, class_weight={True: weight, False: 1.0}, max_iter=2000
            )
            clf.fit(x, col)
            models[key] = clf
        return models

    def _calibrate(self, x: sp.csr_matrix, y: np.ndarray[Any, Any]) -> tuple[float, float]:
        """The threshold and the floor, chosen together for micro-F1 on held-out folds."""
        n = x.shape[0]
        if n < MIN_CALIBRATE:
            # Too few examples for held-out folds to say more than the defaults.
            return 0.5, DEFAULT_FLOOR
        scores = np.zeros(y.shape, dtype=np.float32)
        folds = 3 if n >= 300 else 5
        for train, test in KFold(n_splits=folds, shuffle=True, random_state=7).split(np.arange(n)):
            fold = self._fit_all(x[train], y[train])
            scores[test] = self._scores(fold, x[test])
        best, best_f1 = (0.5, 1.0), -1.0
        for floor in FLOORS:
            for t in np.arange(0.2, 0.81, 0.025):
                pred = decide(scores, float(t), floor)
                tp = float((pred & y).sum())
                f1 = 2 * tp / max(float(pred.sum() + y.sum()), 1.0)
                if f1 > best_f1:
                    best, best_f1 = (float(t), floor), f1
        return best

    def _scores(
        self, models: dict[str, LogisticRegression | float], x: sp.csr_matrix
    ) -> np.ndarray[Any, Any]:
        cols = []
        for key in self.keys:
            m = models[key]
            if isinstance(m, float):
                cols.append(np.full(x.shape[0], m, dtype=np.float32))
            else:
                # predict_proba's own arithmetic (expit of the decision function) without
                # its per-call input checks, which cost more than the product for a few
                # comments times dozens of themes.
                decision = x @ m.coef_[0] + m.intercept_[0]
                cols.append(expit(decision).astype(np.float32))
        return np.vstack(cols).T if cols else np.zeros((x.shape[0], 0), dtype=np.float32)

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
        return self._scores(self.models, self.features.transform(texts))

    def found(self, scores: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return decide(scores, self.threshold, getattr(self, "floor", 1.0))


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


class InsightModel:
    """Everything one organisation needs to read its comments."""

    def __init__(self, themes: Sequence[ThemeSpec], encoder: str = WORDS) -> None:
        self.themes = ThemeModel(themes, encoder=encoder)
        self.sentiment = SentimentModel(encoder=encoder)
        self.version = ENGINE_VERSION

    @classmethod
    def train(
        cls,
        themes: Sequence[ThemeSpec],
        examples: Sequence[Example],
        sentiment_examples: Iterable[tuple[str, str]] = (),
        encoder: str = WORDS,
    ) -> InsightModel:
        """`sentiment_examples` are (comment, overall polarity) pairs without themes;
        `encoder` names the sentence vectors (vectors.ENCODERS)."""
        model = cls(themes, encoder)
        model.themes.fit(examples)
        pairs: list[tuple[str, str, str]] = []
        for e in examples:
            pairs.extend((e.text, k, p) for k, p in e.themes.items() if p)
            if e.overall:
                pairs.append((e.text, OVERALL, e.overall))
        pairs.extend((text, OVERALL, polarity) for text, polarity in sentiment_examples)
        model.sentiment.fit(pairs, model.themes.indicative)
        return model

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        if not texts:
            return []
        scores = self.themes.predict(texts)
        chosen = self.themes.found(scores)
        keys = self.themes.keys
        found: list[list[tuple[str, float]]] = []
        pairs: list[tuple[str, str]] = []
        for i, text in enumerate(texts):
            hits = [(keys[j], float(scores[i, j])) for j in np.flatnonzero(chosen[i])]
            found.append(hits)
            pairs.append((text, OVERALL))
            pairs.extend((text, k) for k, _ in hits)
        polar = self.sentiment.predict(pairs, self.themes.indicative)
        out: list[Analysis] = []
        pos = 0
        for hits in found:
            overall, overall_p = polar[pos]
            pos += 1
            results = []
            for key, score in hits:
                results.append(ThemeResult(key, score, polar[pos][0]))
                pos += 1
            out.append(Analysis(results, overall, overall_p))
        return out

    def theme_polarity(self, pairs: Sequence[tuple[str, str]]) -> list[str]:
        """Polarity for given (comment, theme) pairs: gold themes, as the benchmark asks."""
        return [p for p, _ in self.sentiment.predict(pairs, self.themes.indicative)]

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(blob: bytes) -> InsightModel:
        # Only blobs this code wrote into the organisation's own row are ever loaded.
        model = pickle.loads(blob)  # noqa: S301
        assert isinstance(model, InsightModel)
        return model


class ReasonModel:
    """Reason for contact: one label per interaction description."""

    def __init__(self, reasons: Sequence[ThemeSpec], C: float = 0.5, encoder: str = WORDS) -> None:
        self.specs = list(reasons)
        self.features = TextFeatures(encoder)
        self.clf = LinearSVC(C=C)
        self.constant: str | None = None
        self.version = ENGINE_VERSION

    def fit(self, examples: Sequence[tuple[str, str]]) -> ReasonModel:
        data = list(examples)
        for spec in self.specs:
            seed = [f"{spec.name}. {spec.description}".strip(" ."), *list(spec.phrases)]
            data.extend((t, spec.key) for t in seed if t.strip())
        texts = [t for t, _ in data]
        labels = [k for _, k in data]
        self.features.fit(texts)
        if len(set(labels)) < 2:
            self.constant = labels[0] if labels else None
            return self
        self.clf.fit(self.features.transform(texts), labels)
        return self

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if not texts:
            return []
        if self.constant is not None or not hasattr(self.clf, "classes_"):
            return [(self.constant or "", 1.0)] * len(texts)
        margins = self.clf.decision_function(self.features.transform(texts))
        if margins.ndim == 1:
            margins = np.vstack([-margins, margins]).T
        exp = np.exp(margins - margins.max(axis=1, keepdims=True))
        proba = exp / exp.sum(axis=1, keepdims=True)
        best = proba.argmax(axis=1)
        classes = list(self.clf.classes_)
        return [(str(classes[i]), float(proba[r, i])) for r, i in enumerate(best)]

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(blob: bytes) -> ReasonModel:
        model = pickle.loads(blob)  # noqa: S301
        assert isinstance(model, ReasonModel)
        return model
