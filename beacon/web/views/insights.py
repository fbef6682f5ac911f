"""Text analytics pages: themes, a verbatim with its corrections, praise, suggestions,
reasons for contact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from beacon.analytics import stats
from beacon.analytics.display import figure, signed_figure
from beacon.analytics.metrics import MetricValue
from beacon.analytics.theme_profile import ThemeProfile, theme_profile
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.insights import queries
from beacon.insights.corrections import do_correct_sentiment, do_correct_theme
from beacon.insights.labels import POLARITIES
from beacon.insights.models import (
    AnswerInsight,
    ContactReason,
    Correction,
    Theme,
    ThemeMention,
    TrainedModel,
)
from beacon.insights.reasons import do_create_reason, do_update_reason
from beacon.insights.starters import STARTERS
from beacon.insights.taxonomy import do_adopt_starter, do_create_theme, do_update_theme
from beacon.insights.text import redact
from beacon.loop.models import Action
from beacon.loop.queries import cases
from beacon.orgs.models import Membership, Role
from beacon.responses.queries import verbatims
from beacon.surveys.models import QuestionKind
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.insights import (
    MAX_PHRASE_LINES,
    CorrectionForm,
    NamedForm,
    SuggestedForm,
    ThemeListForm,
    ThemePageForm,
)
from beacon.web.present import breakdown_chart, shown, shown_rate, trend_chart
from beacon.web.rows import may_see_contact_details, with_scores
from beacon.web.views.feed import comment_page, htmx_part, with_htmx_vary

# Themes are the shared vocabulary of analysis: analysts and up shape them.
THEME_EDITOR = Role.ANALYST
# Anyone who reads verbatims for a living may say what a comment is about; viewers read.
CORRECTOR = Role.AGENT
PERIOD_DAYS = 90
# Actions are planned by analysts and up (as on the actions board).
ACTION_PLANNER = Role.ANALYST
# The theme page lists the latest cases; the cases list has them all.
THEME_CASES = 10


@staff_view
@require_GET
def insights_home(request: HttpRequest, member: Membership) -> HttpResponse:
    """NPS of the responses that mention each theme, with n and interval."""
    org = member.organization
    stored = queries.stored_theme_overview(org, days=PERIOD_DAYS)
    rows = []
    for theme_id, name, hist in stored.histograms or []:
        mv = MetricValue(
            key="nps",
            label="NPS",
            unit="",
            n=sum(hist.values()),
            min_n=org.min_sample_size,
            estimate=stats.nps(hist),
        )
        rows.append((name, theme_id, mv))
    context = {
        "period": PERIOD_DAYS,
        "theme_rows": [(name, theme_id, shown(mv)) for name, theme_id, mv in rows],
        "theme_chart": breakdown_chart("NPS by theme", rows),
        "sentiment": sorted(stored.sentiments.items()),
        "computed": stored.computed,
        "models": [_model_quality(m) for m in queries.current_models(org)],
    }
    return render_page(request, member, "web/insights/home.html", context, nav="insights")


def _model_quality(m: TrainedModel) -> dict[str, Any]:
    """How often the model agreed with held-out corrections, as a percentage with its
    interval (a bare share like "1.00 of 45" reads as one correction)."""
    found = stats.agreement(m.quality, m.quality_n) if m.quality is not None else None
    previous = m.previous_quality
    return {
        "kind": m.get_kind_display(),
        "version": m.version,
        "n": m.quality_n,
        "quality": None if found is None else figure("percent", found.value, found.low, found.high),
        "previous": None if previous is None else f"{100 * previous:.0f}%",
    }


def _theme_list_page(
    request: HttpRequest,
    member: Membership,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "themes": queries.themes(member.organization, include_inactive=True),
        "industries": sorted(STARTERS),
        "can_edit": member.has_role(THEME_EDITOR),
        "errors": errors or {},
        "values": values or {},
    }
    return render_page(
        request, member, "web/insights/themes.html", context, status=status, nav="insights"
    )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(ThemeListForm)
def theme_list(request: HttpRequest, member: Membership) -> HttpResponse:
    if request.method == "GET":
        return _theme_list_page(request, member)
    require_role(member, THEME_EDITOR)
    org = member.organization
    form = ThemeListForm(org, request.POST)
    try:
        form.checked()
        if form.adopting():
            created = do_adopt_starter(org, form.cleaned_data["industry"], actor=member)
            messages.success(request, f"Added {len(created)} starter themes.")
        else:
            named = form.named()
            theme = do_create_theme(
                org, named["name"], named["description"], named["phrases"], actor=member
            )
            messages.success(request, f"Theme “{theme.name}” added.")
    except ValidationFailed as exc:
        return _theme_list_page(request, member, errors=exc.errors, values=values(form), status=400)
    return redirect("web:insights_themes")


def _theme_or_404(member: Membership, theme_id: int) -> Theme:
    theme = queries.theme(member.organization, theme_id)
    if theme is None:
        raise Http404("no such theme")
    return theme


Named = Theme | ContactReason


def _named_edit(
    request: HttpRequest,
    member: Membership,
    item: Named,
    update: Callable[..., Named],
    *,
    what: str,
    template: str,
    context: Callable[[], dict[str, Any]],
) -> HttpResponse:
    """The edit page of a theme or a reason (name, description, phrases, on or off)."""
    errors: dict[str, str] = {}
    shown = {
        "name": item.name,
        "description": item.description,
        "phrases": "\n".join(item.phrases),
        "active": "on" if item.active else "",
    }
    if request.method == "POST":
        require_role(member, THEME_EDITOR)
        form = NamedForm(member.organization_id, request.POST)
        form.is_valid()
        shown = values(form)
        try:
            update(item, **form.named(), actor=member)
        except ValidationFailed as exc:
            errors = exc.errors
            item.refresh_from_db()
        else:
            messages.success(request, f"{what} “{item.name}” saved.")
            return redirect(request.path)
    page = {
        what.lower(): item,
        "values": shown,
        "errors": errors,
        "can_edit": member.has_role(THEME_EDITOR),
        **context(),
    }
    status = 400 if errors or page.get("problems") else 200
    return render_page(request, member, template, page, status=status, nav="insights")


def _impact(profile: ThemeProfile) -> dict[str, Any] | None:
    """The theme's row of the drivers analysis, each number with its interval."""
    d = profile.driver
    if d is None:
        return None
    out: dict[str, Any] = {"mentioned": shown(d.mentioned), "rest": shown(d.rest),
                           "share": shown_rate(d.share), "enough": d.enough}  # fmt: skip
    if d.enough and d.diff is not None and d.diff_low is not None and d.diff_high is not None:
        out["difference"] = signed_figure("nps", d.diff, d.diff_low, d.diff_high)
    if d.impact is not None and d.impact_low is not None and d.impact_high is not None:
        out["impact"] = signed_figure("nps", d.impact, d.impact_low, d.impact_high)
    return out


def _theme_work(member: Membership, theme: Theme) -> dict[str, Any]:
    """The cases opened on responses that mention the theme, and the actions taken on it."""
    org = member.organization
    mentioning = ThemeMention.objects.for_org(org).filter(theme=theme).values("response_id")
    found = cases(org, sort="opened", response_id__in=mentioning)
    reveal = may_see_contact_details(member)
    latest = [(c, c.title if reveal else redact(c.title)) for c in found[:THEME_CASES]]
    actions = Action.objects.for_org(org).filter(theme_id=theme.pk).select_related("owner")
    return {
        "cases": latest,
        "case_count": found.count(),
        "actions": list(actions.order_by("status", "deadline", "pk")),
        "can_plan": member.has_role(ACTION_PLANNER),
    }


def _theme_context(request: HttpRequest, member: Membership, theme: Theme) -> dict[str, Any]:
    org = member.organization
    cursor, problems = ThemePageForm(org, request.GET).cursor()
    profile = theme_profile(org, theme, today=clock.now().date(), days=PERIOD_DAYS)
    # EXISTS by the (answer, theme) key per comment, newest first, until a page is full.
    mentions = ThemeMention.objects.filter(answer_id=OuterRef("pk"), theme_id=theme.pk)
    answers = verbatims(org).filter(Exists(mentions))
    return {
        "period": PERIOD_DAYS,
        "problems": problems,
        "overall": profile.overall and shown(profile.overall),
        "impact": _impact(profile),
        "computed": profile.computed,
        "figures": profile.figures,
        "volume": profile.volume,
        "weeks": [
            (w.week, w.mentions.numerator, shown_rate(w.mentions), shown(w.nps))
            for w in profile.weeks
        ],
        "trend_chart": trend_chart(
            "NPS of responses mentioning the theme", [(w.week, w.nps) for w in profile.weeks]
        ),
        "sentiments": [
            (s.label, s.share.numerator, shown_rate(s.share)) for s in profile.sentiments
        ],
        **comment_page(member, answers, cursor, {}).context(),
        **_theme_work(member, theme),
    }


@staff_view
@require_http_methods(["GET", "POST"])
@reads(NamedForm, ThemePageForm)
def theme_page(request: HttpRequest, member: Membership, theme_id: int) -> HttpResponse:
    """What a theme does to NPS, its trend, volume, sentiment, comments, cases and actions;
    analysts and up edit it in a section of the page."""
    theme = _theme_or_404(member, theme_id)
    if request.method == "GET" and htmx_part(request) == "load-more":
        context = _theme_context(request, member, theme)
        return with_htmx_vary(render_page(request, member, "web/_verbatim_items.html", context))
    return with_htmx_vary(
        _named_edit(
            request,
            member,
            theme,
            do_update_theme,
            what="Theme",
            template="web/insights/theme.html",
            context=lambda: _theme_context(request, member, theme),
        )
    )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(CorrectionForm)
def verbatim_detail(request: HttpRequest, member: Membership, answer_id: int) -> HttpResponse:
    org = member.organization
    answer = queries.answer(org, answer_id)
    if answer is None or answer.question.kind != QuestionKind.TEXT:
        raise Http404("no such comment")
    errors: dict[str, str] = {}
    themes = {t.pk: t for t in queries.themes(org)}
    if request.method == "POST":
        require_role(member, CORRECTOR)
        form = CorrectionForm(org, request.POST)
        try:
            form.checked()
            sentiment, theme = form.cleaned_data["sentiment"], form.cleaned_data["theme"]
            if form.cleaned_data["action"] == "theme":
                if theme is None:
                    raise ValidationFailed({"theme": "choose an active theme of this organisation"})
                do_correct_theme(
                    answer, theme, None if sentiment == "remove" else sentiment, actor=member
                )
            else:
                do_correct_sentiment(answer, sentiment, actor=member)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(
                request, "Thank you: the correction is saved and will teach the model."
            )
            return redirect("web:insights_verbatim", answer_id=answer.pk)
    insight = AnswerInsight.objects.for_org(org).filter(answer=answer).first()
    mentions = list(
        ThemeMention.objects.for_org(org)
        .filter(answer=answer)
        .select_related("theme")
        .order_by("theme__name")
    )
    context: dict[str, Any] = {
        "row": with_scores(org, [answer], viewer=member)[0],
        "insight": insight,
        "mentions": mentions,
        "themes": sorted(themes.values(), key=lambda t: t.name),
        "polarities": POLARITIES,
        "can_correct": member.has_role(CORRECTOR),
        "shows_contact_details": may_see_contact_details(member),
        "corrections": Correction.objects.for_org(org)
        .filter(answer=answer)
        .select_related("theme", "by")
        .order_by("-created_at", "-pk"),
        "errors": errors,
    }
    return render_page(
        request,
        member,
        "web/insights/verbatim.html",
        context,
        status=400 if errors else 200,
        nav="verbatims",
    )


@staff_view
@require_GET
def praise_feed(request: HttpRequest, member: Membership) -> HttpResponse:
    """Comments that praise a named member of staff (excerpts are stored redacted)."""
    feed = queries.recognition_feed(member.organization)
    return render_page(request, member, "web/insights/praise.html", {"feed": feed}, nav="insights")


@staff_view
@require_http_methods(["GET", "POST"])
@reads(SuggestedForm)
def suggested(request: HttpRequest, member: Membership) -> HttpResponse:
    """Groups of comments no theme matched; one click makes a group a theme."""
    org = member.organization
    errors: dict[str, str] = {}
    if request.method == "POST":
        require_role(member, THEME_EDITOR)
        form = SuggestedForm(org, request.POST)
        form.is_valid()
        data = form.cleaned_data
        try:
            theme = do_create_theme(
                org,
                data["name"],
                data["description"],
                data["phrase"][:MAX_PHRASE_LINES],
                actor=member,
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Theme “{theme.name}” added; edit it to refine it.")
            return redirect("web:insights_theme", theme_id=theme.pk)
    stored = queries.suggested_themes(org, days=PERIOD_DAYS)
    context = {
        "suggestions": stored.items or [],
        "computed": stored.computed,
        "can_edit": member.has_role(THEME_EDITOR),
        "errors": errors,
    }
    return render_page(
        request,
        member,
        "web/insights/suggested.html",
        context,
        status=400 if errors else 200,
        nav="insights",
    )


@staff_view
@require_GET
def emerging(request: HttpRequest, member: Membership) -> HttpResponse:
    stored = queries.stored_emerging_themes(member.organization)
    context = {"emerging": stored.items or [], "computed": stored.computed}
    return render_page(request, member, "web/insights/emerging.html", context, nav="insights")


# --- reasons for contact ----------------------------------------------------------------


def _reason_or_404(member: Membership, reason_id: int) -> ContactReason:
    reason = queries.reason(member.organization, reason_id)
    if reason is None:
        raise Http404("no such reason")
    return reason


@staff_view
@require_http_methods(["GET", "POST"])
@reads(NamedForm)
def reason_list(request: HttpRequest, member: Membership) -> HttpResponse:
    """The organisation's reasons for contact, how often each was read, and a form to add one."""
    org = member.organization
    errors: dict[str, str] = {}
    shown: dict[str, str] = {}
    if request.method == "POST":
        require_role(member, THEME_EDITOR)
        form = NamedForm(org, request.POST)
        form.is_valid()
        shown, named = values(form), form.named()
        try:
            reason = do_create_reason(
                org, named["name"], named["description"], named["phrases"], actor=member
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Reason “{reason.name}” added.")
            return redirect("web:insights_reasons")
    context = {
        "reasons": queries.reason_summary(org),
        "can_edit": member.has_role(THEME_EDITOR),
        "errors": errors,
        "values": shown,
    }
    return render_page(
        request,
        member,
        "web/insights/reasons.html",
        context,
        status=400 if errors else 200,
        nav="insights",
    )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(NamedForm)
def reason_edit(request: HttpRequest, member: Membership, reason_id: int) -> HttpResponse:
    reason = _reason_or_404(member, reason_id)
    return _named_edit(
        request,
        member,
        reason,
        do_update_reason,
        what="Reason",
        template="web/insights/reason.html",
        context=lambda: {"examples": queries.reason_examples(member.organization, reason)},
    )
