"""Suggested themes: group the recent comments no theme matched. Worker-only (grouping
loads the text engine); pages and the API read the stored result through
`insights.queries.suggested_themes`, which asks the worker for it (`beacon.core.computed`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict
from typing import Any

from beacon.core import clock
from beacon.insights import text as textutil
from beacon.insights.grouping import group
from beacon.insights.labels import tokens
from beacon.insights.models import AnswerInsight, Theme, ThemeMention
from beacon.insights.queries import SuggestedTheme
from beacon.orgs.models import Membership, Organization

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def suggested_data(org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The job's computation: the groups of the last `params["days"]` days, as JSON."""
    since = clock.now() - dt.timedelta(days=int(params["days"]))
    return {"items": [asdict(s) for s in group_unmatched(org_id, since=since)]}


def group_unmatched(
    org: Organization | int,
    *,
    since: dt.datetime | None = None,
    max_comments: int = 2000,
    min_size: int = 3,
) -> list[SuggestedTheme]:
    """Group the recent English comments no theme matched (insights.grouping) and name
    each group; staff names and existing themes never name a group."""
    matched = ThemeMention.objects.for_org(org).values("answer_id")
    qs = AnswerInsight.objects.for_org(org).filter(unclassifiable=False, language=textutil.ENGLISH)
    if since is not None:
        qs = qs.filter(response__responded_at__gte=since)
    texts = list(
        qs.exclude(answer_id__in=matched)
        .order_by("-answer_id")
        .values_list("redacted_text", flat=True)[:max_comments]
    )
    # Grouped sentence by sentence: a comment often touches several subjects. A sentence
    # of two or three words ("Fine, thanks") says how, not about what.
    sentences: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        for sentence in _SENTENCE.findall(textutil.clean(text)):
            if len(tokens(sentence)) >= 4:
                sentences.append(sentence.strip())
                owner.append(i)
    existing = {t.name.lower() for t in Theme.objects.for_org(org)}
    names = {
        word
        for display in Membership.objects.for_org(org).values_list("display_name", flat=True)
        for word in tokens(display)
    }
    ignore = names | {w for n in existing for w in tokens(n)}
    groups = group(sentences, ignore=ignore, min_size=min_size)
    return [
        SuggestedTheme(g.name, g.keywords, g.examples, len({owner[i] for i in g.members}))
        for g in groups
        if g.name.lower() not in existing
    ]
