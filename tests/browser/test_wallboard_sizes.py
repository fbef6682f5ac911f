"""The TV wallboard read at the screen sizes it hangs on: every figure inside its card, and
each value written with the same decimals as its own interval."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from beacon.analytics.actions import WallboardIn, do_create_wallboard, wall_token
from beacon.responses.ingest import AnswerIn, ResponseIn, ingest
from beacon.testing import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1280, 720), (1920, 1080), (3840, 2160)]


def _answers(world: World) -> None:
    # 40 answers: NPS spread out, CSAT 4-5 mostly (a percentage with a decimal), CES 5-6
    # (a 1-7 mean whose interval is narrow).
    for i in range(40):
        ingest(
            ResponseIn(
                world.survey,
                f"wall-size-{i}",
                [
                    AnswerIn(world.nps.pk, number=(i * 7) % 11),
                    AnswerIn(world.csat.pk, number=5 if i % 4 else 3),
                    AnswerIn(world.ces.pk, number=5 + i % 2),
                ],
                touchpoint=world.touchpoint,
            )
        )


def _overflowing(page: Page) -> list[str]:
    """The figures that stick out of their card (or are clipped inside it)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.metric')].flatMap(card => {
            const box = card.getBoundingClientRect();
            return [...card.querySelectorAll('.value, .band, h2')].filter(el => {
                const r = el.getBoundingClientRect();
                return r.left < box.left - 0.5 || r.right > box.right + 0.5
                    || el.scrollWidth > el.clientWidth + 1;
            }).map(el => card.dataset.key + ': ' + el.textContent);
        })"""
    )


def _decimals(text: str) -> int:
    number = re.search(r"-?\d+(?:\.(\d+))?", text)
    assert number, text
    return len(number.group(1) or "")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_figure_fits_its_card(
    world: World, live_server, page: Page, width: int, height: int
) -> None:
    _answers(world)
    wall = do_create_wallboard(
        world.org, WallboardIn(name="Contact centre", metrics=["nps", "csat", "ces", "ces_easy"])
    )
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/wall/{wall_token(wall)}/")
    page.wait_for_function("document.getElementById('wall-status').textContent === 'live'")
    page.screenshot(path=f"/tmp/wallboard-{width}x{height}.png")
    assert _overflowing(page) == []
    cards = page.locator(".metric")
    assert cards.count() == 4
    for i in range(4):
        value = cards.nth(i).locator(".value").inner_text()
        band = cards.nth(i).locator(".band").inner_text()
        low, high = re.findall(r"-?\d+(?:\.\d+)?", band.split("·")[0].split(":", 1)[1])
        # The value is written at the precision of its own interval.
        assert _decimals(value) == _decimals(low) == _decimals(high), (value, band)
    ces = cards.nth(2)
    assert ces.get_attribute("data-key") == "ces"
    assert re.fullmatch(r"5\.\d+", ces.locator(".value").inner_text())
