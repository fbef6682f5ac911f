"""Who can be told about an action, counted in the database: the same customers as the ids
drafting reads (`raised_by_ids`, `reachable`), on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.contacts.actions import do_unsubscribe
from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.insights.corrections import do_correct_theme
from beacon.insights.models import Theme
from beacon.insights.taxonomy import do_create_theme
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.models import Action, CustomerUpdate, CustomerUpdateStatus, RootCause
from beacon.loop.queries import (
    first_reachable,
    raised_by_ids,
    raised_counts,
    reachable,
    update_summary,
)
from beacon.loop.tests.helpers import respond
from beacon.loop.updates import preview
from beacon.responses.models import Answer, Response
from beacon.testing import World
from beacon.web.tests.helpers import logged_in, page

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
DONE = T0 + dt.timedelta(days=10)


def _cause(world: World) -> RootCause:
    return RootCause.objects.for_org(world.org).get(code="process")


def _tagged(world: World, theme: Theme, n: int, *, at: dt.datetime, key: str = "") -> Response:
    response = respond(world, n, nps=4, comment="The bill is confusing", at=at, key=key)
    answer = Answer.objects.get(response=response, question=world.comment)
    do_correct_theme(answer, theme, "negative", actor=world.owner)
    return response


def _seed(world: World, other_world: World) -> Theme:
    """Customers 1-9 of `world` in every case the count must tell apart; customer 1 of
    `other_world` mentions its own theme of the same name."""
    theme = do_create_theme(world.org, "Billing", "Bills and charges", ["bill"])
    for n in (1, 2, 3, 4):
        _tagged(world, theme, n, at=T0)
    _tagged(world, theme, 5, at=T0)
    _tagged(world, theme, 5, at=T0 + dt.timedelta(days=1), key="again")  # twice: one customer
    _tagged(world, theme, 6, at=DONE + dt.timedelta(days=1))  # after completion
    do_unsubscribe(Contact.objects.get(organization=world.org, external_id="cust-3"))
    Contact.objects.filter(organization=world.org, external_id="cust-4").update(email="")
    # A mention on a response with no customer behind it (stored without one: a
    # response's customer never changes, and its mentions copy it).
    anonymous = respond(world, 9, nps=4, comment="The bill is confusing", at=T0)
    Response.objects.filter(pk=anonymous.pk).update(contact=None)
    answer = Answer.objects.get(response=anonymous, question=world.comment)
    do_correct_theme(answer, theme, "negative", actor=world.owner)
    # Customer 7 raised the root cause and mentioned the theme; customer 8 the cause only.
    for n in (7, 8):
        case = do_open_case_for(respond(world, n, nps=2, at=T0, key="case"))
        assert case is not None
        do_resolve_case(case, _cause(world), "explained", actor=world.agent)
    _tagged(world, theme, 7, at=T0)
    respond(world, 10, nps=9, comment="All good", at=T0)  # said nothing about it
    foreign = do_create_theme(other_world.org, "Billing", "Bills", ["bill"])
    _tagged(other_world, foreign, 1, at=T0)
    return theme


def _action(world: World, **kw: object) -> Action:
    data = ActionIn(
        title="INTERNAL billing rework",
        source="theme",
        owner=world.stage_owner,
        deadline=T0 + dt.timedelta(days=30),
        public_summary="Bills now fit on one page.",
    )
    for k, v in kw.items():
        setattr(data, k, v)
    return do_create_action(world.org.pk, data, actor=world.owner)


def _ids(world: World, action: Action) -> tuple[set[int], list[int]]:
    raised = raised_by_ids(action)
    return raised, [c.pk for c in reachable(world.org.pk, raised)]


def _customers(world: World, *numbers: int) -> set[int]:
    return set(
        Contact.objects.filter(
            organization=world.org, external_id__in=[f"cust-{n}" for n in numbers]
        ).values_list("pk", flat=True)
    )


def test_counts_and_first_customer_equal_the_ids_drafting_reads(
    world: World, other_world: World
) -> None:
    theme = _seed(world, other_world)
    with clock.frozen_at(T0 + dt.timedelta(days=2)):
        action = _action(world, theme_id=theme.pk, root_cause=_cause(world))
    # Open: every mention so far counts, customer 6's too.
    raised, told = _ids(world, action)
    assert raised == _customers(world, 1, 2, 3, 4, 5, 6, 7, 8)
    assert set(told) == _customers(world, 1, 2, 5, 6, 7, 8)
    assert raised_counts(action) == (len(raised), len(told)) == (8, 6)
    first = first_reachable(action)
    assert first is not None and first.pk == told[0] == min(told)
    # Done: mentions after completion no longer count.
    with clock.frozen_at(DONE):
        do_set_action_status(action, "done", actor=world.stage_owner)
    action.refresh_from_db()
    raised, told = _ids(world, action)
    assert raised == _customers(world, 1, 2, 3, 4, 5, 7, 8)
    assert raised_counts(action) == (len(raised), len(told)) == (7, 5)
    summary = update_summary(action)
    assert (summary.raised, summary.reachable, summary.unreachable) == (7, 5, 2)


def test_an_action_from_its_cases_alone_and_one_nobody_raised(
    world: World, other_world: World
) -> None:
    _seed(world, other_world)
    case = do_open_case_for(respond(world, 11, nps=1, at=T0, key="linked"))
    assert case is not None
    by_cases = _action(world, source="cases", cases=[case])
    raised, told = _ids(world, by_cases)
    assert raised == set(told) == _customers(world, 11)
    assert raised_counts(by_cases) == (1, 1)
    nobody = _action(world, theme_id=do_create_theme(world.org, "Roaming", "Abroad", []).pk)
    assert _ids(world, nobody) == (set(), [])
    assert raised_counts(nobody) == (0, 0)
    assert first_reachable(nobody) is None
    assert preview(nobody) is None


def test_the_preview_without_drafts_is_the_first_reachable_customers_message(
    world: World, other_world: World
) -> None:
    theme = _seed(world, other_world)
    with clock.frozen_at(DONE):
        action = _action(world, theme_id=theme.pk, root_cause=_cause(world))
        do_set_action_status(action, "done", actor=world.stage_owner)
    action.refresh_from_db()
    # Every draft discarded: the preview is written afresh for the first customer to tell.
    CustomerUpdate.objects.filter(action=action).update(status=CustomerUpdateStatus.DISCARDED)
    shown = preview(action)
    assert shown is not None
    first = reachable(world.org.pk, raised_by_ids(action))[0]
    assert shown.contact.pk == first.pk
    assert (shown.language, shown.subject) == ("en", "You told us, and we changed it")
    assert shown.text.startswith(f"Hello {first.name.split()[0]},\n\nYou told us: Billing.")
    html = page(logged_in(world.owner), f"/actions/{action.pk}/")
    assert (
        "Customers who raised this: <strong>7</strong>; 5 can be told by email, 2 have no "
        "address or unsubscribed."
    ) in html
    assert f"Preview: as {first.name} receives it (en)" in html
