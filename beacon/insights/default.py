"""The model every organisation reads its comments with until its own model is trained.

It knows every starter theme (keyed by lower-cased name, so it maps onto an
organisation's themes of the same name) and learned sentiment from the shipped seed
comments. Training it takes a few seconds, so it is built once: `beacon insights
build-default` writes it into the package data, and a process that finds no usable file
(a different scikit-learn, edited seed data) trains it once and keeps it in memory.
Analysis therefore never trains; organisation models are trained by the job queue.
No Django here: the benchmark loads it the same way.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import sklearn  # type: ignore[import-untyped]

from beacon.insights.engine import ENGINE_VERSION, Example, InsightModel, ThemeSpec
from beacon.insights.labels import key_of
from beacon.insights.starters import STARTERS
from beacon.insights.training_comments import SEED_FILE, seed_comments

DEFAULT_FILE = Path(__file__).parent / "data" / "default_model.pkl"
DEFAULT_VERSION = f"{ENGINE_VERSION}/default"

_lock = threading.Lock()
_model: InsightModel | None = None


def default_specs() -> list[ThemeSpec]:
    """Every starter theme once; a name shared by several industries pools their phrases."""
    merged: dict[str, tuple[str, str, list[str]]] = {}
    for industry in sorted(STARTERS):
        for item in STARTERS[industry]:
            key = key_of(item["name"])
            phrases = merged.setdefault(key, (item["name"], item["description"], []))[2]
            phrases.extend(p for p in item["phrases"] if p not in phrases)
    return [ThemeSpec(k, n, d, tuple(p)) for k, (n, d, p) in merged.items()]


def fingerprint() -> str:
    """Changes whenever the file would no longer match what this code would train."""
    h = hashlib.sha256()
    h.update(SEED_FILE.read_bytes())
    h.update(repr(sorted((k, sorted(map(repr, v))) for k, v in STARTERS.items())).encode())
    h.update(f"{ENGINE_VERSION}|{sklearn.__version__}|{np.__version__}".encode())
    return h.hexdigest()


def train_default() -> InsightModel:
    specs = default_specs()
    known = {s.key for s in specs}
    examples: list[Example] = []
    sentiment: list[tuple[str, str]] = []
    for seed in seed_comments():
        keys = {key_of(n): p for n, p in seed.themes.items()}
        if set(keys) <= known:
            examples.append(Example(seed.text, keys, seed.overall))
        else:
            sentiment.append((seed.text, seed.overall))
    return InsightModel.train(specs, examples, sentiment)


def build(path: Path = DEFAULT_FILE) -> int:
    """Train and write the default model; returns the file's size in bytes."""
    blob = fingerprint().encode() + b"\n" + train_default().dumps()
    path.write_bytes(blob)
    return len(blob)


def _read(path: Path) -> InsightModel | None:
    try:
        head, _, blob = path.read_bytes().partition(b"\n")
    except OSError:
        return None
    if head.decode(errors="replace") != fingerprint():
        return None
    # Only the file this package ships (or `build` wrote) is ever read.
    return InsightModel.loads(blob)


def default_model() -> InsightModel:
    """The shared default model, loaded (or, failing that, trained) once per process."""
    global _model
    with _lock:
        if _model is None:
            _model = _read(DEFAULT_FILE) or train_default()
        return _model
