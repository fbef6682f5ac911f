"""Staff analytics pages: explore (trend, breakdown, comparison, drill-down), key drivers,
alerts, wallboards and "What I can do". Numbers come from beacon.analytics only."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from beacon.analytics import drivers, metrics
from beacon.analytics.actions import (
    WALL_METRICS,
    AlertRuleIn,
    WallboardIn,
    do_create_alert_rule,
    do_create_wallboard,
    do_deactivate_alert_rule,
    do_revoke_wallboard,
    wall_token,
)
from beacon.analytics.attention import needs_attention
from beacon.analytics.customer import case_title
from beacon.analytics.models import Alert, AlertKind, AlertRule, Wallboard
from beacon.analytics.my_work import concerning
from beacon.analytics.params import Checker
from beacon.analytics.theme_drivers import ThemeDrivers, stored_theme_drivers
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Stage
from beacon.insights import queries as insight_queries
from beacon.orgs.models import Membership, Role, Team
from beacon.surveys.models import Survey
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.analytics import (
    AlertRuleForm,
    DeactivateAlertForm,
    DrillForm,
    ExploreForm,
    RevokeWallForm,
    ScopeForm,
    WallboardForm,
)
from beacon.web.forms.common import errors_of, reads
from beacon.web.present import attention_rows, breakdown_chart, shown, trend_chart
from beacon.web.rows import may_see_contact_details, with_scores

DRILL_SHOWN = 50


def _scope(form: ScopeForm, member: Membership) -> tuple[Checker, metrics.Filters, dict[str, str]]:
    """Period and dimension filters from the query string; problems named, defaults used."""
    check = Checker(member.organization, clock.now().date())
    form.is_valid()
    start, end = check.period(form.value("start"), form.value("end"))
    sentiment = form.value("sentiment") or None
    if check.sentiment(sentiment) not in metrics.SENTIMENTS:
        sentiment = None
    check.errors.update(errors_of(form))
    if check.errors:
        # Show the default period rather than half of a broken one.
        start, end = check.today - dt.timedelta(days=83), check.today
    f = metrics.Filters(start=start, end=end, sentiment=sentiment, **form.ids())
    return check, f, dict(check.errors)


def _analytics_page(
    request: HttpRequest,
    member: Membership,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """An analytics page; a parameter it could not use makes it a 400 (with the message)."""
    status = 400 if context.get("problems") else 200
    return render_page(request, member, template, context, status=status, nav="analytics")


def _query(f: metrics.Filters, **extra: Any) -> str:
    from urllib.parse import urlencode

    params = {k: v for k, v in f.__dict__.items() if v}
    params.update({k: v for k, v in extra.items() if v})
    return urlencode({k: str(v) for k, v in params.items()})


def _drill_link(f: metrics.Filters, key: str, dimension: str, name: str, pk: int) -> str:
    """The drill-down query for one breakdown row ("" when a row cannot be drilled into)."""
    narrowed: dict[str, Any] | None
    if dimension == metrics.SENTIMENT_DIMENSION:
        # With a theme filter, `sentiment` would mean that theme's sentiment, not the row's.
        narrowed = {"sentiment": name} if not f.theme_id else None
    elif dimension in metrics.DIMENSIONS and pk:
        narrowed = {metrics.DIMENSIONS[dimension][0]: pk}
    else:
        narrowed = None
    return "" if narrowed is None else _query(replace(f, **narrowed), metric=key)


@staff_view
@reads(ExploreForm)
def explore(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    form = ExploreForm(org, request.GET)
    check, f, _ = _scope(form, member)
    key = form.value("metric") or "nps"
    grain = form.value("grain") or "week"
    dimension = form.value("dimension") or "stage"
    perfect = form.value("scale") == "perfect"
    check.metric(key)
    check.grain(grain)
    check.dimension(dimension)
    assert f.start is not None and f.end is not None
    check.buckets(f.start, f.end, grain)
    problems = dict(check.errors)
    key = key if "metric" not in problems else "nps"
    grain = grain if "grain" not in problems and "end" not in problems else "week"
    dimension = dimension if "dimension" not in problems else "stage"
    series = metrics.series(org, key, grain, f)
    if dimension.startswith("attribute:"):
        rows = [
            (label, 0, mv)
            for label, mv in metrics.attribute_breakdown(
                org, key, dimension.split(":", 1)[1], f, perfect=perfect
            )
        ]
    else:
        rows = metrics.breakdown(org, key, dimension, f, perfect=perfect)
    links = [_drill_link(f, key, dimension, name, pk) for name, pk, _ in rows]
    length = (f.end - f.start).days + 1
    before = metrics.Filters(
        **{**f.__dict__, "start": f.start - dt.timedelta(days=length),
           "end": f.start - dt.timedelta(days=1)}
    )  # fmt: skip
    comparison = metrics.compare(org, key, before, f)
    label = metrics.METRICS[key].label
    shown_label = metrics.shown_metric(key, perfect=perfect).label
    context = {
        "problems": problems,
        "perfect": perfect,
        "breakdown_label": shown_label,
        "metric": key,
        "metric_label": label,
        "metrics": metrics.METRICS.values(),
        "grain": grain,
        "grains": metrics.GRAINS,
        "dimension": dimension,
        "dimensions": metrics.dimension_names(org),
        "f": f,
        "trend_rows": [(day, shown(mv)) for day, mv in series],
        "trend_chart": trend_chart(label, series),
        "breakdown_rows": [
            (name, link, shown(mv)) for (name, _, mv), link in zip(rows, links, strict=True)
        ],
        "themes": insight_queries.themes(org),
        "sentiments": metrics.SENTIMENTS,
        "breakdown_chart": breakdown_chart(
            f"{shown_label} by {dimension}", [r for r in rows if r[2].n]
        ),
        "comparison": comparison,
        "before": before,
        "now_shown": shown(comparison.b),
        "before_shown": shown(comparison.a),
        "drill_query": _query(f, metric=key),
        "bands": metrics.BANDS,
    }
    return _analytics_page(request, member, "web/analytics/explore.html", context)


@staff_view
@reads(DrillForm)
def drill(request: HttpRequest, member: Membership) -> HttpResponse:
    """The comments behind a number: same metric, filters and score band."""
    org = member.organization
    form = DrillForm(org, request.GET)
    check, f, _ = _scope(form, member)
    key = check.metric(form.value("metric") or "nps")
    band = check.band(form.value("band") or "all")
    problems = dict(check.errors)
    key = key if "metric" not in problems else "nps"
    band = band if "band" not in problems else "all"
    answers = metrics.verbatims_behind(org, key, f, band)[:DRILL_SHOWN]
    context = {
        "problems": problems,
        "metric_label": metrics.METRICS[key].label,
        "band": band,
        "f": f,
        "value": shown(metrics.metric(org, key, f)),
        "theme": insight_queries.theme(org, f.theme_id) if f.theme_id else None,
        "rows": with_scores(org, answers),
        "shown_max": DRILL_SHOWN,
    }
    return _analytics_page(request, member, "web/analytics/drill.html", context)


@staff_view
@reads(ScopeForm)
def drivers_page(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    _check, f, problems = _scope(ScopeForm(org, request.GET), member)
    surveys = list(Survey.objects.for_org(org).order_by("name"))
    chosen = next((s for s in surveys if s.pk == f.survey_id), surveys[0] if surveys else None)
    stored = drivers.stored_key_drivers(org, chosen.pk, f) if chosen else None
    result = stored.result if stored else None
    chart = None
    if result is not None and result.enough:
        chart = {
            "label": "Share of NPS variance explained (%)",
            "rows": [
                {"label": d.label, "value": round(100 * d.weight, 1), "low": round(100 * d.low, 1),
                 "high": round(100 * d.high, 1), "n": result.n,
                 "text": f"{d.label}: {100 * d.weight:.1f}% "
                         f"(95% {100 * d.low:.1f} to {100 * d.high:.1f})"}
                for d in result.drivers
            ],
        }  # fmt: skip
    themes = stored_themes = None
    if chosen:
        stored_themes = stored_theme_drivers(org, replace(f, survey_id=chosen.pk))
        themes = stored_themes.result
    context = {"problems": problems, "surveys": surveys, "chosen": chosen, "result": result,
               "computed": stored and stored.computed, "chart": chart, "f": f,
               "themes_computed": stored_themes and stored_themes.computed,
               "themes": themes and _theme_rows(themes),
               "overall": themes and shown(themes.overall)}  # fmt: skip
    return _analytics_page(request, member, "web/analytics/drivers.html", context)


def _signed(x: float | None) -> str:
    return "" if x is None else f"{x:+.1f}"


def _theme_rows(result: ThemeDrivers) -> list[dict[str, Any]]:
    """Theme drivers as the drivers page shows them: numbers rounded, or why there are none."""
    return [
        {
            "name": d.name,
            "theme_id": d.theme_id,
            "n": d.n,
            "share": d.share,
            "mentioned": shown(d.mentioned),
            "rest": shown(d.rest),
            "enough": d.enough,
            "diff": _signed(d.diff),
            "diff_low": _signed(d.diff_low),
            "diff_high": _signed(d.diff_high),
            "impact": _signed(d.impact),
            "impact_low": _signed(d.impact_low),
            "impact_high": _signed(d.impact_high),
        }
        for d in result.themes
    ]


def _alert_rule(form: AlertRuleForm, member: Membership) -> AlertRuleIn:
    data = form.checked()
    return AlertRuleIn(
        name=data["name"], metric=data["metric"], kind=data["kind"],
        notify=data["notify"] or member, threshold=data["threshold"],
        window_days=data["window_days"], survey=data["survey"], stage=data["stage"],
        team=data["team"], theme=data["theme"], sentiment=data["sentiment"],
    )  # fmt: skip


@staff_view
@reads(DeactivateAlertForm, AlertRuleForm)
def alerts_page(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    problems: dict[str, str] = {}
    form = AlertRuleForm(org, request.POST)
    if request.method == "POST":
        require_role(member, Role.ANALYST)
        deactivate = DeactivateAlertForm(org, request.POST)
        try:
            if deactivate.asked():
                if not deactivate.is_valid():
                    raise Http404("no such alert rule")
                do_deactivate_alert_rule(deactivate.cleaned_data["deactivate"], actor=member)
            else:
                do_create_alert_rule(org, _alert_rule(form, member), actor=member)
            return HttpResponseRedirect(reverse("web:analytics_alerts"))
        except ValidationFailed as e:
            problems = dict(e.errors)
    context = {
        "problems": problems,
        "form": form.data if problems else {},
        "alerts": Alert.objects.for_org(org)
        .select_related("rule__stage__owner")
        .order_by("-fired_at")[:100],
        "rules": AlertRule.objects.for_org(org)
        .select_related("stage", "team", "survey", "theme", "notify")
        .order_by("-active", "name"),
        "metrics": metrics.METRICS.values(),
        "kinds": AlertKind.choices,
        "stages": Stage.objects.for_org(org).order_by("journey_id", "position"),
        "teams": Team.objects.for_org(org).order_by("name"),
        "surveys": Survey.objects.for_org(org).order_by("name"),
        "themes": insight_queries.themes(org),
        "sentiments": metrics.SENTIMENTS,
        "members": Membership.objects.for_org(org).order_by("display_name"),
    }
    return _analytics_page(request, member, "web/analytics/alerts.html", context)


def _wallboard(form: WallboardForm) -> WallboardIn:
    data = form.checked()
    return WallboardIn(
        name=data["name"], metrics=data["metrics"], stage=data["stage"], theme=data["theme"]
    )


@staff_view
@reads(RevokeWallForm, WallboardForm)
def wallboards_page(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    problems: dict[str, str] = {}
    form = WallboardForm(org, request.POST)
    if request.method == "POST":
        require_role(member, Role.ADMIN)
        revoke = RevokeWallForm(org, request.POST)
        try:
            if revoke.asked():
                if not revoke.is_valid():
                    raise Http404("no such wallboard")
                do_revoke_wallboard(revoke.cleaned_data["revoke"], actor=member)
            else:
                do_create_wallboard(org, _wallboard(form), actor=member)
            return HttpResponseRedirect(reverse("web:analytics_wallboards"))
        except ValidationFailed as e:
            problems = dict(e.errors)
    walls = [
        (w, None if w.revoked_at else request.build_absolute_uri(f"/wall/{wall_token(w)}/"))
        for w in Wallboard.objects.for_org(org)
        .select_related("stage", "theme")
        .order_by("revoked_at", "name")
    ]
    context = {
        "problems": problems,
        "form": form.data if problems else {},
        "walls": walls,
        "wall_metrics": WALL_METRICS,
        "stages": Stage.objects.for_org(org).order_by("journey_id", "position"),
        "themes": insight_queries.themes(org),
    }
    return _analytics_page(request, member, "web/analytics/wallboards.html", context)


@staff_view
def my_work(request: HttpRequest, member: Membership) -> HttpResponse:
    now = clock.now()
    work = concerning(member, now.date())
    context = {
        "attention": attention_rows(needs_attention(member.organization, now, member), mine=True),
        "scopes": [(s.label, [shown(v) for v in s.values.values()]) for s in work.scopes],
        "stages": work.stages,
        "rows": with_scores(member.organization, work.verbatims),
        # Titles name the customer: masked for those who see customers masked.
        "cases": [
            (case, case_title(case.title, case.contact, may_see_contact_details(member)))
            for case in work.cases
        ],
    }
    return render_page(request, member, "web/analytics/mine.html", context, nav="mine")
