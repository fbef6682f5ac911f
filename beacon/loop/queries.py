"""Reads of cases."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Min, Q

from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.insights.models import ThemeMention
from beacon.loop.channels import post_key_prefix
from beacon.loop.events import LoopEvent
from beacon.loop.models import (
    Action,
    ActionStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Channel,
    CustomerUpdate,
    CustomerUpdateStatus,
    Recognition,
    RootCause,
    SurveyConsent,
    WallPost,
    WallPostStatus,
    WallSettings,
    WinBackCall,
    WinBackStatus,
)
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.orgs.models import Event, Membership
from beacon.surveys.models import QuestionKind

OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS)
# The case list's status filter (page, export and API read the same table).
CASE_STATUS_FILTERS: dict[str, dict[str, Any]] = {
    "open": {"status__in": OPEN_STATUSES},
    "new": {"status": CaseStatus.NEW},
    "in_progress": {"status": CaseStatus.IN_PROGRESS},
    "resolved": {"status": CaseStatus.RESOLVED},
    "all": {},
}


def case_lookups(
    status: str,
    *,
    owner_id: int | None = None,
    overdue: bool = False,
    stage_id: int | None = None,
) -> dict[str, Any]:
    """The case list's filters as lookups: a status of CASE_STATUS_FILTERS, mine, overdue,
    the journey stage of the response the case is about."""
    lookups: dict[str, Any] = dict(CASE_STATUS_FILTERS[status])
    if owner_id is not None:
        lookups["owner_id"] = owner_id
    if stage_id is not None:
        lookups["response__stage_id"] = stage_id
    if overdue:
        lookups["due_at__lt"] = clock.now()
        lookups.setdefault("status__in", OPEN_STATUSES)
    return lookups


# The case list's orders: name -> ORDER BY (the id last, so a page never repeats a row).
CASE_SORTS: dict[str, tuple[Any, ...]] = {
    "status": ("status", "due_at", "pk"),
    "deadline": ("due_at", "pk"),
    "opened": ("-created_at", "-pk"),
    # The unhappiest first; a case without a score (opened by hand) last.
    "score": (F("score").asc(nulls_last=True), "due_at", "pk"),
}


def cases(org: Any, *, sort: str = "status", **filters: Any) -> Any:
    """Cases matching the filters, each with `score`: its response's 0-10 (NPS) answer,
    None without one, in one of CASE_SORTS' orders."""
    return (
        Case.objects.for_org(org)
        .filter(**filters)
        .select_related("owner", "contact", "response__survey", "root_cause")
        .annotate(
            score=Min(
                "response__answers__number",
                filter=Q(response__answers__question__kind=QuestionKind.NPS),
            )
        )
        .order_by(*CASE_SORTS[sort])
    )


def case_detail(org: Any, case_id: int) -> Case | None:
    return (
        Case.objects.for_org(org)
        .select_related(
            "owner", "contact", "root_cause", "response__survey", "response__stage__owner"
        )
        .prefetch_related("response__answers__question")
        .filter(pk=case_id)
        .first()
    )


def timeline(case: Case) -> list[CaseEvent]:
    return list(
        CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "pk")
    )


def root_causes(org: Any) -> list[RootCause]:
    return list(RootCause.objects.for_org(org).order_by("name"))


# ------------------------------------------------------------------ reports


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile: an observed value, never an interpolation between two."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Timing:
    n: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class TimingRow:
    label: str
    first_contact: Timing
    resolution: Timing


def _timing(hours: list[float]) -> Timing:
    med = percentile(hours, 50)
    p90 = percentile(hours, 90)
    return Timing(
        n=len(hours),
        median_hours=round(med, 1) if med is not None else None,
        p90_hours=round(p90, 1) if p90 is not None else None,
    )


def case_timing(
    org: Any, *, by: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[TimingRow]:
    """Time to first contact and to resolution of cases opened in [start, end), by owner
    or by the team that served the customer: median and 90th percentile in hours, each
    with its n. (Owners are often stage managers outside any team, so the owner's team
    would put nearly every case under "No team".)"""
    qs = Case.objects.for_org(org).select_related("owner", "response__team")
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    contact: dict[str, list[float]] = defaultdict(list)
    resolved: dict[str, list[float]] = defaultdict(list)
    labels: set[str] = set()
    for case in qs:
        if by == "team":
            team = case.response.team
            label = team.name if team is not None else "No team"
        else:
            label = case.owner.display_name
        labels.add(label)
        if case.first_contact_at is not None:
            contact[label].append((case.first_contact_at - case.created_at).total_seconds() / 3600)
        if case.resolved_at is not None:
            resolved[label].append((case.resolved_at - case.created_at).total_seconds() / 3600)
    return [
        TimingRow(label, _timing(contact[label]), _timing(resolved[label]))
        for label in sorted(labels)
    ]


def root_cause_recurrence(action: Action) -> tuple[int, int, int] | None:
    """Cases with the action's root cause in equal windows before and after completion:
    (days per window, before, after); None until the action is done with a root cause."""
    if action.completed_at is None or action.root_cause_id is None:
        return None
    now = clock.now()
    days = max(1, min(90, (now - action.completed_at).days))
    window = dt.timedelta(days=days)
    cases = Case.objects.for_org(action.organization_id).filter(root_cause_id=action.root_cause_id)
    before = cases.filter(
        created_at__gte=action.completed_at - window, created_at__lt=action.completed_at
    ).count()
    after = cases.filter(
        created_at__gte=action.completed_at, created_at__lt=action.completed_at + window
    ).count()
    return days, before, after


def actions_board(org: Any) -> dict[str, list[Action]]:
    columns: dict[str, list[Action]] = {s.value: [] for s in ActionStatus}
    for action in (
        Action.objects.for_org(org).select_related("owner", "root_cause").order_by("deadline")
    ):
        columns[action.status].append(action)
    return columns


def action_detail(org: Any, action_id: int) -> Action | None:
    return (
        Action.objects.for_org(org)
        .select_related("owner", "root_cause", "question", "stage__owner")
        .filter(pk=action_id)
        .first()
    )


@dataclass(frozen=True)
class LostRow:
    reason: str
    calls: int
    won_back: int


@dataclass(frozen=True)
class LostReport:
    rows: list[LostRow]
    open_calls: int
    called: int
    won_back: int

    @property
    def win_back_rate(self) -> float | None:
        return self.won_back / self.called if self.called else None


def lost_report(org: Any) -> LostReport:
    calls = WinBackCall.objects.for_org(org)
    done = calls.filter(status=WinBackStatus.DONE)
    rows = [
        LostRow(r["reason__name"] or "—", r["n"], r["won"])
        for r in done.values("reason__name")
        .annotate(n=Count("pk"), won=Count("pk", filter=Q(won_back=True)))
        .order_by("-n", "reason__name")
    ]
    return LostReport(
        rows=rows,
        open_calls=calls.filter(status=WinBackStatus.OPEN).count(),
        called=done.count(),
        won_back=done.filter(won_back=True).count(),
    )


# The praise per person counts this many of the newest praises: a window bounded whatever
# the organisation's age, so the figures are of recent praise.
PRAISE_COUNTED = 10_000


def recognition_feed(org: Any, limit: int = 50) -> list[Recognition]:
    return list(
        Recognition.objects.for_org(org)
        .select_related("staff", "response__survey")
        .order_by("-created_at", "-pk")[:limit]
    )


def praise_per_person(org: Any, window: int = PRAISE_COUNTED) -> list[tuple[str, int]]:
    """How many of the newest `window` praises each person received, most first
    (then by name); people who share a display name are counted together, as the page
    shows them.

    The window is read as a range of the newest-praise index, from its oldest praise (found
    on that index) on, and counted in one grouped query: as `pk IN (the newest)`,
    PostgreSQL read every praise of the organisation to match them (290 ms for 200,000).
    """
    praises = Recognition.objects.for_org(org)
    newest = praises.order_by("-created_at", "-pk").values_list("created_at", "pk")
    oldest = next(iter(newest[window - 1 : window]), None)
    if oldest is not None:
        at, pk = oldest
        praises = praises.filter(created_at__gte=at).exclude(created_at=at, pk__lt=pk)
    rows = praises.values_list("staff__display_name").annotate(n=Count("pk")).order_by()
    # Sorted here, not by the database, whose collation may order names differently.
    return sorted(((name, n) for name, n in rows), key=lambda row: (-row[1], row[0]))


def recognition_count(member: Membership) -> int:
    return Recognition.objects.for_org(member.organization_id).filter(staff=member).count()


# ------------------------------------------------------------------ public wall


def wall_settings(org: Any) -> WallSettings | None:
    return WallSettings.objects.for_org(org).first()


def wall_posts(org: Any, limit: int = 50) -> list[WallPost]:
    """Only approved posts of surveys that still record consent: nothing else is public."""
    consented = SurveyConsent.objects.for_org(org).values_list("survey_id", flat=True)
    return list(
        WallPost.objects.for_org(org)
        .filter(status=WallPostStatus.APPROVED, response__survey_id__in=list(consented))
        .order_by("-moderated_at", "-pk")[:limit]
    )


def wall_actions(org: Any, limit: int = 20) -> list[Action]:
    return list(
        Action.objects.for_org(org)
        .filter(status=ActionStatus.DONE, on_wall=True)
        .exclude(public_summary="")
        .order_by("-completed_at", "-pk")[:limit]
    )


def wall_queue(org: Any) -> list[WallPost]:
    return list(
        WallPost.objects.for_org(org)
        .filter(status=WallPostStatus.PENDING)
        .select_related("response__survey")
        .order_by("created_at", "pk")
    )


def public_thread(case: Case) -> list[CaseEvent]:
    """What the customer may see of a case: the messages between them and the company."""
    return list(
        CaseEvent.objects.filter(
            case=case, kind__in=[CaseEventKind.REPLIED, CaseEventKind.CUSTOMER]
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )


# ------------------------------------------------------------------ "you said, we did"


def _raised_by(action: Action) -> list[Any]:
    """Customers whose feedback raised what the action fixed, as queries of contact ids
    (a customer may come more than once): its cases, its root cause, and comments tagged
    with its theme up to completion."""
    condition = Q(actions=action)
    if action.root_cause_id is not None:
        condition |= Q(root_cause_id=action.root_cause_id)
    cases = Case.objects.for_org(action.organization_id).filter(condition, contact__isnull=False)
    parts: list[Any] = [cases.values_list("contact_id", flat=True).order_by()]
    if action.theme_id is not None:
        mentions = ThemeMention.objects.for_org(action.organization_id).filter(
            theme_id=action.theme_id, contact__isnull=False
        )
        if action.completed_at is not None:
            mentions = mentions.filter(responded_at__lte=action.completed_at)
        parts.append(mentions.values_list("contact_id", flat=True).order_by())
    return parts


def raised_by_ids(action: Action) -> set[int]:
    """The ids of `_raised_by`'s customers (drafting needs every one of them)."""
    contact_ids: set[int] = set()
    for part in _raised_by(action):
        # Distinct in the database: a theme has a mention per comment (hundreds of
        # thousands at scale) from a few thousand customers.
        contact_ids |= set(part.distinct())
    return contact_ids


def _raised(action: Action) -> Q:
    """Contacts among `_raised_by`'s, as subqueries: the database never hands the ids over."""
    condition = Q()
    for part in _raised_by(action):
        condition |= Q(pk__in=part)
    return condition


_REACHABLE = Q(unsubscribed_at__isnull=True) & ~Q(email="")


def _reachable(org_id: int, contact_ids: Iterable[int]) -> Any:
    return Contact.objects.for_org(org_id).filter(pk__in=list(contact_ids)).filter(_REACHABLE)


def reachable(org_id: int, contact_ids: Iterable[int]) -> list[Contact]:
    """Of these customers, those an email can reach: an address, not unsubscribed."""
    return list(_reachable(org_id, contact_ids).order_by("pk"))


def first_reachable(action: Action) -> Contact | None:
    """The first of `reachable(raised_by_ids(action))` (by id), read as that one row."""
    return (
        Contact.objects.for_org(action.organization_id)
        .filter(_raised(action))
        .filter(_REACHABLE)
        .order_by("pk")
        .first()
    )


def raised_counts(action: Action) -> tuple[int, int]:
    """How many customers raised the action, and how many of them `reachable` keeps,
    counted in one query: the action page needs the numbers, not thousands of ids."""
    counts = Contact.objects.filter(_raised(action)).aggregate(
        raised=Count("pk"),
        reachable=Count("pk", filter=Q(organization_id=action.organization_id) & _REACHABLE),
    )
    return int(counts["raised"]), int(counts["reachable"])


@dataclass(frozen=True)
class UpdateGroup:
    channel: str
    language: str
    drafted: int
    approved: int
    sent: int


@dataclass(frozen=True)
class UpdateSummary:
    """Who will be told about an action, by channel and language, and how far it got."""

    raised: int  # customers whose feedback raised it
    reachable: int  # of those, with an address and not unsubscribed
    groups: list[UpdateGroup]
    drafted: int
    approved: int  # approved, waiting for the throttled sender
    discarded: int
    queued: int  # handed to the outbox, not yet taken by the mail server
    delivered: int
    failed: int  # failed after retries, or refused by the receiving server
    withheld: int

    @property
    def unreachable(self) -> int:
        return self.raised - self.reachable

    @property
    def told(self) -> int:
        """Customers who have, or will have, a message (drafts included)."""
        return sum(g.drafted + g.approved + g.sent for g in self.groups)


def update_summary(action: Action) -> UpdateSummary:
    org_id = action.organization_id
    raised, reachable = raised_counts(action)
    updates = CustomerUpdate.objects.for_org(org_id).filter(action=action)
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for row in updates.values("channel", "language", "status").annotate(n=Count("pk")).order_by():
        cells[(row["channel"], row["language"])][row["status"]] += row["n"]
        totals[row["status"]] += row["n"]
    outbox: dict[str, int] = defaultdict(int)
    sent = OutboxMessage.objects.for_org(org_id).filter(
        cause_type=CustomerUpdate._meta.label_lower,
        cause_id__in=updates.filter(status=CustomerUpdateStatus.SENT).values("pk"),
    )
    for row in sent.values("state").annotate(n=Count("pk")).order_by():
        outbox[row["state"]] += row["n"]
    return UpdateSummary(
        raised=raised,
        reachable=reachable,
        groups=[
            UpdateGroup(
                channel,
                language,
                c[CustomerUpdateStatus.DRAFT],
                c[CustomerUpdateStatus.APPROVED],
                c[CustomerUpdateStatus.SENT],
            )
            for (channel, language), c in sorted(cells.items())
        ],
        drafted=totals[CustomerUpdateStatus.DRAFT],
        approved=totals[CustomerUpdateStatus.APPROVED],
        discarded=totals[CustomerUpdateStatus.DISCARDED],
        queued=outbox[OutboxState.PENDING] + outbox[OutboxState.SENDING],
        delivered=outbox[OutboxState.SENT],
        failed=outbox[OutboxState.FAILED] + outbox[OutboxState.BOUNCED],
        withheld=outbox[OutboxState.WITHHELD],
    )


def update_confirmation(action: Action) -> Event | None:
    """The owner's confirmation that customers be told although the metric did not show
    the action helped (who, why, and the figures they saw), if there is one."""
    return (
        Event.objects.for_org(action.organization_id)
        .filter(
            verb=LoopEvent.CUSTOMER_UPDATES_CONFIRMED,
            subject_type=Action._meta.label_lower,
            subject_id=action.pk,
        )
        .select_related("actor")
        .order_by("-pk")
        .first()
    )


CHANNEL_LOG_LENGTH = 10


def channel_log(org: Any, channel: Channel, limit: int = CHANNEL_LOG_LENGTH) -> list[OutboxMessage]:
    """The channel's latest posts, newest first, with their state and last error."""
    return list(
        OutboxMessage.objects.for_org(org)
        .filter(idempotency_key__startswith=post_key_prefix(channel.pk))
        .order_by("-created_at", "-pk")[:limit]
    )
