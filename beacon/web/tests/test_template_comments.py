"""Django's `{# ... #}` comment ends at the line's end: one spread over lines is shown to
users as text. Longer comments use `{% comment %}`."""

from __future__ import annotations

from pathlib import Path

import beacon

ROOT = Path(beacon.__file__).resolve().parent


def test_no_template_comment_spans_lines() -> None:
    broken = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(ROOT.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert broken == []
