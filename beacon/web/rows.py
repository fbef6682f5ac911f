"""Verbatims shown with the scores the same customer gave beside them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from beacon.insights.text import redact
from beacon.orgs.models import Membership, Organization, Role
from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind
from beacon.surveys.scales import CES_EASY_MIN, CSAT_SATISFIED_MIN, nps_band

_SHORT = {
    QuestionKind.NPS: "NPS",
    QuestionKind.CSAT: "CSAT",
    QuestionKind.CES: "CES",
    QuestionKind.RATING: "Rating",
}


@dataclass(frozen=True)
class Score:
    label: str
    number: int

    def __str__(self) -> str:
        return f"{self.label} {self.number}"

    @property
    def tone(self) -> str:
        """good / neutral / bad, for the colour of the badge (the text carries the score)."""
        if self.label == "NPS":
            return {"promoter": "good", "passive": "neutral", "detractor": "bad"}[
                nps_band(self.number)
            ]
        if self.label == "CSAT":
            return (
                "good"
                if self.number >= CSAT_SATISFIED_MIN
                else "neutral"
                if self.number == 3
                else "bad"
            )
        if self.label == "CES":
            return (
                "good" if self.number >= CES_EASY_MIN else "neutral" if self.number == 4 else "bad"
            )
        return "neutral"


@dataclass(frozen=True)
class VerbatimRow:
    answer: Answer
    scores: list[Score]
    # What the viewer may see: the original, or personal data masked (ADR 0010).
    text: str = ""

    @property
    def response(self) -> Response:
        return self.answer.response


# Those who deal with customers one to one see what they wrote as written (ADR 0010).
CONTACT_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.AGENT})


def may_see_contact_details(member: Membership) -> bool:
    return member.role in CONTACT_ROLES


def with_scores(
    org: Organization, answers: Iterable[Answer], viewer: Membership | None = None
) -> list[VerbatimRow]:
    """Rows with scores; the text is redacted unless `viewer` may see contact details."""
    answers = list(answers)
    # The organisation on the response (by its key), not on the answers: a condition on
    # the answers' organisation made SQLite read every answer of the organisation (4M at
    # 1M responses) for a page's 25 responses instead of using the response_id index.
    scored = (
        Answer.objects.filter(
            response__organization_id=org.pk,
            response_id__in={a.response_id for a in answers},
            number__isnull=False,
        )
        .select_related("question")
        .order_by("question__position")
    )
    by_response: dict[int, list[Score]] = defaultdict(list)
    for a in scored:
        label = _SHORT.get(QuestionKind(a.question.kind))
        if label is not None and a.number is not None:
            by_response[a.response_id].append(Score(label, a.number))
    reveal = viewer is not None and may_see_contact_details(viewer)
    return [
        VerbatimRow(a, by_response.get(a.response_id, []), a.text if reveal else redact(a.text))
        for a in answers
    ]
