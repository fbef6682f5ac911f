"""The fan-out after a response is stored. Worker-only: reading comments loads the text
engine, which the web server never imports (pipeline/tasks.py imports this module when its
job runs)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from beacon.core import clock
from beacon.insights.analysis import analyse_response
from beacon.loop.actions import do_open_case_for
from beacon.loop.sharing import do_share_response
from beacon.responses.models import Response


def process_response(response_id: int) -> None:
    """Fan-out for one stored response, in one transaction: its comments are read
    (sentiment, themes, praise of named staff, the reason for contact), the case rules may
    open a follow-up case, and it is shared (recognition, the wall's queue, verbatim
    channels); then it is marked processed, so the sweeper leaves it alone. Emails and
    messages go through the outbox these steps write to."""
    response = (
        Response.objects.select_related("organization", "survey", "contact", "stage__owner")
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        return
    with transaction.atomic():
        analyse_response(response)
        do_open_case_for(response)
        do_share_response(response)
        Response.objects.filter(pk=response_id).update(processed_at=clock.now())


def unprocessed_response_ids(older_than: dt.timedelta, limit: int = 1000) -> list[int]:
    """Responses whose fan-out never ran (a worker died): the sweeper re-enqueues them."""
    cutoff = clock.now() - older_than
    return list(
        Response.objects.filter(processed_at__isnull=True, responded_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
