"""Features the text models share: TF-IDF vectorizers, sentence vectors, negation marks
and lexicon valences. Pure scikit-learn and NumPy, no Django."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import cache
from importlib.resources import files

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

from beacon.insights.labels import _TOKEN
from beacon.insights.vectors import WORDS, encoder

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
