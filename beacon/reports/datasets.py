"""What each export holds: its columns, and its rows read a chunk at a time.

Every list page that has filters has a dataset here. The page turns its query string into
a `spec` (plain JSON: the filter values it checked) with its own filter code; the dataset
turns the spec into the same queryset the page shows, ordered by id so a cursor can resume
it, and reads it with `.iterator()` a chunk at a time, so memory does not grow with rows.

Personal data is masked as on screen: `reveal` is whether the viewer may see contact
details (ADR 0004); without it contact names, emails and external ids are left empty and
free text goes through the same redaction the pages use.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.db.models import Exists, Model, OuterRef, Q

from beacon.alignment.models import StageReply
from beacon.analytics import metrics
from beacon.analytics.customer import case_title
from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.insights.models import AnswerInsight, Theme, ThemeMention
from beacon.insights.text import redact
from beacon.loop.models import Action, Case, CaseStatus
from beacon.loop.queries import CASE_SORTS, CASE_STATUS_FILTERS, case_lookups, cases
from beacon.orgs.models import Organization
from beacon.outcomes.models import Outcome
from beacon.outcomes.queries import settings_of
from beacon.responses.models import Answer, Response
from beacon.responses.queries import verbatim_lookups
from beacon.surveys.models import QuestionKind

CHUNK = 2000

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    name: str
    # int, float, str, bool, datetime: the Parquet type and the spreadsheet cell kind.
    kind: str = "str"


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    columns: tuple[Column, ...]
    # (org, spec, reveal) -> the page's rows as a queryset. `reveal` matters where a filter
    # reads text: a viewer who sees it masked searches the masked text (ADR 0004).
    select: Callable[[Organization, Mapping[str, Any], bool], Any]
    # (org, a chunk of those rows, reveal) -> one output row each, in the same order.
    shape: Callable[[Organization, list[Any], bool], Iterable[Row]]
    # spec -> the ORDER BY of a list the user can sort (its page's chosen order); None: by id.
    order: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = None

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def queryset(
        self,
        org: Organization,
        spec: Mapping[str, Any],
        reveal: bool,
        after: int | None = 0,
        until: int | None = None,
    ) -> Any:
        """The rows in id order from a cursor (`after`, up to `until` when given), or with
        after=None the whole list in the order its page shows (what a download of the page
        holds)."""
        qs = self.select(org, spec, reveal)
        if after is None:
            return qs.order_by(*(self.order(spec) if self.order else ("pk",)))
        qs = qs.order_by("pk")
        if until is not None:
            qs = qs.filter(pk__lte=until)
        return qs.filter(pk__gt=after) if after else qs

    def rows(
        self,
        org: Organization,
        spec: Mapping[str, Any],
        reveal: bool,
        *,
        after: int | None = None,
        until: int | None = None,
    ) -> Iterator[Row]:
        """Every row: in the list's own order, or in id order after a cursor (`after`, 0
        from the start; up to `until`). The first column is always the row's id."""
        rows = self.queryset(org, spec, reveal, after, until)
        for chunk in chunked(rows.iterator(chunk_size=CHUNK)):
            yield from self.shape(org, chunk, reveal)


def among(field: str, ids: list[int]) -> dict[str, Any]:
    """A lookup for rows whose `field` is one of `ids` (sorted): a range when they are dense,
    as preparing thousands of values for IN costs more than skipping a few extra rows."""
    if ids and ids[-1] - ids[0] < 2 * len(ids):
        return {f"{field}__gte": ids[0], f"{field}__lte": ids[-1]}
    return {f"{field}__in": ids}


def chunked(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _name(obj: Model | None, attr: str = "name") -> str:
    return str(getattr(obj, attr)) if obj is not None else ""


def _contact(contact: Contact | None, reveal: bool) -> tuple[str, str, str]:
    if contact is None or not reveal:
        return ("", "", "")
    return (contact.external_id, contact.name, contact.email)


def _hours(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 2)


# --- responses: one row per response, its answers, sentiment, themes and case status -------

_SCORES = {QuestionKind.NPS: "nps", QuestionKind.CSAT: "csat", QuestionKind.CES: "ces"}


def filters_from_spec(spec: Mapping[str, Any]) -> metrics.Filters:
    """The analytics filters (as the explore page reads them) back from their JSON."""
    values: dict[str, Any] = {}
    for f in fields(metrics.Filters):
        raw = spec.get(f.name)
        if raw in (None, ""):
            continue
        values[f.name] = dt.date.fromisoformat(str(raw)) if f.name in ("start", "end") else raw
    return metrics.Filters(**values)


def filters_to_spec(f: metrics.Filters) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in f.__dict__.items()
        if v is not None
    }


# Plain values, not model instances: building a model per row costs more than the rest.
_RESPONSE_VALUES = (
    "pk", "responded_at", "completed_at", "survey__name", "channel", "stage__name",
    "touchpoint__name", "persona__name", "team__name", "staff__display_name",
    "contact__external_id", "contact__name", "contact__email",
)  # fmt: skip


def _select_responses(org: Organization, spec: Mapping[str, Any], reveal: bool) -> Any:
    f = filters_from_spec(spec)
    kept = Answer.objects.filter(organization_id=org.pk).filter(metrics.responses_q(org, f))
    # EXISTS per response, not `pk IN (answers ...)`: SQLite built the list of every
    # answer's response (millions) before a cursor page could take its first thousand;
    # this way a page walks the responses in id order and stops when it has enough.
    return (
        Response.objects.for_org(org)
        .filter(Exists(kept.filter(response_id=OuterRef("pk"))))
        .values_list(*_RESPONSE_VALUES)
    )


@dataclass(frozen=True)
class _Answer:
    response_id: int
    kind: str
    question: str
    number: int | None
    text: str
    choices: list[Any]
    pk: int


def _text_of(text: str, insight: tuple[str, str] | None, reveal: bool) -> str:
    if reveal:
        return text
    return insight[1] if insight is not None else redact(text)


def _answers_of(org: Organization, response_ids: list[int]) -> dict[int, list[_Answer]]:
    by_response: dict[int, list[_Answer]] = defaultdict(list)
    # By response id alone (the ids are the organisation's): with the organisation's id
    # in the filter SQLite walked all of its answers for a chunk's.
    for values in (
        Answer.objects.filter(**among("response_id", response_ids))
        .order_by("question__position", "pk")
        .values_list("response_id", "question__kind", "question__text", "number", "text",
                     "choices", "pk")
    ):  # fmt: skip
        by_response[values[0]].append(_Answer(*values))
    return by_response


def _insights_of(
    org: Organization, ids: list[int], by: str = "response_id"
) -> dict[int, tuple[str, str]]:
    """answer id -> (sentiment, redacted text), for answers of these responses (or these
    answers, with by="answer_id")."""
    # By the ids alone (they are the organisation's): with the organisation's id in the
    # filter SQLite walked all of its insights (hundreds of thousands) for a page's.
    return {
        answer_id: (sentiment, redacted)
        for answer_id, sentiment, redacted in AnswerInsight.objects.filter(
            **among(by, ids)
        ).values_list("answer_id", "sentiment", "redacted_text")
    }


def _themes_of(org: Organization, ids: list[int], by: str = "response_id") -> dict[int, list[str]]:
    """response id (or answer id, with by="answer_id") -> names of the themes mentioned."""
    names: dict[int, list[str]] = defaultdict(list)
    # By the ids alone, as `_insights_of` (the organisation's index holds every mention).
    for key, name in (
        ThemeMention.objects.filter(**among(by, ids))
        .order_by("theme__name")
        .values_list(by, "theme__name")
        .distinct()
    ):
        names[key].append(name)
    return names


def _masked(contact: tuple[Any, ...], reveal: bool) -> tuple[str, str, str]:
    return tuple(v or "" for v in contact) if reveal else ("", "", "")  # type: ignore[return-value]


def _shape_responses(org: Organization, chunk: list[Row], reveal: bool) -> Iterator[Row]:
    ids = [r[0] for r in chunk]
    answers = _answers_of(org, ids)
    insights = _insights_of(org, ids)
    themes = _themes_of(org, ids)
    status = dict(
        Case.objects.for_org(org)
        .filter(**among("response_id", ids))
        .values_list("response_id", "status")
    )
    for r in chunk:
        pk = r[0]
        scores: dict[str, int | None] = {"nps": None, "csat": None, "ces": None}
        comments: list[str] = []
        sentiment = ""
        others: list[str] = []
        for a in answers.get(pk, []):
            score = _SCORES.get(QuestionKind(a.kind))
            if score is not None:
                if scores[score] is None:
                    scores[score] = a.number
            elif a.kind == QuestionKind.TEXT:
                insight = insights.get(a.pk)
                if a.text:
                    comments.append(_text_of(a.text, insight, reveal))
                if insight is not None and not sentiment:
                    sentiment = insight[0]
            else:
                value = a.number if a.number is not None else ", ".join(map(str, a.choices))
                others.append(f"{a.question}: {value}")
        yield (
            *(v if v is not None or i < 3 else "" for i, v in enumerate(r[:10])),
            *_masked(r[10:13], reveal),
            scores["nps"],
            scores["csat"],
            scores["ces"],
            "\n".join(comments),
            sentiment,
            "; ".join(themes.get(pk, [])),
            status.get(pk, ""),
            "; ".join(others),
        )


_CONTACT_COLUMNS = (Column("contact_external_id"), Column("contact_name"), Column("contact_email"))

RESPONSES = Dataset(
    "responses",
    "Responses",
    (
        Column("response_id", "int"),
        Column("responded_at", "datetime"),
        Column("completed_at", "datetime"),
        Column("survey"),
        Column("channel"),
        Column("stage"),
        Column("touchpoint"),
        Column("persona"),
        Column("team"),
        Column("staff"),
        *_CONTACT_COLUMNS,
        Column("nps", "int"),
        Column("csat", "int"),
        Column("ces", "int"),
        Column("comment"),
        Column("sentiment"),
        Column("themes"),
        Column("case_status"),
        Column("other_answers"),
    ),
    _select_responses,
    _shape_responses,
)


# --- verbatims: one row per comment, with the scores of the same response -----------------


_VERBATIM_VALUES = (
    "pk", "response_id", "response__responded_at", "response__survey__name",
    "response__stage__name", "response__persona__name", "response__team__name", "text",
)  # fmt: skip


def _select_verbatims(org: Organization, spec: Mapping[str, Any], reveal: bool) -> Any:
    values = {k: str(v) for k, v in spec.items() if v not in (None, "")}
    return (
        Answer.objects.for_org(org)
        .filter(question__kind=QuestionKind.TEXT, **verbatim_lookups(org, values, reveal=reveal))
        .exclude(text="")
        .values_list(*_VERBATIM_VALUES)
    )


def _shape_verbatims(org: Organization, chunk: list[Row], reveal: bool) -> Iterator[Row]:
    answer_ids = [a[0] for a in chunk]
    response_ids = sorted({a[1] for a in chunk})
    insights = _insights_of(org, answer_ids, by="answer_id")
    themes = _themes_of(org, answer_ids, by="answer_id")
    scores: dict[int, dict[str, int]] = defaultdict(dict)
    # By response id alone: with the organisation's id SQLite read all of its answers.
    for response_id, kind, number in (
        Answer.objects.filter(
            response_id__in=response_ids, question__kind__in=list(_SCORES), number__isnull=False
        )
        .order_by("question__position")
        .values_list("response_id", "question__kind", "number")
    ):
        if number is not None:
            scores[response_id].setdefault(_SCORES[QuestionKind(kind)], number)
    for answer_id, response_id, at, survey, stage, persona, team, text in chunk:
        insight = insights.get(answer_id)
        s = scores.get(response_id, {})
        yield (
            answer_id,
            response_id,
            at,
            survey or "",
            stage or "",
            persona or "",
            team or "",
            s.get("nps"),
            s.get("csat"),
            s.get("ces"),
            _text_of(text, insight, reveal),
            insight[0] if insight is not None else "",
            "; ".join(themes.get(answer_id, [])),
        )


VERBATIMS = Dataset(
    "verbatims",
    "Verbatims",
    (
        Column("answer_id", "int"),
        Column("response_id", "int"),
        Column("responded_at", "datetime"),
        Column("survey"),
        Column("stage"),
        Column("persona"),
        Column("team"),
        Column("nps", "int"),
        Column("csat", "int"),
        Column("ces", "int"),
        Column("comment"),
        Column("sentiment"),
        Column("themes"),
    ),
    _select_verbatims,
    _shape_verbatims,
)


# --- cases ---------------------------------------------------------------------------------


def case_spec_lookups(spec: Mapping[str, Any]) -> dict[str, Any]:
    status = str(spec.get("status") or "open")
    return case_lookups(
        status if status in CASE_STATUS_FILTERS else "open",
        owner_id=int(spec["owner_id"]) if spec.get("owner_id") else None,
        overdue=bool(spec.get("overdue")),
        stage_id=int(spec["stage_id"]) if spec.get("stage_id") else None,
    )


def _select_cases(org: Organization, spec: Mapping[str, Any], reveal: bool) -> Any:
    # The list's own query (its `score` is what the "score" order sorts by).
    return cases(org, **case_spec_lookups(spec))


def _case_order(spec: Mapping[str, Any]) -> tuple[Any, ...]:
    # Specs without an order (the API's, the warehouse sync's) read in id order.
    return CASE_SORTS.get(str(spec.get("sort")), ("pk",))


def _shape_cases(org: Organization, chunk: list[Case], reveal: bool) -> Iterator[Row]:
    now = clock.now()
    for c in chunk:
        overdue = c.status != CaseStatus.RESOLVED and c.due_at < now
        yield (
            c.pk,
            c.response_id,
            case_title(c.title, c.contact, reveal),
            c.status,
            c.priority,
            _name(c.owner, "display_name"),
            _name(c.response.survey),
            *_contact(c.contact, reveal),
            c.created_at,
            c.due_at,
            c.first_contact_at,
            c.resolved_at,
            _hours(c.created_at, c.first_contact_at),
            _hours(c.created_at, c.resolved_at),
            overdue,
            _name(c.root_cause),
            c.resolution if reveal else redact(c.resolution),
        )


CASES = Dataset(
    "cases",
    "Cases",
    (
        Column("case_id", "int"),
        Column("response_id", "int"),
        Column("title"),
        Column("status"),
        Column("priority"),
        Column("owner"),
        Column("survey"),
        *_CONTACT_COLUMNS,
        Column("opened_at", "datetime"),
        Column("due_at", "datetime"),
        Column("first_contact_at", "datetime"),
        Column("resolved_at", "datetime"),
        Column("hours_to_first_contact", "float"),
        Column("hours_to_resolution", "float"),
        Column("overdue", "bool"),
        Column("root_cause"),
        Column("resolution"),
    ),
    _select_cases,
    _shape_cases,
    _case_order,
)


# --- actions -------------------------------------------------------------------------------


def _select_actions(org: Organization, spec: Mapping[str, Any], reveal: bool) -> Any:
    qs = Action.objects.for_org(org).select_related("owner", "root_cause", "stage", "question")
    if spec.get("status"):
        qs = qs.filter(status=spec["status"])
    return qs


def _shape_actions(org: Organization, chunk: list[Action], reveal: bool) -> Iterator[Row]:
    theme_ids = {a.theme_id for a in chunk if a.theme_id}
    themes = dict(Theme.objects.for_org(org).filter(pk__in=theme_ids).values_list("pk", "name"))
    counts: dict[int, int] = defaultdict(int)
    for action_id in Action.cases.through.objects.filter(action__in=chunk).values_list(
        "action_id", flat=True
    ):
        counts[action_id] += 1
    for a in chunk:
        yield (
            a.pk,
            a.title,
            a.status,
            a.progress,
            a.source,
            _name(a.owner, "display_name"),
            a.created_at,
            a.deadline,
            a.completed_at,
            themes.get(a.theme_id or 0, ""),
            _name(a.root_cause),
            a.driver,
            _name(a.stage),
            _name(a.question, "text") if a.question else "",
            counts.get(a.pk, 0),
            a.public_summary,
        )


ACTIONS = Dataset(
    "actions",
    "Actions",
    (
        Column("action_id", "int"),
        Column("title"),
        Column("status"),
        Column("progress", "int"),
        Column("source"),
        Column("owner"),
        Column("created_at", "datetime"),
        Column("deadline", "datetime"),
        Column("completed_at", "datetime"),
        Column("theme"),
        Column("root_cause"),
        Column("driver"),
        Column("stage"),
        Column("question"),
        Column("cases", "int"),
        Column("public_summary"),
    ),
    _select_actions,
    _shape_actions,
)


# --- contacts ------------------------------------------------------------------------------


def contact_search(q: str, reveal: bool) -> Q:
    """Contacts matching a search: by name, email or external id for those who see them;
    only by Beacon's own contact number for those who see contacts masked (ADR 0004)."""
    if reveal:
        return Q(name__icontains=q) | Q(email__icontains=q) | Q(external_id__icontains=q)
    return Q(pk=int(q)) if q.isascii() and q.isdigit() and len(q) < 19 else Q(pk__in=[])


def _select_contacts(org: Organization, spec: Mapping[str, Any], reveal: bool) -> Any:
    qs = Contact.objects.for_org(org).select_related("persona")
    if spec.get("persona"):
        qs = qs.filter(persona_id=int(spec["persona"]))
    if q := str(spec.get("q") or "").strip():
        qs = qs.filter(contact_search(q, reveal))
    return qs


def _shape_contacts(org: Organization, chunk: list[Contact], reveal: bool) -> Iterator[Row]:
    for c in chunk:
        yield (
            c.pk,
            *_contact(c, reveal),
            _name(c.persona),
            c.created_at,
            c.unsubscribed_at,
        )


CONTACTS = Dataset(
    "contacts",
    "Contacts",
    (
        Column("contact_id", "int"),
        *_CONTACT_COLUMNS,
        Column("persona"),
        Column("created_at", "datetime"),
        Column("unsubscribed_at", "datetime"),
    ),
    _select_contacts,
    _shape_contacts,
)


# --- outcomes ------------------------------------------------------------------------------


def _select_outcomes(org: Organization, spec: Mapping[str, Any], reveal: bool) -> Any:
    qs = Outcome.objects.for_org(org).select_related("contact")
    return qs.filter(kind=spec["kind"]) if spec.get("kind") else qs


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _shape_outcomes(org: Organization, chunk: list[Outcome], reveal: bool) -> Iterator[Row]:
    currency = settings_of(org).currency  # amounts are stored in it (ADR 0012)
    for o in chunk:
        yield (
            o.pk,
            o.kind,
            o.occurred_at,
            *_contact(o.contact, reveal),
            _money(o.amount),
            currency if o.amount is not None else "",
            _money(o.sent_amount),
            o.sent_currency,
            o.subscription_id,
            o.plan,
            o.product,
            o.channel,
            o.reason if reveal else redact(o.reason),
            _money(o.handle_minutes),
        )


OUTCOMES = Dataset(
    "outcomes",
    "Outcomes",
    (
        Column("outcome_id", "int"),
        Column("kind"),
        Column("occurred_at", "datetime"),
        *_CONTACT_COLUMNS,
        Column("amount", "float"),
        Column("currency"),
        Column("sent_amount", "float"),
        Column("sent_currency"),
        Column("subscription_id"),
        Column("plan"),
        Column("product"),
        Column("channel"),
        Column("reason"),
        Column("handle_minutes", "float"),
    ),
    _select_outcomes,
    _shape_outcomes,
)


# --- alignment answers -----------------------------------------------------------------------


def _select_alignment(org: Organization, spec: Mapping[str, Any], reveal: bool) -> Any:
    answers = StageReply.objects.for_org(org).filter(reply__round_id=int(spec["round"]))
    return answers.select_related(
        "reply__round", "reply__persona_1", "reply__overall", "reply__recipient__membership",
        "stage", "member", "need",
    )  # fmt: skip


def _shape_alignment(org: Organization, chunk: list[StageReply], reveal: bool) -> Iterator[Row]:
    for a in chunk:
        reply = a.reply
        # A person's own answers carry their name only where the round said so when sent.
        named = reply.round.show_names
        yield (
            a.pk,
            reply.round.title,
            reply.department_name,
            reply.role,
            _name(reply.recipient.membership, "display_name") if named else "",
            _name(reply.persona_1),
            reply.persona_text,
            _name(reply.overall, "display_name") if reply.overall_id else "don't know",
            a.stage.name,
            a.accountable,
            _name(a.member, "display_name"),
            _name(a.need, "description") if a.need_id else a.need_text,
        )


ALIGNMENT = Dataset(
    "alignment",
    "Alignment answers",
    (
        Column("answer_id", "int"),
        Column("round"),
        Column("department"),
        Column("role"),
        Column("respondent"),
        Column("first_persona"),
        Column("persona_in_words"),
        Column("accountable_overall"),
        Column("stage"),
        Column("accountable_here"),
        Column("member_named"),
        Column("need"),
    ),
    _select_alignment,
    _shape_alignment,
)

DATASETS: dict[str, Dataset] = {
    d.name: d for d in (RESPONSES, VERBATIMS, CASES, ACTIONS, CONTACTS, OUTCOMES, ALIGNMENT)
}
