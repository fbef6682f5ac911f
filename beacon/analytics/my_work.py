"""'What I can do': the scores, comments and open cases that concern one member.

What concerns a member: responses naming them as the staff member, responses of their
team, responses at the stages they own, and the cases they own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from beacon.analytics import metrics
from beacon.cxmodel.models import Stage
from beacon.loop.models import Case, CaseStatus
from beacon.orgs.models import Membership
from beacon.responses.queries import verbatims

VERBATIMS_SHOWN = 15


@dataclass
class Scope:
    label: str
    values: dict[str, metrics.MetricValue]


@dataclass
class MyWork:
    scopes: list[Scope]
    stages: list[Stage]
    verbatims: list[Any]
    cases: list[Case]


def concerning(member: Membership, today: dt.date, days: int = 90) -> MyWork:
    org = member.organization
    start = today - dt.timedelta(days=days - 1)
    stages = list(
        Stage.objects.for_org(org).filter(owner=member).order_by("journey_id", "position")
    )
    scopes = []
    if member.team_id:
        f = metrics.Filters(start=start, end=today, team_id=member.team_id)
        scopes.append(Scope(f"Team {member.team}", metrics.summary(org, f)))
    for stage in stages:
        f = metrics.Filters(start=start, end=today, stage_id=stage.pk)
        scopes.append(Scope(f"Stage {stage.name}", metrics.summary(org, f)))
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    mine = Q(response__staff=member) | Q(response__stage__in=stages)
    if member.team_id:
        mine |= Q(response__team_id=member.team_id)
    comments = list(
        verbatims(org, response__responded_at__gte=since).filter(mine)[:VERBATIMS_SHOWN]
    )
    open_cases = list(
        Case.objects.for_org(org)
        .filter(owner=member)
        .exclude(status=CaseStatus.RESOLVED)
        .select_related("response__survey", "contact")
        .order_by("due_at")
    )
    return MyWork(scopes, stages, comments, open_cases)
