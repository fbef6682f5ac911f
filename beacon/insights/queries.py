"""Tenant-scoped reads: themes and sentiment as analytics dimensions, feeds, suggestions."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Exists, OuterRef

from beacon.core import clock
from beacon.core.computed import Computed, read_or_request
from beacon.insights import text as textutil
from beacon.insights.models import (
    AnswerInsight,
    ContactReason,
    InteractionReason,
    Praise,
    Theme,
    ThemeMention,
    TrainedModel,
)
from beacon.orgs.models import Membership, Organization
from beacon.responses.models import Answer
from beacon.surveys.models import QuestionKind
from beacon.surveys.scales import DETRACTOR_MAX, PROMOTER_MIN


def themes(org: Organization | int, *, include_inactive: bool = False) -> list[Theme]:
    qs = Theme.objects.for_org(org).order_by("name")
    return list(qs if include_inactive else qs.filter(active=True))


def theme(org: Organization | int, theme_id: int) -> Theme | None:
    return Theme.objects.for_org(org).filter(pk=theme_id).first()


def answer(org: Organization | int, answer_id: int) -> Answer | None:
    return (
        Answer.objects.for_org(org)
        .filter(pk=answer_id)
        .select_related("response__survey", "question")
        .first()
    )


def reasons(org: Organization | int) -> list[ContactReason]:
    return list(ContactReason.objects.for_org(org).filter(active=True).order_by("name"))


def reason(org: Organization | int, reason_id: int) -> ContactReason | None:
    return ContactReason.objects.for_org(org).filter(pk=reason_id).first()


@dataclass(frozen=True)
class ReasonRow:
    reason: ContactReason
    read: int  # interactions the model gave this reason
    labelled: int  # interactions staff gave this reason


def reason_summary(org: Organization | int) -> list[ReasonRow]:
    """Every reason (switched-off ones too) with how many interactions carry it."""
    counts = Counter(
        InteractionReason.objects.for_org(org)
        .filter(reason__isnull=False)
        .values_list("reason_id", "source")
    )
    return [
        ReasonRow(r, counts[(r.pk, "model")], counts[(r.pk, "staff")])
        for r in ContactReason.objects.for_org(org).order_by("-active", "name")
    ]


@dataclass(frozen=True)
class ReasonExample:
    interaction_id: int
    occurred_at: dt.datetime
    description: str  # personal data masked
    source: str
    confidence: float


def reason_examples(
    org: Organization | int, reason: ContactReason, limit: int = 20
) -> list[ReasonExample]:
    """The latest interactions read as this reason: what it means in customers' words."""
    rows = (
        InteractionReason.objects.for_org(org)
        .filter(reason=reason)
        .select_related("interaction")
        .order_by("-interaction__occurred_at")[:limit]
    )
    return [
        ReasonExample(
            r.interaction_id,
            r.interaction.occurred_at,
            textutil.redact(r.interaction.description),
            r.source,
            r.confidence,
        )
        for r in rows
    ]


def current_models(org: Organization | int) -> list[TrainedModel]:
    out = []
    for kind in ("themes", "reasons"):
        record = (
            TrainedModel.objects.for_org(org)
            .filter(kind=kind)
            .defer("blob")
            .order_by("-version")
            .first()
        )
        if record is not None:
            out.append(record)
    return out


@dataclass(frozen=True)
class ThemeNps:
    theme_id: int
    name: str
    n: int
    promoters: int
    detractors: int
    positive: int
    negative: int

    @property
    def nps(self) -> float | None:
        return 100.0 * (self.promoters - self.detractors) / self.n if self.n else None


def theme_nps(
    org: Organization | int,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    survey_id: int | None = None,
) -> list[ThemeNps]:
    """NPS of the responses that mention each theme: ThemeMention -> Response -> NPS answer."""
    mentions = ThemeMention.objects.for_org(org).filter(theme__active=True)
    if since is not None:
        mentions = mentions.filter(response__responded_at__gte=since)
    if until is not None:
        mentions = mentions.filter(response__responded_at__lt=until)
    if survey_id is not None:
        mentions = mentions.filter(response__survey_id=survey_id)
    rows = list(mentions.values_list("theme_id", "theme__name", "response_id", "sentiment"))
    scores = dict(
        Answer.objects.for_org(org)
        .filter(
            response_id__in={r[2] for r in rows},
            question__kind=QuestionKind.NPS,
            number__isnull=False,
        )
        .values_list("response_id", "number")
    )
    acc: dict[int, dict[str, Any]] = {}
    seen: set[tuple[int, int]] = set()
    for theme_id, name, response_id, sentiment in rows:
        cell = acc.setdefault(theme_id, {"name": name, "n": 0, "p": 0, "d": 0, "pos": 0, "neg": 0})
        cell["pos"] += sentiment == "positive"
        cell["neg"] += sentiment == "negative"
        if (theme_id, response_id) in seen or response_id not in scores:
            continue
        seen.add((theme_id, response_id))
        score = scores[response_id] or 0
        cell["n"] += 1
        cell["p"] += score >= PROMOTER_MIN
        cell["d"] += score <= DETRACTOR_MAX
    return sorted(
        (
            ThemeNps(tid, c["name"], c["n"], c["p"], c["d"], c["pos"], c["neg"])
            for tid, c in acc.items()
        ),
        key=lambda t: (-t.n, t.name),
    )


def theme_nps_histograms(
    org: Organization | int, *, since: dt.datetime | None = None
) -> list[tuple[int, str, dict[int, int]]]:
    """Per active theme, the NPS scores (0-10 -> count) of the responses mentioning it,
    each response once: what the analytics layer turns into NPS with an interval."""
    mentions = ThemeMention.objects.for_org(org).filter(theme__active=True)
    if since is not None:
        mentions = mentions.filter(response__responded_at__gte=since)
    pairs = set(mentions.values_list("theme_id", "theme__name", "response_id"))
    scores = dict(
        Answer.objects.for_org(org)
        .filter(
            response_id__in={p[2] for p in pairs},
            question__kind=QuestionKind.NPS,
            number__isnull=False,
        )
        .values_list("response_id", "number")
    )
    hists: dict[tuple[int, str], Counter[int]] = defaultdict(Counter)
    for theme_id, name, response_id in pairs:
        score = scores.get(response_id)
        if score is not None:
            hists[(theme_id, name)][score] += 1
    rows = [(tid, name, dict(h)) for (tid, name), h in hists.items()]
    return sorted(rows, key=lambda r: (-sum(r[2].values()), r[1]))


def sentiment_counts(
    org: Organization | int, *, since: dt.datetime | None = None
) -> dict[str, int]:
    qs = AnswerInsight.objects.for_org(org).filter(unclassifiable=False)
    if since is not None:
        qs = qs.filter(response__responded_at__gte=since)
    return dict(Counter(qs.values_list("sentiment", flat=True)))


# --- stored: the per-theme counts above, counted by the worker ------------------------
# Each reads every mention of the period and the NPS of its response (seconds at 1M).

THEME_NPS = "beacon.insights.queries.theme_nps_data"
THEME_OVERVIEW = "beacon.insights.queries.theme_overview_data"
THEMES_FRESH_FOR = dt.timedelta(minutes=15)


def theme_nps_data(org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The job's computation: `theme_nps` over all time, as JSON."""
    return {"items": [asdict(row) for row in theme_nps(org_id)]}


@dataclass(frozen=True)
class StoredThemeNps:
    items: list[ThemeNps] | None  # None until the worker has counted once
    computed: Computed


def stored_theme_nps(org: Organization | int) -> StoredThemeNps:
    org_id = org if isinstance(org, int) else org.pk
    computed = read_or_request(org_id, THEME_NPS, {}, max_age=THEMES_FRESH_FOR)
    if computed.data is None:
        return StoredThemeNps(None, computed)
    return StoredThemeNps([ThemeNps(**row) for row in computed.data["items"]], computed)


def theme_overview_data(org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The job's computation: NPS histograms per theme and sentiment counts of the last
    `days` days before now."""
    since = clock.now() - dt.timedelta(days=int(params["days"]))
    return {
        "histograms": [
            [theme_id, name, {str(s): c for s, c in hist.items()}]
            for theme_id, name, hist in theme_nps_histograms(org_id, since=since)
        ],
        "sentiments": sentiment_counts(org_id, since=since),
    }


@dataclass(frozen=True)
class ThemeOverview:
    histograms: list[tuple[int, str, dict[int, int]]] | None  # None until counted once
    sentiments: dict[str, int]
    computed: Computed


def stored_theme_overview(org: Organization | int, *, days: int) -> ThemeOverview:
    """`theme_nps_histograms` and `sentiment_counts` of the last `days` days, as the worker
    last counted them."""
    org_id = org if isinstance(org, int) else org.pk
    computed = read_or_request(org_id, THEME_OVERVIEW, {"days": days}, max_age=THEMES_FRESH_FOR)
    if computed.data is None:
        return ThemeOverview(None, {}, computed)
    hists = [
        (int(tid), str(name), {int(s): int(c) for s, c in hist.items()})
        for tid, name, hist in computed.data["histograms"]
    ]
    sentiments = {str(k): int(v) for k, v in computed.data["sentiments"].items()}
    return ThemeOverview(hists, sentiments, computed)


@dataclass(frozen=True)
class Verbatim:
    answer_id: int
    response_id: int
    responded_at: dt.datetime
    text: str
    sentiment: str
    language: str
    unclassifiable: bool
    reason: str
    themes: list[tuple[int, str, str]]


def verbatims(
    org: Organization | int,
    *,
    theme_id: int | None = None,
    sentiment: str | None = None,
    show_contact_details: bool = False,
    limit: int = 50,
    before_id: int | None = None,
) -> list[Verbatim]:
    """Comments with what Beacon read in them; redacted unless the viewer may see contacts."""
    qs = AnswerInsight.objects.for_org(org).select_related("answer", "response")
    if theme_id is not None:
        # EXISTS by the (answer, theme) key while walking the (organization, answer) index
        # newest first; IN would list every mention of the theme before the first row.
        qs = qs.filter(
            Exists(ThemeMention.objects.filter(answer_id=OuterRef("answer_id"), theme_id=theme_id))
        )
    if sentiment:
        qs = qs.filter(sentiment=sentiment)
    if before_id is not None:
        qs = qs.filter(answer_id__lt=before_id)
    rows = list(qs.order_by("-answer_id")[:limit])
    mentions: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for m in (
        ThemeMention.objects.for_org(org)
        .filter(answer_id__in=[r.answer_id for r in rows])
        .order_by("theme__name")
        .values_list("answer_id", "theme_id", "theme__name", "sentiment")
    ):
        mentions[m[0]].append((m[1], m[2], m[3]))
    return [
        Verbatim(
            r.answer_id,
            r.response_id,
            r.response.responded_at,
            r.answer.text if show_contact_details else r.redacted_text,
            r.sentiment,
            r.language,
            r.unclassifiable,
            r.reason,
            mentions[r.answer_id],
        )
        for r in rows
    ]


def recognition_feed(
    org: Organization | int, *, member: Membership | None = None, limit: int = 50
) -> list[Praise]:
    qs = Praise.objects.for_org(org).select_related("member", "response")
    if member is not None:
        qs = qs.filter(member=member)
    return list(qs.order_by("-created_at", "-pk")[:limit])


def interaction_reason(org: Organization | int, interaction_id: int) -> InteractionReason | None:
    return (
        InteractionReason.objects.for_org(org)
        .filter(interaction_id=interaction_id)
        .select_related("reason")
        .first()
    )


def reason_counts(org: Organization | int) -> list[tuple[str, int]]:
    counts = Counter(
        InteractionReason.objects.for_org(org)
        .filter(reason__isnull=False)
        .values_list("reason__name", flat=True)
    )
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# --- emerging themes ------------------------------------------------------------------


@dataclass(frozen=True)
class EmergingTheme:
    theme_id: int
    name: str
    this_week: int
    this_week_total: int
    before: int
    before_total: int
    z: float

    @property
    def share_now(self) -> float:
        return self.this_week / self.this_week_total if self.this_week_total else 0.0

    @property
    def share_before(self) -> float:
        return self.before / self.before_total if self.before_total else 0.0


def emerging_themes(
    org: Organization | int,
    *,
    now: dt.datetime | None = None,
    weeks_before: int = 4,
    z_min: float = 1.96,
    min_mentions: int = 5,
) -> list[EmergingTheme]:
    """Themes whose share of classified comments rose significantly in the last 7 days
    compared with the weeks before (one-sided two-proportion z-test)."""
    now = now or clock.now()
    week_start = now - dt.timedelta(days=7)
    base_start = week_start - dt.timedelta(days=7 * weeks_before)
    insights = AnswerInsight.objects.for_org(org).filter(
        unclassifiable=False, response__responded_at__gte=base_start, response__responded_at__lt=now
    )
    totals = Counter(
        "now" if t >= week_start else "before"
        for t in insights.values_list("response__responded_at", flat=True)
    )
    n1, n0 = totals["now"], totals["before"]
    if not n1 or not n0:
        return []
    counts: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)
    for theme_id, name, at in (
        ThemeMention.objects.for_org(org)
        .filter(
            theme__active=True,
            response__responded_at__gte=base_start,
            response__responded_at__lt=now,
        )
        .values_list("theme_id", "theme__name", "response__responded_at")
    ):
        counts[(theme_id, name)]["now" if at >= week_start else "before"] += 1
    out = []
    for (theme_id, name), c in counts.items():
        x1, x0 = min(c["now"], n1), min(c["before"], n0)
        if x1 < min_mentions:
            continue
        pooled = (x1 + x0) / (n1 + n0)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        if se == 0:
            continue
        z = (x1 / n1 - x0 / n0) / se
        if z >= z_min:
            out.append(EmergingTheme(theme_id, name, x1, n1, x0, n0, round(z, 2)))
    return sorted(out, key=lambda e: -e.z)


# Counted by the worker: the comparison reads every classified comment and mention of
# five weeks (about 190,000 responses at 1M over six months), seconds for a page.
EMERGING = "beacon.insights.queries.emerging_data"
EMERGING_FRESH_FOR = dt.timedelta(minutes=15)


def emerging_data(org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The job's computation: `emerging_themes` as of now, as JSON."""
    found = emerging_themes(org_id, weeks_before=int(params["weeks_before"]))
    return {"items": [asdict(e) for e in found]}


@dataclass(frozen=True)
class StoredEmerging:
    items: list[EmergingTheme] | None  # None until the worker has counted once
    computed: Computed


def stored_emerging_themes(org: Organization | int, *, weeks_before: int = 4) -> StoredEmerging:
    """`emerging_themes` as the worker last counted them (pages and the API read this);
    the comparison is of the week before `computed.as_of`. Themes switched off or deleted
    since are left out."""
    org_id = org if isinstance(org, int) else org.pk
    computed = read_or_request(
        org_id, EMERGING, {"weeks_before": weeks_before}, max_age=EMERGING_FRESH_FOR
    )
    if computed.data is None:
        return StoredEmerging(None, computed)
    active = set(Theme.objects.for_org(org_id).filter(active=True).values_list("pk", flat=True))
    items = [EmergingTheme(**row) for row in computed.data["items"]]
    return StoredEmerging([e for e in items if e.theme_id in active], computed)


# --- suggested themes -----------------------------------------------------------------


@dataclass(frozen=True)
class SuggestedTheme:
    name: str
    keywords: list[str]
    examples: list[str]
    size: int


# Suggestions are recomputed on the first visit this long after the last computation.
SUGGESTIONS_FRESH_FOR = dt.timedelta(hours=1)
SUGGESTIONS = "beacon.insights.suggesting.suggested_data"


@dataclass(frozen=True)
class StoredSuggestions:
    items: list[SuggestedTheme] | None  # None until the worker has computed them once
    computed: Computed


def suggested_themes(org: Organization, *, days: int = 90) -> StoredSuggestions:
    """Groups of the last `days` days' comments no theme matched, as the worker found them
    (`insights.suggesting`: grouping loads the text engine, which pages never do). A
    theme made from a group since then no longer shows."""
    computed = read_or_request(org.pk, SUGGESTIONS, {"days": days}, max_age=SUGGESTIONS_FRESH_FOR)
    if computed.data is None:
        return StoredSuggestions(None, computed)
    existing = {name.lower() for name in Theme.objects.for_org(org).values_list("name", flat=True)}
    items = [SuggestedTheme(**row) for row in computed.data["items"]]
    return StoredSuggestions([s for s in items if s.name.lower() not in existing], computed)
