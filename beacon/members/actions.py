"""Every write of invitations and of handing a deactivated member's work to someone else."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F

from beacon.analytics.models import AlertRule
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.actions import do_set_need_owner, do_set_stage_owner
from beacon.loop.actions import do_reassign
from beacon.loop.improvements import do_reassign_action
from beacon.members.events import HandoverEvent, InvitationEvent
from beacon.members.models import Invitation
from beacon.notifications.actions import do_queue_email
from beacon.orgs.actions import check_may_manage, do_add_member, placement_errors
from beacon.orgs.events import record_event
from beacon.orgs.models import Department, Membership, Organization, Role, Team

INVITATION_DAYS = 7


def hash_token(token: str) -> str:
    # 256 random bits: a fast hash is enough, and the stored value is useless to a reader.
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return f"{settings.BASE_URL.rstrip('/')}/invite/{token}/"


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # only ever in the email; the database keeps its hash


class InvitationUnusable(Exception):
    """The link cannot be used; `reason` is one of the states in queries.invitation_state."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _new_token() -> tuple[str, str, dt.datetime]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token), clock.now() + dt.timedelta(days=INVITATION_DAYS)


def _send(invitation: Invitation, token: str, org: Organization) -> None:
    inviter = invitation.invited_by.display_name if invitation.invited_by else "An administrator"
    expires = invitation.expires_at.astimezone(org.zone).strftime("%-d %B %Y, %H:%M")
    text = (
        f"{inviter} invited you to join {org.name} on Beacon"
        f" as {invitation.get_role_display()}.\n\n"
        f"Open this link to set your password and sign in:\n{invitation_url(token)}\n\n"
        f"The link works once and expires on {expires} ({org.timezone}).\n"
        "If you did not expect this invitation you can ignore this email.\n"
    )
    do_queue_email(
        org.pk,
        to=invitation.email,
        subject=f"You are invited to {org.name} on Beacon",
        text=text,
        cause=invitation,
        key=f"invitation:{invitation.pk}:{invitation.sent_count}",
    )


def _check_invitee(org: Organization, email: str) -> None:
    member = Membership.objects.for_org(org).filter(user__username=email).first()
    if member is None:
        return
    if member.deactivated_at is not None:
        raise ValidationFailed(
            {"email": f"{email} was deactivated; reactivate them from the members list"}
        )
    raise ValidationFailed({"email": f"{email} is already a member of {org.name}"})


def _close_expired(org: Organization, email: str) -> None:
    """An expired invitation no longer blocks a new one to the same address."""
    Invitation.objects.for_org(org).filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=clock.now()
    ).update(revoked_at=clock.now())


@transaction.atomic
def do_invite(
    org: Organization,
    email: str,
    *,
    role: str,
    display_name: str = "",
    department: Department | None = None,
    team: Team | None = None,
    actor: Membership | None = None,
) -> IssuedInvitation:
    email = email.strip().lower()
    errors: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "must be an email address"
    if role not in Role.values:
        errors["role"] = f"must be one of {', '.join(Role.values)}"
    errors |= placement_errors(org.pk, department, team)
    if errors:
        raise ValidationFailed(errors)
    check_may_manage(actor, Role.VIEWER, role)
    _check_invitee(org, email)
    _close_expired(org, email)
    token, token_hash, expires_at = _new_token()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=org,
                email=email,
                role=role,
                display_name=display_name.strip()[:200],
                department=department,
                team=team,
                token_hash=token_hash,
                invited_by=actor,
                expires_at=expires_at,
            )
    except IntegrityError:
        raise ValidationFailed(
            {"email": f"{email} has already been invited; resend the invitation from the list"}
        ) from None
    record_event(org, InvitationEvent.SENT, invitation, actor=actor, email=email, role=role)
    _send(invitation, token, org)
    return IssuedInvitation(invitation, token)


def _open(invitation: Invitation) -> Invitation | None:
    return (
        Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("organization", "invited_by")
        .first()
    )


@transaction.atomic
def do_resend_invitation(
    invitation: Invitation, *, actor: Membership | None = None
) -> IssuedInvitation:
    """A new link, valid for another 7 days; the old link stops working."""
    token, token_hash, expires_at = _new_token()
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(token_hash=token_hash, expires_at=expires_at, sent_count=F("sent_count") + 1)
    fresh = _open(invitation)
    if not updated or fresh is None:
        raise ValidationFailed({"invitation": "was already accepted or revoked"})
    record_event(fresh.organization_id, InvitationEvent.RESENT, fresh, actor=actor)
    _send(fresh, token, fresh.organization)
    return IssuedInvitation(fresh, token)


@transaction.atomic
def do_revoke_invitation(invitation: Invitation, *, actor: Membership | None = None) -> None:
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=clock.now())
    if not revoked:
        raise ValidationFailed({"invitation": "was already accepted or revoked"})
    record_event(invitation.organization_id, InvitationEvent.REVOKED, invitation, actor=actor)


@transaction.atomic
def do_accept_invitation(
    invitation: Invitation,
    *,
    password: str | None,
    user: User | None = None,
    display_name: str = "",
) -> Membership:
    """Use the link once: the invitee becomes a member with the invited role.

    A new person gives `password` (validated by the caller's form); someone who already
    has an account is signed in as `user`, whose email must be the invited one.
    """
    from beacon.members.queries import has_account, invitation_state

    state = invitation_state(invitation)
    if state != "open":
        raise InvitationUnusable(state)
    if user is not None and user.username != invitation.email:
        raise InvitationUnusable("other_account")
    if user is None and has_account(invitation.email):
        # Setting a password here would replace the account's own: sign in instead.
        raise InvitationUnusable("sign_in")
    # The conditional UPDATE is the single use: of two tabs submitting at once, one wins.
    used = Invitation.objects.filter(
        pk=invitation.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=clock.now(),
    ).update(accepted_at=clock.now())
    if not used:
        raise InvitationUnusable(invitation_state(Invitation.objects.get(pk=invitation.pk)))
    member = do_add_member(
        invitation.organization,
        invitation.email,
        role=invitation.role,
        display_name=display_name.strip()
        or invitation.display_name
        or invitation.email.split("@")[0],
        password=password if user is None else None,
        team=invitation.team,
        department=invitation.department,
        actor=invitation.invited_by,
    )
    Invitation.objects.filter(pk=invitation.pk).update(membership=member)
    record_event(member.organization_id, InvitationEvent.ACCEPTED, invitation, actor=member)
    return member


# ------------------------------------------------------------------ handover


@transaction.atomic
def do_hand_over(kind: str, item: Any, to: Membership, *, actor: Membership) -> None:
    """Give one item of a deactivated (or any) member's open work to an active member."""
    if to.organization_id != item.organization_id:
        raise ValidationFailed({"to": "belongs to another organisation"})
    if to.deactivated_at is not None:
        raise ValidationFailed({"to": f"{to.display_name} is deactivated"})
    reason = "handed over by " + actor.display_name
    if kind == "case":
        do_reassign(item, to, reason, actor=actor)
    elif kind == "action":
        do_reassign_action(item, to, reason, actor=actor)
    elif kind == "stage":
        do_set_stage_owner(item, to, actor=actor)
    elif kind == "need":
        do_set_need_owner(item, to, actor=actor)
    elif kind == "alert_rule":
        AlertRule.objects.filter(pk=item.pk).update(notify=to)
        item.notify = to
        record_event(
            item.organization_id,
            HandoverEvent.ALERT_RULE_NOTIFY_SET,
            item,
            actor=actor,
            notify=to.pk,
        )
    else:
        raise ValidationFailed({"kind": f"unknown kind of work {kind!r}"})


@transaction.atomic
def do_hand_over_all(member: Membership, to: Membership, *, actor: Membership) -> int:
    """Everything the member still holds goes to `to`; returns how many items moved."""
    from beacon.members.queries import open_work

    items = open_work(member)
    for item in items:
        do_hand_over(item.kind, item.obj, to, actor=actor)
    return len(items)
