"""Verbatims shown with the scores the same customer gave beside them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from beacon.orgs.models import Organization
from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind

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
            return "good" if self.number >= 4 else "neutral" if self.number == 3 else "bad"
        if self.label == "CES":
            return "good" if self.number >= 5 else "neutral" if self.number == 4 else "bad"
        return "neutral"


@dataclass(frozen=True)
class VerbatimRow:
    answer: Answer
    scores: list[Score]

    @property
    def response(self) -> Response:
        return self.answer.response


def nps_band(number: int) -> str:
    if number >= 9:
        return "promoter"
    return "passive" if number >= 7 else "detractor"


def with_scores(org: Organization, answers: Iterable[Answer]) -> list[VerbatimRow]:
    answers = list(answers)
    scored = (
        Answer.objects.for_org(org)
        .filter(response_id__in={a.response_id for a in answers}, number__isnull=False)
        .select_related("question")
        .order_by("question__position")
    )
    by_response: dict[int, list[Score]] = defaultdict(list)
    for a in scored:
        label = _SHORT.get(QuestionKind(a.question.kind))
        if label is not None and a.number is not None:
            by_response[a.response_id].append(Score(label, a.number))
    return [VerbatimRow(a, by_response.get(a.response_id, [])) for a in answers]
