"""Reading JSON that arrives from outside (the widget, the API, help-desk webhooks).

Two kinds of valid JSON break later code instead of being refused: nesting thousands of
levels deep (the parser, and every recursive walk after it, runs out of stack) and the NUL
character, which PostgreSQL cannot store in text. Both are refused here with a message
that says where, so every entry point answers 400 instead of 500.
"""

from __future__ import annotations

import json
from typing import Any

# Beacon's own documents nest a few levels (answers -> choices, attributes); this leaves
# generous room for help-desk payloads while staying far below Python's recursion limit.
MAX_DEPTH = 32


class UntrustedJsonError(ValueError):
    """The body is not JSON Beacon accepts; the message names where it went wrong."""


def loads_untrusted(
    raw: bytes | str, *, max_depth: int = MAX_DEPTH, refuse_nul: bool = True
) -> Any:
    try:
        data = json.loads(raw)
    except RecursionError:
        raise UntrustedJsonError(f"body is nested more than {max_depth} levels deep") from None
    except UnicodeDecodeError as exc:
        raise UntrustedJsonError(f"body is not valid JSON: not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise UntrustedJsonError(f"body is not valid JSON: {exc}") from None
    check_untrusted(data, max_depth=max_depth, refuse_nul=refuse_nul)
    return data


def check_untrusted(data: Any, *, max_depth: int = MAX_DEPTH, refuse_nul: bool = True) -> None:
    """Refuse nesting deeper than `max_depth` and (unless told not to, where a schema
    names the field itself) NUL characters, without recursion.

    A path is kept as (parent path, key) pairs and spelt out only for the message: a
    batch of 1,000 items holds tens of thousands of values."""
    Path = tuple[Any, Any] | None
    stack: list[tuple[Any, Path, int]] = [(data, None, 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if refuse_nul and "\x00" in value:
                raise UntrustedJsonError(f"{_spelt(path) or 'body'} contains a NUL character")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= max_depth:
            raise UntrustedJsonError(
                f"{_spelt(path) or 'body'} is nested more than {max_depth} levels deep"
            )
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if refuse_nul and isinstance(key, str) and "\x00" in key:
                where = _spelt(path)
                raise UntrustedJsonError(f"a key in {where or 'body'} contains a NUL character")
            if isinstance(item, dict | list) or (refuse_nul and isinstance(item, str)):
                stack.append((item, (path, key), depth + 1))


def _spelt(path: tuple[Any, Any] | None) -> str:
    keys: list[str] = []
    while path is not None:
        path, key = path
        keys.append(str(key))
    return ".".join(reversed(keys))
