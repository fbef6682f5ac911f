"""Settings → Members: invitations, a member's role and place, handing work over,
departments; and the invitee's own form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from beacon.members.queries import WORK_KINDS
from beacon.orgs.models import Department, Membership, Role, Team
from beacon.web.forms.common import OrgChoiceField, PostForm, WholeNumberField

# Django's own wording, which these pages have always shown.
NOT_A_CHOICE = "Select a valid choice. That choice is not one of the available choices."
REQUIRED = "This field is required."


def _department() -> OrgChoiceField:
    return OrgChoiceField(Department, NOT_A_CHOICE, label="Department")


def _team() -> OrgChoiceField:
    return OrgChoiceField(Team, NOT_A_CHOICE, label="Team")


class _MemberForm(PostForm):
    """A form of an admin's page: choices are the admin's organisation's rows."""

    def __init__(self, member: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(member.organization_id, *args, **kwargs)
        if "team" in self.fields:
            team: Any = self.fields["team"]
            team.queryset = team.queryset.order_by("name")


class InviteForm(_MemberForm):
    email = forms.EmailField(max_length=254)
    display_name = forms.CharField(max_length=200, required=False, label="Name")
    # Every role is offered; the action refuses one above the inviter's with a message.
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)
    department = _department()
    team = _team()


class MemberForm(_MemberForm):
    role = forms.ChoiceField(choices=Role.choices)
    department = _department()
    team = _team()


class HandoverForm(_MemberForm):
    """One item (kind + id) or, without them, all of the member's open work."""

    kind = forms.ChoiceField(choices=[(k, k) for k in WORK_KINDS], required=False)
    item = WholeNumberField(min_value=1)
    # Members who may be given work: a deactivated member's work would be a gap at once.
    to = OrgChoiceField(
        Membership,
        NOT_A_CHOICE,
        only={"deactivated_at__isnull": True},
        required=True,
        label="Hand over to",
        error_messages={"required": REQUIRED},
    )

    def __init__(self, member: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(member, *args, **kwargs)
        to: Any = self.fields["to"]
        to.queryset = to.queryset.order_by("display_name", "pk")


class DepartmentForm(PostForm):
    name = forms.CharField(max_length=100)


class JoinForm(forms.Form):
    """Someone who already has an account joins with a click: nothing to fill in."""

    method = "POST"


class AcceptForm(SetPasswordForm):  # type: ignore[type-arg]
    """Django's own password rules (AUTH_PASSWORD_VALIDATORS), plus the name to show."""

    method = "POST"
    display_name = forms.CharField(max_length=200, label="Your name")
