"""The project's own invented comments (data/seed_comments.tsv), read without Django."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

SEED_FILE = Path(__file__).parent / "data" / "seed_comments.tsv"


@dataclass(frozen=True)
class SeedComment:
    text: str
    overall: str
    themes: dict[str, str]  # theme name -> polarity


@cache
def seed_comments() -> tuple[SeedComment, ...]:
    """Sentiment knowledge every organisation starts with, before any correction."""
    out = []
    for line in SEED_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        overall, themes, comment = line.split("\t")
        labels = dict(t.split(":") for t in themes.split(";") if t)
        out.append(SeedComment(comment, overall, labels))
    return tuple(out)


def seed_sentiment() -> list[tuple[str, str]]:
    return [(s.text, s.overall) for s in seed_comments()]
