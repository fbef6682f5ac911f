"""Members, invitations, API keys and the audit log: the `admin` scope's endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, TypeVar, cast

from django.db import models, transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from beacon.api.auth import ApiKeyAuth, actor_of, org_of
from beacon.api.schemas import ErrorOut, In, QueryId, Text, ValidationErrorOut
from beacon.core.errors import NotFound, ValidationFailed
from beacon.members.actions import (
    do_invite,
    do_resend_invitation,
    do_revoke_invitation,
)
from beacon.members.models import Invitation
from beacon.members.queries import members as org_members
from beacon.members.queries import open_invitations
from beacon.orgs.actions import (
    do_change_role,
    do_create_api_key,
    do_deactivate_member,
    do_place_member,
    do_reactivate_member,
    do_revoke_api_key,
)
from beacon.orgs.models import (
    ApiKey,
    Department,
    Event,
    Membership,
    Organization,
    Scope,
    Team,
)
from beacon.orgs.queries import AuditFilter, audit_events
from beacon.orgs.queries import api_keys as org_keys

T = TypeVar("T", bound=models.Model)

router = Router(tags=["members and keys"], auth=ApiKeyAuth(Scope.ADMIN))

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}
RoleName = Literal["owner", "admin", "analyst", "agent", "viewer"]
ScopeName = Literal["read", "write", "admin"]


class MemberOut(Schema):
    id: int
    email: str
    display_name: str
    role: str
    department_id: int | None
    department: str | None
    team_id: int | None
    last_sign_in: dt.datetime | None
    active: bool
    deactivated_at: dt.datetime | None


class MemberPatchIn(In):
    role: RoleName | None = None
    # Send null to clear; leave out to keep.
    department_id: QueryId | None = None
    team_id: QueryId | None = None
    active: bool | None = None


class MemberInvitationIn(In):
    email: Annotated[Text, Field(min_length=3, max_length=254)]
    role: RoleName = "viewer"
    display_name: Annotated[Text, Field(max_length=200)] = ""
    department_id: QueryId | None = None
    team_id: QueryId | None = None


class MemberInvitationOut(Schema):
    id: int
    email: str
    role: str
    expires_at: dt.datetime
    invited_by_id: int | None


class ApiKeyIn(In):
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    scopes: list[ScopeName] = Field(min_length=1, max_length=3)
    expires_at: AwareDatetime | None = None


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_by_id: int | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class IssuedKeyOut(ApiKeyOut):
    secret: str = Field(description="The key itself: shown in this answer only, never again.")


class AuditQuery(Schema):
    member_id: QueryId | None = None
    verb: Annotated[Text, Field(max_length=60)] = ""
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    cursor: QueryId | None = Field(None, description="`next_cursor` of the previous page.")
    limit: int = Field(100, ge=1, le=500)


class EventOut(Schema):
    id: int
    created_at: dt.datetime
    actor_id: int | None
    actor: str | None
    verb: str
    object_type: str
    object_id: int
    data: dict[str, object]


class EventPageOut(Schema):
    items: list[EventOut]
    next_cursor: str | None


def _member_out(m: Membership) -> MemberOut:
    return MemberOut(
        id=m.pk,
        email=m.user.email,
        display_name=m.display_name,
        role=m.role,
        department_id=m.department_id,
        department=m.department.name if m.department else None,
        team_id=m.team_id,
        last_sign_in=m.user.last_login,
        active=m.deactivated_at is None,
        deactivated_at=m.deactivated_at,
    )


def _key_out(k: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=k.pk,
        name=k.name,
        prefix=k.prefix,
        scopes=list(k.scopes),
        created_by_id=k.created_by_id,
        created_at=k.created_at,
        last_used_at=k.last_used_at,
        expires_at=k.expires_at,
        revoked_at=k.revoked_at,
    )


def _own(org: Organization, model: type[Department] | type[Team], pk: int | None, field: str):  # type: ignore[no-untyped-def]
    if pk is None:
        return None
    found = model.objects.for_org(org).filter(pk=pk).first()
    if found is None:
        raise ValidationFailed({field: "no such id in your organisation"})
    return found


def _member(org: Organization, member_id: int) -> Membership:
    found = org_members(org).filter(pk=member_id).first()
    if found is None:
        raise NotFound("no such member")
    return found


@router.get("/members", response={200: list[MemberOut], **ERRORS}, operation_id="listMembers",
            summary="List members")  # fmt: skip
def list_members(request: HttpRequest) -> list[MemberOut]:
    return [_member_out(m) for m in org_members(org_of(request))]


@router.patch(
    "/members/{member_id}",
    response={200: MemberOut, **ERRORS},
    operation_id="updateMember",
    summary="Change a member's role, department, team or activation",
    description=(
        "Only the fields sent change. A role above the key creator's own is refused (422); "
        "the last owner cannot be demoted or deactivated (409). `active: false` deactivates: "
        "the member's requests are refused at once."
    ),
)
def update_member(request: HttpRequest, member_id: QueryId, payload: MemberPatchIn) -> MemberOut:
    org = org_of(request)
    with transaction.atomic():  # all the fields sent change, or none
        _update_member(org, _member(org, member_id), payload, actor_of(request))
    return _member_out(_member(org, member_id))


def _update_member(
    org: Organization, member: Membership, payload: MemberPatchIn, actor: Membership | None
) -> None:
    sent = payload.model_fields_set
    if "department_id" in sent or "team_id" in sent:
        department = (
            _own(org, Department, payload.department_id, "department_id")
            if "department_id" in sent
            else member.department
        )
        team = _own(org, Team, payload.team_id, "team_id") if "team_id" in sent else member.team
        do_place_member(member, department=department, team=team, actor=actor)
    if payload.role is not None:
        do_change_role(member, payload.role, actor=actor)
    if payload.active is False:
        do_deactivate_member(member, actor=actor)
    elif payload.active is True:
        do_reactivate_member(member, actor=actor)


@router.get("/invitations", response={200: list[MemberInvitationOut], **ERRORS},
            operation_id="listInvitations", summary="List open invitations")  # fmt: skip
def list_invitations(request: HttpRequest) -> list[MemberInvitationOut]:
    return [_invitation_out(i) for i in open_invitations(org_of(request))]


def _invitation_out(i: Invitation) -> MemberInvitationOut:
    return MemberInvitationOut(
        id=i.pk, email=i.email, role=i.role, expires_at=i.expires_at, invited_by_id=i.invited_by_id
    )


@router.post(
    "/invitations",
    response={201: MemberInvitationOut, **ERRORS},
    operation_id="createInvitation",
    summary="Invite someone by email",
    description="Emails a single-use link valid for 7 days. Existing members are refused (422).",
)
def create_invitation(
    request: HttpRequest, payload: MemberInvitationIn
) -> Status[MemberInvitationOut]:
    org = org_of(request)
    issued = do_invite(
        org,
        payload.email,
        role=payload.role,
        display_name=payload.display_name,
        department=_own(org, Department, payload.department_id, "department_id"),
        team=_own(org, Team, payload.team_id, "team_id"),
        actor=actor_of(request),
    )
    return Status(201, _invitation_out(issued.invitation))


def _found(org: Organization, model: type[T], pk: int) -> T:
    """The organisation's row with this id; another organisation's id is unknown (404)."""
    found = model.objects.for_org(org).filter(pk=pk).first()  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(f"no such {model._meta.verbose_name}")
    return cast(T, found)


@router.post(
    "/invitations/{invitation_id}/resend",
    response={200: MemberInvitationOut, **ERRORS},
    operation_id="resendInvitation",
    summary="Send a new link (the old one stops working)",
)
def resend_invitation(request: HttpRequest, invitation_id: QueryId) -> MemberInvitationOut:
    invitation = _found(org_of(request), Invitation, invitation_id)
    return _invitation_out(do_resend_invitation(invitation, actor=actor_of(request)).invitation)


@router.delete("/invitations/{invitation_id}", response={204: None, **ERRORS},
               operation_id="revokeInvitation", summary="Revoke an invitation")  # fmt: skip
def revoke_invitation(request: HttpRequest, invitation_id: QueryId) -> Status[None]:
    do_revoke_invitation(
        _found(org_of(request), Invitation, invitation_id), actor=actor_of(request)
    )
    return Status(204, None)


@router.get("/api-keys", response={200: list[ApiKeyOut], **ERRORS}, operation_id="listApiKeys",
            summary="List API keys (never their secrets)")  # fmt: skip
def list_keys(request: HttpRequest) -> list[ApiKeyOut]:
    return [_key_out(k) for k in org_keys(org_of(request))]


@router.post(
    "/api-keys",
    response={201: IssuedKeyOut, **ERRORS},
    operation_id="createApiKey",
    summary="Create an API key",
    description="The answer holds the secret; Beacon keeps only its hash and never shows it again.",
)
def create_key(request: HttpRequest, payload: ApiKeyIn) -> Status[IssuedKeyOut]:
    issued = do_create_api_key(
        org_of(request),
        payload.name,
        scopes=payload.scopes,
        expires_at=payload.expires_at,
        actor=actor_of(request),
    )
    out = IssuedKeyOut(**_key_out(issued.key).model_dump(), secret=issued.secret)
    return Status(201, out)


@router.delete("/api-keys/{key_id}", response={204: None, **ERRORS}, operation_id="revokeApiKey",
               summary="Revoke an API key (refused from then on)")  # fmt: skip
def revoke_key(request: HttpRequest, key_id: QueryId) -> Status[None]:
    do_revoke_api_key(_found(org_of(request), ApiKey, key_id), actor=actor_of(request))
    return Status(204, None)


@router.get(
    "/audit",
    response={200: EventPageOut, **ERRORS},
    operation_id="listAuditEvents",
    summary="Read the audit log",
    description=(
        "Recorded events, **newest first**, at most `limit` (1-500) a page. When more exist "
        "`next_cursor` is set: pass it back as `cursor` for the next, older page. Filters: "
        "`member_id` (who did it), `verb` (e.g. `member.role_changed`), `since` (inclusive) "
        "and `until` (exclusive)."
    ),
)
def list_audit(request: HttpRequest, query: Query[AuditQuery]) -> EventPageOut:
    org = org_of(request)
    actor = None
    if query.member_id is not None:
        actor = Membership.objects.for_org(org).filter(pk=query.member_id).first()
        if actor is None:
            raise ValidationFailed({"member_id": "no such member in your organisation"})
    rows = audit_events(org, AuditFilter(actor, query.verb, query.since, query.until))
    if query.cursor is not None:
        rows = rows.filter(pk__lt=query.cursor)
    found = list(rows[: query.limit + 1])
    page, more = found[: query.limit], len(found) > query.limit
    return EventPageOut(items=[_event_out(e) for e in page],
                        next_cursor=str(page[-1].pk) if more else None)  # fmt: skip


def _event_out(e: Event) -> EventOut:
    return EventOut(
        id=e.pk,
        created_at=e.created_at,
        actor_id=e.actor_id,
        actor=e.actor.display_name if e.actor else None,
        verb=e.verb,
        object_type=e.subject_type,
        object_id=e.subject_id,
        data=e.data,
    )
