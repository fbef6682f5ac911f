"""Text analytics over the API: themes, starter taxonomies, verbatim insights, corrections."""

from __future__ import annotations

import datetime as dt
from typing import Literal, cast

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from beacon.api.auth import org_of
from beacon.api.schemas import ErrorOut, ValidationErrorOut
from beacon.core.errors import NotFound
from beacon.insights import queries
from beacon.insights.actions import (
    do_adopt_starter,
    do_correct_sentiment,
    do_correct_theme,
    do_create_theme,
    do_update_theme,
)
from beacon.insights.models import Theme
from beacon.orgs.models import ApiKey, Membership

router = Router(tags=["insights"])

SentimentIn = Literal["positive", "negative", "neutral", "mixed"]


class ThemeIn(Schema):
    name: str = Field(max_length=100, description="Short name shown in breakdowns.")
    description: str = Field("", max_length=2000, description="What the theme covers.")
    phrases: list[str] = Field(
        default_factory=list, max_length=50, description="Example phrases customers use."
    )
    active: bool = True


class ThemeOut(Schema):
    id: int
    name: str
    description: str
    phrases: list[str]
    starter: str
    active: bool


class ThemeListOut(Schema):
    items: list[ThemeOut]


class StarterIn(Schema):
    industry: str = Field(description="retail, telecom, software, hospitality or banking")


class MentionOut(Schema):
    theme_id: int
    theme: str
    sentiment: str


class VerbatimOut(Schema):
    answer_id: int
    response_id: int
    responded_at: dt.datetime
    text: str = Field(description="Personal data (emails, phones, cards, IBANs) masked.")
    sentiment: str
    language: str
    unclassifiable: bool
    unclassifiable_reason: str
    themes: list[MentionOut]


class VerbatimListOut(Schema):
    items: list[VerbatimOut]


class VerbatimQuery(Schema):
    theme_id: int | None = None
    sentiment: SentimentIn | None = None
    before_id: int | None = Field(None, description="Page: answers with a smaller id.")
    limit: int = Field(50, ge=1, le=200)


class CorrectionIn(Schema):
    theme_id: int | None = Field(None, description="Correct this theme (omit for overall).")
    sentiment: SentimentIn | None = Field(
        None, description="The right sentiment; with a theme_id, null removes the theme."
    )


class CorrectionOut(Schema):
    id: int
    kind: str


class ThemeNpsOut(Schema):
    theme_id: int
    theme: str
    n: int = Field(description="Responses mentioning the theme that have an NPS answer.")
    nps: float | None
    positive_mentions: int
    negative_mentions: int


class ThemeNpsListOut(Schema):
    items: list[ThemeNpsOut]


def _theme_out(t: Theme) -> ThemeOut:
    return ThemeOut(
        id=t.pk,
        name=t.name,
        description=t.description,
        phrases=list(t.phrases),
        starter=t.starter,
        active=t.active,
    )


def _actor(request: HttpRequest) -> Membership | None:
    key = cast(ApiKey, request.auth)  # type: ignore[attr-defined]
    return key.created_by


@router.get(
    "/themes",
    response={200: ThemeListOut, 401: ErrorOut},
    operation_id="listThemes",
    summary="List themes",
)
def list_themes(request: HttpRequest) -> ThemeListOut:
    org = org_of(request)
    return ThemeListOut(items=[_theme_out(t) for t in queries.themes(org, include_inactive=True)])


@router.post(
    "/themes",
    response={201: ThemeOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="createTheme",
    summary="Create a theme",
)
def create_theme(request: HttpRequest, payload: ThemeIn) -> Status[ThemeOut]:
    org = org_of(request)
    theme = do_create_theme(
        org, payload.name, payload.description, payload.phrases, actor=_actor(request)
    )
    return Status(201, _theme_out(theme))


@router.put(
    "/themes/{theme_id}",
    response={200: ThemeOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    operation_id="updateTheme",
    summary="Edit a theme",
)
def update_theme(request: HttpRequest, theme_id: int, payload: ThemeIn) -> ThemeOut:
    theme = queries.theme(org_of(request), theme_id)
    if theme is None:
        raise NotFound(f"no theme {theme_id}")
    do_update_theme(
        theme,
        name=payload.name,
        description=payload.description,
        phrases=payload.phrases,
        active=payload.active,
        actor=_actor(request),
    )
    return _theme_out(theme)


@router.post(
    "/theme-starters",
    response={201: ThemeListOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="adoptStarterThemes",
    summary="Adopt a starter taxonomy",
    description="Adds the industry's starter themes the organisation does not have yet.",
)
def adopt_starter(request: HttpRequest, payload: StarterIn) -> Status[ThemeListOut]:
    created = do_adopt_starter(org_of(request), payload.industry, actor=_actor(request))
    return Status(201, ThemeListOut(items=[_theme_out(t) for t in created]))


@router.get(
    "/verbatims",
    response={200: VerbatimListOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="listVerbatims",
    summary="Comments with their themes and sentiment",
)
def list_verbatims(request: HttpRequest, query: Query[VerbatimQuery]) -> VerbatimListOut:
    org = org_of(request)
    rows = queries.verbatims(
        org,
        theme_id=query.theme_id,
        sentiment=query.sentiment,
        before_id=query.before_id,
        limit=query.limit,
    )
    return VerbatimListOut(
        items=[
            VerbatimOut(
                answer_id=v.answer_id,
                response_id=v.response_id,
                responded_at=v.responded_at,
                text=v.text,
                sentiment=v.sentiment,
                language=v.language,
                unclassifiable=v.unclassifiable,
                unclassifiable_reason=v.reason,
                themes=[MentionOut(theme_id=i, theme=n, sentiment=s) for i, n, s in v.themes],
            )
            for v in rows
        ]
    )


@router.post(
    "/verbatims/{answer_id}/corrections",
    response={201: CorrectionOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    operation_id="correctVerbatim",
    summary="Correct a comment's theme or sentiment",
    description=(
        "With `theme_id`: the comment mentions the theme with `sentiment`, or (sentiment "
        "null) does not mention it. Without: the comment's overall sentiment is `sentiment`. "
        "Corrections train the organisation's next model."
    ),
)
def correct_verbatim(
    request: HttpRequest, answer_id: int, payload: CorrectionIn
) -> Status[CorrectionOut]:
    org = org_of(request)
    answer = queries.answer(org, answer_id)
    if answer is None:
        raise NotFound(f"no answer {answer_id}")
    if payload.theme_id is not None:
        theme = queries.theme(org, payload.theme_id)
        if theme is None:
            raise NotFound(f"no theme {payload.theme_id}")
        correction = do_correct_theme(answer, theme, payload.sentiment, actor=_actor(request))
    else:
        if payload.sentiment is None:
            from beacon.core.errors import ValidationFailed

            raise ValidationFailed({"sentiment": "is required without a theme_id"})
        correction = do_correct_sentiment(answer, payload.sentiment, actor=_actor(request))
    return Status(201, CorrectionOut(id=correction.pk, kind=correction.kind))


@router.get(
    "/insights/theme-nps",
    response={200: ThemeNpsListOut, 401: ErrorOut},
    operation_id="themeNps",
    summary="NPS by theme",
)
def theme_nps(request: HttpRequest) -> ThemeNpsListOut:
    rows = queries.theme_nps(org_of(request))
    return ThemeNpsListOut(
        items=[
            ThemeNpsOut(
                theme_id=r.theme_id,
                theme=r.name,
                n=r.n,
                nps=r.nps,
                positive_mentions=r.positive,
                negative_mentions=r.negative,
            )
            for r in rows
        ]
    )
