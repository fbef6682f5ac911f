"""Whether a response should open a follow-up case, and on what terms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from beacon.loop.models import PRIORITY_DUE_HOURS, CaseRule, OwnerRule, Priority
from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind


@dataclass(frozen=True)
class RuleSpec:
    question_kind: str = ""
    max_score: int | None = None
    priority: str = Priority.NORMAL
    due_hours: int | None = None
    question_id: int | None = None
    keyword: str = ""
    contact_attribute: str = ""
    contact_value: str = ""
    stage_id: int | None = None
    owner_rule: str = OwnerRule.STAGE_OWNER
    owner_member_id: int | None = None
    name: str = ""

    @property
    def hours(self) -> int:
        if self.due_hours is not None:
            return self.due_hours
        return PRIORITY_DUE_HOURS.get(Priority(self.priority), 48)

    def describe(self) -> str:
        if self.name:
            return self.name
        parts = []
        if self.max_score is not None:
            target = f"q{self.question_id}" if self.question_id else self.question_kind
            parts.append(f"{target}<={self.max_score}")
        if self.keyword:
            parts.append(f"comment mentions {self.keyword!r}")
        if self.contact_attribute:
            parts.append(f"{self.contact_attribute}={self.contact_value}")
        if self.stage_id:
            parts.append(f"stage {self.stage_id}")
        return " and ".join(parts)


# Used when an organisation has not written rules of its own: detractors and the
# unsatisfied (CSAT 1-2) get a call back within two days.
DEFAULT_RULES = (
    RuleSpec(QuestionKind.NPS, 6),
    RuleSpec(QuestionKind.CSAT, 2),
)


@dataclass(frozen=True)
class Trigger:
    rule: RuleSpec
    # The score that broke the rule; None for rules on keywords or attributes only.
    answer: Answer | None


def spec_of(r: CaseRule) -> RuleSpec:
    return RuleSpec(
        question_kind=r.question_kind,
        max_score=r.max_score,
        priority=r.priority,
        due_hours=r.due_hours,
        question_id=r.question_id,
        keyword=r.keyword,
        contact_attribute=r.contact_attribute,
        contact_value=r.contact_value,
        stage_id=r.stage_id,
        owner_rule=r.owner_rule,
        owner_member_id=r.owner_member_id,
        name=r.name,
    )


def rules_for(org_id: int) -> list[RuleSpec]:
    stored = [
        spec_of(r)
        for r in CaseRule.objects.for_org(org_id).filter(active=True).order_by("position", "pk")
    ]
    return stored or list(DEFAULT_RULES)


def mentions(text: str, keyword: str) -> bool:
    """Whole-word, case-insensitive: "cancel" matches "Cancel!" and "cancelling", not "can"."""
    if not keyword.strip():
        return False
    return re.search(r"\b" + re.escape(keyword.strip()), text, re.I) is not None


def _matches(rule: RuleSpec, response: Response, answers: list[Answer]) -> Trigger | None:
    hit: Answer | None = None
    if rule.max_score is not None:
        for answer in answers:
            if answer.number is None or answer.number > rule.max_score:
                continue
            if rule.question_id is not None:
                if answer.question_id != rule.question_id:
                    continue
            elif answer.question.kind != rule.question_kind:
                continue
            hit = answer
            break
        if hit is None:
            return None
    if rule.keyword:
        comments = " ".join(a.text for a in answers if a.text)
        if not mentions(comments, rule.keyword):
            return None
    if rule.contact_attribute:
        attributes = response.contact.attributes if response.contact_id else {}  # type: ignore[union-attr]
        value = (attributes or {}).get(rule.contact_attribute)
        if value is None or str(value).strip().lower() != rule.contact_value.strip().lower():
            return None
    if rule.stage_id is not None and response.stage_id != rule.stage_id:
        return None
    return Trigger(rule, hit)


def case_trigger(
    response: Response,
    answers: list[Answer] | None = None,
    rules: list[RuleSpec] | None = None,
) -> Trigger | None:
    """The first rule, in order, whose every condition this response meets.

    A batch passes the answers (with their questions) and the organisation's rules it has
    loaded once for many responses; alone, a response loads its own."""
    if answers is None:
        answers = list(Answer.objects.filter(response=response).select_related("question"))
    for rule in rules_for(response.organization_id) if rules is None else rules:
        trigger = _matches(rule, response, answers)
        if trigger is not None:
            return trigger
    return None
