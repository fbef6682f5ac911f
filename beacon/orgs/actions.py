"""Every write to organisations, members, teams and API keys."""

from __future__ import annotations

import functools
import hashlib
import secrets
import zoneinfo
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.orgs.events import (
    apikey_created,
    apikey_revoked,
    member_added,
    org_created,
    org_updated,
    team_created,
    team_lead_set,
)
from beacon.orgs.models import ApiKey, Membership, Organization, Role, Team, is_brand_color

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


@transaction.atomic
def do_add_member(
    org: Organization,
    email: str,
    *,
    role: str,
    display_name: str,
    password: str | None = None,
    team: Team | None = None,
    actor: Membership | None = None,
) -> Membership:
    errors: dict[str, str] = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = "must be an email address"
    if role not in Role.values:
        errors["role"] = f"must be one of {', '.join(Role.values)}"
    if not display_name.strip():
        errors["display_name"] = "must not be empty"
    if team is not None and team.organization_id != org.pk:
        errors["team"] = "belongs to another organisation"
    if errors:
        raise ValidationFailed(errors)
    user = _get_or_create_user(email, password)
    try:
        with transaction.atomic():
            member = Membership.objects.create(
                organization=org, user=user, role=role, team=team, display_name=display_name
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
    org: Organization, name: str, *, actor: Membership | None = None
) -> IssuedKey:
    if not name.strip():
        raise ValidationFailed({"name": "must not be empty"})
    prefix = secrets.token_hex(4)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        organization=org,
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_api_key(secret),
        created_by=actor,
    )
    apikey_created(org, key, actor=actor)
    return IssuedKey(key=key, secret=secret)


@transaction.atomic
def do_revoke_api_key(key: ApiKey, *, actor: Membership | None = None) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
    apikey_revoked(key.organization_id, key, actor=actor)
