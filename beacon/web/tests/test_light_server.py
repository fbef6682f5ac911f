"""The web server does not load the text engine: it costs ~100 MB per process (ADR 0006)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import beacon.asgi
print(",".join(sorted(m for m in ("scipy", "sklearn", "wordllama") if m in sys.modules)))
"""


def test_serving_every_page_imports_no_scikit_learn_or_scipy() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={"DJANGO_SETTINGS_MODULE": "beacon.settings.test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""
