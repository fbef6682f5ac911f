"""The verbatim feed: filters, 25 per page, htmx fragments, and only the own organisation."""

from __future__ import annotations

import datetime as dt

from beacon.core import clock
from beacon.cxmodel.actions import do_create_persona
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


def test_first_page_has_25_newest_and_a_load_more_link(world: World) -> None:
    _thirty(world)
    html = page(logged_in(world.owner), "/verbatims/")
    assert _comments(html) == [f"Comment {i:02d}" for i in range(25)]
    assert "30 comments" in html
    assert '<a href="?page=2" class="button button-quiet" hx-get="?page=2"' in html
    assert "<html" in html


def test_second_page_without_js_is_a_full_page(world: World) -> None:
    _thirty(world)
    html = page(logged_in(world.owner), "/verbatims/", page="2")
    assert _comments(html) == [f"Comment {i:02d}" for i in range(25, 30)]
    assert "showing 26\N{EN DASH}30" in html
    assert 'id="load-more"' not in html
    assert "<html" in html


def test_load_more_with_htmx_returns_only_the_next_items(world: World) -> None:
    _thirty(world)
    client = logged_in(world.owner)
    response = client.get("/verbatims/", {"page": "2"}, headers={**HTMX, "HX-Target": "load-more"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li>")
    assert "<html" not in html and "30 comments" not in html
    assert _comments(html) == [f"Comment {i:02d}" for i in range(25, 30)]
    assert "HX-Request" in response["Vary"]


def test_filtering_with_htmx_returns_the_results_part(world: World) -> None:
    _thirty(world)
    response = logged_in(world.owner).get(
        "/verbatims/", {"q": "comment 1"}, headers={**HTMX, "HX-Target": "results"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "10 comments" in html
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
    html = page(client, "/verbatims/", survey="abc", band="grumpy", page="zzz")
    assert "survey: unknown survey &#x27;abc&#x27;; the filter was not applied." in html
    assert "band: must be detractor, passive or promoter" in html
    assert _comments(html) == ["still listed"]
    html = page(client, "/verbatims/", q="x" * 201)
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
    html = page(client, "/verbatims/", survey=str(other_world.survey.pk), q="only")
    assert "survey: unknown survey" in html
    assert _comments(html) == ["Acme only"]
    for name, obj in (("stage", other_world.stage), ("persona", other_world.persona),
                      ("team", other_world.team)):  # fmt: skip
        html = client.get("/verbatims/", {name: str(obj.pk)}).content.decode()
        assert f"{name}: unknown {name}" in html
        assert "Globex only" not in html
