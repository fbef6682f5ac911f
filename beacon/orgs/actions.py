"""Every write to organisations, members, teams and API keys."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.orgs.events import (
    MemberEvent,
    apikey_created,
    apikey_revoked,
    member_added,
    org_created,
    org_updated,
    record_event,
    team_created,
    team_lead_set,
)
from beacon.orgs.models import (
    DEFAULT_DEPARTMENTS,
    ROLE_RANK,
    ApiKey,
    Department,
    Membership,
    Organization,
    Role,
    Scope,
    Team,
    default_scopes,
    is_brand_color,
)

API_KEY_PREFIX = "bk_"


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA zone names this machine knows (the system's or the tzdata package's)."""
    return frozenset(zoneinfo.available_timezones())


def hash_api_key(secret: str) -> str:
    # The secret has 256 bits of entropy, so a fast hash is enough (no brute force).
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def do_create_organization(name: str, slug: str | None = None) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": "must not be empty"})
    slug = slugify(slug or name)[:60]
    if not slug:
        raise ValidationFailed({"slug": "must contain letters or digits"})
    try:
        with transaction.atomic():
            org = Organization.objects.create(name=name, slug=slug)
    except IntegrityError:
        raise Conflict(f"an organisation with slug {slug!r} already exists") from None
    org_created(org, name=name)
    Department.objects.bulk_create(
        Department(organization=org, name=dept) for dept in DEFAULT_DEPARTMENTS
    )
    return org


def _get_or_create_user(email: str, password: str | None) -> User:
    email = email.strip().lower()
    user, created = User.objects.get_or_create(username=email, defaults={"email": email})
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def placement_errors(
    org_id: int, department: Department | None, team: Team | None
) -> dict[str, str]:
    """A department or team must be the member's own organisation's."""
    return {
        field: "belongs to another organisation"
        for field, row in (("department", department), ("team", team))
        if row is not None and row.organization_id != org_id
    }


@transaction.atomic
def do_add_member(
    org: Organization,
    email: str,
    *,
    role: str,
    display_name: str,
    password: str | None = None,
    team: Team | None = None,
    department: Department | None = None,
    actor: Membership | None = None,
) -> Membership:
    errors: dict[str, str] = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = "must be an email address"
    if role not in Role.values:
        errors["role"] = f"must be one of {', '.join(Role.values)}"
    if not display_name.strip():
        errors["display_name"] = "must not be empty"
    errors |= placement_errors(org.pk, department, team)
    if errors:
        raise ValidationFailed(errors)
    user = _get_or_create_user(email, password)
    try:
        with transaction.atomic():
            member = Membership.objects.create(
                organization=org,
                user=user,
                role=role,
                team=team,
                department=department,
                display_name=display_name,
            )
    except IntegrityError:
        raise Conflict(f"{email} is already a member of {org.name}") from None
    member_added(org, member, actor=actor, role=role)
    return member


@transaction.atomic
def do_update_organization(
    org: Organization,
    *,
    name: str | None = None,
    brand_color: str | None = None,
    min_sample_size: int | None = None,
    timezone: str | None = None,
    digest_hour: int | None = None,
    actor: Membership | None = None,
) -> Organization:
    errors: dict[str, str] = {}
    if timezone is not None and timezone not in time_zones():
        errors["timezone"] = "must be a time zone name such as Europe/London or UTC"
    if digest_hour is not None and not 0 <= digest_hour <= 23:
        errors["digest_hour"] = "must be an hour between 0 and 23"
    if name is not None and not name.strip():
        errors["name"] = "must not be empty"
    if brand_color is not None and not is_brand_color(brand_color):
        errors["brand_color"] = "must be a colour like #0b5cad"
    if min_sample_size is not None and not 1 <= min_sample_size <= 10_000:
        errors["min_sample_size"] = "must be between 1 and 10000"
    if errors:
        raise ValidationFailed(errors)
    changes = {
        k: v
        for k, v in (
            ("name", name),
            ("brand_color", brand_color),
            ("min_sample_size", min_sample_size),
            ("timezone", timezone),
            ("digest_hour", digest_hour),
        )
        if v is not None
    }
    for field, value in changes.items():
        setattr(org, field, value)
    org.save(update_fields=list(changes))
    org_updated(org, actor=actor, **changes)
    return org


@transaction.atomic
def do_create_team(
    org: Organization,
    name: str,
    *,
    parent: Team | None = None,
    lead: Membership | None = None,
    actor: Membership | None = None,
) -> Team:
    if not name.strip():
        raise ValidationFailed({"name": "must not be empty"})
    if parent is not None and parent.organization_id != org.pk:
        raise ValidationFailed({"parent": "belongs to another organisation"})
    team = Team.objects.create(organization=org, name=name.strip(), parent=parent, lead=lead)
    team_created(org, team, actor=actor)
    return team


@transaction.atomic
def do_set_team_lead(team: Team, lead: Membership, *, actor: Membership | None = None) -> Team:
    if lead.organization_id != team.organization_id:
        raise ValidationFailed({"lead": "belongs to another organisation"})
    Team.objects.filter(pk=team.pk).update(lead=lead)
    team.lead = lead
    team_lead_set(team.organization_id, team, actor=actor, lead=lead.pk)
    return team


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once to the person who created it, never stored


@transaction.atomic
def do_create_api_key(
    org: Organization,
    name: str,
    *,
    scopes: Iterable[str] | None = None,
    expires_at: dt.datetime | None = None,
    actor: Membership | None = None,
) -> IssuedKey:
    chosen = sorted(set(scopes)) if scopes is not None else default_scopes()
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "must not be empty"
    elif len(name.strip()) > 100:
        errors["name"] = "must be at most 100 characters"
    if not chosen:
        errors["scopes"] = "choose at least one scope"
    elif unknown := [s for s in chosen if s not in Scope.values]:
        errors["scopes"] = f"unknown scope {unknown[0]!r}; use {', '.join(Scope.values)}"
    if expires_at is not None and expires_at <= clock.now():
        errors["expires_at"] = "must be in the future"
    if errors:
        raise ValidationFailed(errors)
    prefix = secrets.token_hex(4)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        organization=org,
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_api_key(secret),
        created_by=actor,
        scopes=chosen,
        expires_at=expires_at,
    )
    apikey_created(org, key, actor=actor, scopes=chosen)
    return IssuedKey(key=key, secret=secret)


@transaction.atomic
def do_revoke_api_key(key: ApiKey, *, actor: Membership | None = None) -> None:
    revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    if revoked:  # revoking twice records nothing the second time
        apikey_revoked(key.organization_id, key, actor=actor)


# ------------------------------------------------------------------ members


def rank(role: str) -> int:
    return ROLE_RANK[Role(role)]


def check_may_manage(actor: Membership | None, target_role: str, new_role: str | None) -> None:
    """A member never grants a role above their own nor changes someone ranked above them.

    `actor` None is the shell (`beacon createuser`), which may do anything.
    """
    if actor is None:
        return
    if new_role is not None and new_role in Role.values and rank(new_role) > rank(actor.role):
        raise ValidationFailed({"role": f"you cannot grant a role above your own ({actor.role})"})
    if rank(target_role) > rank(actor.role):
        raise ValidationFailed({"member": f"only an {target_role} can change an {target_role}"})


def _lock_memberships(org_id: int) -> None:
    """Serialise role and activation changes of one organisation.

    The last-owner rule reads other rows ("is another owner left?") before writing this one;
    two owners demoting each other at once could both see the other and leave none. Writing
    the organisation row takes a lock both databases hold until commit (a row lock on
    PostgreSQL, the write lock on SQLite), so the second change reads after the first.
    """
    Organization.objects.filter(pk=org_id).update(name=F("name"))


def _would_leave_no_owner(member: Membership) -> bool:
    if member.role != Role.OWNER or member.deactivated_at is not None:
        return False
    others = Membership.objects.for_org(member.organization_id).filter(
        role=Role.OWNER, deactivated_at__isnull=True
    )
    return not others.exclude(pk=member.pk).exists()


@transaction.atomic
def do_change_role(member: Membership, role: str, *, actor: Membership | None = None) -> Membership:
    if role not in Role.values:
        raise ValidationFailed({"role": f"must be one of {', '.join(Role.values)}"})
    _lock_memberships(member.organization_id)
    member.refresh_from_db(fields=["role", "deactivated_at"])
    check_may_manage(actor, member.role, role)
    if role == member.role:
        return member
    if role != Role.OWNER and _would_leave_no_owner(member):
        raise Conflict("the last owner cannot be demoted: make someone else owner first")
    previous = member.role
    Membership.objects.filter(pk=member.pk).update(role=role)
    member.role = role
    record_event(
        member.organization_id, MemberEvent.ROLE_CHANGED, member, actor=actor, frm=previous, to=role
    )
    return member


@transaction.atomic
def do_deactivate_member(member: Membership, *, actor: Membership | None = None) -> Membership:
    _lock_memberships(member.organization_id)
    member.refresh_from_db(fields=["role", "deactivated_at"])
    check_may_manage(actor, member.role, None)
    if actor is not None and actor.pk == member.pk:
        raise ValidationFailed({"member": "you cannot deactivate yourself"})
    if member.deactivated_at is not None:
        return member
    if _would_leave_no_owner(member):
        raise Conflict("the last owner cannot be deactivated: make someone else owner first")
    now = clock.now()
    Membership.objects.filter(pk=member.pk, deactivated_at__isnull=True).update(deactivated_at=now)
    member.deactivated_at = now
    record_event(member.organization_id, MemberEvent.DEACTIVATED, member, actor=actor)
    return member


@transaction.atomic
def do_reactivate_member(member: Membership, *, actor: Membership | None = None) -> Membership:
    _lock_memberships(member.organization_id)
    member.refresh_from_db(fields=["role", "deactivated_at"])
    check_may_manage(actor, member.role, None)
    if member.deactivated_at is None:
        return member
    Membership.objects.filter(pk=member.pk).update(deactivated_at=None)
    member.deactivated_at = None
    record_event(member.organization_id, MemberEvent.REACTIVATED, member, actor=actor)
    return member


@transaction.atomic
def do_place_member(
    member: Membership,
    *,
    department: Department | None,
    team: Team | None,
    actor: Membership | None = None,
) -> Membership:
    """Set the member's department and team (None clears either)."""
    if errors := placement_errors(member.organization_id, department, team):
        raise ValidationFailed(errors)
    Membership.objects.filter(pk=member.pk).update(department=department, team=team)
    member.department, member.team = department, team
    record_event(
        member.organization_id,
        MemberEvent.PLACED,
        member,
        actor=actor,
        department=department.pk if department else None,
        team=team.pk if team else None,
    )
    return member


def _department_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": "must not be empty"})
    if len(name) > 100:
        raise ValidationFailed({"name": "must be at most 100 characters"})
    return name


@transaction.atomic
def do_add_department(
    org: Organization, name: str, *, actor: Membership | None = None
) -> Department:
    name = _department_name(name)
    try:
        with transaction.atomic():
            dept = Department.objects.create(organization=org, name=name)
    except IntegrityError:
        raise ValidationFailed({"name": f"there is already a department called {name}"}) from None
    record_event(org, MemberEvent.DEPARTMENT_ADDED, dept, actor=actor, name=name)
    return dept


@transaction.atomic
def do_rename_department(
    dept: Department, name: str, *, actor: Membership | None = None
) -> Department:
    name = _department_name(name)
    previous = dept.name
    try:
        with transaction.atomic():
            Department.objects.filter(pk=dept.pk).update(name=name)
    except IntegrityError:
        raise ValidationFailed({"name": f"there is already a department called {name}"}) from None
    dept.name = name
    record_event(
        dept.organization_id,
        MemberEvent.DEPARTMENT_RENAMED,
        dept,
        actor=actor,
        frm=previous,
        to=name,
    )
    return dept


@transaction.atomic
def do_remove_department(dept: Department, *, actor: Membership | None = None) -> None:
    """Members of the department keep their membership with no department."""
    record_event(
        dept.organization_id, MemberEvent.DEPARTMENT_REMOVED, dept, actor=actor, name=dept.name
    )
    Department.objects.filter(pk=dept.pk).delete()
