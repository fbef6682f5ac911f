"""The fan-out after a response is stored, in two stages. Worker-only: reading comments
loads the text engine, which the web server never imports (pipeline/tasks.py imports this
module when its job runs).

Each stage claims its response with a conditional UPDATE inside its own transaction, so a
duplicated job does nothing and a crashed one leaves its claim rolled back for the sweeper
(`actions.requeue_lost_fanout`).
"""

from __future__ import annotations

from django.db import transaction

from beacon.core import clock
from beacon.insights.analysis import analyse_response
from beacon.loop.actions import do_open_case_for
from beacon.loop.sharing import do_share_response
from beacon.pipeline.actions import ANALYSIS_STAGE, enqueue_stage, lease_until
from beacon.responses.models import Response


def _load(response_id: int) -> Response:
    return Response.objects.select_related("organization", "survey", "contact", "stage__owner").get(
        pk=response_id
    )


def run_case_stage(response_id: int, *, then_analyse: bool = True) -> bool:
    """Open the case a response calls for (once); False when another job already did."""
    with transaction.atomic():
        claimed = Response.objects.filter(
            pk=response_id, cased_at__isnull=True, processed_at__isnull=True
        ).update(cased_at=clock.now(), fanout_lease_until=lease_until(ANALYSIS_STAGE))
        if not claimed:
            return False
        do_open_case_for(_load(response_id))
        if then_analyse:
            enqueue_stage(ANALYSIS_STAGE, response_id)
    return True


def run_analysis_stage(response_id: int) -> bool:
    """Read the comments, then praise and sharing; False when another job already did."""
    with transaction.atomic():
        claimed = Response.objects.filter(
            pk=response_id, cased_at__isnull=False, processed_at__isnull=True
        ).update(processed_at=clock.now(), fanout_lease_until=None)
        if not claimed:
            return False
        response = _load(response_id)
        analyse_response(response)
        do_share_response(response)
    return True


def process_response(response_id: int) -> bool:
    """The whole fan-out of one stored response, now, in this process (both stages)."""
    cased = run_case_stage(response_id, then_analyse=False)
    return run_analysis_stage(response_id) or cased
