"""Distribution page, rules form, QR posters, and CSV imports with progress."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from beacon.contacts.actions import InteractionIn, do_record_interaction
from beacon.contacts.imports import do_record_progress
from beacon.contacts.models import Contact, ImportJob, ImportState
from beacon.surveys.actions import do_create_invitation
from beacon.surveys.models import DistributionRule, SurveyPolicy
from beacon.testing import World, contact_in
from beacon.web.tests.helpers import logged_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_distribution_page_rules_and_budget(world: World, other_world: World) -> None:
    client = logged_in(world.owner)
    url = f"/surveys/{world.survey.pk}/distribution/"
    page = client.get(url)
    assert page.status_code == 200 and b"Response rate per channel" in page.content
    done = client.post(
        url + "rules/",
        {"touchpoint": world.touchpoint.pk, "channel": "email", "delay_minutes": "30",
         "sample_percent": "20", "conditions": "plan = gold"},
    )  # fmt: skip
    assert done.status_code == 302
    rule = DistributionRule.objects.get()
    assert (rule.touchpoint_id, rule.delay_minutes, rule.sample_percent, rule.conditions) == (
        world.touchpoint.pk, 30, 20, {"plan": "gold"},
    )  # fmt: skip
    assert rule.active  # the add form has no Active box: a new rule asks at once
    bad = client.post(url + "rules/", {"sample_percent": "0", "delay_minutes": "soon"})
    assert bad.status_code == 400 and b"delay_minutes: must be a whole number" in bad.content
    bad = client.post(url + "rules/", {"sample_percent": "0"})
    assert bad.status_code == 400 and b"sample_percent: must be between 1 and 100" in bad.content
    assert DistributionRule.objects.count() == 1
    saved = client.post(
        url + "budget/", {"org_days": "30", "survey_days": "7", "reminder_after_days": ""}
    )
    assert saved.status_code == 302
    assert SurveyPolicy.objects.get().min_days_between == 30
    world.survey.refresh_from_db()
    assert (world.survey.resurvey_after_days, world.survey.reminder_after_days) == (7, None)
    assert client.get(f"/surveys/{other_world.survey.pk}/distribution/").status_code == 404
    assert logged_in(world.agent).post(url + "rules/", {}).status_code == 403


def test_qr_poster_svg_png_and_scan_records_the_touchpoint(
    world: World, other_world: World
) -> None:
    client = logged_in(world.owner)
    base = f"/surveys/{world.survey.pk}/qr/{world.touchpoint.pk}"
    poster = client.get(base + "/")
    assert poster.status_code == 200 and b"<svg" in poster.content
    svg = client.get(base + ".svg")
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<?xml")
    png = client.get(base + ".png")
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(base + ".gif").status_code == 404
    assert client.get(
        f"/surveys/{world.survey.pk}/qr/{other_world.touchpoint.pk}/"
    ).status_code == (404)
    from django.test import Client

    from beacon.responses.models import Response

    visitor = Client()
    token = world.survey.anonymous_token
    scan = visitor.get(f"/s/q/{token}/{world.touchpoint.pk}/")
    assert scan.status_code == 302 and scan["Location"] == f"/s/a/{token}/"
    visitor.post(f"/s/a/{token}/", {"question": world.nps.pk, "answer": "9"})
    response = Response.objects.get()
    assert (response.channel, response.touchpoint_id, response.stage_id) == (
        "qr", world.touchpoint.pk, world.stage.pk,
    )  # fmt: skip
    assert visitor.get(f"/s/q/{token}/{other_world.touchpoint.pk}/").status_code == 404


def test_import_page_runs_job_shows_progress_and_error_csv(
    world: World, other_world: World
) -> None:
    client = logged_in(world.owner)
    listing = client.get("/imports/").content.decode()
    assert f"<title>Imports · {world.org.name} · Beacon</title>" in listing
    assert listing.count("Inbound help-desk webhooks") == 1
    upload = SimpleUploadedFile(
        "people.csv", b"external_id,email\nc1,a@example.com\nc2,nope\n", "text/csv"
    )
    done = client.post("/imports/", {"kind": "contacts", "file": upload})
    job = ImportJob.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/imports/{job.pk}/"
    assert (job.state, job.rows_imported, job.rows_failed) == (ImportState.DONE, 1, 1)
    page = client.get(f"/imports/{job.pk}/")
    assert b"1 rows imported, 1 refused" in page.content and b"hx-trigger" not in page.content
    partial = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b'id="import-progress"' in partial.content
    report = client.get(f"/imports/{job.pk}/errors.csv")
    assert report.content.decode().splitlines() == [
        "line,column,message",
        "3,email,'nope' is not a valid email address",
    ]
    assert Contact.objects.filter(organization=world.org).count() == 1
    assert logged_in(other_world.owner).get(f"/imports/{job.pk}/").status_code == 404
    missing = client.post("/imports/", {"kind": "people"})
    assert (
        missing.status_code == 400 and b"kind: choose contacts or interactions" in missing.content
    )
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING)
    queued = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in queued and "Waiting for a worker" in queued
    do_record_progress(job, "checking", 25, 100)
    checking = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Step 1 of 2: checking rows… 25%" in checking and 'value="25"' in checking
    do_record_progress(job, "writing", 50, 100)
    running = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Step 2 of 2: writing rows… 50%" in running and 'value="50"' in running


def test_webhook_created_from_the_imports_page_shows_secret_once(world: World) -> None:
    from beacon.contacts.models import InboundWebhook

    client = logged_in(world.owner)
    bad = client.post("/imports/webhooks/", {"name": "Desk", "path_email": "a.b"})
    assert bad.status_code == 400 and b"mapping.contact_id: is required" in bad.content
    page = client.post(
        "/imports/webhooks/", {"name": "Desk", "path_contact_id": "ticket.requester.id"}
    )
    hook = InboundWebhook.objects.get()
    assert page.status_code == 200 and hook.secret.encode() in page.content
    assert hook.mapping == {"contact_id": "ticket.requester.id"}
    again = client.get("/imports/")
    assert hook.token.encode() in again.content and hook.secret.encode() not in again.content


def test_coverage_names_each_stage_beside_its_interactions(world: World) -> None:
    # An invitation made by hand for an interaction (as the demo's open invitations are)
    # counts under the interaction's stage, not under "no stage".
    recorded = do_record_interaction(
        world.org,
        InteractionIn(contact=contact_in(1), idempotency_key="call-1", touchpoint=world.touchpoint),
    ).interaction
    do_record_interaction(world.org, InteractionIn(contact=contact_in(2), idempotency_key="call-2"))
    do_create_invitation(world.survey, recorded.contact, interaction=recorded)
    page = logged_in(world.owner).get(f"/surveys/{world.survey.pk}/distribution/")
    text = re.sub(r"\s+", " ", page.content.decode())
    assert (
        f'<tr><th scope="row">{world.stage.name}</th><td class="num">1</td>'
        '<td class="num">1</td><td class="num">0</td><td>\u2013</td></tr>'
    ) in text
    assert (
        '<tr><th scope="row">No stage</th><td class="num">1</td>'
        '<td class="num">0</td><td class="num">0</td><td>\u2013</td></tr>'
    ) in text
