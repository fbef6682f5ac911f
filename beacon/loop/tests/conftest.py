from __future__ import annotations

from collections.abc import Iterator

import pytest

from beacon.loop.tests.helpers import HookServer, serve_hooks


@pytest.fixture
def hooks(settings: object) -> Iterator[HookServer]:
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = True  # type: ignore[attr-defined]
    yield from serve_hooks()
