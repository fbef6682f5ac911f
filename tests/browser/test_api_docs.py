"""The API docs render in Chromium from Beacon's own server, nothing from elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_renders_the_api_with_only_local_requests(
    live_server: Any, page: Page
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/v1/docs")
    # Swagger UI is a 1.4 MB script: on a busy machine parsing it takes longer than 5 s.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Beacon API", timeout=30_000)
    expect(page.get_by_text("/api/v1/members", exact=True).first).to_be_visible()
    assert f"{live_server.url}/api/v1/openapi.json" in requested
    assert [u for u in requested if not u.startswith(live_server.url)] == []
