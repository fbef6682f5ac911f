"""Text analytics over the API: themes, starter taxonomies, verbatim insights, corrections,
suggested and emerging themes, praise, reasons for contact and the models' quality."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from beacon.analytics import stats
from beacon.api.auth import actor_of, org_of
from beacon.api.schemas import (
    ComputingOut,
    ErrorOut,
    Id,
    In,
    QueryId,
    Text,
    ValidationErrorOut,
    computing,
)
from beacon.contacts.models import Interaction
from beacon.core.errors import NotFound, ValidationFailed
from beacon.insights import queries
from beacon.insights.corrections import do_correct_sentiment, do_correct_theme
from beacon.insights.models import ContactReason, InteractionReason, Theme
from beacon.insights.reasons import do_create_reason, do_set_interaction_reason, do_update_reason
from beacon.insights.taxonomy import do_adopt_starter, do_create_theme, do_update_theme
from beacon.orgs.models import Membership

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
    next_before_id: int | None = Field(
        description="Pass as `before_id` for the next page; null on the last page. There is "
        "no total: counting every comment costs more than the page."
    )


class VerbatimQuery(Schema):
    # Ids beyond 64 bits are refused here, naming the parameter (the database cannot hold them).
    theme_id: QueryId | None = None
    sentiment: SentimentIn | None = None
    before_id: QueryId | None = Field(
        None,
        description="Next page: the `next_before_id` of the previous page (comments with a "
        "smaller answer id). Omit for the newest.",
    )
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
    as_of: dt.datetime = Field(description="When the worker counted.")
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
        org, payload.name, payload.description, payload.phrases, actor=actor_of(request)
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
        actor=actor_of(request),
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
    created = do_adopt_starter(org_of(request), payload.industry, actor=actor_of(request))
    return Status(201, ThemeListOut(items=[_theme_out(t) for t in created]))


@router.get(
    "/verbatims",
    response={200: VerbatimListOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="listVerbatims",
    summary="Comments with their themes and sentiment",
)
def list_verbatims(request: HttpRequest, query: Query[VerbatimQuery]) -> VerbatimListOut:
    org = org_of(request)
    # One row more than asked says whether there is a next page.
    found = queries.verbatims(
        org,
        theme_id=query.theme_id,
        sentiment=query.sentiment,
        before_id=query.before_id,
        limit=query.limit + 1,
    )
    rows = found[: query.limit]
    return VerbatimListOut(
        next_before_id=rows[-1].answer_id if len(found) > query.limit else None,
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
        ],
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
        correction = do_correct_theme(answer, theme, payload.sentiment, actor=actor_of(request))
    else:
        if payload.sentiment is None:
            raise ValidationFailed({"sentiment": "is required without a theme_id"})
        correction = do_correct_sentiment(answer, payload.sentiment, actor=actor_of(request))
    return Status(201, CorrectionOut(id=correction.pk, kind=correction.kind))


@router.get(
    "/insights/theme-nps",
    response={200: ThemeNpsListOut, 202: ComputingOut, 401: ErrorOut},
    operation_id="themeNps",
    summary="NPS by theme",
    description="Counted by the worker (every mention and its response's NPS): the first "
    "request answers 202 while it counts; the counts are kept 15 minutes.",
)
def theme_nps(request: HttpRequest) -> Status[ThemeNpsListOut | ComputingOut]:
    stored = queries.stored_theme_nps(org_of(request))
    if stored.items is None or stored.computed.as_of is None:
        return computing()
    return Status(
        200,
        ThemeNpsListOut(
            as_of=stored.computed.as_of,
            items=[
                ThemeNpsOut(
                    theme_id=r.theme_id,
                    theme=r.name,
                    n=r.n,
                    nps=r.nps,
                    positive_mentions=r.positive,
                    negative_mentions=r.negative,
                )
                for r in stored.items
            ],
        ),
    )


# --- suggested and emerging themes, praise --------------------------------------------


class SuggestedThemeOut(Schema):
    name: str = Field(description="A proposed name: the group's most telling words.")
    keywords: list[str]
    examples: list[str] = Field(description="Comments of the group, personal data masked.")
    size: int = Field(description="Comments in the group.")


class SuggestedThemeListOut(Schema):
    as_of: dt.datetime = Field(description="When the worker grouped the comments.")
    items: list[SuggestedThemeOut]


MAX_SUGGESTION_DAYS = 365


class SuggestedQuery(Schema):
    # Grouping costs grow with the comments read; a year is the furthest back worth
    # suggesting from (older comments describe a product that has since changed).
    days: int = Field(
        90, ge=1, le=MAX_SUGGESTION_DAYS, description="Comments of the last this many days."
    )


@router.get(
    "/insights/suggested-themes",
    response={
        200: SuggestedThemeListOut,
        202: ComputingOut,
        401: ErrorOut,
        422: ValidationErrorOut,
    },
    operation_id="suggestedThemes",
    summary="Themes suggested from comments no theme matched",
    description="Groups of recent comments that match no theme, each a candidate theme. "
    "Create one with POST /themes. Computed by the worker: the first request for a number "
    "of days answers 202 while it groups the comments; the groups are kept an hour.",
)
def suggested_themes(
    request: HttpRequest, query: Query[SuggestedQuery]
) -> Status[SuggestedThemeListOut | ComputingOut]:
    stored = queries.suggested_themes(org_of(request), days=query.days)
    if stored.items is None or stored.computed.as_of is None:
        return computing()
    rows = stored.items
    return Status(
        200,
        SuggestedThemeListOut(
            as_of=stored.computed.as_of,
            items=[
                SuggestedThemeOut(
                    name=r.name, keywords=r.keywords, examples=r.examples, size=r.size
                )
                for r in rows
            ],
        ),
    )


class EmergingThemeOut(Schema):
    theme_id: int
    theme: str
    this_week: int = Field(description="Comments of the last 7 days that mention the theme.")
    this_week_total: int = Field(description="Classified comments of the last 7 days.")
    before: int = Field(description="Mentions in the weeks before.")
    before_total: int = Field(description="Classified comments in the weeks before.")
    share_now: float
    share_before: float
    z: float = Field(description="One-sided two-proportion z; listed when z >= 1.96.")


class EmergingThemeListOut(Schema):
    as_of: dt.datetime = Field(
        description="When the worker counted: the last 7 days are the 7 days before this."
    )
    items: list[EmergingThemeOut]


@router.get(
    "/insights/emerging-themes",
    response={200: EmergingThemeListOut, 202: ComputingOut, 401: ErrorOut},
    operation_id="emergingThemes",
    summary="Themes whose share rose significantly this week",
    description="Counted by the worker (every classified comment of five weeks): the first "
    "request answers 202 while it counts; the counts are kept 15 minutes.",
)
def emerging_themes(request: HttpRequest) -> Status[EmergingThemeListOut | ComputingOut]:
    stored = queries.stored_emerging_themes(org_of(request))
    if stored.items is None or stored.computed.as_of is None:
        return computing()
    return Status(
        200,
        EmergingThemeListOut(
            as_of=stored.computed.as_of,
            items=[
                EmergingThemeOut(
                    theme_id=e.theme_id,
                    theme=e.name,
                    this_week=e.this_week,
                    this_week_total=e.this_week_total,
                    before=e.before,
                    before_total=e.before_total,
                    share_now=e.share_now,
                    share_before=e.share_before,
                    z=e.z,
                )
                for e in stored.items
            ],
        ),
    )


class PraiseOut(Schema):
    id: int
    member_id: int
    member: str
    response_id: int
    answer_id: int
    excerpt: str = Field(description="The praising words, personal data masked.")
    created_at: dt.datetime


class PraiseListOut(Schema):
    items: list[PraiseOut]


class PraiseQuery(Schema):
    member_id: int | None = Field(None, description="Only praise of this member of staff.")
    limit: int = Field(50, ge=1, le=200)


@router.get(
    "/praise",
    response={200: PraiseListOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    operation_id="listPraise",
    summary="Comments that praise a named member of staff",
)
def list_praise(request: HttpRequest, query: Query[PraiseQuery]) -> PraiseListOut:
    org = org_of(request)
    member = None
    if query.member_id is not None:
        member = Membership.objects.for_org(org).filter(pk=query.member_id).first()
        if member is None:
            raise NotFound(f"no member {query.member_id}")
    rows = queries.recognition_feed(org, member=member, limit=query.limit)
    return PraiseListOut(
        items=[
            PraiseOut(
                id=p.pk,
                member_id=p.member_id,
                member=p.member.display_name,
                response_id=p.response_id,
                answer_id=p.answer_id,
                excerpt=p.excerpt,
                created_at=p.created_at,
            )
            for p in rows
        ]
    )


# --- the models and their quality -----------------------------------------------------


class ModelOut(Schema):
    kind: str = Field(description="themes (themes and sentiment) or reasons")
    version: int
    engine: str
    trained_at: dt.datetime
    examples: int = Field(description="Training examples (seed comments, phrases, labels).")
    quality: float | None = Field(
        description="% of held-out staff corrections the model agrees with."
    )
    quality_n: int = Field(description="Held-out corrections the quality is measured on.")
    quality_low: float | None = Field(description="95% Wilson interval, low end.")
    quality_high: float | None = Field(description="95% Wilson interval, high end.")
    previous_quality: float | None = Field(description="The previous model on the same set.")


class ModelListOut(Schema):
    items: list[ModelOut]


@router.get(
    "/insights/models",
    response={200: ModelListOut, 401: ErrorOut},
    operation_id="listModels",
    summary="The organisation's current text models and how good they are",
    description="Empty until the organisation's own model is trained: comments are read "
    "with the shared starter model until then.",
)
def list_models(request: HttpRequest) -> ModelListOut:
    items = []
    for m in queries.current_models(org_of(request)):
        interval = stats.agreement(m.quality, m.quality_n) if m.quality is not None else None
        items.append(
            ModelOut(
                kind=m.kind,
                version=m.version,
                engine=m.engine,
                trained_at=m.created_at,
                examples=m.n_examples,
                quality=None if m.quality is None else 100 * m.quality,
                quality_n=m.quality_n,
                quality_low=interval.low if interval else None,
                quality_high=interval.high if interval else None,
                previous_quality=None if m.previous_quality is None else 100 * m.previous_quality,
            )
        )
    return ModelListOut(items=items)


# --- reasons for contact --------------------------------------------------------------


class ReasonIn(In):
    name: Text = Field(max_length=100, description="Shown in reports and on cases.")
    description: Text = Field("", max_length=2000, description="What the reason covers.")
    phrases: list[Text] = Field(
        default_factory=list, max_length=50, description="How customers put it."
    )
    active: bool = True


class ReasonOut(Schema):
    id: int
    name: str
    description: str
    phrases: list[str]
    active: bool


class ReasonListOut(Schema):
    items: list[ReasonOut]


def _reason_out(r: ContactReason) -> ReasonOut:
    return ReasonOut(
        id=r.pk, name=r.name, description=r.description, phrases=list(r.phrases), active=r.active
    )


@router.get(
    "/reasons",
    response={200: ReasonListOut, 401: ErrorOut},
    operation_id="listReasons",
    summary="List reasons for contact",
)
def list_reasons(request: HttpRequest) -> ReasonListOut:
    return ReasonListOut(
        items=[_reason_out(row.reason) for row in queries.reason_summary(org_of(request))]
    )


@router.post(
    "/reasons",
    response={201: ReasonOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="createReason",
    summary="Add a reason for contact",
    description="New interactions are read against the reasons once the model has retrained "
    "(queued now); the last 90 days are read again.",
)
def create_reason(request: HttpRequest, payload: ReasonIn) -> Status[ReasonOut]:
    reason = do_create_reason(
        org_of(request), payload.name, payload.description, payload.phrases, actor=actor_of(request)
    )
    return Status(201, _reason_out(reason))


@router.put(
    "/reasons/{reason_id}",
    response={200: ReasonOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    operation_id="updateReason",
    summary="Edit a reason for contact",
)
def update_reason(request: HttpRequest, reason_id: int, payload: ReasonIn) -> ReasonOut:
    reason = queries.reason(org_of(request), reason_id)
    if reason is None:
        raise NotFound(f"no reason {reason_id}")
    do_update_reason(
        reason,
        name=payload.name,
        description=payload.description,
        phrases=payload.phrases,
        active=payload.active,
        actor=actor_of(request),
    )
    return _reason_out(reason)


class InteractionReasonOut(Schema):
    interaction_id: int
    reason_id: int | None
    reason: str | None
    source: str = Field(description="model (read from the description) or staff")
    confidence: float = Field(
        description="The model's score for the reason it chose, 0..1 (1 when set by staff); "
        "a ranking score, not a calibrated probability."
    )


class InteractionReasonIn(In):
    reason_id: Id


def _interaction_reason_out(row: InteractionReason) -> InteractionReasonOut:
    return InteractionReasonOut(
        interaction_id=row.interaction_id,
        reason_id=row.reason_id,
        reason=row.reason.name if row.reason else None,
        source=row.source,
        confidence=row.confidence,
    )


def _interaction(request: HttpRequest, interaction_id: int) -> Interaction:
    found = Interaction.objects.for_org(org_of(request)).filter(pk=interaction_id).first()
    if found is None:
        raise NotFound(f"no interaction {interaction_id}")
    return found


@router.get(
    "/interactions/{interaction_id}/reason",
    response={200: InteractionReasonOut, 401: ErrorOut, 404: ErrorOut},
    operation_id="getInteractionReason",
    summary="Why the customer got in touch",
    description="404 until the interaction's description has been read (or when the "
    "organisation has no reasons).",
)
def get_interaction_reason(request: HttpRequest, interaction_id: int) -> InteractionReasonOut:
    interaction = _interaction(request, interaction_id)
    row = queries.interaction_reason(interaction.organization_id, interaction.pk)
    if row is None:
        raise NotFound(f"interaction {interaction_id} has no reason yet")
    return _interaction_reason_out(row)


@router.put(
    "/interactions/{interaction_id}/reason",
    response={200: InteractionReasonOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    operation_id="setInteractionReason",
    summary="Say why the customer got in touch",
    description="A reason set here is kept (the model never overwrites it) and the reason "
    "model learns from it.",
)
def set_interaction_reason(
    request: HttpRequest, interaction_id: int, payload: InteractionReasonIn
) -> InteractionReasonOut:
    interaction = _interaction(request, interaction_id)
    reason = queries.reason(interaction.organization_id, payload.reason_id)
    if reason is None or not reason.active:
        raise ValidationFailed({"reason_id": f"no active reason {payload.reason_id}"})
    row = do_set_interaction_reason(interaction, reason, actor=actor_of(request))
    return _interaction_reason_out(row)
