from __future__ import annotations

import datetime as dt

import pytest

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.loop.actions import do_open_case_for
from beacon.loop.lost import (
    ChurnIn,
    do_create_lost_reason,
    do_import_churn_csv,
    do_record_call,
    do_record_churn,
)
from beacon.loop.models import WinBackCall
from beacon.loop.queries import lost_report
from beacon.loop.tests.helpers import respond
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_add_member, do_set_team_lead
from beacon.orgs.models import Role
from beacon.testing import World

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_churn_creates_a_call_task_for_the_team_lead_with_history(world: World) -> None:
    lead = do_add_member(world.org, "lead@acme.test", role=Role.AGENT, display_name="Lee Lead")
    do_set_team_lead(world.team, lead)
    with clock.frozen_at(T0):
        do_open_case_for(respond(world, 1, nps=2, comment="Too expensive",
                                 attributes={"value": "gold"}))  # fmt: skip
        recorded = do_record_churn(world.org, ChurnIn("cust-1", "cancellation", note="ended"))
        again = do_record_churn(world.org, ChurnIn("cust-1", "cancellation"))
    assert recorded.created and not again.created and again.call == recorded.call
    call = recorded.call
    assert (call.assignee, call.due_at, call.status) == (lead, T0 + dt.timedelta(hours=48), "open")
    mail = OutboxMessage.objects.get(idempotency_key=f"winback:{call.pk}")
    assert mail.recipient == "lead@acme.test"
    assert "Value: gold" in mail.body_text
    assert 'NPS 2 — "Too expensive"' in mail.body_text
    assert "Customer 1 gave NPS 2 on Support follow-up (New)" in mail.body_text


def test_unknown_contact_and_kind_are_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        do_record_churn(world.org, ChurnIn("nobody", "left"))
    assert exc.value.errors == {
        "external_id": "no contact with external_id 'nobody'",
        "kind": "must be one of churn, cancellation",
    }


def test_csv_is_all_or_nothing_and_calls_feed_the_report(world: World) -> None:
    for n in (1, 2, 3):
        respond(world, n, nps=5)
    with pytest.raises(ValidationFailed) as exc:
        do_import_churn_csv(world.org, "external_id,kind\ncust-1,churn\ncust-9,churn\n")
    assert exc.value.errors == {"row 3.external_id": "no contact with external_id 'cust-9'"}
    assert WinBackCall.objects.count() == 0
    with pytest.raises(ValidationFailed) as exc:
        do_import_churn_csv(world.org, "id;kind\n")
    assert exc.value.errors == {"file": "needs a header row with external_id and kind columns"}
    csv_text = (
        "external_id,kind,occurred_at,note\n"
        "cust-1,churn,2026-11-01T10:00:00Z,\n"
        "cust-2,cancellation,,moved abroad\n"
        "cust-3,churn,,\n"
    )
    recorded = do_import_churn_csv(world.org, csv_text)
    assert [r.created for r in recorded] == [True, True, True]
    assert [r.created for r in do_import_churn_csv(world.org, csv_text)] == [False, False, False]
    price = do_create_lost_reason(world.org.pk, "price", "Price")
    moved = do_create_lost_reason(world.org.pk, "moved", "Moved away")
    calls = [r.call for r in recorded]
    with pytest.raises(ValidationFailed) as exc:
        do_record_call(calls[0], outcome="", reason=None, won_back=None, actor=world.owner)
    assert exc.value.errors == {
        "outcome": "say how the call went",
        "reason": "choose why the customer left",
        "won_back": "say whether the customer was won back",
    }
    do_record_call(calls[0], outcome="Offered a discount", reason=price, won_back=True,
                   actor=world.owner)  # fmt: skip
    do_record_call(calls[1], outcome="Moving to Spain", reason=moved, won_back=False,
                   actor=world.owner)  # fmt: skip
    with pytest.raises(Conflict):
        do_record_call(calls[1], outcome="again", reason=moved, won_back=True, actor=world.owner)
    report = lost_report(world.org)
    assert [(r.reason, r.calls, r.won_back) for r in report.rows] == [
        ("Moved away", 1, 0), ("Price", 1, 1)
    ]  # fmt: skip
    assert (report.open_calls, report.called, report.won_back, report.win_back_rate) == (
        1, 2, 1, 0.5
    )  # fmt: skip
