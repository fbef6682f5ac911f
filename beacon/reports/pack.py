"""The board pack: one PDF per period for the leadership meeting.

Figures come from the same functions as the pages and the API (beacon.analytics, the loop's
queries); nothing is computed twice. Each section is one page; every number carries its n
and 95% interval, or says "not enough answers". Charts are drawn on the server with
matplotlib in black, white and greys with hatching, so the pack reads the same printed
in black and white. Comments are always redacted: a pack is forwarded beyond the people
who may see contact details.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from beacon.analytics import display, metrics
from beacon.analytics.impact import Impact, action_impact
from beacon.analytics.theme_drivers import theme_drivers
from beacon.insights.models import AnswerInsight, ThemeMention
from beacon.loop.models import Action, Case, CaseStatus, CustomerUpdate
from beacon.loop.models import CustomerUpdateStatus as UpdateStatus
from beacon.loop.queries import percentile
from beacon.orgs.models import Organization
from beacon.reports.pack_alignment import TITLE as ALIGNMENT_TITLE
from beacon.reports.pack_alignment import alignment_section
from beacon.reports.pack_money import TITLE as MONEY_TITLE
from beacon.reports.pack_money import MoneyBlock, money_section

HEADLINE = ("nps", "csat", "ces")
TOP_THEMES = 5
QUOTES_PER_THEME = 2
MAX_ACTIONS = 8
MAX_UPDATES = 6


def not_enough(n: int, min_n: int) -> str:
    return f"not enough answers (n = {n} of {min_n} needed)"


def figure(mv: metrics.MetricValue) -> str:
    """'NPS 23 (95% interval 10 to 35, n = 40)', or why there is no number; decimals by
    the same rule as every page (analytics.display)."""
    if mv.value is None or mv.low is None or mv.high is None:
        return f"{mv.label}: {not_enough(mv.n, mv.min_n)}"
    shown = display.figure(mv.key, mv.value, mv.low, mv.high)
    unit = mv.unit
    return (
        f"{mv.label} {shown.value}{unit} "
        f"(95% interval {shown.low}{unit} to {shown.high}{unit}, n = {mv.n})"
    )


@dataclass(frozen=True)
class ThemeBlock:
    name: str
    mentions: int
    quotes: list[str]


@dataclass(frozen=True)
class CaseFigures:
    opened: int
    resolved: int
    open_now: int
    first_contact_n: int
    first_contact_median: float | None
    first_contact_p90: float | None
    resolution_n: int
    resolution_median: float | None
    resolution_p90: float | None


@dataclass(frozen=True)
class ActionLine:
    title: str
    status: str
    completed: dt.date | None
    impact: Impact | None


@dataclass
class PackFigures:
    org_name: str
    start: dt.date
    end: dt.date
    headline: list[metrics.Comparison] = field(default_factory=list)
    trend: list[tuple[dt.date, metrics.MetricValue]] = field(default_factory=list)
    stages: list[tuple[str, metrics.MetricValue]] = field(default_factory=list)
    themes: list[ThemeBlock] = field(default_factory=list)
    drivers: list[tuple[str, int, float | None, float | None, float | None]] = field(
        default_factory=list
    )
    cases: CaseFigures | None = None
    actions: list[ActionLine] = field(default_factory=list)
    updates_sent: int = 0
    update_examples: list[tuple[str, str]] = field(default_factory=list)
    money: list[MoneyBlock] = field(default_factory=list)
    alignment: list[MoneyBlock] = field(default_factory=list)


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC),
    )


def _themes(org: Organization, f: metrics.Filters) -> list[ThemeBlock]:
    since, until = _window(f.start or f.end or dt.date.min, f.end or dt.date.max)
    mentions = ThemeMention.objects.for_org(org).filter(
        response__responded_at__gte=since, response__responded_at__lt=until, theme__active=True
    )
    counts: dict[tuple[int, str], int] = {}
    for theme_id, name in mentions.values_list("theme_id", "theme__name"):
        counts[(theme_id, name)] = counts.get((theme_id, name), 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1]))[:TOP_THEMES]
    blocks = []
    for (theme_id, name), n in top:
        answer_ids = (
            mentions.filter(theme_id=theme_id)
            .order_by("-response__responded_at", "-pk")
            .values_list("answer_id", flat=True)[:QUOTES_PER_THEME]
        )
        quotes = list(
            AnswerInsight.objects.for_org(org)
            .filter(answer_id__in=list(answer_ids))
            .order_by("-answer_id")
            .values_list("redacted_text", flat=True)
        )
        blocks.append(ThemeBlock(name, n, quotes))
    return blocks


def _hours(pairs: Sequence[tuple[dt.datetime, dt.datetime | None]]) -> list[float]:
    return [(b - a).total_seconds() / 3600 for a, b in pairs if b is not None]


def _cases(org: Organization, start: dt.date, end: dt.date) -> CaseFigures:
    since, until = _window(start, end)
    opened = Case.objects.for_org(org).filter(created_at__gte=since, created_at__lt=until)
    contact = _hours(list(opened.values_list("created_at", "first_contact_at")))
    resolution = _hours(list(opened.values_list("created_at", "resolved_at")))

    def rounded(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    return CaseFigures(
        opened=opened.count(),
        resolved=opened.filter(status=CaseStatus.RESOLVED).count(),
        open_now=opened.exclude(status=CaseStatus.RESOLVED).count(),
        first_contact_n=len(contact),
        first_contact_median=rounded(percentile(contact, 50)),
        first_contact_p90=rounded(percentile(contact, 90)),
        resolution_n=len(resolution),
        resolution_median=rounded(percentile(resolution, 50)),
        resolution_p90=rounded(percentile(resolution, 90)),
    )


def _actions(org: Organization, start: dt.date, end: dt.date) -> list[ActionLine]:
    since, until = _window(start, end)
    done = (
        Action.objects.for_org(org)
        .filter(completed_at__gte=since, completed_at__lt=until)
        .select_related("question")
        .order_by("completed_at")[:MAX_ACTIONS]
    )
    return [
        ActionLine(
            a.title,
            a.get_status_display(),
            a.completed_at.date() if a.completed_at else None,
            action_impact(a, org.min_sample_size),
        )
        for a in done
    ]


def pack_figures(org: Organization, start: dt.date, end: dt.date) -> PackFigures:
    f = metrics.Filters(start=start, end=end)
    days = (end - start).days + 1
    before = metrics.Filters(start=start - dt.timedelta(days=days), end=start - dt.timedelta(1))
    figures = PackFigures(org.name, start, end)
    figures.headline = [metrics.compare(org, key, before, f) for key in HEADLINE]
    grain = "week" if days <= 120 else "month"
    trend_start = end - dt.timedelta(days=max(days, 84) - 1)
    figures.trend = metrics.series(org, "nps", grain, metrics.Filters(start=trend_start, end=end))
    figures.stages = [(name, mv) for name, _pk, mv in metrics.breakdown(org, "nps", "stage", f)]
    figures.themes = _themes(org, f)
    figures.drivers = [
        (d.name, d.n, d.impact, d.impact_low, d.impact_high)
        for d in theme_drivers(org, f).themes[:TOP_THEMES]
    ]
    figures.cases = _cases(org, start, end)
    figures.actions = _actions(org, start, end)
    since, until = _window(start, end)
    sent = CustomerUpdate.objects.for_org(org).filter(
        status=UpdateStatus.SENT, sent_at__gte=since, sent_at__lt=until
    )
    figures.updates_sent = sent.count()
    seen: set[str] = set()
    for title, summary in sent.order_by("action_id").values_list(
        "action__title", "action__public_summary"
    ):
        if title not in seen and len(seen) < MAX_UPDATES:
            seen.add(title)
            figures.update_examples.append((title, summary))
    figures.money = money_section(org.pk)
    figures.alignment = alignment_section(org)
    return figures


# --- rendering ---------------------------------------------------------------------------


def _png(fig: Figure) -> Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    buffer.seek(0)
    width, height = fig.get_size_inches()
    return Image(buffer, width=16 * cm, height=16 * cm * height / width)


def trend_chart(trend: list[tuple[dt.date, metrics.MetricValue]]) -> Image | None:
    points = [(d, mv) for d, mv in trend if mv.value is not None]
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.2))
    # matplotlib takes dates and floats at run time; its stubs ask for arrays.
    days: Any = [d for d, _ in points]
    lows: Any = [mv.low for _, mv in points]
    highs: Any = [mv.high for _, mv in points]
    values: Any = [mv.value for _, mv in points]
    ax.fill_between(
        days,
        lows,
        highs,
        facecolor="white",
        edgecolor="#777777",
        hatch="///",
        linewidth=0,
        label="95% interval",
    )
    ax.plot(days, values, color="black", marker="o", label="NPS")
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_ylabel("NPS")
    ax.legend(loc="lower left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def stage_chart(stages: list[tuple[str, metrics.MetricValue]]) -> Image | None:
    shown = [(name, mv) for name, mv in stages if mv.value is not None]
    if not shown:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.5 * len(shown)))
    names = [name for name, _ in shown]
    values = [mv.value or 0.0 for _, mv in shown]
    errors = [
        [(mv.value or 0) - (mv.low or 0) for _, mv in shown],
        [(mv.high or 0) - (mv.value or 0) for _, mv in shown],
    ]
    ax.barh(names, values, color="#cccccc", edgecolor="black", hatch="..", xerr=errors,
            error_kw={"ecolor": "black", "capsize": 3})  # fmt: skip
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("NPS with 95% interval")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": base["Title"],
        "h1": base["Heading1"],
        "body": base["BodyText"],
        "quote": ParagraphStyle(
            "quote", parent=base["BodyText"], leftIndent=14, fontName="Helvetica-Oblique"
        ),
        "muted": ParagraphStyle("muted", parent=base["BodyText"], textColor=colors.black),
        "h2": base["Heading2"],
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontSize=8, leading=10),
    }


TABLE_STYLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
    ]
)


def _table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    """Cells are text, or Paragraphs where a cell must wrap."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TABLE_STYLE)
    return table


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_esc(text), style)


def _hours_text(median: float | None, p90: float | None, n: int) -> str:
    if median is None:
        return "no case reached this yet (n = 0)"
    return f"median {median} h, 90th percentile {p90} h (n = {n})"


def _impact_text(impact: Impact | None) -> str:
    if impact is None:
        return "no scored question named, so no measured impact"
    if not impact.enough or impact.difference is None:
        return (
            f"{impact.metric}: not enough answers (before n = {impact.before.n}, "
            f"after n = {impact.after.n}, {impact.min_n} needed each)"
        )
    verdict = "significant" if impact.significant else "not significant"
    p = f"p = {impact.p_value:.3f}" if impact.p_value is not None else ""
    return (
        f"{impact.metric} {impact.difference:+.1f} over {impact.days} days either side "
        f"(before n = {impact.before.n}, after n = {impact.after.n}; {p}, {verdict})"
    )


SECTIONS = (
    "Headline",
    "Scores by stage",
    "Top themes",
    "Drivers",
    "Cases",
    "Actions and their impact",
    "You said, we did",
    MONEY_TITLE,
    ALIGNMENT_TITLE,
)


def _headline(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [
        _p(f"{fig.org_name}: board pack", s["title"]),
        _p(f"{fig.start:%d %B %Y} to {fig.end:%d %B %Y}", s["body"]),
        _p("Headline", s["h1"]),
    ]
    for comparison in fig.headline:
        out.append(_p(figure(comparison.b), s["body"]))
        if comparison.enough and comparison.difference is not None:
            d = comparison.difference
            verdict = "a significant change" if d.significant else "not a significant change"
            out.append(
                _p(
                    f"Change on the previous period of the same length: {d.diff:+.1f} "
                    f"(95% interval {d.low:+.1f} to {d.high:+.1f}; {verdict}).",
                    s["muted"],
                )
            )
        else:
            out.append(_p(f"Previous period: {figure(comparison.a)}.", s["muted"]))
    out.append(Spacer(1, 0.4 * cm))
    chart = trend_chart(fig.trend)
    out.append(_p("NPS trend", s["h1"]))
    out.append(chart if chart is not None else _p("Trend: not enough answers.", s["body"]))
    return out


def _stages(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [_p("Scores by stage", s["h1"])]
    if not fig.stages:
        return [*out, _p("No stage has answers in this period: not enough answers.", s["body"])]
    rows = [["Stage", "NPS", "95% interval", "n"]]
    for name, mv in fig.stages:
        if mv.value is None:
            rows.append([name, "not enough answers", "", str(mv.n)])
        else:
            shown = display.figure(mv.key, mv.value, mv.low or 0.0, mv.high or 0.0)
            rows.append([name, shown.value, f"{shown.low} to {shown.high}", str(mv.n)])
    out.append(_table(rows))
    chart = stage_chart(fig.stages)
    if chart is not None:
        out += [Spacer(1, 0.5 * cm), chart]
    return out


def _theme_page(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [_p("Top themes", s["h1"])]
    if not fig.themes:
        return [*out, _p("No comment mentioned a theme: not enough answers.", s["body"])]
    for block in fig.themes:
        out.append(_p(f"{block.name}: {block.mentions} mentions", s["body"]))
        out += [_p(f"“{q}”", s["quote"]) for q in block.quotes]
    return out


def _driver_page(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [
        _p("Drivers", s["h1"]),
        _p(
            "Points of NPS the organisation would gain (negative: lose) if the responses "
            "mentioning a theme scored like the rest, with the 95% interval.",
            s["body"],
        ),
    ]
    rows = [["Theme", "Mentions", "Impact on NPS", "95% interval"]]
    for name, n, impact, low, high in fig.drivers:
        if impact is None or low is None or high is None:
            rows.append([name, str(n), "not enough answers", ""])
        else:
            rows.append([name, str(n), f"{impact:+.1f}", f"{low:+.1f} to {high:+.1f}"])
    if len(rows) == 1:
        return [*out, _p("No theme to weigh: not enough answers.", s["body"])]
    return [*out, _table(rows)]


def _case_page(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    c = fig.cases
    assert c is not None
    return [
        _p("Cases", s["h1"]),
        _p(
            f"Cases opened: {c.opened}; resolved: {c.resolved}; still open: {c.open_now}.",
            s["body"],
        ),
        _p(
            "Time to first contact: "
            + _hours_text(c.first_contact_median, c.first_contact_p90, c.first_contact_n),
            s["body"],
        ),
        _p(
            "Time to resolution: "
            + _hours_text(c.resolution_median, c.resolution_p90, c.resolution_n),
            s["body"],
        ),
    ]


def _action_page(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [_p("Actions and their impact", s["h1"])]
    if not fig.actions:
        return [*out, _p("No action was completed in this period.", s["body"])]
    for line in fig.actions:
        out.append(_p(f"{line.title} (completed {line.completed:%d %b %Y})", s["body"]))
        out.append(_p(_impact_text(line.impact), s["muted"]))
    return out


def _update_page(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [
        _p("You said, we did", s["h1"]),
        _p(f"Updates sent to customers: {fig.updates_sent}.", s["body"]),
    ]
    for title, summary in fig.update_examples:
        out.append(_p(f"{title}: {summary}" if summary else title, s["body"]))
    return out


def _blocks(blocks: list[MoneyBlock], s: dict[str, ParagraphStyle]) -> list[Flowable]:
    """A section of text blocks: its first heading is the section's title."""
    out: list[Flowable] = []
    for i, block in enumerate(blocks):
        out.append(_p(block.heading, s["h1"] if i == 0 else s["h2"]))
        out += [_p(line, s["body"]) for line in block.lines]
        if block.rows:
            cells = [[_p(cell, s["cell"]) for cell in row] for row in block.rows]
            columns = len(block.rows[0])
            widths = [7 * cm, 10 * cm] if columns == 2 else [17 * cm / columns] * columns
            out.append(_table(cells, widths))
    return out


def _money_page(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Money beside experience, read from the Value page's stored report (pack_money)."""
    return _blocks(fig.money, s)


def _alignment_page(fig: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The latest alignment round's agreement and flags (pack_alignment)."""
    return _blocks(fig.alignment, s)


def render_pdf(fig: PackFigures) -> tuple[bytes, int]:
    """The PDF and its page count: one page per section (the money section may take two)."""
    s = _styles()
    pages = [
        _headline,
        _stages,
        _theme_page,
        _driver_page,
        _case_page,
        _action_page,
        _update_page,
        _money_page,
        _alignment_page,
    ]
    story: list[Flowable] = []
    for i, page in enumerate(pages):
        if i:
            story.append(PageBreak())
        story += page(fig, s)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Board pack {fig.start} to {fig.end}",
        author="Beacon",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    doc.build(story)
    return buffer.getvalue(), doc.page
