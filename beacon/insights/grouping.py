"""Grouping comments no theme matched into candidate themes. No Django here.

Comments are grouped by meaning (their sentence vectors, vectors.py), not by shared words,
so "live chat answered in a minute" and "the chat in the app is easier than ringing"
fall together. The number of groups is the one whose grouping separates best (mean
silhouette, cosine). A group is named by the words most particular to it against the
other groups (class-based TF-IDF, as BERTopic does); staff names and words that say nothing
about a subject ("really", "okay") never name a group. A group whose comments are not
alike (mean similarity to its centre below MIN_COHESION) is a leftover, not a theme, and is
not suggested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]
    ENGLISH_STOP_WORDS,
    CountVectorizer,
)
from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]

from beacon.insights.vectors import encoder

MAX_GROUPS = 12
MIN_COHESION = 0.35
EXAMPLES = 3
# Words that carry feeling or filler, not a subject.
VAGUE = frozenset(
    [
        "really",
        "actually",
        "definitely",
        "absolute",
        "absolutely",
        "suppose",
        "ask",
        "asking",
        "asked",
        "took",
        "takes",
        "take",
        "stick",
        "knew",
        "know",
        "exactly",
        "problem",
        "problems",
        "issue",
        "issues",
        "fixed",
        "sorted",
        "came",
        "went",
        "just",
        "okay",
        "ok",
        "fine",
        "good",
        "great",
        "bad",
        "better",
        "best",
        "worse",
        "worst",
        "nice",
        "lovely",
        "awful",
        "terrible",
        "thanks",
        "thank",
        "said",
        "say",
        "says",
        "did",
        "does",
        "got",
        "get",
        "gets",
        "make",
        "made",
        "way",
        "thing",
        "things",
        "lot",
        "bit",
        "time",
        "times",
        "day",
        "days",
        "week",
        "couldn",
        "didn",
        "wasn",
        "isn",
        "don",
        "doesn",
        "won",
        "ve",
        "ll",
        "new",
        "old",
    ]
)


@dataclass(frozen=True)
class Group:
    name: str
    keywords: list[str]
    examples: list[str]
    size: int
    cohesion: float  # mean cosine similarity of its comments to their centre
    members: tuple[int, ...] = ()  # indices of its texts


def _choose_k(vectors: np.ndarray[Any, Any], seed: int) -> np.ndarray[Any, Any]:
    """Labels of the KMeans grouping with the best silhouette, 2..MAX_GROUPS groups."""
    n = len(vectors)
    # Comments said word for word alike are one point: no more groups than points.
    distinct = len(np.unique(vectors.round(5), axis=0))
    best: tuple[float, np.ndarray[Any, Any]] | None = None
    for k in range(2, min(MAX_GROUPS, n // 3, distinct - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=2, random_state=seed).fit_predict(vectors)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(
            silhouette_score(
                vectors, labels, metric="cosine", sample_size=min(800, n), random_state=seed
            )
        )
        if best is None or score > best[0]:
            best = (score, labels)
    return best[1] if best else np.zeros(n, dtype=np.int64)


def _particular_words(
    texts: Sequence[str], labels: np.ndarray[Any, Any], k: int, ignore: Iterable[str]
) -> list[list[str]]:
    """Per group, its words ranked by class-based TF-IDF (frequent here, rare elsewhere)."""
    stop = list(ENGLISH_STOP_WORDS | VAGUE | {w.lower() for w in ignore})
    counter = CountVectorizer(stop_words=stop, ngram_range=(1, 2), min_df=2)
    try:
        counts = counter.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return [[] for _ in range(k)]
    vocab = np.array(counter.get_feature_names_out())
    tf = np.vstack([np.asarray(counts[labels == c].sum(axis=0)).ravel() for c in range(k)])
    average = tf.sum() / max(k, 1)
    weight = (tf / np.maximum(tf.sum(axis=1, keepdims=True), 1)) * np.log1p(
        average / np.maximum(tf.sum(axis=0), 1)
    )
    return [
        [str(vocab[i]) for i in np.argsort(-weight[c])[:6] if weight[c, i] > 0] for c in range(k)
    ]


def group(
    texts: Sequence[str], *, ignore: Iterable[str] = (), min_size: int = 3, seed: int = 7
) -> list[Group]:
    """Candidate themes from `texts`, largest first; `ignore`: words never used as a name
    (the organisation's staff names, its existing themes' names)."""
    if len(texts) < min_size:
        return []
    vectors = encoder().embed(texts)
    # Fewer than two groups' worth of comments: they are one candidate, if alike.
    few = len(texts) < 2 * max(min_size, 3)
    labels = np.zeros(len(texts), dtype=np.int64) if few else _choose_k(vectors, seed)
    k = int(labels.max()) + 1
    words = _particular_words(texts, labels, k, ignore)
    out: list[Group] = []
    for c in range(k):
        idx = np.flatnonzero(labels == c)
        centre = vectors[idx].mean(axis=0)
        norm = float(np.linalg.norm(centre))
        if len(idx) < min_size or not words[c] or norm == 0:
            continue
        similarity = vectors[idx] @ (centre / norm)
        cohesion = float(similarity.mean())
        if cohesion < MIN_COHESION:
            continue
        # The comments nearest the centre show the group best; each wording once, whatever
        # its case and punctuation.
        nearest = [texts[i] for i in idx[np.argsort(-similarity)]]
        examples = list({_wording(t): t for t in reversed(nearest)}.values())[::-1][:EXAMPLES]
        members = tuple(int(i) for i in idx)
        out.append(Group("", words[c], examples, len(idx), cohesion, members))
    return _named(sorted(out, key=lambda g: -g.size))


def _wording(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _named(groups: list[Group]) -> list[Group]:
    """Each group is named by its most particular word that no larger group took."""
    taken: set[str] = set()
    out = []
    for g in groups:
        name = next((w for w in g.keywords if w not in taken), g.keywords[0])
        taken.add(name)
        out.append(Group(name.capitalize(), g.keywords, g.examples, g.size, g.cohesion, g.members))
    return out
