"""Writes to responses other than ingest: deletion (which must keep rollups right)."""

from __future__ import annotations

from django.db import transaction

from beacon.orgs.models import Membership
from beacon.responses import rollups
from beacon.responses.events import response_deleted
from beacon.responses.models import Answer, Response


@transaction.atomic
def do_delete_response(response: Response, *, actor: Membership | None = None) -> None:
    scored = [
        (question_id, number)
        for question_id, number in Answer.objects.filter(response=response).values_list(
            "question_id", "number"
        )
        if number is not None
    ]
    rollups.apply(rollups.deltas_for_answers(response, scored, -1))
    rollups.count_responses([response], -1)
    response_deleted(response.organization_id, response, actor=actor)
    response.delete()
