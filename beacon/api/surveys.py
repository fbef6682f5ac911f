"""GET /surveys: the organisation's surveys and their questions, for building clients."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from beacon.api.auth import org_of
from beacon.api.schemas import (
    ErrorOut,
    QuestionOut,
    ScaleOut,
    ShowIfOut,
    SurveyListOut,
    SurveyOut,
)
from beacon.surveys.models import Question, Survey

router = Router(tags=["surveys"])


def question_out(q: Question) -> QuestionOut:
    scale = q.scale
    return QuestionOut(
        id=q.pk,
        kind=q.kind,
        text=q.text,
        required=q.required,
        choices=list(q.choices),
        scale=ScaleOut(low=scale.low, high=scale.high) if scale else None,
        show_if=ShowIfOut(question_id=q.show_if_question_id, op=q.show_if_op, value=q.show_if_value)
        if q.show_if_question_id is not None
        else None,
    )


@router.get(
    "/surveys",
    response={200: SurveyListOut, 401: ErrorOut},
    operation_id="listSurveys",
    summary="List surveys",
    description=(
        "All surveys of your organisation (draft, active and closed), oldest first, each with "
        "its questions in the order respondents see them and the ids of the touchpoints it is "
        "asked after. Use the question ids and scales to build `POST /responses` bodies."
    ),
)
def list_surveys(request: HttpRequest) -> SurveyListOut:
    org = org_of(request)
    surveys = (
        Survey.objects.for_org(org).order_by("pk").prefetch_related("questions", "touchpoints")
    )
    return SurveyListOut(
        items=[
            SurveyOut(
                id=s.pk,
                name=s.name,
                title=s.title,
                status=s.status,
                touchpoint_ids=sorted(t.pk for t in s.touchpoints.all()),
                questions=[question_out(q) for q in s.questions.all()],
            )
            for s in surveys
        ]
    )
