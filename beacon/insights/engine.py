"""The text models: themes with per-theme sentiment, overall sentiment, reasons for contact.

Pure scikit-learn on CPU, no Django: the product (per-organisation models trained from its
themes, example phrases and staff corrections) and the benchmark train and predict
through these same classes.

Themes: themes.ThemeModel. Sentiment of each theme found, and of the whole comment (the
pseudo-theme "overall"): sentiment.SentimentModel. Both read the features in features.py
(TF-IDF, sentence vectors from vectors.py, negation marks, lexicon valences).
Reasons for contact: ReasonModel below, one label per interaction description.

A model remembers its sentence encoder; one trained with the optional extra's ("minilm")
refuses to load, with ExtraMissing, on an install without the extra.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

from beacon.insights.features import TextFeatures
from beacon.insights.labels import (
    OVERALL,
    POLARITIES,
    Analysis,
    Example,
    ThemeResult,
    ThemeSpec,
    tokens,
)
from beacon.insights.sentiment import SentimentModel
from beacon.insights.themes import ThemeModel, _theme_examples, decide
from beacon.insights.vectors import WORDS, ExtraMissing, extra_missing

__all__ = [
    "OVERALL",
    "POLARITIES",
    "Analysis",
    "Example",
    "ExtraMissing",
    "SentimentModel",
    "ThemeModel",
    "ThemeResult",
    "ThemeSpec",
    "_theme_examples",
    "decide",
    "tokens",
]

ENGINE_VERSION = "tfidf-nb-lr-aspect-vec-4"


class InsightModel:
    """Everything one organisation needs to read its comments."""

    def __init__(self, themes: Sequence[ThemeSpec], encoder: str = WORDS) -> None:
        self.themes = ThemeModel(themes, encoder=encoder)
        self.sentiment = SentimentModel(encoder=encoder)
        self.encoder = encoder
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
        """Raises ExtraMissing, before any comment is read, for a model that needs the
        optional extra on an install without it."""
        # Only blobs this code wrote into the organisation's own row are ever loaded.
        model = pickle.loads(blob)  # noqa: S301
        assert isinstance(model, InsightModel)
        encoder = getattr(model, "encoder", WORDS)
        missing = extra_missing() if encoder != WORDS else []
        if missing:
            raise ExtraMissing(
                f"this model reads comments with the {encoder!r} sentence encoder of the "
                "optional extra beacon[transformers], which is not installed (missing: "
                f"{', '.join(missing)}): install it (pip install 'beacon[transformers]') "
                "or retrain the model"
            )
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
