"""The reason model reads why customers got in touch. Worker-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from beacon.contacts.models import Interaction
from beacon.core import clock
from beacon.core.rows import update_by_key
from beacon.insights import text as textutil
from beacon.insights.engine import ENGINE_VERSION, ReasonModel
from beacon.insights.events import insights_reasons_read
from beacon.insights.models import (
    ContactReason,
    InteractionReason,
    ModelKind,
)
from beacon.insights.reasons import MODEL, STAFF
from beacon.insights.registry import current_record, do_train_reasons, load_model
from beacon.orgs.models import Organization

# After retraining, the model rereads this much recent history.
REREAD_DAYS = 90


def do_classify_interaction(interaction: Interaction) -> InteractionReason | None:
    """Read the reason for contact from the description; staff labels are kept."""
    rows = do_classify_interactions(interaction.organization, [interaction])
    return rows[0] if rows else None


@transaction.atomic
def do_classify_interactions(
    org: Organization, interactions: list[Interaction]
) -> list[InteractionReason]:
    """One model call for many interactions. A staff label is kept: new rows are inserted
    only where none exists and existing rows are updated only while the model owns them,
    so a label a person sets meanwhile wins."""
    texts = {i.pk: textutil.clean(i.description) for i in interactions}
    texts = {pk: t for pk, t in texts.items() if textutil.letter_count(t) >= 2}
    if not texts or not ContactReason.objects.for_org(org).filter(active=True).exists():
        return []
    record = current_record(org, ModelKind.REASONS)
    if record is None or record.engine != ENGINE_VERSION:
        # Reason models train in about a second: an older engine's is replaced here.
        record = do_train_reasons(org)
    model = load_model(org.pk, record)
    assert isinstance(model, ReasonModel)
    reasons = ContactReason.objects.for_org(org).in_bulk()
    version = f"{record.engine}/v{record.version}"
    predicted = dict(zip(texts, model.predict(list(texts.values())), strict=True))
    rows = [
        InteractionReason(
            organization=org,
            interaction_id=pk,
            reason=reasons.get(int(key)) if key else None,
            confidence=confidence,
            source=MODEL,
            model_version=version,
        )
        for pk, (key, confidence) in predicted.items()
    ]
    InteractionReason.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    # Rows already there take the new reading in one statement, still only where the
    # model owns them.
    update_by_key(
        InteractionReason,
        "interaction",
        ["reason", "confidence", "model_version"],
        [(r.interaction_id, r.reason_id, r.confidence, version) for r in rows],
        where={"source": MODEL},
    )
    insights_reasons_read(org, record, interactions=len(rows), model=version)
    return list(
        InteractionReason.objects.for_org(org)
        .filter(interaction_id__in=list(predicted))
        .select_related("reason")
        .order_by("interaction_id")
    )


def do_read_unread_reasons(org: Organization, *, batch_size: int = 1000) -> int:
    """Described interactions with no reason yet, read many per model call."""
    read = InteractionReason.objects.for_org(org).values("interaction_id")
    pending = (
        Interaction.objects.for_org(org).exclude(description="").exclude(pk__in=read).order_by("pk")
    )
    return _read_in_batches(org, pending, batch_size)


def _read_in_batches(org: Organization, pending: Any, batch_size: int) -> int:
    done, last = 0, 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:batch_size])
        if not batch:
            return done
        done += len(do_classify_interactions(org, batch))
        last = batch[-1].pk


def do_reread_reasons(
    org: Organization, *, since: dt.datetime | None = None, batch_size: int = 1000
) -> int:
    """After retraining: recent described interactions (staff-labelled ones aside) are read
    again, by default those of the last REREAD_DAYS days."""
    since = since or clock.now() - dt.timedelta(days=REREAD_DAYS)
    labelled_by_staff = InteractionReason.objects.for_org(org).filter(source=STAFF)
    pending = (
        Interaction.objects.for_org(org)
        .filter(occurred_at__gte=since)
        .exclude(description="")
        .exclude(pk__in=labelled_by_staff.values("interaction_id"))
        .order_by("pk")
    )
    return _read_in_batches(org, pending, batch_size)
