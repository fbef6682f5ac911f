"""One customer's history: what they answered, the cases it opened, what they bought.

The contact page and the case page show it through one include
(`web/_customer_history.html`), a page of responses at a time (newest first, with a link
to older ones); the contact's JSON export reads it too, unmasked and without a limit.
Responses are read on their (organization, contact, responded_at) index, so a page and
its count cost the customer's responses, not the organisation's. Personal data is masked
as everywhere else (ADR 0004): without `reveal` comments go through the redaction the
pages use and case titles lose the customer's name; without `money` amounts are left out
(viewers, unless the organisation shows them money).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from beacon.contacts.models import Contact
from beacon.insights.text import redact
from beacon.loop.models import Case
from beacon.orgs.models import Organization
from beacon.outcomes.currencies import with_its_decimals
from beacon.outcomes.models import Outcome
from beacon.outcomes.queries import settings_of
from beacon.responses.models import Answer, Response
from beacon.surveys.models import Question

# The newest this many of each are shown on a page; the export passes None (all).
HISTORY_LIMIT = 20
# The export reads the answers of this many responses per query: a customer of many
# years has thousands, more than a statement takes parameters on some databases.
ANSWER_CHUNK = 500
HIDDEN_NAME = "the customer"


@dataclass(frozen=True)
class ScoreOnScale:
    """A score with the scale it was given on: "3 of 10" reads, a bare "3" does not."""

    question: str
    kind: str
    number: int
    low: int | None
    high: int | None

    @property
    def label(self) -> str:
        return {"nps": "NPS", "csat": "CSAT", "ces": "CES"}.get(self.kind, "Rating")

    @property
    def of_scale(self) -> str:
        return f"{self.number} of {self.high}" if self.high is not None else str(self.number)


def score_on_scale(question: Question, number: int) -> ScoreOnScale:
    scale = question.scale
    return ScoreOnScale(
        question=question.text,
        kind=question.kind,
        number=number,
        low=scale.low if scale else None,
        high=scale.high if scale else None,
    )


@dataclass(frozen=True)
class AnswerLine:
    question: str
    text: str = ""
    choices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ResponseLine:
    id: int
    survey: str
    responded_at: dt.datetime
    channel: str
    stage: str
    scores: list[ScoreOnScale]
    comments: list[AnswerLine]
    case_id: int | None


@dataclass(frozen=True)
class CaseLine:
    id: int
    title: str
    status: str
    status_label: str
    opened_at: dt.datetime
    first_contact_at: dt.datetime | None
    resolved_at: dt.datetime | None
    owner: str
    root_cause: str
    response_id: int


@dataclass(frozen=True)
class OutcomeLine:
    id: int
    kind: str
    kind_label: str
    occurred_at: dt.datetime
    # None when the viewer may not see money, or none was sent.
    amount: Decimal | None
    product: str
    plan: str
    channel: str
    reason: str


@dataclass(frozen=True)
class CustomerHistory:
    responses: list[ResponseLine]
    cases: list[CaseLine]
    outcomes: list[OutcomeLine]
    # How many there are in all (the page shows the newest HISTORY_LIMIT of each).
    responses_total: int
    # Which page of responses this is (1: the newest), and how many newer responses
    # come before it.
    responses_page: int
    responses_skipped: int
    cases_total: int
    outcomes_total: int
    reveal: bool
    money: bool
    currency: str

    @property
    def responses_first(self) -> int:
        """The position of the page's first response, counted from the newest (1)."""
        return self.responses_skipped + 1 if self.responses else 0

    @property
    def responses_last(self) -> int:
        return self.responses_first + len(self.responses) - 1 if self.responses else 0

    @property
    def older_page(self) -> int | None:
        more = self.responses and self.responses_last < self.responses_total
        return self.responses_page + 1 if more else None

    @property
    def newer_page(self) -> int | None:
        return self.responses_page - 1 if self.responses_page > 1 else None


def case_title(title: str, contact: Contact | None, reveal: bool) -> str:
    """A case's title as the viewer may see it: titles name the customer ("Ann Lee gave NPS
    2 on ..."), so those who see customers masked read "the customer gave NPS 2 on ..."."""
    if reveal or contact is None:
        return title
    for personal in (contact.name, contact.email, contact.external_id):
        if personal:
            title = title.replace(personal, HIDDEN_NAME)
    return redact(title)


# An answer as the history reads it: (question id, number, text, choices).
_AnswerRow = tuple[int, int | None, str, list[object]]


def _answers_of(response_ids: list[int]) -> dict[int, list[_AnswerRow]]:
    """The answers of these responses, in question order, read ANSWER_CHUNK responses per
    query as plain values (a model per answer cost more than the rest of the export)."""
    answers: dict[int, list[_AnswerRow]] = defaultdict(list)
    for start in range(0, len(response_ids), ANSWER_CHUNK):
        chunk = response_ids[start : start + ANSWER_CHUNK]
        # By response id alone, on the (response, question) key: the ids were read within
        # the organisation, and with its id in the filter too SQLite walked the
        # organisation's answers (millions) instead.
        for response_id, question_id, number, text, choices in (
            Answer.objects.filter(response_id__in=chunk)
            .order_by("response_id", "question__position", "pk")
            .values_list("response_id", "question_id", "number", "text", "choices")
        ):
            answers[response_id].append((question_id, number, text, choices))
    return answers


def _questions(answers: dict[int, list[_AnswerRow]]) -> dict[int, Question]:
    """The questions these answers answer (a customer's surveys have a few)."""
    ids = {row[0] for rows in answers.values() for row in rows}
    return Question.objects.in_bulk(ids) if ids else {}


# A response as the history reads it.
_RESPONSE_VALUES = ("pk", "survey__name", "responded_at", "channel", "stage__name")


def _response_lines(
    org: Organization, contact: Contact, reveal: bool, limit: int | None, page: int
) -> tuple[list[ResponseLine], int]:
    responses = Response.objects.for_org(org).filter(contact=contact)
    total = responses.count()
    newest = responses.order_by("-responded_at", "-pk").values_list(*_RESPONSE_VALUES)
    if limit is not None:
        start = (page - 1) * limit
        newest = newest[start : start + limit]
    shown = list(newest)
    ids = [r[0] for r in shown]
    answers = _answers_of(ids)
    questions = _questions(answers)
    cases: dict[int, int] = {}
    for start in range(0, len(ids), ANSWER_CHUNK):
        cases.update(
            Case.objects.for_org(org)
            .filter(response_id__in=ids[start : start + ANSWER_CHUNK])
            .values_list("response_id", "pk")
        )
    lines = []
    for pk, survey, responded_at, channel, stage in shown:
        scores, comments = [], []
        for question_id, number, text, choices in answers[pk]:
            question = questions[question_id]
            if number is not None:
                scores.append(score_on_scale(question, number))
            if text or choices:
                shown_text = text if reveal else redact(text)
                comments.append(AnswerLine(question.text, shown_text, [str(c) for c in choices]))
        lines.append(
            ResponseLine(
                id=pk,
                survey=survey,
                responded_at=responded_at,
                channel=channel,
                stage=stage or "",
                scores=scores,
                comments=comments,
                case_id=cases.get(pk),
            )
        )
    return lines, total


def _case_lines(
    org: Organization, contact: Contact, reveal: bool, limit: int | None
) -> tuple[list[CaseLine], int]:
    cases = Case.objects.for_org(org).filter(contact=contact)
    newest = cases.select_related("owner", "root_cause").order_by("-created_at", "-pk")[:limit]
    lines = [
        CaseLine(
            id=c.pk,
            title=case_title(c.title, contact, reveal),
            status=c.status,
            status_label=c.get_status_display(),
            opened_at=c.created_at,
            first_contact_at=c.first_contact_at,
            resolved_at=c.resolved_at,
            owner=c.owner.display_name,
            root_cause=c.root_cause.name if c.root_cause else "",
            response_id=c.response_id,
        )
        for c in newest
    ]
    return lines, cases.count()


def _shown(amount: Decimal | None, currency: str) -> Decimal | None:
    return None if amount is None else with_its_decimals(amount, currency)


def _outcome_lines(
    org: Organization, contact: Contact, money: bool, limit: int | None
) -> tuple[list[OutcomeLine], int]:
    outcomes = Outcome.objects.for_org(org).filter(contact=contact)
    currency = settings_of(org).currency
    lines = [
        OutcomeLine(
            id=o.pk,
            kind=o.kind,
            kind_label=o.get_kind_display(),
            occurred_at=o.occurred_at,
            amount=_shown(o.amount, currency) if money else None,
            product=o.product,
            plan=o.plan,
            channel=o.channel,
            reason=o.reason,
        )
        for o in outcomes.order_by("-occurred_at", "-pk")[:limit]
    ]
    return lines, outcomes.count()


def customer_history(
    org: Organization,
    contact: Contact,
    *,
    reveal: bool,
    money: bool,
    limit: int | None = HISTORY_LIMIT,
    page: int = 1,
) -> CustomerHistory:
    """The contact's responses, cases and outcomes, newest first, as the viewer may see them.

    `page` is which `limit` responses to show (1: the newest); a page past the last shows
    none. Cases and outcomes are the newest `limit` (customers have few)."""
    if contact.organization_id != org.pk:
        raise ValueError("the contact belongs to another organisation")
    if page < 1:
        raise ValueError("pages are numbered from 1")
    responses, responses_total = _response_lines(org, contact, reveal, limit, page)
    cases, cases_total = _case_lines(org, contact, reveal, limit)
    outcomes, outcomes_total = _outcome_lines(org, contact, money, limit)
    return CustomerHistory(
        responses=responses,
        cases=cases,
        outcomes=outcomes,
        responses_total=responses_total,
        responses_page=page,
        responses_skipped=(page - 1) * limit if limit is not None else 0,
        cases_total=cases_total,
        outcomes_total=outcomes_total,
        reveal=reveal,
        money=money,
        currency=settings_of(org).currency,
    )


@dataclass(frozen=True)
class HistoryCounts:
    responses: int
    cases: int


def history_counts(org: Organization, contact: Contact) -> HistoryCounts:
    """How many responses and cases the contact has (what erasing them touches)."""
    return HistoryCounts(
        responses=Response.objects.for_org(org).filter(contact=contact).count(),
        cases=Case.objects.for_org(org).filter(contact=contact).count(),
    )
