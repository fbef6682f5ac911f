"""axe-core loaded into a page for an accessibility check.

Evaluated through the browser's debugging protocol rather than added as a script tag: the
pages' Content-Security-Policy allows no inline script, and a test must not weaken it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"
_SOURCE = AXE.read_text(encoding="utf-8")


def load_axe(page: Page) -> None:
    page.evaluate(f"() => {{ {_SOURCE}\n; window.axe = window.axe || axe; }}")
