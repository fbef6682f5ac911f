"""Reads the respondent pages need beyond those of `surveys.queries`."""

from __future__ import annotations

from beacon.responses.models import Answer, Response
from beacon.surveys.models import Invitation, Survey


def survey_by_anonymous_token(token: str) -> Survey | None:
    # The token is globally unique and unguessable; the organisation is not known yet,
    # so this is the one read that cannot start from `for_org`.
    return Survey.objects.select_related("organization").filter(anonymous_token=token).first()


def stored_response(
    survey: Survey, idempotency_key: str, invitation: Invitation | None = None
) -> Response | None:
    responses = Response.objects.for_org(survey.organization_id).filter(survey=survey)
    found = responses.filter(idempotency_key=idempotency_key).first()
    if found is None and invitation is not None:
        # The API may have started this invitation's response under a key of its own.
        found = responses.filter(invitation=invitation).first()
    return found


def stored_answers(response: Response | None) -> dict[int, Answer]:
    if response is None:
        return {}
    answers = Answer.objects.for_org(response.organization_id).filter(response=response)
    return {a.question_id: a for a in answers}
