"""What the edge checks against, cached per process and read again at most once a second.

API keys (by the hash of the secret) and surveys with their questions. An entry older
than `FRESH_SECONDS` is read again before it is used, so a revoked key or an edited
survey takes effect within a second. The reads are the Django path's own
(`authenticate_api_key`, the survey's questions) and run on the edge's database thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from beacon.core import clock
from beacon.orgs.actions import hash_api_key
from beacon.orgs.models import ApiKey, Scope
from beacon.orgs.queries import authenticate_api_key
from beacon.surveys.models import Question, Survey

FRESH_SECONDS = 1.0

V = TypeVar("V")


@dataclass(frozen=True)
class SurveyRules:
    survey: Survey
    questions: dict[int, Question]


@dataclass
class _Entry(Generic[V]):
    value: V
    read_at: float


class Fresh(Generic[V]):
    """A per-process map whose entries are read again once older than a second."""

    def __init__(self, read: Callable[..., V], seconds: float = FRESH_SECONDS) -> None:
        self._read = read
        self._seconds = seconds
        self._entries: dict[object, _Entry[V]] = {}

    def cached(self, key: object) -> tuple[bool, V | None]:
        """(fresh, value): fresh False means read it (`load`) before trusting it."""
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.read_at > self._seconds:
            return False, None
        return True, entry.value

    def load(self, key: object, *args: object) -> V:
        """Read the entry now (on the database thread) and keep it."""
        started = time.monotonic()
        value = self._read(*args)
        self._entries[key] = _Entry(value, started)
        return value


def writing_key(secret: str) -> ApiKey | None:
    """The key for `secret` when it may write now; None for anything else (unknown,
    revoked, expired, no `write` scope), which the Django path then answers in its words."""
    key = authenticate_api_key(secret)
    if key is None or not key.allows(Scope.WRITE):
        return None
    return key


def usable(key: ApiKey | None) -> bool:
    return key is not None and (key.expires_at is None or key.expires_at > clock.now())


def survey_rules(org_id: int, survey_id: int) -> SurveyRules | None:
    survey = Survey.objects.for_org(org_id).filter(pk=survey_id).first()
    if survey is None:
        return None
    return SurveyRules(survey, {q.pk: q for q in Question.objects.filter(survey=survey)})


def key_of(secret: str) -> str:
    return hash_api_key(secret)
