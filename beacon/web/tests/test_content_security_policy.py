"""A Content-Security-Policy on every page: scripts from Beacon's own files only, inline
styles only with the page's nonce, no framing except the embeddable public wall."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import beacon
from beacon.loop.sharing import do_set_wall
from beacon.testing import World

pytestmark = pytest.mark.django_db

PACKAGE = Path(beacon.__file__).parent


def _policy(page: object) -> dict[str, list[str]]:
    header = page["Content-Security-Policy"]  # type: ignore[index]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


def test_staff_and_respondent_pages_carry_the_policy_and_their_styles_its_nonce(
    world: World,
) -> None:
    staff = Client()
    staff.force_login(world.owner.user)
    pages = [
        staff.get("/"),
        staff.get(f"/surveys/{world.survey.pk}/distribution/"),
        Client().get("/login/"),
        Client().get(f"/s/a/{world.survey.anonymous_token}/"),
    ]
    for page in pages:
        assert page.status_code == 200
        policy = _policy(page)
        assert policy["script-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in page["Content-Security-Policy"]
        nonces = set(re.findall(r'<style nonce="([^"]+)"', page.content.decode()))
        for nonce in nonces:
            assert f"'nonce-{nonce}'" in policy["style-src"]
    assert len(set(re.findall(r'<style nonce="([^"]+)"', pages[0].content.decode()))) == 1


def test_only_the_embeddable_wall_may_be_framed(world: World) -> None:
    do_set_wall(world.org.pk, enabled=True, embeddable=True)
    slug = world.org.slug
    wall = Client().get(f"/s/w/{slug}/")
    embed = Client().get(f"/s/w/{slug}/embed/")
    assert (wall.status_code, embed.status_code) == (200, 200)
    assert _policy(wall)["frame-ancestors"] == ["'none'"]
    assert _policy(embed)["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in embed and wall["X-Frame-Options"] == "DENY"


SERVED = [
    p
    for p in PACKAGE.rglob("templates/**/*.html")
    if "/email/" not in str(p)  # mail clients, not browsers under Beacon's policy
]


@pytest.mark.parametrize("template", SERVED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_templates_have_no_inline_script_handler_or_style_attribute(template: Path) -> None:
    html = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "on* event handler attribute"
    assert not re.search(r"\sstyle\s*=", html), "style attribute"
    assert not re.search(r"<style(?![^>]*\bnonce=)[^>]*>", html), "<style> without the nonce"
