"""Themes an organisation names and the starter sets it may adopt.

Shared by reasons for contact (reasons.py): a named item with a description and example
phrases, unique by name in the organisation. Web-safe: loads no text engine.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import transaction

from beacon.core.errors import ValidationFailed
from beacon.core.jobs import enqueue_on_commit
from beacon.insights.events import theme_created, theme_updated
from beacon.insights.models import (
    ContactReason,
    Theme,
)
from beacon.insights.starters import STARTERS
from beacon.insights.tasks import train_themes_task
from beacon.orgs.models import Membership, Organization

MAX_PHRASES = 50
A_THEME = "a theme"
Named = TypeVar("Named", Theme, ContactReason)


def clean_phrases(phrases: list[str] | None) -> list[str]:
    seen: list[str] = []
    for p in phrases or []:
        p = " ".join(str(p).split())[:200]
        if p and p not in seen:
            seen.append(p)
    return seen[:MAX_PHRASES]


def check_named(
    model: type[Theme] | type[ContactReason],
    org: Organization | int,
    name: str,
    description: str,
    *,
    exclude: Theme | ContactReason | None,
    what: str,
) -> dict[str, str]:
    """Name required, at most 100 characters and unique in the organisation (any case)."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "is required"
    elif len(name) > 100:
        errors["name"] = "must be at most 100 characters"
    else:
        clash = model.objects.for_org(org).filter(name__iexact=name)
        if exclude is not None:
            clash = clash.exclude(pk=exclude.pk)
        if clash.exists():
            errors["name"] = f"{what} with this name already exists"
    if len(description) > 2000:
        errors["description"] = "must be at most 2000 characters"
    return errors


def create_named(
    model: type[Named],
    org: Organization,
    name: str,
    description: str,
    phrases: list[str] | None,
    *,
    what: str,
    **fields: str,
) -> Named:
    """A new theme or reason, checked; the caller records the event."""
    errors = check_named(model, org, name, description, exclude=None, what=what)
    if errors:
        raise ValidationFailed(errors)
    return model.objects.create(
        organization=org,
        name=name.strip(),
        description=description.strip(),
        phrases=clean_phrases(phrases),
        **fields,
    )


def update_named(
    item: Named,
    name: str,
    description: str,
    phrases: list[str] | None,
    active: bool,
    *,
    what: str,
) -> None:
    """Rename, describe or (de)activate a theme or reason, checked."""
    org = item.organization_id
    errors = check_named(type(item), org, name, description, exclude=item, what=what)
    if errors:
        raise ValidationFailed(errors)
    item.name = name.strip()
    item.description = description.strip()
    item.phrases = clean_phrases(phrases)
    item.active = active
    item.save(update_fields=["name", "description", "phrases", "active"])


@transaction.atomic
def do_create_theme(
    org: Organization,
    name: str,
    description: str = "",
    phrases: list[str] | None = None,
    *,
    starter: str = "",
    actor: Membership | None = None,
) -> Theme:
    theme = create_named(Theme, org, name, description, phrases, what=A_THEME, starter=starter)
    theme_created(org, theme, actor=actor, name=theme.name)
    queue_training(org.pk)
    return theme


@transaction.atomic
def do_update_theme(
    theme: Theme,
    *,
    name: str,
    description: str,
    phrases: list[str] | None,
    active: bool = True,
    actor: Membership | None = None,
) -> Theme:
    update_named(theme, name, description, phrases, active, what=A_THEME)
    theme_updated(theme.organization_id, theme, actor=actor, name=theme.name)
    queue_training(theme.organization_id)
    return theme


@transaction.atomic
def do_adopt_starter(
    org: Organization, industry: str, *, actor: Membership | None = None
) -> list[Theme]:
    """Add the starter themes the organisation does not have yet (by name); keep its edits."""
    if industry not in STARTERS:
        raise ValidationFailed({"industry": f"must be one of {', '.join(sorted(STARTERS))}"})
    have = {n.lower() for n in Theme.objects.for_org(org).values_list("name", flat=True)}
    created = []
    for item in STARTERS[industry]:
        if item["name"].lower() in have:
            continue
        created.append(
            do_create_theme(
                org,
                item["name"],
                item["description"],
                item["phrases"],
                starter=industry,
                actor=actor,
            )
        )
    return created


def queue_training(org_id: int) -> None:
    """Themes changed: the worker retrains (once, however many changes are queued)."""
    enqueue_on_commit(train_themes_task, org_id)
