"""Single `POST /interactions` posts stored a group at a time, before they are answered.

The edge collects the posts that arrive together (`edge.GroupWriter`) and stores them
here, on its database thread, with the batch endpoint's code (`store_interactions`:
contacts upserted, interactions inserted, the trigger run set-based), then answers each
post with its own item's result, which is the single endpoint's body. Unlike responses
nothing is logged: the answer carries the contact's id and the invitation links, which
exist only once the trigger has run (docs/adr/0010, "single interactions at the edge").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from beacon.api.interactions import store_interactions
from beacon.api.schemas import InteractionIn
from beacon.orgs.models import Organization

logger = logging.getLogger(__name__)

# (status, body) of a stored post; None hands the post to the Django path.
Stored = tuple[int, dict[str, Any]] | None


@dataclass(frozen=True)
class Posted:
    """A single interaction the edge parsed, with the organisation of its key."""

    org: Organization
    payload: InteractionIn


def store(items: Sequence[Posted]) -> list[Stored]:
    """Store a group; one answer per item, in order.

    One transaction per organisation and round. A key repeated in the group goes in a
    later round, so it finds the first post's interaction stored and is answered 200 with
    it, as the Django path answers a retry. Items the batch code refuses (422, 404), and
    every item of a round that failed, are None: the Django path answers them in its
    words, and nothing of theirs was written.
    """
    answers: list[Stored] = [None] * len(items)
    for round_ in _rounds(items):
        org = items[round_[0]].org
        try:
            results = store_interactions(org, [(n, items[n].payload) for n in round_])
        except Exception:
            logger.exception("ingest edge: storing %d interactions failed", len(round_))
            continue
        for result in results:
            if result.status in (200, 201) and result.result is not None:
                answers[result.index] = (result.status, result.result)
    return answers


def _rounds(items: Sequence[Posted]) -> list[list[int]]:
    """Item positions grouped by organisation, each group split so that no round holds
    one key twice (the batch code refuses a repeated key within one call)."""
    rounds: list[tuple[int, set[str], list[int]]] = []
    for n, item in enumerate(items):
        key = item.payload.idempotency_key
        for org_id, keys, members in rounds:
            if org_id == item.org.pk and key not in keys:
                keys.add(key)
                members.append(n)
                break
        else:
            rounds.append((item.org.pk, {key}, [n]))
    return [members for _, _, members in rounds]
