"""Shared pytest fixtures; the helpers they use are in beacon/testing.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from beacon.testing import SmtpServer, World, build_world

# Identity providers on loopback for the sign-in tests (fixtures `oidc` and `saml`).
pytest_plugins = ["tests.idp.fixtures"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Failed sign-ins are counted in the cache: no test inherits another's count."""
    from django.core.cache import cache

    yield
    cache.clear()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # Says which database this run used, so a CI log shows both runs really differ.
    from django.conf import settings

    terminalreporter.write_line(f"database: {settings.DATABASES['default']['ENGINE']}")


@pytest.fixture
def world(db: None) -> World:
    return build_world("Acme Telecom")


@pytest.fixture
def other_world(db: None) -> World:
    return build_world("Globex Retail")


@pytest.fixture
def smtp(settings: object) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; Django's SMTP backend is pointed at it."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = server.port  # type: ignore[attr-defined]
    settings.EMAIL_USE_TLS = False  # type: ignore[attr-defined]
    settings.EMAIL_TIMEOUT = 5  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()
