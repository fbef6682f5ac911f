"""Reading a row id from text someone sent.

`str.isdigit()` is true for "²" and "٣", and `int("²")` raises: a check-then-convert on
untrusted text turns a superscript into a server error. An id here is 1 to 18 ASCII
digits, which also keeps it inside a 64-bit column on every database.
"""

from __future__ import annotations

import re

_ID = re.compile(r"[0-9]{1,18}")


def is_id(raw: str) -> bool:
    return _ID.fullmatch(raw) is not None


def as_id(raw: str) -> int | None:
    """The id `raw` spells, or None when it is not one."""
    return int(raw) if is_id(raw) else None
