"""Alignment rounds: list and send them (admin scope), and read a round's scores."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime

from beacon.alignment.actions import do_create_round
from beacon.alignment.models import Round
from beacon.alignment.queries import audience, round_of, rounds
from beacon.analytics.alignment import Score, round_results
from beacon.api.auth import ApiKeyAuth, actor_of, org_of
from beacon.api.schemas import ErrorOut, Id, In, QueryId, Text, ValidationErrorOut
from beacon.core.errors import NotFound, ValidationFailed
from beacon.cxmodel.models import Journey
from beacon.orgs.models import Department, Organization, Scope, Team

router = Router(tags=["alignment audit"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
MAX_GROUPS = 200


class RoundIn(In):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    journey_id: Id = Field(description="The journey whose stages are asked about.")
    closes_at: AwareDatetime = Field(description="When the round stops taking answers.")
    audience: Literal["all", "departments", "teams"] = Field(
        "all", description="Everyone (every role), or the members of the departments or teams."
    )
    department_ids: list[Id] = Field(default_factory=list, max_length=MAX_GROUPS)
    team_ids: list[Id] = Field(default_factory=list, max_length=MAX_GROUPS)
    show_names: bool = Field(
        False,
        description=(
            "Show each person's answers with their name to admins and analysts (results' "
            "`people`). Recipients are told in the email and on the questionnaire; set only "
            "when the round is sent. Off: answers are shown by department and role only."
        ),
    )


class RoundOut(Schema):
    id: int
    title: str
    journey_id: int
    closes_at: dt.datetime
    status: str
    open: bool
    asked: int
    answered: int
    primary_persona_id: int | None
    show_names: bool
    created_at: dt.datetime


class ScoreOut(Schema):
    value: float | None = Field(description="A share (0..1), an alpha, or a count.")
    low: float | None = Field(description="95% percentile-bootstrap interval.")
    high: float | None
    n: int


class FlagOut(Schema):
    kind: Literal["orphaned", "contested", "unknown", "misaligned"]
    where: str
    detail: str


class DepartmentOut(Schema):
    department: str
    n: int
    first_choice: str
    primary_share: ScoreOut
    misaligned: bool


class StageOut(Schema):
    stage_id: int
    name: str
    owner_id: int | None
    owner_share: ScoreOut
    top_answer: str
    top_share: ScoreOut
    dont_know_or_nobody_share: ScoreOut
    need: str
    need_share: ScoreOut
    flags: list[str]


class OverallOut(Schema):
    n: int
    distinct_people: ScoreOut
    everyone_named_the_same: bool
    top_share: ScoreOut
    dont_know_share: ScoreOut


class HeatRowOut(Schema):
    department: str
    owner_share_by_stage: list[ScoreOut] = Field(description="In the order of `stages`.")


class PersonOut(Schema):
    membership_id: int
    name: str
    department: str
    role: str
    first_choice: str
    overall: str = Field(description="Who they named accountable overall, or Don't know.")
    stages: list[str] = Field(description="Who they named at each stage, in `stages` order.")


class ResultsOut(Schema):
    round: RoundOut
    n: int
    primary_persona_id: int | None
    persona_alpha: ScoreOut = Field(description="Krippendorff's alpha on the first choice.")
    departments: list[DepartmentOut]
    stages: list[StageOut]
    overall: OverallOut
    heat_map: list[HeatRowOut]
    flags: list[FlagOut]
    people: list[PersonOut] = Field(
        description="Each person's answers with their name; empty unless the round's "
        "`show_names` is on."
    )


def _round_out(r: Round) -> RoundOut:
    return RoundOut(
        id=r.pk,
        title=r.title,
        journey_id=r.journey_id,
        closes_at=r.closes_at,
        status=r.status,
        open=r.is_open,
        asked=getattr(r, "asked", 0),
        answered=getattr(r, "answered", 0),
        primary_persona_id=r.primary_persona_id,
        show_names=r.show_names,
        created_at=r.created_at,
    )


def _score(s: Score) -> ScoreOut:
    return ScoreOut(value=s.value, low=s.low, high=s.high, n=s.n)


def _departments(org: Organization, ids: list[int]) -> list[Department]:
    found = list(Department.objects.for_org(org).filter(pk__in=ids))
    _all_found(len(found), ids, "department_ids")
    return found


def _teams(org: Organization, ids: list[int]) -> list[Team]:
    found = list(Team.objects.for_org(org).filter(pk__in=ids))
    _all_found(len(found), ids, "team_ids")
    return found


def _all_found(count: int, ids: list[int], field: str) -> None:
    if count != len(set(ids)):
        raise ValidationFailed({field: "names an id that is not in your organisation"})


@router.get("/alignment/rounds", response={200: list[RoundOut], **ERRORS},
            operation_id="listAlignmentRounds", summary="List alignment rounds")  # fmt: skip
def list_rounds(request: HttpRequest) -> list[RoundOut]:
    return [_round_out(r) for r in rounds(org_of(request))]


@router.post(
    "/alignment/rounds",
    response={201: RoundOut, **ERRORS},
    auth=ApiKeyAuth(Scope.ADMIN),
    operation_id="createAlignmentRound",
    summary="Send an alignment round",
    description=(
        "Emails each chosen member a link of their own to the questionnaire. Needs the "
        "`admin` scope. No recipients, a journey without stages or a past closing date: 422."
    ),
)
def create_round(request: HttpRequest, payload: RoundIn) -> Status[RoundOut]:
    org = org_of(request)
    journey = Journey.objects.for_org(org).filter(pk=payload.journey_id).first()
    if journey is None:
        raise ValidationFailed({"journey_id": "no such id in your organisation"})
    people = audience(
        org,
        payload.audience,
        departments=_departments(org, payload.department_ids),
        teams=_teams(org, payload.team_ids),
    )
    issued = do_create_round(
        org,
        payload.title,
        journey=journey,
        closes_at=payload.closes_at,
        recipients=people,
        show_names=payload.show_names,
        actor=actor_of(request),
    )
    found = round_of(org, issued.round.pk)
    assert found is not None
    return Status(201, _round_out(found))


@router.get(
    "/alignment/rounds/{round_id}/results",
    response={200: ResultsOut, **ERRORS},
    operation_id="getAlignmentResults",
    summary="A round's scores and flags",
    description=(
        "Every figure with n and its 95% bootstrap interval; answers by department, and by "
        "person only in a round sent with `show_names`."
    ),
)
def results(request: HttpRequest, round_id: QueryId) -> ResultsOut:
    found = round_of(org_of(request), round_id)
    if found is None:
        raise NotFound("no such round")
    r = round_results(found)
    return ResultsOut(
        round=_round_out(found),
        n=r.n,
        primary_persona_id=r.primary.pk if r.primary else None,
        persona_alpha=_score(r.alpha),
        departments=[
            DepartmentOut(
                department=d.name,
                n=d.n,
                first_choice=d.first_choice,
                primary_share=_score(d.primary_share),
                misaligned=d.misaligned,
            )
            for d in r.departments
        ],
        stages=[
            StageOut(
                stage_id=s.stage.pk,
                name=s.stage.name,
                owner_id=s.owner.pk if s.owner else None,
                owner_share=_score(s.owner_share),
                top_answer=s.top_answer,
                top_share=_score(s.top_share),
                dont_know_or_nobody_share=_score(s.unsure_share),
                need=s.need,
                need_share=_score(s.need_share),
                flags=[f.kind for f in s.flags],
            )
            for s in r.stages
        ],
        overall=OverallOut(
            n=r.overall.n,
            distinct_people=_score(r.overall.distinct),
            everyone_named_the_same=r.overall.everyone_same,
            top_share=_score(r.overall.top_share),
            dont_know_share=_score(r.overall.dont_know_share),
        ),
        heat_map=[
            HeatRowOut(department=name, owner_share_by_stage=[_score(c) for c in cells])
            for name, cells in r.heat
        ],
        flags=[FlagOut(kind=f.kind, where=where, detail=f.detail) for where, f in r.flags],  # type: ignore[arg-type]
        people=[PersonOut(**asdict(p)) for p in r.people],
    )
