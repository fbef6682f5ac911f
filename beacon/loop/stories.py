"""The meeting opener's story: a real customer comment and what happened next."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from beacon.loop.models import Action, Case, CaseStatus, CustomerUpdate, CustomerUpdateStatus
from beacon.orgs.models import Organization
from beacon.responses.models import Answer
from beacon.responses.queries import verbatims

# Said on the page, so everyone knows the story was not picked to flatter.
STORY_RULE = (
    "The most recent customer comment whose follow-up case was resolved and linked to an "
    "improvement action (directly, or through the root cause the action fixes)."
)


@dataclass(frozen=True)
class Story:
    comment: Answer
    case: Case
    action: Action
    # The "you said, we did" message sent to this customer about the action, if any.
    update: CustomerUpdate | None


# Cases looked at, newest first: a resolved case usually has its comment, so a handful is
# plenty, and a bounded list keeps the page fast at any size.
CANDIDATES = 50


def meeting_story(org: Organization) -> Story | None:
    """The story chosen by STORY_RULE, or None when no comment qualifies yet."""
    linked = Q(actions__isnull=False) | Q(root_cause__actions__isnull=False)
    newest = (
        Case.objects.for_org(org)
        .filter(linked, status=CaseStatus.RESOLVED)
        .order_by("-response__responded_at", "-pk")
        .values_list("response_id", flat=True)
        .distinct()[:CANDIDATES]
    )
    # The comments of those few responses, by their response ids, newest picked here: in
    # SQL the feed's order makes the databases walk every response newest first instead.
    candidates = (
        verbatims(org)
        .filter(response_id__in=list(newest))
        .select_related("response__case__root_cause", "response__case__owner")
        .order_by()
    )
    comment = max(candidates, key=lambda a: (a.response.responded_at, a.pk), default=None)
    if comment is None:
        return None
    case = comment.response.case
    action = (
        Action.objects.for_org(org)
        .filter(Q(cases=case) | Q(root_cause_id=case.root_cause_id, root_cause__isnull=False))
        .select_related("owner", "stage__owner")
        .order_by("-created_at", "-pk")
        .first()
    )
    assert action is not None  # the comment was chosen for its case's link to an action
    update = (
        CustomerUpdate.objects.for_org(org)
        .filter(action=action, contact_id=case.contact_id, status=CustomerUpdateStatus.SENT)
        .first()
        if case.contact_id
        else None
    )
    return Story(comment, case, action, update)
