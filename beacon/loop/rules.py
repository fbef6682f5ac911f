"""Whether a response should open a follow-up case."""

from __future__ import annotations

from dataclasses import dataclass

from beacon.loop.models import CaseRule
from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind


@dataclass(frozen=True)
class RuleSpec:
    question_kind: str
    max_score: int
    priority: str = "normal"
    due_hours: int = 48


# Used when an organisation has not written rules of its own: detractors and the
# unsatisfied (CSAT 1-2) get a call back within two days.
DEFAULT_RULES = (
    RuleSpec(QuestionKind.NPS, 6),
    RuleSpec(QuestionKind.CSAT, 2),
)


@dataclass(frozen=True)
class Trigger:
    rule: RuleSpec
    answer: Answer


def rules_for(org_id: int) -> list[RuleSpec]:
    stored = [
        RuleSpec(r.question_kind, r.max_score, r.priority, r.due_hours)
        for r in CaseRule.objects.for_org(org_id).filter(active=True).order_by("pk")
    ]
    return stored or list(DEFAULT_RULES)


def case_trigger(response: Response) -> Trigger | None:
    """The first rule an answer of this response breaks, in rule order."""
    answers = list(
        Answer.objects.filter(response=response, number__isnull=False).select_related("question")
    )
    for rule in rules_for(response.organization_id):
        for answer in answers:
            if (
                answer.question.kind == rule.question_kind
                and answer.number is not None
                and answer.number <= rule.max_score
            ):
                return Trigger(rule, answer)
    return None
