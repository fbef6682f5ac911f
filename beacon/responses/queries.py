"""Reads of responses and verbatims."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q

from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind
from beacon.surveys.scales import DETRACTOR_MAX, NPS_MAX, PASSIVE_MIN, PROMOTER_MIN


def verbatims(org: Any, **filters: Any) -> Any:
    """Non-empty free-text answers, newest first, with what is needed to show context.

    The organisation is named on the response, not on the answer (an answer is always of
    its response's organisation): so the databases walk the responses' (organization,
    responded_at) index newest first and stop after a page, where a condition on the
    answers' organisation made SQLite read and sort every comment (330,000 at 1M)."""
    org_id = org if isinstance(org, int) else org.pk
    return (
        Answer.objects.filter(
            response__organization_id=org_id, question__kind=QuestionKind.TEXT, **filters
        )
        .exclude(text="")
        .select_related(
            "response",
            "response__survey",
            "response__stage",
            "response__persona",
            "response__contact",
            "response__touchpoint",
            "response__team",
            "response__staff",
        )
        .order_by("-response__responded_at", "-pk")
    )


@dataclass(frozen=True)
class FeedCursor:
    """Where a page of comments ends: the last comment's response time and answer id.

    The next page starts after it in the feed's order (newest response first, then the
    higher answer id), so a page is an index range read, not OFFSET rows counted over
    every comment before it; comments arriving meanwhile do not shift the pages.
    """

    responded_at: dt.datetime
    answer_id: int

    @property
    def token(self) -> str:
        micros = (self.responded_at - _EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}.{self.answer_id}"

    @classmethod
    def of(cls, answer: Answer) -> FeedCursor:
        return cls(answer.response.responded_at, answer.pk)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TOKEN = re.compile(r"^(\d{1,17})\.(\d{1,18})$")
# Microseconds since 1970 of 9999-12-31: a larger token names no time Python can hold.
_MAX_MICROS = 253_402_300_799_999_999


def parse_cursor(text: str) -> FeedCursor | None:
    """The cursor a `token` wrote, or None for anything else."""
    found = _TOKEN.match(text.strip())
    if found is None or int(found[1]) > _MAX_MICROS or int(found[2]) > 2**63 - 1:
        return None
    micros = int(found[1])
    when = _EPOCH + dt.timedelta(microseconds=micros)
    return FeedCursor(when, int(found[2]))


def after(answers: Any, cursor: FeedCursor | None) -> Any:
    """`answers` (ordered as `verbatims` orders them) past `cursor`.

    The bound on the time alone (lte) is what the index range reads; the exact condition
    then drops the comments of the same instant up to the cursor's answer."""
    if cursor is None:
        return answers
    t = cursor.responded_at
    return answers.filter(response__responded_at__lte=t).filter(
        Q(response__responded_at__lt=t) | Q(pk__lt=cursor.answer_id)
    )


# NPS bands of the verbatim feed as inclusive score ranges.
NPS_BANDS = {
    "detractor": (0, DETRACTOR_MAX),
    "passive": (PASSIVE_MIN, PROMOTER_MIN - 1),
    "promoter": (PROMOTER_MIN, NPS_MAX),
}
# The verbatim feed's filters: name -> lookup on Answer (ids; the band and search apart).
VERBATIM_ID_FILTERS = {
    "survey": "response__survey_id",
    "stage": "response__stage_id",
    "persona": "response__persona_id",
    "team": "response__team_id",
}


def verbatim_filter(org: Any, values: dict[str, str], *, reveal: bool) -> Q:
    """`verbatim_lookups` as one condition for a page of the feed: the band is an EXISTS
    on the comment's own response (by index), not IN over every score of the
    organisation, which SQLite builds in full before it can read the first comment."""
    rest = {name: value for name, value in values.items() if name != "band"}
    condition = Q(**verbatim_lookups(org, rest, reveal=reveal))
    band = values.get("band")
    if band in NPS_BANDS:
        low, high = NPS_BANDS[band]
        condition &= Q(
            Exists(
                Answer.objects.filter(
                    response_id=OuterRef("response_id"),
                    question__kind=QuestionKind.NPS,
                    number__gte=low,
                    number__lte=high,
                )
            )
        )
    return condition


def verbatim_lookups(org: Any, values: dict[str, str], *, reveal: bool) -> dict[str, Any]:
    """The feed's checked filter values (survey, stage, persona, team, band, q) as lookups.

    The page and the exports read the same rows through this one function. Search reads
    what the viewer is shown: those who see comments masked (`reveal` false, ADR 0004)
    search the masked text, so a phone number or email they cannot see cannot find a
    comment either.
    """
    lookups: dict[str, Any] = {
        lookup: int(values[name])
        for name, lookup in VERBATIM_ID_FILTERS.items()
        if values.get(name)
    }
    band = values.get("band")
    if band in NPS_BANDS:
        low, high = NPS_BANDS[band]
        lookups["response_id__in"] = (
            Answer.objects.for_org(org)
            .filter(question__kind=QuestionKind.NPS, number__gte=low, number__lte=high)
            .values("response_id")
        )
    if values.get("q"):
        field = "text" if reveal else "insight__redacted_text"
        lookups[f"{field}__icontains"] = values["q"]
    return lookups


def response_with_answers(org: Any, response_id: int) -> Response | None:
    return (
        Response.objects.for_org(org)
        .select_related("survey", "contact", "stage", "touchpoint", "persona", "team", "staff")
        .prefetch_related("answers__question")
        .filter(pk=response_id)
        .first()
    )
