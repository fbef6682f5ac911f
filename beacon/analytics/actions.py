"""Writes of analytics: alert rules and their evaluation, wallboards.

Analytics reads numbers from rollups (from answers when a theme or sentiment narrows them,
see metrics.answer_cells); the rows written here are its own state
(which rules exist, which alerts are open, which wallboard URLs are valid).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction

from beacon.analytics import impact, metrics
from beacon.analytics.events import (
    alert_fired,
    alert_resolved,
    alert_rule_created,
    alert_rule_deactivated,
    wallboard_created,
    wallboard_revoked,
)
from beacon.analytics.models import Alert, AlertKind, AlertRule, Wallboard
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Stage
from beacon.insights.models import Theme
from beacon.loop.models import Action, ActionStatus
from beacon.loop.updates import Verdict, do_propose_customer_updates
from beacon.notifications.actions import do_queue_email
from beacon.orgs.models import Membership, Organization, Team
from beacon.surveys.models import Survey

MAX_WINDOW_DAYS = 366


@dataclass
class AlertRuleIn:
    name: str
    metric: str
    kind: str
    notify: Membership
    threshold: float | None = None
    window_days: int = 7
    survey: Survey | None = None
    stage: Stage | None = None
    team: Team | None = None
    theme: Theme | None = None
    sentiment: str = ""


def _check_theme(org: Organization, theme: Theme | None, errors: dict[str, str]) -> None:
    """A rule or wallboard may only watch one of the organisation's active themes."""
    if theme is None:
        return
    if theme.organization_id != org.pk:
        errors["theme"] = "belongs to another organisation"
    elif not theme.active:
        errors["theme"] = "is switched off"


def check_alert_rule(org: Organization, data: AlertRuleIn) -> None:
    errors: dict[str, str] = {}
    if not data.name.strip() or len(data.name) > 200:
        errors["name"] = "must be 1-200 characters"
    if data.metric not in metrics.METRICS:
        errors["metric"] = f"one of {', '.join(metrics.METRICS)}"
    if data.kind not in AlertKind.values:
        errors["kind"] = f"one of {', '.join(AlertKind.values)}"
    elif data.kind == AlertKind.BELOW and data.threshold is None:
        errors["threshold"] = "needed for a 'below' rule"
    if not 1 <= data.window_days <= MAX_WINDOW_DAYS:
        errors["window_days"] = f"must be between 1 and {MAX_WINDOW_DAYS}"
    if data.sentiment and data.sentiment not in metrics.SENTIMENTS:
        errors["sentiment"] = f"one of {', '.join(metrics.SENTIMENTS)}"
    for name in ("notify", "survey", "stage", "team"):
        obj = getattr(data, name)
        if obj is not None and obj.organization_id != org.pk:
            errors[name] = "belongs to another organisation"
    _check_theme(org, data.theme, errors)
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def do_create_alert_rule(
    org: Organization, data: AlertRuleIn, *, actor: Membership | None = None
) -> AlertRule:
    check_alert_rule(org, data)
    rule = AlertRule.objects.create(
        organization=org,
        name=data.name.strip(),
        metric=data.metric,
        kind=data.kind,
        threshold=data.threshold,
        window_days=data.window_days,
        survey=data.survey,
        stage=data.stage,
        team=data.team,
        theme=data.theme,
        sentiment=data.sentiment,
        notify=data.notify,
    )
    alert_rule_created(org, rule, actor=actor)
    return rule


@transaction.atomic
def do_deactivate_alert_rule(rule: AlertRule, *, actor: Membership | None = None) -> None:
    AlertRule.objects.filter(pk=rule.pk).update(active=False)
    Alert.objects.filter(rule=rule, resolved_at__isnull=True).update(resolved_at=clock.now())
    alert_rule_deactivated(rule.organization_id, rule, actor=actor)


@dataclass(frozen=True)
class Finding:
    firing: bool
    value: metrics.MetricValue
    previous: metrics.MetricValue | None = None
    p_value: float | None = None


def _filters(rule: AlertRule, start: dt.date, end: dt.date) -> metrics.Filters:
    return metrics.Filters(start=start, end=end, survey_id=rule.survey_id,
                           stage_id=rule.stage_id, team_id=rule.team_id,
                           theme_id=rule.theme_id, sentiment=rule.sentiment or None)  # fmt: skip


def rule_scope(rule: AlertRule) -> str:
    """What a rule's comments are about, for its message: ' (comments about Billing, negative)'.

    Without it a theme rule's e-mail would read like one on all responses."""
    parts = []
    if rule.theme is not None:
        parts.append(f"comments about {rule.theme.name}")
    if rule.sentiment:
        parts.append(rule.sentiment if rule.theme is not None else f"{rule.sentiment} comments")
    return f" ({', '.join(parts)})" if parts else ""


def assess(rule: AlertRule, today: dt.date) -> Finding | None:
    """Whether the rule's condition holds today; None when there are too few answers."""
    org = rule.organization
    end = today
    start = end - dt.timedelta(days=rule.window_days - 1)
    current = _filters(rule, start, end)
    if rule.kind == AlertKind.BELOW:
        value = metrics.metric(org, rule.metric, current)
        if not value.enough or value.value is None or rule.threshold is None:
            return None
        return Finding(value.value < rule.threshold, value)
    before = _filters(
        rule, start - dt.timedelta(days=rule.window_days), start - dt.timedelta(days=1)
    )
    c = metrics.compare(org, rule.metric, before, current)
    if not c.enough or c.difference is None:
        return None
    return Finding(c.significant, c.b, c.a, c.difference.p_value)


def _describe(rule: AlertRule, f: Finding) -> str:
    v = f.value
    what = f"{rule.name}: {v.label}{rule_scope(rule)}"
    if rule.kind == AlertKind.BELOW:
        return (
            f"{what} {v.value:.1f} over the last {rule.window_days} days "
            f"(n={v.n}, 95% {v.low:.1f} to {v.high:.1f}) is below {rule.threshold:g}"
        )
    prev = f.previous
    assert prev is not None
    return (
        f"{what} changed from {prev.value:.1f} to {v.value:.1f} "
        f"(last {rule.window_days} days vs the {rule.window_days} before; p={f.p_value:.3f})"
    )


def _accountable(rule: AlertRule) -> str:
    """The stage's accountable owner, named in the alert (a line of its own, or nothing)."""
    stage = rule.stage
    if stage is None:
        return ""
    return f"Accountable for this stage: {stage.owner.display_name} ({stage.name})\n"


def evaluate_rule(rule: AlertRule, now: dt.datetime) -> Alert | None:
    """Open an alert (and email it) when the condition starts to hold; close it when it
    no longer does. Returns the alert opened by this call, if any."""
    finding = assess(rule, now.date())
    opened: Alert | None = None
    with transaction.atomic():
        AlertRule.objects.filter(pk=rule.pk).update(last_evaluated_at=now)
        open_alert = Alert.objects.filter(rule=rule, resolved_at__isnull=True).first()
        if finding is None:
            return None  # too few answers to say either way: keep the state
        if not finding.firing:
            if open_alert is not None:
                Alert.objects.filter(pk=open_alert.pk).update(resolved_at=now)
                alert_resolved(rule.organization_id, open_alert)
            return None
        if open_alert is not None:
            return None
        v = finding.value
        est = v.estimate
        assert est is not None  # assess() returns findings with enough answers only
        try:
            with transaction.atomic():
                opened = Alert.objects.create(
                    organization_id=rule.organization_id, rule=rule, fired_at=now,
                    value=est.value, low=est.low, high=est.high, n=v.n,
                    previous_value=finding.previous.value if finding.previous else None,
                    p_value=finding.p_value, message=_describe(rule, finding)[:500],
                )  # fmt: skip
        except IntegrityError:
            return None  # a concurrent evaluation opened it first
        alert_fired(rule.organization_id, opened)
        do_queue_email(
            rule.organization_id,
            to=rule.notify.email,
            subject=f"Beacon alert: {rule.name}",
            text=(
                f"{opened.message}\n{_accountable(rule)}\n"
                f"See {settings.BASE_URL}/analytics/alerts/\n"
            ),
            cause=opened,
            key=f"alert:{opened.pk}",
        )
    return opened


def evaluate_alert_rules(now: dt.datetime | None = None) -> list[Alert]:
    """The periodic job's body: every active rule of every organisation."""
    now = now or clock.now()
    rules = AlertRule.objects.filter(active=True).select_related(
        "organization", "notify__user", "theme"
    )
    fired = []
    for rule in rules.order_by("pk"):
        alert = evaluate_rule(rule, now)
        if alert is not None:
            fired.append(alert)
    return fired


# --- wallboards ---------------------------------------------------------------------------

WALL_SALT = "beacon.wallboard"
WALL_METRICS = ("nps", "csat", "ces", "ces_easy")


@dataclass
class WallboardIn:
    name: str
    metrics: list[str]
    survey: Survey | None = None
    stage: Stage | None = None
    theme: Theme | None = None
    window_days: int = 30


@transaction.atomic
def do_create_wallboard(
    org: Organization, data: WallboardIn, *, actor: Membership | None = None
) -> Wallboard:
    errors: dict[str, str] = {}
    if not data.name.strip() or len(data.name) > 200:
        errors["name"] = "must be 1-200 characters"
    unknown = [m for m in data.metrics if m not in WALL_METRICS]
    if not data.metrics or unknown or len(set(data.metrics)) != len(data.metrics):
        errors["metrics"] = f"one or more of {', '.join(WALL_METRICS)}, each once"
    if not 1 <= data.window_days <= MAX_WINDOW_DAYS:
        errors["window_days"] = f"must be between 1 and {MAX_WINDOW_DAYS}"
    for name in ("survey", "stage"):
        obj = getattr(data, name)
        if obj is not None and obj.organization_id != org.pk:
            errors[name] = "belongs to another organisation"
    _check_theme(org, data.theme, errors)
    if errors:
        raise ValidationFailed(errors)
    wall = Wallboard.objects.create(
        organization=org, name=data.name.strip(), metrics=list(data.metrics),
        survey=data.survey, stage=data.stage, theme=data.theme, window_days=data.window_days,
        nonce=secrets.token_urlsafe(16), created_by=actor,
    )  # fmt: skip
    wallboard_created(org, wall, actor=actor)
    return wall


@transaction.atomic
def do_revoke_wallboard(wall: Wallboard, *, actor: Membership | None = None) -> None:
    Wallboard.objects.filter(pk=wall.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
    wallboard_revoked(wall.organization_id, wall, actor=actor)


def wall_token(wall: Wallboard) -> str:
    return signing.dumps([wall.pk, wall.nonce], salt=WALL_SALT, compress=True)


def wall_for_token(token: str) -> Wallboard | None:
    """The live wallboard a URL token names, or None (bad signature, revoked, rotated)."""
    try:
        pk, nonce = signing.loads(token, salt=WALL_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(nonce, str):
        return None
    return (
        Wallboard.objects.select_related("organization", "theme")
        .filter(pk=pk, nonce=nonce, revoked_at__isnull=True)
        .first()
    )


# ------------------------------------------------------------------ "you said, we did"


def propose_updates_when_improved() -> int:
    """The daily job's work: a completed action whose metric now shows a real improvement
    gets its "you said, we did" drafts; one that has not helped waits for its owner.

    Only actions without updates yet, completed within the impact's longest window.
    """
    since = clock.now() - dt.timedelta(days=impact.MAX_WINDOW_DAYS + 1)
    waiting = (
        Action.objects.filter(
            status=ActionStatus.DONE,
            question__isnull=False,
            completed_at__gte=since,
            customer_updates__isnull=True,
        )
        .exclude(public_summary="")
        .select_related("organization", "question", "stage")
        .order_by("pk")
    )
    drafted = 0
    for action in waiting:
        found = impact.evidence(action, action.organization.min_sample_size)
        if found.verdict == Verdict.IMPROVED:
            drafted += do_propose_customer_updates(action, found)
    return drafted
