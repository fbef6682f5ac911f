"""Retention: free text older than the organisation's period is redacted by the nightly job,
in batches, with the same redaction as erasure; newer text, other organisations and scores
stay; the settings page reads the period through a form."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from beacon.contacts.imports import do_start_import, run_job
from beacon.contacts.models import DeliveryOutcome, ImportJob, ImportKind, WebhookDelivery
from beacon.contacts.webhooks import do_create_webhook, record_delivery
from beacon.core import clock
from beacon.loop.actions import do_add_note
from beacon.loop.models import Case, CaseEvent
from beacon.orgs.models import Event
from beacon.outcomes.actions import do_record_outcome
from beacon.outcomes.models import Outcome
from beacon.privacy import redaction
from beacon.privacy.actions import do_set_retention, months_before
from beacon.privacy.models import PrivacySettings
from beacon.privacy.tasks import apply_retention
from beacon.responses.models import Answer
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, logged_in, open_case, page

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (NOW, 6, dt.datetime(2026, 5, 30, 9, tzinfo=dt.UTC)),
        (dt.datetime(2026, 3, 31, tzinfo=dt.UTC), 1, dt.datetime(2026, 2, 28, tzinfo=dt.UTC)),
        (dt.datetime(2028, 3, 31, tzinfo=dt.UTC), 1, dt.datetime(2028, 2, 29, tzinfo=dt.UTC)),
        (dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 13, dt.datetime(2024, 12, 15, tzinfo=dt.UTC)),
    ],
)
def test_months_before_counts_calendar_months(
    moment: dt.datetime, months: int, expected: dt.datetime
) -> None:
    assert months_before(moment, months) == expected


def _case_at(world: World, moment: dt.datetime, text: str) -> Case:
    with clock.frozen_at(moment):
        case = open_case(world, text=text)
        do_add_note(case, f"note on {text}", actor=world.agent)
    return case


def test_the_nightly_job_redacts_only_text_older_than_the_period(
    world: World, other_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redaction, "BATCH", 2)  # several batches from a few rows
    old = [_case_at(world, NOW - dt.timedelta(days=200 + i), f"old {i}") for i in range(3)]
    new = _case_at(world, NOW - dt.timedelta(days=150), "recent")
    elsewhere = _case_at(other_world, NOW - dt.timedelta(days=400), "another org")
    do_set_retention(world.org, 6, actor=world.owner)

    with clock.frozen_at(NOW):
        changed = apply_retention.call_local()

    expired = "[removed after the retention period]"
    for case in old:
        assert Answer.objects.get(response=case.response, question=world.comment).text == expired
        assert CaseEvent.objects.get(case=case, kind="note").body == expired
        assert Answer.objects.get(response=case.response, question=world.nps).number == 2
    assert Answer.objects.get(response=new.response, question=world.comment).text == "recent"
    assert CaseEvent.objects.get(case=new, kind="note").body == "note on recent"
    assert CaseEvent.objects.get(case=elsewhere, kind="note").body == "note on another org"
    assert changed == 6  # 3 comments and 3 notes
    event = Event.objects.get(verb="retention.applied")
    assert event.data == {"before": "2026-05-30T09:00:00+00:00", "rows": 6}
    assert PrivacySettings.objects.get(organization=world.org).retention_applied_at == NOW

    with clock.frozen_at(NOW):
        assert apply_retention.call_local() == 0  # nothing left to do, nothing recorded
    assert Event.objects.filter(verb="retention.applied").count() == 1


def test_empty_keeps_everything(world: World) -> None:
    case = _case_at(world, NOW - dt.timedelta(days=4000), "very old")
    do_set_retention(world.org, None, actor=world.owner)
    with clock.frozen_at(NOW):
        assert apply_retention.call_local() == 0
    assert Answer.objects.get(response=case.response, question=world.comment).text == "very old"


def test_the_privacy_settings_page(world: World, other_world: World) -> None:
    owner = logged_in(world.owner)
    assert "Redact free text older than (months)" in page(owner, "/settings/privacy/")
    r = owner.post("/settings/privacy/", {"retention_months": "24"})
    assert r.status_code == 302
    assert PrivacySettings.objects.get(organization=world.org).retention_months == 24
    assert PrivacySettings.objects.filter(organization=other_world.org).count() == 0
    for bad, message in (("0", "must be at least 1"), ("121", "must be at most 120"),
                         ("²", "must be a whole number")):  # fmt: skip
        r = owner.post("/settings/privacy/", {"retention_months": bad})
        assert r.status_code == 400 and f"retention_months: {message}" in r.content.decode()
    assert PrivacySettings.objects.get(organization=world.org).retention_months == 24
    assert owner.post("/settings/privacy/", {"retention_months": ""}).status_code == 302
    assert PrivacySettings.objects.get(organization=world.org).retention_months is None
    assert [e.data["months"] for e in Event.objects.filter(verb="retention.set")] == [24, None]
    for member in (world.agent, add_viewer(world)):
        client = logged_in(member)
        assert client.get("/settings/privacy/").status_code == 403
        assert client.post("/settings/privacy/", {"retention_months": "1"}).status_code == 403
    assert PrivacySettings.objects.get(organization=world.org).retention_months is None


def _logs_at(world: World, moment: dt.datetime, words: str) -> tuple[ImportJob, WebhookDelivery]:
    """An outcome with a reason, an import that refused a row, a help desk's refused body."""
    contact = open_case(world, text="fine").contact
    assert contact is not None
    with clock.frozen_at(moment):
        do_record_outcome(
            world.org,
            {"kind": "subscription_ended", "contact_id": contact.external_id,
             "idempotency_key": words, "occurred_at": moment.isoformat(),
             "subscription_id": "s-1", "reason": words},
        )  # fmt: skip
        rows = f"external_id,email\nx-1,{words}@\n"
        job = run_job(
            do_start_import(world.org, ImportKind.CONTACTS, "crm.csv", len(rows)),
            io.BytesIO(rows.encode()),
        )
        hook = do_create_webhook(world.org, words, {"contact_id": "id"})
        delivery = record_delivery(hook, DeliveryOutcome.REFUSED, f"team: no team {words!r}")
    return job, delivery


def test_logs_and_outcome_reasons_older_than_the_period_are_redacted(world: World) -> None:
    old_job, old_delivery = _logs_at(world, NOW - dt.timedelta(days=200), "oldwords")
    new_job, new_delivery = _logs_at(world, NOW - dt.timedelta(days=150), "newwords")
    do_set_retention(world.org, 6, actor=world.owner)

    with clock.frozen_at(NOW):
        changed = apply_retention.call_local()

    expired = "[removed after the retention period]"
    reasons = dict(Outcome.objects.values_list("idempotency_key", "reason"))
    assert reasons == {"oldwords": expired, "newwords": "newwords"}
    old_job.refresh_from_db()
    new_job.refresh_from_db()
    assert old_job.error_report == f"line,column,message\r\n2,email,{expired}\r\n"
    assert new_job.error_report == (
        "line,column,message\r\n2,email,'newwords@' is not a valid email address\r\n"
    )
    old_delivery.refresh_from_db()
    new_delivery.refresh_from_db()
    assert (old_delivery.detail, new_delivery.detail) == (expired, "team: no team 'newwords'")
    assert changed == 3  # the outcome, the report, the delivery (the cases are recent)
    with clock.frozen_at(NOW):
        assert apply_retention.call_local() == 0
