from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header

import pytest

from beacon.analytics.impact import action_impact
from beacon.core import clock
from beacon.demo.closed_loop import seed_closed_loop
from beacon.demo.seed import seed
from beacon.insights.models import ThemeMention
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.models import (
    Action,
    CaseEscalation,
    CaseRule,
    CustomerUpdate,
    RootCause,
    WallPost,
    WinBackCall,
)
from beacon.loop.tests.helpers import part, respond
from beacon.notifications.actions import do_deliver, due_message_ids
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.testing import SmtpServer, World

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def test_demo_examples_show_every_part_of_the_loop(world: World) -> None:
    cause = RootCause.objects.for_org(world.org).get(code="process")
    day = dt.timedelta(days=1)
    for n in range(1, 13):
        at = TODAY - (70 - 5 * n) * day  # every five days from 65 days ago
        with clock.frozen_at(at):
            case = do_open_case_for(respond(world, n, nps=3 if n < 7 else 9, at=at,
                                            comment=f"Comment number {n}"))  # fmt: skip
            if case is not None and n < 5:
                do_resolve_case(case, cause, "explained", actor=world.agent)
    examples = seed_closed_loop(world.org, today=TODAY)
    assert CaseRule.objects.for_org(world.org).count() == 3
    # Cases 5 and 6 were left open long past their due time.
    assert examples.escalated == 2
    assert CaseEscalation.objects.count() == 2
    action = examples.completed_action
    assert action is not None and action.status == "done"
    # Customers 1-4 raised the root cause; five drafts at most are approved.
    assert examples.updates_sent == 4
    assert CustomerUpdate.objects.filter(status="sent").count() == 4
    with clock.frozen_at(TODAY):
        impact = action_impact(action, min_n=1)
    # Completed 30 days ago: answers 31-60 days ago against 1-29 days ago (the
    # completion day itself, answer 8, belongs to neither window).
    assert impact is not None and (impact.before.n, impact.after.n) == (6, 4)
    assert impact.significant
    # Promoters of the last 30 days with a comment: answers 8 to 12.
    assert examples.wall_posts == WallPost.objects.filter(status="approved").count() == 5
    assert WinBackCall.objects.count() == examples.lost_calls == 4


def test_demo_customers_who_raised_the_theme_receive_the_approved_update(
    smtp: SmtpServer,
) -> None:
    org = seed(responses=1000, today=TODAY)
    action = Action.objects.for_org(org).get(status="done")
    assert action.theme_id is not None
    updates = list(CustomerUpdate.objects.for_org(org).filter(action=action, status="sent"))
    assert len(updates) == 5
    for update in updates:
        assert ThemeMention.objects.filter(
            theme_id=action.theme_id, response__contact=update.contact
        ).exists()
    outbox = OutboxMessage.objects.for_org(org)
    # The history stays withheld; only the approved updates wait for the sender.
    withheld = outbox.filter(state=OutboxState.WITHHELD)
    assert withheld.count() == outbox.count() - 5 > 0
    assert set(withheld.values_list("last_error", flat=True)) == {"demo history: not delivered"}
    waiting = outbox.filter(state=OutboxState.PENDING)
    assert sorted(waiting.values_list("recipient", flat=True)) == sorted(
        u.contact.email for u in updates
    )
    assert all(k.startswith(f"you-said-we-did:{action.pk}:") for k in
               waiting.values_list("idempotency_key", flat=True))  # fmt: skip
    with clock.frozen_at(TODAY):
        assert [do_deliver(pk) for pk in due_message_ids()] == [OutboxState.SENT] * 5
        assert due_message_ids() == []
    assert outbox.filter(state=OutboxState.SENT).count() == 5
    received = sorted(smtp.inbox.messages, key=lambda m: str(m["To"]))
    assert [m["To"] for m in received] == sorted(u.contact.email for u in updates)
    first = next(u for u in updates if u.contact.email == received[0]["To"])
    subject = str(make_header(decode_header(received[0]["Subject"])))
    assert subject == f"You said, we did: {action.title}"
    assert first.contact.name in part(received[0], "text/plain")
    assert action.public_summary.split(".")[0] in part(received[0], "text/plain")
