"""The overview dashboard shows the numbers metrics.summary computes, each with n and interval."""

from __future__ import annotations

import datetime as dt

from beacon.analytics import metrics
from beacon.core import clock
from beacon.testing import World
from beacon.web.tests.helpers import answer, embedded_json, logged_in, page


def _forty(world: World) -> None:
    """20 promoters, 12 passives, 8 detractors: NPS = 50% - 20% = 30."""
    for i, score in enumerate([10] * 20 + [8] * 12 + [3] * 8):
        answer(world, nps=score, csat=5 if i < 10 else None)


def test_cards_show_value_margin_and_n(world: World) -> None:
    _forty(world)
    html = page(logged_in(world.owner), "/")
    # By hand: p=.5, d=.2, variance (p + d - NPS²)/n = .01525, margin 1.96 x .1235 = 24.2.
    assert '<p class="metric-value">30</p>' in html
    assert '<p class="metric-stats">±24 · n=40</p>' in html
    assert '<p class="metric-interval">95% interval 6 to 54</p>' in html
    # The same numbers as the metric function that API and pages share.
    today = clock.now().date()
    nps = metrics.summary(world.org, metrics.Filters(start=today - dt.timedelta(days=89)))["nps"]
    assert nps.n == 40 and round(nps.value or 0) == 30 and round(nps.margin or 0) == 24
    # CSAT has 10 answers and CES none: below the organisation's minimum of 30.
    assert "Not enough answers (n = 10 of 30 needed)" in html
    assert "Not enough answers (n = 0 of 30 needed)" in html


def test_too_few_answers_show_no_number(world: World) -> None:
    for score in (10, 9, 3, 2, 1):
        answer(world, nps=score)
    html = page(logged_in(world.owner), "/")
    card = html.split('id="metric-nps"')[1].split("</article>")[0]
    assert '<p class="metric-missing">Not enough answers (n = 5 of 30 needed)</p>' in card
    assert "metric-value" not in card


def test_charts_get_their_data_as_json(world: World) -> None:
    _forty(world)
    html = page(logged_in(world.owner), "/")
    trend = embedded_json(html, "trend-data")
    assert trend["label"] == "NPS" and len(trend["points"]) == 12
    this_week = trend["points"][-1]
    assert this_week["week"] == metrics.week_start(clock.now().date()).isoformat()
    assert (this_week["value"], this_week["n"]) == (30.0, 40)
    assert this_week["low"] == 5.8 and this_week["high"] == 54.2
    assert this_week["text"] == "NPS 30 ±24 · n=40"
    empty_week = trend["points"][0]
    assert empty_week["value"] is None and empty_week["n"] == 0
    assert empty_week["text"] == "NPS: Not enough answers (n = 0 of 30 needed)"
    stage = embedded_json(html, "stage-data")
    # Only stages with answers; the outside stage "Compare offers" has none.
    assert [(r["label"], r["value"], r["n"]) for r in stage["rows"]] == [("Get help", 30.0, 40)]
    persona = embedded_json(html, "persona-data")
    assert [(r["label"], r["n"]) for r in persona["rows"]] == [("Busy professional", 40)]
    # The charts are drawn by a static file; no inline script in the page.
    assert "echarts.min.js" in html and "beacon/js/charts.js" in html
    assert "<script>" not in html


def test_breakdown_tables_show_n_and_interval(world: World) -> None:
    _forty(world)
    for score in (9, 2):
        answer(world, nps=score, persona=False)
    html = page(logged_in(world.owner), "/")
    persona_table = html.split('id="persona-title"')[1]
    assert '<th scope="row">Busy professional</th>' in persona_table
    assert '<td class="num">30</td><td class="num">±24</td>' in persona_table
    assert '<td class="num">40</td>' in persona_table
    assert '<th scope="row">(none)</th>' in persona_table
    assert "Not enough answers (n = 2 of 30 needed)" in persona_table


def test_period_selector(world: World) -> None:
    now = clock.now()
    for _ in range(3):
        answer(world, nps=10)
    for _ in range(2):
        answer(world, nps=0, when=now - dt.timedelta(days=60))
    client = logged_in(world.owner)
    assert "Not enough answers (n = 3 of 30 needed)" in page(client, "/", period="30")
    html = page(client, "/", period="90")
    assert "Not enough answers (n = 5 of 30 needed)" in html
    assert '<option value="90" selected>Last 90 days</option>' in html


def test_bad_period_shows_the_page_with_a_message(world: World) -> None:
    client = logged_in(world.owner)
    for bad in ("abc", "7", "-30", "9" * 30):
        html = page(client, "/", period=bad)
        assert "period must be one of 30, 90, 180 days; showing the last 90 days." in html
        assert "(last 90 days)" in html


def test_latest_verbatims_are_the_eight_newest_with_context(world: World) -> None:
    now = clock.now()
    for i in range(10):
        answer(world, nps=i, csat=3, text=f"Comment number {i}.", when=now - dt.timedelta(hours=i))
    html = page(logged_in(world.owner), "/")
    side = html.split('id="latest-title"')[1].split("</aside>")[0]
    shown = [i for i in range(10) if f"Comment number {i}." in side]
    assert shown == list(range(8))
    assert side.index("Comment number 0.") < side.index("Comment number 7.")
    first = side.split('<article class="verbatim">')[1]
    assert '<span class="score score-bad">NPS 0</span>' in first
    assert '<span class="score score-neutral">CSAT 3</span>' in first
    assert "<span>Support follow-up</span>" in first
    assert "<span>Get help</span>" in first
    assert "<span>Busy professional</span>" in first
    assert now.strftime("%-d %b %Y") in first


def test_verbatims_older_than_the_period_are_not_in_latest(world: World) -> None:
    answer(world, nps=5, text="Old news", when=clock.now() - dt.timedelta(days=45))
    client = logged_in(world.owner)
    assert "Old news" not in page(client, "/", period="30")
    assert "Old news" in page(client, "/", period="90")


def test_html_in_a_verbatim_is_shown_as_text(world: World) -> None:
    answer(world, nps=1, text='<script>alert("pwned")</script><b>bold</b>')
    html = page(logged_in(world.owner), "/")
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>alert" not in html and "<b>bold</b>" not in html


def test_other_organisations_answers_never_count_or_show(world: World, other_world: World) -> None:
    for _ in range(35):
        answer(other_world, nps=0, text="Globex secret")
    answer(world, nps=10, text="Acme comment")
    html = page(logged_in(world.owner), "/")
    assert "Globex secret" not in html
    assert "Acme comment" in html
    assert "Not enough answers (n = 1 of 30 needed)" in html
    assert embedded_json(html, "stage-data")["rows"][0]["n"] == 1
