"""The verbatim feed: filters, 25 per page, htmx fragments, and only the own organisation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from beacon.core import clock
from beacon.cxmodel.actions import do_create_persona
from beacon.responses.models import Answer
from beacon.responses.queries import FeedCursor, after, parse_cursor, verbatims
from beacon.testing import World
from beacon.web.tests.helpers import answer, logged_in, page

HTMX = {"HX-Request": "true"}


def _comments(html: str) -> list[str]:
    parts = html.split('<blockquote class="verbatim-text"><p>')[1:]
    return [part.split("</p>")[0] for part in parts]


def _thirty(world: World) -> None:
    now = clock.now()
    for i in range(30):
        answer(world, nps=i % 11, text=f"Comment {i:02d}", when=now - dt.timedelta(minutes=i))


def _after(html: str) -> str:
    """The cursor of the "Load more" link."""
    return html.split('id="load-more"')[1].split("?after=")[1].split('"')[0]


def test_first_page_has_25_newest_and_a_load_more_link(world: World) -> None:
    _thirty(world)
    html = page(logged_in(world.owner), "/verbatims/")
    assert _comments(html) == [f"Comment {i:02d}" for i in range(25)]
    # No total: counting every comment is what made the feed slow at 1M responses.
    assert "Newest comments first" in html and "30 comments" not in html
    last = Answer.objects.get(text="Comment 24")
    token = FeedCursor(last.response.responded_at, last.pk).token
    assert f'<a href="?after={token}" class="button button-quiet" hx-get="?after={token}"' in html
    assert "<html" in html


def test_second_page_without_js_is_a_full_page(world: World) -> None:
    _thirty(world)
    client = logged_in(world.owner)
    html = page(client, "/verbatims/", after=_after(page(client, "/verbatims/")))
    assert _comments(html) == [f"Comment {i:02d}" for i in range(25, 30)]
    assert 'Older comments · <a href="?">Back to the newest</a>' in html
    assert 'id="load-more"' not in html
    assert "<html" in html


def test_load_more_with_htmx_returns_only_the_next_items(world: World) -> None:
    _thirty(world)
    client = logged_in(world.owner)
    after = _after(page(client, "/verbatims/"))
    response = client.get(
        "/verbatims/", {"after": after}, headers={**HTMX, "HX-Target": "load-more"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li>")
    assert "<html" not in html and "Older comments" not in html
    assert _comments(html) == [f"Comment {i:02d}" for i in range(25, 30)]
    assert "HX-Request" in response["Vary"]


def _offset_pages(org: Any, size: int) -> list[list[int]]:
    """The feed's pages as the OFFSET pager cut them: the reference for keyset pages."""
    ids = list(verbatims(org).values_list("pk", flat=True))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def test_keyset_pages_are_the_offset_pages_with_ties_in_time(world: World) -> None:
    # Four responses at each instant: the cursor's tie-break (the answer id) must neither
    # skip nor repeat a comment at a page edge.
    now = clock.now()
    for i in range(23):
        answer(world, nps=i % 11, text=f"c{i}", when=now - dt.timedelta(minutes=i // 4))
    for size in (1, 3, 4, 7):
        pages, cursor = [], None
        while True:
            found = list(after(verbatims(world.org), cursor)[: size + 1])
            pages.append([a.pk for a in found[:size]])
            if len(found) <= size:
                break
            cursor = FeedCursor.of(found[size - 1])
        assert pages == _offset_pages(world.org, size)


def test_cursor_tokens_read_back_and_bad_ones_are_named(world: World) -> None:
    when = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    cursor = FeedCursor(when, 42)
    assert parse_cursor(cursor.token) == cursor
    for bad in ("", "x", "1.2.3", "-5.3", "999999999999999999.1", "12.", ".4"):
        assert parse_cursor(bad) is None
    answer(world, nps=8, text="still listed")
    html = page(logged_in(world.owner), "/verbatims/", expect=400, after="not-a-cursor")
    assert "after: not a position in this list of comments; showing the newest." in html
    assert _comments(html) == ["still listed"]


def test_filtering_with_htmx_returns_the_results_part(world: World) -> None:
    _thirty(world)
    response = logged_in(world.owner).get(
        "/verbatims/", {"q": "comment 1"}, headers={**HTMX, "HX-Target": "results"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "Newest comments first" in html
    assert _comments(html) == [f"Comment {i:02d}" for i in range(10, 20)]


def test_band_filter(world: World) -> None:
    for score, text in ((0, "det zero"), (6, "det six"), (7, "passive seven"), (9, "promo nine")):
        answer(world, nps=score, text=text)
    client = logged_in(world.owner)
    assert _comments(page(client, "/verbatims/", band="detractor")) == ["det six", "det zero"]
    assert _comments(page(client, "/verbatims/", band="passive")) == ["passive seven"]
    html = page(client, "/verbatims/", band="promoter")
    assert _comments(html) == ["promo nine"]
    assert '<option value="promoter" selected>Promoters</option>' in html


def test_dimension_filters(world: World) -> None:
    other_persona = do_create_persona(world.org, "Bargain hunter", "Compares", "Low price")
    answer(world, nps=8, text="with team", team=True)
    answer(world, nps=8, text="no team, no persona", team=False, persona=False)
    client = logged_in(world.owner)
    assert _comments(page(client, "/verbatims/", team=str(world.team.pk))) == ["with team"]
    assert _comments(page(client, "/verbatims/", persona=str(world.persona.pk))) == ["with team"]
    assert _comments(page(client, "/verbatims/", persona=str(other_persona.pk))) == []
    assert _comments(page(client, "/verbatims/", stage=str(world.stage.pk))) == [
        "no team, no persona",
        "with team",
    ]
    assert _comments(page(client, "/verbatims/", stage=str(world.outside_stage.pk))) == []
    html = page(client, "/verbatims/", survey=str(world.survey.pk), q="TEAM")
    assert _comments(html) == ["no team, no persona", "with team"]
    assert "No comments match these filters." in page(client, "/verbatims/", q="nothing like it")


def test_bad_filter_values_give_a_message_not_an_error(world: World) -> None:
    answer(world, nps=8, text="still listed")
    client = logged_in(world.owner)
    html = page(client, "/verbatims/", expect=400, survey="abc", band="grumpy", after="zzz")
    assert "survey: unknown survey &#x27;abc&#x27;; the filter was not applied." in html
    assert "band: must be detractor, passive or promoter" in html
    assert _comments(html) == ["still listed"]
    html = page(client, "/verbatims/", expect=400, q="x" * 201)
    assert "q: search text must be at most 200 characters." in html


def test_html_in_a_verbatim_is_escaped(world: World) -> None:
    answer(world, nps=2, text="<img src=x onerror=alert(1)>\nsecond line")
    html = page(logged_in(world.owner), "/verbatims/")
    assert "&lt;img src=x onerror=alert(1)&gt;<br>second line" in html
    assert "<img src=x" not in html


def test_other_organisations_verbatims_are_never_listed(world: World, other_world: World) -> None:
    answer(other_world, nps=1, text="Globex only")
    answer(world, nps=1, text="Acme only")
    client = logged_in(world.owner)
    assert _comments(page(client, "/verbatims/")) == ["Acme only"]
    # Filtering by the other organisation's ids is refused, and still shows nothing of theirs.
    html = page(client, "/verbatims/", expect=400, survey=str(other_world.survey.pk), q="only")
    assert "survey: unknown survey" in html
    assert _comments(html) == ["Acme only"]
    for name, obj in (("stage", other_world.stage), ("persona", other_world.persona),
                      ("team", other_world.team)):  # fmt: skip
        html = client.get("/verbatims/", {name: str(obj.pk)}).content.decode()
        assert f"{name}: unknown {name}" in html
        assert "Globex only" not in html
