"""Which words of a comment speak about a theme: attention without a neural network.

A comment like "the food was great but the waiter was rude" holds two opinions; the
sentiment of the theme "staff" is in the words around "waiter". Each theme learns which
words point at it (a logistic regression over the words of its training comments, so
"waiter" points at staff and "food" does not, even though both occur in comments about
staff); each word of a comment then gets an attention weight that decays with its
distance to the nearest such word, and decays faster across a clause boundary (a comma,
"but", "although"...). The sentiment model reads the words, lexicon valences and word
vectors of the comment weighted by that attention. Pure NumPy and scikit-learn, no Django.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from beacon.insights.features import _NEGATORS, _STOP, NEGATED_VALENCE, sentiment_lexicon
from beacon.insights.labels import OVERALL

_WORD = r"[a-z0-9]+(?:'[a-z]+)?"
_TOKEN_OR_MARK = re.compile(_WORD + r"|[.,;:!?()]")
_MARKS = frozenset(".,;:!?()")
# Words that start a new clause: the opinion after "but" is about something else.
_CONTRAST = frozenset(
    ["but", "however", "although", "though", "while", "whereas", "yet", "except", "despite"]
)
# A negation reaches to the end of its clause or to the next "and"/"or": in "no wait and
# great food" the food is not negated.
_NEGATION_STOP = frozenset(["and", "or"])

# Attention: exp(-distance / TAU); a clause boundary counts as PENALTY extra words.
# Chosen on SemEval-2014 train (5-fold) and MAMS dev: 3-10 words and penalties 1-10 were
# within a point of each other; 6 and 4 were best on both.
TAU = 6.0
PENALTY = 4.0
# Below this weight a word is left out of the theme's features (exp(-4) ~ 0.02).
MIN_WEIGHT = 0.02
# A word points at a theme when its coefficient in the theme's word model is at least
# RELEVANCE_SCALE * RELEVANCE_FLOOR; from RELEVANCE_SCALE on it counts fully.
RELEVANCE_SCALE = 2.0
RELEVANCE_FLOOR = 0.2
RELEVANCE_C = 1.0


@dataclass(frozen=True)
class Parsed:
    """A comment's words, the same words with negation marks, and each word's clause."""

    words: list[str]
    marked: list[str]
    clause: np.ndarray[Any, Any]


def _negator(word: str) -> bool:
    return word in _NEGATORS or word.endswith("n't")


def parse(text: str) -> Parsed:
    words: list[str] = []
    marked: list[str] = []
    clauses: list[int] = []
    clause = 0
    negated = False
    for tok in _TOKEN_OR_MARK.findall(text.lower()):
        if tok in _MARKS:
            clause += 1
            negated = False
            continue
        if tok in _CONTRAST:
            clause += 1
            negated = False
        elif tok in _NEGATION_STOP:
            negated = False
        words.append(tok)
        clauses.append(clause)
        if _negator(tok):
            marked.append(tok)
            negated = True
        else:
            marked.append("NOT_" + tok if negated else tok)
    return Parsed(words, marked, np.asarray(clauses, dtype=np.float32))


def learn_relevance(
    themes_of: Mapping[str, Iterable[str]], C: float = RELEVANCE_C
) -> dict[str, dict[str, float]]:
    """For each theme, the words that point at it, weighted 0..1, learned from which
    comments carry which themes. A word model (not word counts) so that a word that only
    comes along with another theme ("food" in comments about food and staff) is not
    taken for the theme's own."""
    texts = list(themes_of)
    keys = sorted({k for ks in themes_of.values() for k in ks})
    if len(texts) < 2 or not keys:
        return {}
    counts = CountVectorizer(binary=True, token_pattern=_WORD, min_df=2)
    try:
        x = counts.fit_transform([t.lower() for t in texts])
    except ValueError:
        return {}  # no word occurs twice: nothing to learn from
    vocab = counts.get_feature_names_out()
    keep = np.array([w not in _STOP and not _negator(w) for w in vocab])
    out: dict[str, dict[str, float]] = {}
    for key in keys:
        y = np.array([key in set(themes_of[t]) for t in texts])
        if y.all() or not y.any():
            continue
        coef = LogisticRegression(C=C, max_iter=2000).fit(x, y).coef_[0]
        weight = np.minimum(coef / RELEVANCE_SCALE, 1.0)
        chosen = np.flatnonzero(keep & (weight >= RELEVANCE_FLOOR))
        out[key] = {str(vocab[i]): float(weight[i]) for i in chosen}
    return out


def attention(parsed: Parsed, relevance: Mapping[str, float]) -> np.ndarray[Any, Any] | None:
    """Each word's weight for the theme; None when no word of the comment points at it."""
    hits = [(i, relevance[w]) for i, w in enumerate(parsed.words) if w in relevance]
    if not hits:
        return None
    at = np.array([i for i, _ in hits], dtype=np.float32)
    strength = np.array([r for _, r in hits], dtype=np.float32)
    positions = np.arange(len(parsed.words), dtype=np.float32)
    distance = np.abs(positions[:, None] - at[None, :]) + PENALTY * np.abs(
        parsed.clause[:, None] - parsed.clause[at.astype(np.int64)][None, :]
    )
    weights: np.ndarray[Any, Any] = (np.exp(-distance / TAU) * strength[None, :]).max(axis=1)
    return weights


def weighted_bag(
    parsed: Parsed, weights: np.ndarray[Any, Any] | None, key: str
) -> dict[str, float]:
    """Attention-weighted words and in-clause word pairs, and the words tagged with the
    theme (so a word can mean one thing for one theme and another for the next)."""
    tag = re.sub(r"\W", "_", key)
    if weights is None:
        # No word points at the theme (or the theme is the whole comment): the model
        # knows that, and reads the whole comment through the theme's eyes.
        bag = {"__overall__" if key == OVERALL else "__unplaced__": 1.0}
        for tok in parsed.marked:
            bag[f"t:{tag}:{tok}"] = bag.get(f"t:{tag}:{tok}", 0.0) + 1.0
        return bag
    bag = {}
    marked = parsed.marked
    last = len(marked) - 1
    for i, tok in enumerate(marked):
        w = float(weights[i])
        if w < MIN_WEIGHT:
            continue
        for name in (f"w:{tok}", f"t:{tag}:{tok}"):
            bag[name] = bag.get(name, 0.0) + w
        if i < last and parsed.clause[i] == parsed.clause[i + 1]:
            pair = f"p:{tok} {marked[i + 1]}"
            bag[pair] = bag.get(pair, 0.0) + min(w, float(weights[i + 1]))
    return bag


def weighted_lexicon(marked: Sequence[str], weights: np.ndarray[Any, Any]) -> list[float]:
    """Positive and negative lexicon valence (sums and counts), each word weighted."""
    lexicon = sentiment_lexicon()
    pos = neg = n_pos = n_neg = 0.0
    for tok, w in zip(marked, weights.tolist(), strict=True):
        if w < MIN_WEIGHT:
            continue
        negated = tok.startswith("NOT_")
        v = lexicon.get(tok[4:] if negated else tok)
        if v is None:
            continue
        if negated:
            v *= NEGATED_VALENCE
        if v > 0:
            pos += w * v
            n_pos += w
        else:
            neg -= w * v
            n_neg += w
    return [pos / 4, neg / 4, math.log1p(n_pos), math.log1p(n_neg), (pos - neg) / 4]
