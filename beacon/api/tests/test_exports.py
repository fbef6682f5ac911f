"""GET /exports/{list}: pages with cursors, files, filters checked, masked, own org only."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq

from beacon.api.tests.conftest import Api
from beacon.testing import World
from beacon.web.tests.helpers import answer, open_case


def test_json_pages_with_a_cursor_cover_every_row_once(api: Api, world: World) -> None:
    for n in range(5):
        answer(world, nps=n, text=f"Comment {n} jo@example.com")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/exports/verbatims", **params).json()
        seen += [item["answer_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 5 and seen == sorted(set(seen))
    first = api.get("/exports/verbatims", limit=1).json()
    assert first["columns"][:2] == ["answer_id", "response_id"]
    # An API key sees personal data masked.
    assert first["items"][0]["comment"] == "Comment 0 [email]"


def test_response_pages_are_the_whole_list_in_id_order(
    api: Api, world: World, other_world: World
) -> None:
    for n in range(5):
        answer(world, nps=n, text=f"Comment {n}")
        answer(other_world, nps=n)
    whole = api.get("/exports/responses").json()
    ids = [item["response_id"] for item in whole["items"]]
    assert len(ids) == 5 and ids == sorted(ids) and whole["next_cursor"] is None
    items: list[dict[str, object]] = []
    cursor = None
    added = None
    while True:
        body = api.get("/exports/responses", limit=2, **({"cursor": cursor} if cursor else {}))
        page = body.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if added is None:
            # Stored while paging: it comes on a later page, once.
            added = answer(world, nps=10).pk
        if cursor is None:
            break
    assert items[:5] == whole["items"]
    assert [item["response_id"] for item in items] == [*ids, added]
    assert [item["nps"] for item in items] == [0, 1, 2, 3, 4, 10]


def test_csv_and_parquet_files_carry_the_next_cursor_header(api: Api, world: World) -> None:
    for n in range(3):
        answer(world, nps=9, text=f"Great {n}")
    first = api.get("/exports/responses", format="csv", limit=2)
    assert first.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(first.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2
    assert first["X-Next-Cursor"] == rows[-1]["response_id"]
    rest = api.get("/exports/responses", format="parquet", cursor=first["X-Next-Cursor"])
    table = pq.read_table(io.BytesIO(b"".join(rest.streaming_content)))
    assert table.num_rows == 1 and "X-Next-Cursor" not in rest


def test_filters_apply_and_bad_ones_are_named(api: Api, world: World, other_world: World) -> None:
    answer(world, nps=2, text="Bad")
    answer(world, nps=10, text="Good")
    body = api.get("/exports/verbatims", band="detractor").json()
    assert [i["comment"] for i in body["items"]] == ["Bad"]
    empty = api.get("/exports/verbatims", q="nothing like this").json()
    assert empty == {"columns": body["columns"], "items": [], "next_cursor": None}
    refused = api.get(
        "/exports/responses", survey_id=other_world.survey.pk, band="x", sentiment="meh"
    )
    assert refused.status_code == 422
    fields = {e["field"]: e["message"] for e in refused.json()["detail"]}
    assert fields["survey_id"].startswith("no survey")
    assert fields["band"] == "does not apply to responses"
    assert fields["sentiment"].startswith("must be one of")
    assert api.get("/exports/secrets").status_code == 422
    assert api.get("/exports/cases", cursor="abc").status_code == 422


def test_another_organisations_rows_never_come_out(
    api: Api, world: World, other_world: World
) -> None:
    open_case(other_world, text="Theirs")
    assert api.get("/exports/cases").json()["items"] == []
    ours = open_case(world, text="Ours")
    assert [i["case_id"] for i in api.get("/exports/cases").json()["items"]] == [ours.pk]
