"""The tenancy root: organisations, their members, teams, API keys and the event log."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models

from beacon.core.models import TenantModel

DEFAULT_BRAND = "#0b5cad"
# The brand colour lands in inline CSS (staff pages, respondent pages, emails): anything but
# a plain hex colour is refused on save and ignored on read, so it can never inject CSS.
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def is_brand_color(value: str) -> bool:
    return bool(_HEX_COLOR.fullmatch(value or ""))


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    brand_color = models.CharField(max_length=7, default=DEFAULT_BRAND)
    # Below this many answers a metric is shown as "not enough answers".
    min_sample_size = models.PositiveIntegerField(default=30)
    # An IANA zone name: members' "today" and the hour their digest goes out are local.
    timezone = models.CharField(max_length=64, default="UTC")
    # Staff digests go out once the organisation's local time has passed this hour.
    digest_hour = models.PositiveSmallIntegerField(default=6)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__lte=23), name="org_digest_hour_in_day"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def safe_brand_color(self) -> str:
        """The brand colour to put in CSS: the stored one if it is a plain hex colour."""
        return self.brand_color if is_brand_color(self.brand_color) else DEFAULT_BRAND


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    ANALYST = "analyst", "Analyst"
    AGENT = "agent", "Agent"
    VIEWER = "viewer", "Viewer"


# What each role may do; a role includes the permissions of the roles after it.
ROLE_RANK = {Role.OWNER: 5, Role.ADMIN: 4, Role.ANALYST: 3, Role.AGENT: 2, Role.VIEWER: 1}


class Team(TenantModel):
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    lead = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


# The starting list every organisation gets; each organisation edits its own copy.
DEFAULT_DEPARTMENTS = ("Product", "Marketing", "Sales", "Service", "Operations", "Other")


class Department(TenantModel):
    """Where in the company a member works: everyone sees the customer, not only service."""

    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="department_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    display_name = models.CharField(max_length=200)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    # A deactivated member keeps their history (authorship, events) but may no longer act:
    # the membership is never chosen as the current one and their requests are refused.
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def email(self) -> str:
        return str(self.user.email)

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    def has_role(self, at_least: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(at_least)]


class Scope(models.TextChoices):
    """What an API key may do: reads (GET), writes, and managing members and keys."""

    READ = "read", "Read"
    WRITE = "write", "Write"
    ADMIN = "admin", "Admin (members and keys)"


def default_scopes() -> list[str]:
    # Keys made before scopes existed, and keys made in the shell, read and write.
    return [Scope.READ, Scope.WRITE]


class ApiKey(TenantModel):
    name = models.CharField(max_length=100)
    # The first characters identify the key in lists; only the hash of the secret is stored.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=default_scopes)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class Event(TenantModel):
    """What happened, who did it, to what: every do_* write records one."""

    actor = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=60)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "subject_type", "subject_id"]),
            # The audit log pages an organisation's events newest first.
            models.Index(fields=["organization", "-id"], name="event_org_recent"),
        ]
