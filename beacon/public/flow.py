"""Which steps a respondent walks, given their answers so far (show-if rules).

Steps keep the question's place in the survey (step 3 is always the third question), so
links and the back button stay stable; a question that is not asked is skipped over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from beacon.responses.checks import hidden_of
from beacon.surveys.conditions import Given
from beacon.surveys.models import Question


@dataclass(frozen=True)
class Flow:
    questions: list[Question]
    hidden: frozenset[int]

    def asked(self, step: int) -> bool:
        return self.questions[step - 1].pk not in self.hidden

    def steps(self) -> list[int]:
        return [n for n in range(1, len(self.questions) + 1) if self.asked(n)]

    def after(self, step: int) -> int | None:
        return next((n for n in self.steps() if n > step), None)

    def before(self, step: int) -> int | None:
        return next((n for n in reversed(self.steps()) if n < step), None)

    def number(self, step: int) -> int:
        """This step's number as the respondent counts ("question 2 of 3")."""
        return len([n for n in self.steps() if n < step]) + 1

    def count(self, step: int) -> int:
        return len(self.steps()) + (0 if self.asked(step) else 1)


def flow_of(questions: list[Question], answers: Mapping[int, Given]) -> Flow:
    by_id = {q.pk: q for q in questions}
    return Flow(questions, frozenset(hidden_of(by_id, answers)))
