"""Exports of the lists: the page's filters, masking by role, formula injection, empty
results, another organisation's rows, and large exports through the worker."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from beacon.core import clock
from beacon.loop.improvements import ActionIn, do_create_action
from beacon.loop.models import Case, CaseStatus
from beacon.loop.tests.helpers import part
from beacon.notifications.models import OutboxMessage
from beacon.reports.models import ExportJob, ExportState
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, answer, logged_in, open_case


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    text = _body(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_verbatims_csv_keeps_the_page_filter_and_neutralises_formulas(world: World) -> None:
    answer(world, nps=9, text="Lovely staff")
    answer(world, nps=2, text='=HYPERLINK("http://evil.test","staff")')
    answer(world, nps=3, text="Long wait")
    response = logged_in(world.owner).get("/exports/verbatims.csv", {"q": "staff"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert [r["comment"] for r in rows] == [
        "Lovely staff",
        '\'=HYPERLINK("http://evil.test","staff")',
    ]
    assert [r["nps"] for r in rows] == ["9", "2"]
    assert rows[0]["survey"] == "Support follow-up"


def test_band_filter_and_an_empty_result_give_headers_only(world: World) -> None:
    answer(world, nps=9, text="Great")
    rows = _csv(logged_in(world.owner).get("/exports/verbatims.csv", {"band": "detractor"}))
    assert rows == []
    response = logged_in(world.owner).get("/exports/verbatims.csv", {"band": "detractor"})
    header = _body(response).decode("utf-8-sig").strip()
    assert header.split(",")[:3] == ["answer_id", "response_id", "responded_at"]


def test_personal_data_is_masked_for_roles_that_do_not_see_it_on_screen(world: World) -> None:
    answer(world, nps=4, text="Call me on jo@example.com")
    agent_rows = _csv(logged_in(world.agent).get("/exports/responses.csv"))
    viewer_rows = _csv(logged_in(add_viewer(world)).get("/exports/responses.csv"))
    assert agent_rows[0]["comment"] == "Call me on jo@example.com"
    assert agent_rows[0]["contact_email"].endswith("@example.com")
    assert viewer_rows[0]["comment"] == "Call me on [email]"
    assert viewer_rows[0]["contact_email"] == viewer_rows[0]["contact_name"] == ""


def test_responses_carry_answers_sentiment_themes_and_case_status(
    world: World, django_capture_on_commit_callbacks
) -> None:
    case = open_case(world, django_capture_on_commit_callbacks, nps=1, text="Rude and slow")
    rows = _csv(logged_in(world.owner).get("/exports/responses.csv"))
    assert len(rows) == 1
    row = rows[0]
    assert row["response_id"] == str(case.response_id)
    assert (row["nps"], row["comment"], row["case_status"]) == ("1", "Rude and slow", "new")
    assert row["sentiment"] == case.response.answers.get(text="Rude and slow").insight.sentiment
    assert row["sentiment"] != ""


def test_responses_export_applies_the_analytics_filters(world: World, other_world: World) -> None:
    answer(world, nps=9, text="Yes")
    answer(world, nps=5, persona=False)
    answer(other_world, nps=7, text="Other org")
    rows = _csv(
        logged_in(world.owner).get("/exports/responses.csv", {"persona_id": world.persona.pk})
    )
    assert [r["nps"] for r in rows] == ["9"]
    everything = _csv(logged_in(world.owner).get("/exports/responses.csv"))
    assert sorted(r["nps"] for r in everything) == ["5", "9"]


def test_xlsx_has_typed_cells_and_text_for_formulas(world: World) -> None:
    answer(world, nps=8, text="+1 for the team")
    response = logged_in(world.owner).get("/exports/verbatims.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(_body(response)), read_only=True)
    sheet = book["Verbatims"]
    assert book.sheetnames == ["Verbatims"]
    rows = list(sheet.iter_rows(values_only=True))
    header, first = rows[0], rows[1]
    assert header[:3] == ("answer_id", "response_id", "responded_at")
    record = dict(zip(header, first, strict=True))
    assert record["nps"] == 8
    assert record["comment"] == "'+1 for the team"


def test_parquet_has_the_documented_schema(world: World) -> None:
    open_case(world, nps=3, text="Never again")
    response = logged_in(world.owner).get("/exports/cases.parquet", {"status": "all"})
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(_body(response)))
    assert table.schema.field("case_id").type == pa.int64()
    assert table.schema.field("due_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("overdue").type == pa.bool_()
    assert table.column("status").to_pylist() == [CaseStatus.NEW]
    empty = logged_in(world.owner).get("/exports/cases.parquet", {"status": "resolved"})
    empty_table = pq.read_table(io.BytesIO(_body(empty)))
    assert empty_table.num_rows == 0
    assert empty_table.schema.names == table.schema.names


def test_case_export_follows_mine_and_status(world: World) -> None:
    mine = open_case(world, text="First")
    other = open_case(world, text="Second")
    other.owner = world.owner
    other.save()
    rows = _csv(logged_in(world.owner).get("/exports/cases.csv", {"mine": "1"}))
    assert [r["case_id"] for r in rows] == [str(other.pk)]
    everything = _csv(logged_in(world.owner).get("/exports/cases.csv"))
    assert sorted(int(r["case_id"]) for r in everything) == sorted([mine.pk, other.pk])


def test_case_export_follows_the_lists_order_inline_and_in_the_worker(
    world: World, settings, django_capture_on_commit_callbacks
) -> None:
    # Each order a different list: scores, deadlines and opening times disagree, and the
    # one case in progress comes first by status.
    opened = []
    for n, (score, due) in enumerate([(4, 1), (0, 3), (6, 0), (2, 2)]):
        with clock.frozen_at(dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)):
            case = open_case(world, nps=score, text=f"case {n}")
        Case.objects.filter(pk=case.pk).update(
            due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=due)
        )
        opened.append(case.pk)
    Case.objects.filter(pk=opened[3]).update(status=CaseStatus.IN_PROGRESS)
    expected = {
        "score": [1, 3, 0, 2],
        "deadline": [2, 0, 3, 1],
        "opened": [3, 2, 1, 0],
        "status": [3, 2, 0, 1],
    }
    client = logged_in(world.owner)
    for sort, order in expected.items():
        rows = _csv(client.get("/exports/cases.csv", {"status": "open", "sort": sort}))
        assert [int(r["case_id"]) for r in rows] == [opened[i] for i in order], sort
    # The page's export link carries its order.
    page = client.get("/cases/", {"sort": "deadline"}).content.decode()
    assert 'href="/exports/cases.csv?status=open&amp;sort=deadline"' in page
    # A large export written by the worker keeps it too.
    settings.BEACON_EXPORT_INLINE_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/exports/cases.csv", {"sort": "score"})
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert job.spec["sort"] == "score"
    rows = _csv(client.get(f"/exports/{job.pk}/file"))
    assert [int(r["case_id"]) for r in rows] == [opened[i] for i in expected["score"]]


def test_another_organisations_rows_and_ids_never_come_out(
    world: World, other_world: World
) -> None:
    answer(world, nps=9, text="Ours")
    answer(other_world, nps=1, text="Theirs")
    open_case(other_world, text="Their case")
    client = logged_in(world.owner)
    assert [r["comment"] for r in _csv(client.get("/exports/verbatims.csv"))] == ["Ours"]
    assert _csv(client.get("/exports/cases.csv", {"status": "all"})) == []
    # Another organisation's survey id is not a filter of this list: back to the page.
    refused = client.get("/exports/verbatims.csv", {"survey": other_world.survey.pk})
    assert refused.status_code == 302
    assert refused["Location"].startswith("/verbatims/?survey=")


def test_unknown_list_or_format_is_404_and_contacts_need_an_admin(world: World) -> None:
    answer(world, nps=9)
    owner = logged_in(world.owner)
    assert owner.get("/exports/secrets.csv").status_code == 404
    assert owner.get("/exports/verbatims.pdf").status_code == 404
    assert logged_in(world.agent).get("/exports/contacts.csv").status_code == 403
    rows = _csv(owner.get("/exports/contacts.csv"))
    assert len(rows) == 1 and rows[0]["contact_external_id"].startswith("cust-")
    assert rows[0]["contact_email"].endswith("@example.com")


def test_actions_export_lists_the_board(world: World) -> None:
    do_create_action(
        world.org.pk,
        ActionIn(
            title="-cmd|' /C calc'!A0",
            source="driver",
            driver="Wait time",
            owner=world.owner,
            deadline=clock.now() + dt.timedelta(days=30),
        ),
        actor=world.owner,
    )
    rows = _csv(logged_in(world.owner).get("/exports/actions.csv"))
    assert [r["title"] for r in rows] == ["'-cmd|' /C calc'!A0"]
    assert rows[0]["owner"] == "Olive Owner"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_large_export_runs_in_the_worker_with_progress_link_and_email(
    world: World, other_world: World, settings, smtp, django_capture_on_commit_callbacks, fmt
) -> None:
    settings.BEACON_EXPORT_INLINE_ROWS = 2
    for n in range(3):
        answer(world, nps=n, text=f"Comment {n}")
    client = logged_in(world.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/exports/verbatims.{fmt}")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    assert (job.state, job.rows_done, job.rows_total) == (ExportState.DONE, 3, 3)
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "Ready: 3 rows." in page and f"/exports/{job.pk}/file" in page
    file = client.get(f"/exports/{job.pk}/file")
    assert file.status_code == 200
    data = _body(file)
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(data)).num_rows == 3
    elif fmt == "csv":
        assert data.decode("utf-8-sig").count("Comment ") == 3
    mail = smtp.inbox.to(world.owner.user.email)
    assert len(mail) == 1 and f"/exports/{job.pk}/" in part(mail[0], "text/plain")
    assert OutboxMessage.objects.get().state == "sent"
    # Only the member who asked gets the file: not a colleague, not another organisation.
    assert logged_in(world.agent).get(f"/exports/{job.pk}/file").status_code == 404
    assert logged_in(other_world.owner).get(f"/exports/{job.pk}/").status_code == 404
