"""Beacon behind a real TLS-terminating reverse proxy: Debian's nginx on loopback with a
certificate made here, Chromium signing in and submitting a form over HTTPS."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from beacon.core.asgi import BeaconASGIHandler
from beacon.core.server import H11Protocol
from beacon.notifications.tests.test_webhook_transport import _certificate
from beacon.settings.base import deployment
from beacon.testing import PASSWORD, World, free_port, live_server

NGINX = Path("/usr/sbin/nginx")

CONFIG = """\
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
"""


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def https_proxy(transactional_db: None, settings: Any, tmp_path: Path) -> Iterator[str]:
    """nginx terminating TLS on loopback in front of Beacon's own server (the ASGI handler
    under uvicorn, as `beacon run` starts it), configured as an https:// deployment."""
    if not NGINX.exists():
        pytest.fail("nginx is missing at /usr/sbin/nginx: run scripts/ensure-nginx")
    port = free_port()
    base = f"https://localhost:{port}"
    # What BEACON_BASE_URL=<base> and BEACON_TRUSTED_PROXIES=127.0.0.1 make of the
    # settings, applied before the server builds its middleware from them.
    for name, value in deployment(base, ["127.0.0.1"]).items():
        setattr(settings, name, value)
    settings.BASE_URL = base
    handler = BeaconASGIHandler(threads=2)
    with live_server(handler, http=H11Protocol, proxy_headers=True,
                     forwarded_allow_ips="127.0.0.1") as (_, upstream):  # fmt: skip
        yield from _nginx(tmp_path, port, upstream, base)
    handler.close()


def _nginx(tmp_path: Path, port: int, upstream: int, base: str) -> Iterator[str]:
    cert, key = _certificate(tmp_path, "localhost")
    # As root, nginx's workers would drop to a user that cannot write the temp paths here.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp_path / "nginx.conf"
    conf.write_text(CONFIG.format(user=user, tmp=tmp_path, port=port, cert=cert, key=key,
                                  upstream=upstream))  # fmt: skip
    proxy = subprocess.Popen(
        [str(NGINX), "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while not _listening(port) and proxy.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _listening(port):
        proxy.kill()
        pytest.fail(f"nginx did not start: {proxy.stderr.read().decode() if proxy.stderr else ''}")
    try:
        yield base
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        shutil.rmtree(tmp_path / "body", ignore_errors=True)


def test_sign_in_and_submit_a_form_through_an_https_proxy(
    world: World, https_proxy: str, browser: Browser
) -> None:
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    first = page.goto(f"{https_proxy}/login/")
    assert first is not None and first.status == 200
    assert first.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "script-src 'self'" in first.headers["content-security-policy"]
    page.fill('input[name="login"]', world.owner.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(f"{https_proxy}/")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]
    page.goto(f"{https_proxy}/surveys/{world.survey.pk}/distribution/")
    page.get_by_label("Reminder after N days (empty: none)").fill("5")
    page.get_by_role("button", name="Save").first.click()
    expect(page).to_have_url(f"{https_proxy}/surveys/{world.survey.pk}/distribution/")
    world.survey.refresh_from_db()
    assert world.survey.reminder_after_days == 5
    assert refused == []
    context.close()
