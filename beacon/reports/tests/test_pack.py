"""The board pack: the PDF read back (pages, text, figures equal to the API's), "not enough
answers", the monthly schedule emailed through the outbox, roles and other organisations."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest

from beacon.alignment.actions import do_answer
from beacon.alignment.tests.helpers import answer_in, recipient, send_round
from beacon.analytics.alignment import round_results
from beacon.analytics.tasks import refresh_value_reports
from beacon.analytics.tests.money_synth import TODAY, action_plan, retention_plan, to_db
from beacon.api.tests.conftest import Api
from beacon.core import clock
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.tests.helpers import part
from beacon.outcomes.actions import SettingsIn, do_save_settings
from beacon.reports.actions import do_send_scheduled_packs
from beacon.reports.models import BoardPack, PackSchedule
from beacon.reports.pack import SECTIONS
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, answer, logged_in


def _pdf(response) -> pypdf.PdfReader:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return pypdf.PdfReader(io.BytesIO(b"".join(response.streaming_content)))


def _text(reader: pypdf.PdfReader) -> str:
    # Collapse the line breaks the layout puts inside sentences.
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _seed(world: World, n: int, day: dt.datetime) -> None:
    for i in range(n):
        answer(world, nps=[10, 9, 8, 3, 10][i % 5], when=day + dt.timedelta(minutes=i))


def _generate(client, start: dt.date, end: dt.date):
    response = client.post("/reports/pack/", {"start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 302
    return client.get(response["Location"])


def test_pack_reads_back_with_one_page_per_section_and_the_apis_figures(world: World) -> None:
    today = clock.now().date()
    start, end = today - dt.timedelta(days=27), today
    _seed(world, 40, clock.now() - dt.timedelta(days=3))
    reader = _pdf(_generate(logged_in(world.owner), start, end))
    assert len(reader.pages) == len(SECTIONS) == 9
    text = _text(reader)
    api = Api(world.api_secret).get(
        "/metrics/summary", start=start.isoformat(), end=end.isoformat()
    )
    nps = api.json()["nps"]
    assert nps["enough"] and nps["n"] == 40
    expected = (
        f"NPS {nps['value']:.0f} (95% interval {nps['low']:.0f} to {nps['high']:.0f}, n = 40)"
    )
    assert expected in text
    # No CSAT or CES answers at all: said so, not a made-up number.
    assert "CSAT: not enough answers (n = 0 of 30 needed)" in text
    for section in SECTIONS:
        assert section in text
    page_texts = [" ".join((p.extract_text() or "").split()) for p in reader.pages]
    assert "Scores by stage" in page_texts[1] and "Get help" in page_texts[1]
    assert "Cases opened: 0" in page_texts[4]
    assert BoardPack.objects.get().pages == 9
    # No outcomes sent: the money section says what is missing instead of figures.
    assert page_texts[7].startswith("Follow the money No outcome data yet, so no money figures.")
    assert "No service contacts received yet: needed for cost to serve." in page_texts[7]
    # No alignment round either: the last section says how to get one.
    assert page_texts[8].startswith(
        "Do we agree on the customer? No alignment round has been answered yet."
    )


def test_a_period_with_too_few_answers_says_not_enough_answers(world: World) -> None:
    _seed(world, 4, clock.now() - dt.timedelta(days=1))
    today = clock.now().date()
    text = _text(_pdf(_generate(logged_in(world.owner), today - dt.timedelta(days=6), today)))
    assert "NPS: not enough answers (n = 4 of 30 needed)" in text
    assert "Trend: not enough answers." in text


def test_bad_period_shows_the_form_again_and_stores_nothing(world: World) -> None:
    response = logged_in(world.owner).post(
        "/reports/pack/", {"start": "2026-05-10", "end": "2026-05-01"}
    )
    assert response.status_code == 400
    assert "must be on or after the start" in response.content.decode()
    response = logged_in(world.owner).post("/reports/pack/", {"start": "soon", "end": ""})
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    assert not BoardPack.objects.exists()


def test_roles_and_another_organisations_pack(world: World, other_world: World) -> None:
    assert logged_in(add_viewer(world)).get("/reports/pack/").status_code == 403
    assert logged_in(world.agent).get("/reports/pack/").status_code == 403
    assert logged_in(world.owner).get("/reports/pack/").status_code == 200
    today = clock.now().date()
    _generate(logged_in(other_world.owner), today - dt.timedelta(days=6), today)
    theirs = BoardPack.objects.get()
    assert logged_in(world.owner).get(f"/reports/packs/{theirs.pk}.pdf").status_code == 404


def test_schedule_emails_last_months_pack_once_through_the_outbox(
    world: World, other_world: World, smtp, django_capture_on_commit_callbacks
) -> None:
    owner = logged_in(world.owner)
    # Another organisation's member cannot be chosen.
    refused = owner.post(
        "/reports/pack/schedule/",
        {"day": "3", "recipients": [other_world.agent.pk], "active": "on"},
    )
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    assert not PackSchedule.objects.exists()
    saved = owner.post(
        "/reports/pack/schedule/", {"day": "3", "recipients": [world.agent.pk], "active": "on"}
    )
    assert saved.status_code == 302
    assert (
        logged_in(world.agent)
        .post("/reports/pack/schedule/", {"day": "1", "recipients": [world.agent.pk]})
        .status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert do_send_scheduled_packs(dt.date(2026, 7, 2)) == 0  # before the day
        assert do_send_scheduled_packs(dt.date(2026, 7, 3)) == 1
        assert do_send_scheduled_packs(dt.date(2026, 7, 20)) == 0  # once a month
    pack = BoardPack.objects.get()
    assert (pack.start, pack.end) == (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    [mail] = smtp.inbox.to(world.agent.user.email)
    assert mail["Subject"] == "Board pack: 01 Jun 2026 to 30 Jun 2026"
    assert f"/reports/packs/{pack.pk}.pdf" in part(mail, "text/plain")
    assert smtp.inbox.to(world.owner.user.email) == []
    assert len(_pdf(logged_in(world.agent).get(f"/reports/packs/{pack.pk}.pdf")).pages) == 9


@pytest.mark.parametrize("day", ["0", "29", "x"])
def test_schedule_day_must_exist_in_every_month(world: World, day: str) -> None:
    response = logged_in(world.owner).post(
        "/reports/pack/schedule/", {"day": day, "recipients": [world.agent.pk]}
    )
    assert response.status_code == 400
    assert not PackSchedule.objects.exists()


def _shown(f: dict, pre: str = "", post: str = "") -> str:
    s = f["shown"]
    return f"{pre}{s['value']}{post} ({pre}{s['low']} to {pre}{s['high']}{post}, n = {f['n']})"


def test_follow_the_money_reads_the_value_pages_stored_figures(world: World) -> None:
    do_save_settings(world.org, SettingsIn("GBP", {}, {"phone": Decimal(6)}, 90, False, False))
    plan = retention_plan(21, n=150)
    plan.customers += action_plan(22, n=80).customers
    to_db(world, plan, stage_touchpoints=(world.touchpoint, world.touchpoint))
    completed = TODAY - dt.timedelta(days=60)
    with clock.frozen_at(completed - dt.timedelta(days=10)):
        action = do_create_action(
            world.org.pk,
            ActionIn(title="Fewer repeat calls", source="driver", owner=world.owner,
                     deadline=completed, stage=world.stage, driver="repeat calls"),
            actor=world.owner,
        )  # fmt: skip
    with clock.frozen_at(completed):
        do_set_action_status(action, "in_progress", actor=world.owner)
        do_set_action_status(action, "done", actor=world.owner)
    with clock.frozen_at(TODAY):
        refresh_value_reports(world.org.pk)
    today = clock.now().date()
    reader = _pdf(_generate(logged_in(world.owner), today - dt.timedelta(days=27), today))
    money = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages[7:])
    api = Api(world.api_secret).get("/value").json()["data"]
    assert money.startswith("Follow the money Figures as of 01 Jun 2026, 12:00")
    promoter = api["revenue"]["by_nps"]["promoter"]
    assert promoter["n"] == 64 and promoter["enough"]  # 50 + 14 of the action's customers
    expected = [
        _shown(promoter, "GBP "),
        _shown(api["revenue"]["uplift"]["promoter_vs_detractor"], "GBP "),
        _shown(api["retention"]["hazard_ratio"]["detractor"], post="x"),
        _shown(api["retention"]["by_nps"][2]["churn"]["180"], post="%"),
        _shown(api["cost_to_serve"]["overall"]["cost"], "GBP "),
        _shown(api["point_value"]["point"], "GBP "),
        _shown(api["at_risk"]["at_risk"], "GBP "),
    ]
    [crown] = api["actions"]
    expected += [_shown(crown["legs"]["cost"], "GBP "), _shown(crown["legs"]["experience"])]
    for text in expected:
        assert text in money, text
    for heading in (
        "Retention by experience",
        "Revenue by experience",
        "Cost to serve",
        "The value of one point",
        "Revenue at risk",
        "The triple crown per action",
    ):
        assert heading in money, heading  # fmt: skip
    assert "No subscription events" not in money and "No service contacts" not in money


def test_the_alignment_section_shows_the_latest_rounds_agreement_and_flags(
    world: World,
) -> None:
    issued = send_round(world)
    # Three people name three different people accountable for the first stage: contested.
    stage = world.stage.pk
    do_answer(recipient(issued, world.owner), answer_in(world, overall=world.owner))
    agent = answer_in(world, who={stage: world.agent}, overall=world.owner)
    do_answer(recipient(issued, world.agent), agent)
    do_answer(recipient(issued, world.stage_owner), answer_in(world, who={stage: world.owner}))
    results = round_results(issued.round)
    today = clock.now().date()
    reader = _pdf(_generate(logged_in(world.owner), today - dt.timedelta(days=27), today))
    text = " ".join((reader.pages[-1].extract_text() or "").split())
    assert text.startswith("Do we agree on the customer? Round “Spring alignment”, 3 answers.")
    assert f"first persona choice; 1 is perfect, 0 is chance): {results.alpha.text}." in text
    assert (
        f"the most named, {world.owner.display_name}, by {results.overall.top_share.text}" in text
    )
    assert ("Contested", world.stage.name) in {(f.label, w) for w, f in results.flags}
    for where, flag in results.flags:
        assert f"{where} {flag.label}" in text
