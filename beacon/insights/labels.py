"""What the text engine reads and returns, without the engine.

Pages, the API and the write path name themes, polarities and results on every request;
the engine (scikit-learn, SciPy, word vectors) is only needed where comments are read or
models trained. Keeping these names here keeps the web server from importing it (about
100 MB per process).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

POLARITIES = ("positive", "negative", "neutral", "mixed")
OVERALL = "__overall__"

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def key_of(name: str) -> str:
    """'Price & value' and 'price and  value' name the same theme."""
    return " ".join(name.lower().replace("&", " and ").split())


@dataclass(frozen=True)
class ThemeSpec:
    key: str
    name: str
    description: str = ""
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Example:
    """One labeled comment: its themes, each with a polarity ('' when not known)."""

    text: str
    themes: dict[str, str] = field(default_factory=dict)
    overall: str = ""


@dataclass(frozen=True)
class ThemeResult:
    key: str
    score: float
    sentiment: str


@dataclass(frozen=True)
class Analysis:
    themes: list[ThemeResult]
    sentiment: str
    sentiment_score: float
