"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright for Python."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = Path("/usr/bin/chromium")

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing at /usr/bin/chromium: run scripts/ensure-chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    # A request the page started by itself (an htmx load trigger) may still be on the
    # server when the test ends, and the database flush after the test would race it
    # (SQLite's shared in-memory test database answers "table is locked"). Waited for,
    # but a page that never goes quiet only costs the wait.
    with contextlib.suppress(PlaywrightTimeoutError):
        pg.wait_for_load_state("networkidle", timeout=5_000)
    context.close()
