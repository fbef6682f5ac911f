"""The meeting opener's story: a real customer comment and what happened next."""

from __future__ import annotations

from dataclasses import dataclass

from beacon.loop.models import Action, Case, CaseStatus, CustomerUpdate, CustomerUpdateStatus
from beacon.orgs.models import Organization
from beacon.responses.models import Answer
from beacon.responses.queries import verbatims

# Said on the page, so everyone knows the story was not picked to flatter.
STORY_RULE = (
    "The most recent customer comment whose follow-up case was resolved and linked to an "
    "improvement action."
)


@dataclass(frozen=True)
class Story:
    comment: Answer
    case: Case
    action: Action
    # The "you said, we did" message sent to this customer about the action, if any.
    update: CustomerUpdate | None


def meeting_story(org: Organization) -> Story | None:
    """The story chosen by STORY_RULE, or None when no comment qualifies yet."""
    comment = (
        verbatims(org)
        .filter(
            response__case__status=CaseStatus.RESOLVED,
            response__case__actions__isnull=False,
        )
        .select_related("response__case__root_cause", "response__case__owner")
        .first()
    )
    if comment is None:
        return None
    case = comment.response.case
    action = (
        Action.objects.for_org(org)
        .filter(cases=case)
        .select_related("owner", "stage__owner")
        .order_by("-created_at", "-pk")
        .first()
    )
    assert action is not None  # the filter above kept only cases linked to an action
    update = (
        CustomerUpdate.objects.for_org(org)
        .filter(action=action, contact_id=case.contact_id, status=CustomerUpdateStatus.SENT)
        .first()
        if case.contact_id
        else None
    )
    return Story(comment, case, action, update)
