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
    """Praise of named members; names are read once per batch, not once per answer."""

    def __init__(self, org: Organization, model: InsightModel) -> None:
        self.model = model
        self.members = [
            (member, _name_patterns(member))
            for member in Membership.objects.for_org(org).select_related("user", "team__lead__user")
        ]

    def find(self, answer: Answer, cleaned: str) -> None:
        for member, patterns in self.members:
            if not patterns:
                continue
            sentences = [
                s.strip() for s in _SENTENCE.findall(cleaned) if any(p.search(s) for p in patterns)
            ]
            if not sentences:
                continue
            polar = self.model.sentiment.predict(
                [(s, OVERALL) for s in sentences], self.model.themes.indicative
            )
            praising = [
                s
                for s, (p, _) in zip(sentences, polar, strict=True)
                if p == "positive" and _PRAISE_WORDS.search(s)
            ]
            if praising:
                do_record_praise(answer.response, answer, member, " ".join(praising))


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
