"""Praise of named staff found in comments, recorded once and sent to them and their manager.

Worker-only: the finder asks the loaded model for each sentence's sentiment.
"""

from __future__ import annotations

import re

from beacon.insights import text as textutil
from beacon.insights.engine import InsightModel
from beacon.insights.events import insights_praise_recorded
from beacon.insights.labels import OVERALL
from beacon.insights.models import (
    Praise,
)
from beacon.notifications.actions import do_queue_email
from beacon.orgs.models import Membership, Organization
from beacon.orgs.queries import manager_of
from beacon.responses.models import Answer, Response

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_PRAISE_WORDS = re.compile(
    r"\b(thank|thanks|great|brilliant|amazing|fantastic|excellent|helpful|kind|lovely|star|"
    r"superb|wonderful|above and beyond|friendly|patient|best|outstanding|awesome)\b",
    re.I,
)


def _name_patterns(member: Membership) -> list[re.Pattern[str]]:
    names = [member.display_name.strip()]
    first = names[0].split()[0] if names[0].split() else ""
    if len(first) >= 3 and first != names[0]:
        names.append(first)
    return [re.compile(rf"(?<!\w){re.escape(n)}(?!\w)") for n in names if len(n) >= 3]


class PraiseFinder:
    """Praise of named members; names are read once per batch, not once per answer, and
    the sentences naming someone are judged in one model call for the whole batch."""

    def __init__(self, org: Organization, model: InsightModel) -> None:
        self.model = model
        self.members = [
            (member, _name_patterns(member))
            for member in Membership.objects.for_org(org).select_related("user", "team__lead__user")
        ]
        self.candidates: list[tuple[Answer, Membership, list[str]]] = []

    def find(self, answer: Answer, cleaned: str) -> None:
        """Note the sentences of an answer that name a member; `record` judges them."""
        for member, patterns in self.members:
            if not patterns:
                continue
            # Only a sentence with words of praise can be praise: the others need no model.
            sentences = [
                s.strip()
                for s in _SENTENCE.findall(cleaned)
                if any(p.search(s) for p in patterns) and _PRAISE_WORDS.search(s)
            ]
            if sentences:
                self.candidates.append((answer, member, sentences))

    def record(self) -> None:
        """Record the praise among the noted sentences: those the model reads as positive."""
        noted = [(s, OVERALL) for _, _, sentences in self.candidates for s in sentences]
        if not noted:
            return
        polar = iter(self.model.sentiment.predict(noted, self.model.themes.indicative))
        for answer, member, sentences in self.candidates:
            judged = [(s, next(polar)[0]) for s in sentences]
            praising = [s for s, p in judged if p == "positive"]
            if praising:
                do_record_praise(answer.response, answer, member, " ".join(praising))
        self.candidates = []


def do_record_praise(
    response: Response, answer: Answer, member: Membership, excerpt: str
) -> Praise | None:
    """Record it once and tell the person and their manager (through the outbox)."""
    praise, created = Praise.objects.get_or_create(
        answer=answer,
        member=member,
        defaults={
            "organization_id": answer.organization_id,
            "response": response,
            "excerpt": textutil.redact(excerpt)[:1000],
        },
    )
    if not created:
        return None
    insights_praise_recorded(answer.organization_id, praise, member=member.pk)
    subject = f"A customer praised {member.display_name}"
    body = (
        f'A customer wrote about {member.display_name}:\n\n"{praise.excerpt}"\n\n'
        "Thank you for the difference you make.\n"
    )
    recipients = [("member", member)]
    manager = manager_of(member)
    if manager is not None:
        recipients.append(("manager", manager))
    for role, person in recipients:
        do_queue_email(
            answer.organization_id,
            to=person.email,
            subject=subject,
            text=body,
            cause=praise,
            key=f"praise:{praise.pk}:{role}",
        )
    return praise
