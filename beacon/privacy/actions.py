"""Every write of privacy: erasing a contact, the retention setting and its job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q

from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.redacted import ERASED, EXPIRED
from beacon.loop.models import Case, CaseEvent
from beacon.orgs.models import Event, Membership, Organization
from beacon.privacy.events import (
    contact_erased,
    contact_exported,
    retention_applied,
    retention_set,
)
from beacon.privacy.models import MAX_RETENTION_MONTHS, Erasure, PrivacySettings
from beacon.privacy.redaction import TextScope, redact_free_text
from beacon.responses.models import RollupAttribute


def erased_external_id(contact_id: int) -> str:
    # Unique per organisation like any external id; an integration that sends the old id
    # again makes a new contact, which is what erasure asks.
    return f"erased-{contact_id}"


def _scrubbed(value: Any, personal: list[str]) -> Any:
    """`value` (JSON) with every string that holds a personal value replaced by ERASED."""
    if isinstance(value, dict):
        return {k: _scrubbed(v, personal) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, personal) for v in value]
    if isinstance(value, str) and any(p.lower() in value.lower() for p in personal):
        return ERASED
    return value


def _without(text: str, personal: list[str]) -> str:
    for p in personal:
        text = text.replace(p, ERASED)
    return text


def _erase_case_titles_and_logs(contact: Contact, personal: list[str]) -> None:
    """Case titles name the customer; case events and the audit trail may hold their email
    (a reply's address). Few rows per contact: read, scrub, write back what changed."""
    cases = Case.objects.filter(organization_id=contact.organization_id, contact=contact)
    for case_id, title in cases.values_list("pk", "title"):
        if (new := _without(title, personal)) != title:
            Case.objects.filter(pk=case_id).update(title=new)
    events = CaseEvent.objects.filter(case__in=cases)
    for event_id, data in events.values_list("pk", "data"):
        if (new_data := _scrubbed(data, personal)) != data:
            CaseEvent.objects.filter(pk=event_id).update(data=new_data)
    subjects = Q(subject_type="contacts.contact", subject_id=contact.pk) | Q(
        subject_type="loop.case", subject_id__in=cases.values("pk")
    )
    audit = Event.objects.filter(organization_id=contact.organization_id).filter(subjects)
    for event_id, data in audit.values_list("pk", "data"):
        if (new_data := _scrubbed(data, personal)) != data:
            Event.objects.filter(pk=event_id).update(data=new_data)


def _kept_attributes(contact: Contact) -> dict[str, Any]:
    """Only the attributes scores are broken down by (plan, region...): a later recount of
    the rollups must put the contact's old answers in the same cells."""
    keys = set(
        RollupAttribute.objects.for_org(contact.organization_id).values_list("key", flat=True)
    )
    return {k: v for k, v in (contact.attributes or {}).items() if k in keys}


@transaction.atomic
def do_erase_contact(contact: Contact, *, actor: Membership | None = None) -> Erasure:
    """Erase a contact's personal data and everything they or staff wrote about them.

    Scores, rollups, sentiment and themes stay, so every metric is unchanged. Safe to run
    again (a message that was being sent during the first run is redacted by the second);
    the event is recorded once, without the erased data.
    """
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    personal = [v for v in (contact.name, contact.email, contact.external_id) if v]
    scope = TextScope(
        contact.organization_id, contact_id=contact.pk, email=contact.email, personal=(*personal,)
    )
    rows = sum(redact_free_text(scope, ERASED).values())
    _erase_case_titles_and_logs(contact, personal)
    Interaction.objects.filter(contact=contact).exclude(attributes={}).update(attributes={})
    Contact.objects.filter(pk=contact.pk).update(
        name="",
        email="",
        external_id=erased_external_id(contact.pk),
        attributes=_kept_attributes(contact),
    )
    erasure, created = Erasure.objects.get_or_create(
        organization_id=contact.organization_id, contact=contact, defaults={"erased_by": actor}
    )
    if created:
        contact_erased(contact.organization_id, contact, actor=actor, rows=rows)
    return erasure


def do_log_contact_export(contact: Contact, *, actor: Membership | None = None) -> Event:
    """A contact's data left Beacon (a subject access request): who took it, when."""
    return contact_exported(contact.organization_id, contact, actor=actor)


# --- retention ---------------------------------------------------------------------------------


def check_retention_months(months: int | None) -> None:
    if months is not None and not 1 <= months <= MAX_RETENTION_MONTHS:
        raise ValidationFailed(
            {"retention_months": f"must be between 1 and {MAX_RETENTION_MONTHS} months, or empty"}
        )


@transaction.atomic
def do_set_retention(
    org: Organization, months: int | None, *, actor: Membership | None = None
) -> PrivacySettings:
    check_retention_months(months)
    stored, _ = PrivacySettings.objects.update_or_create(
        organization=org, defaults={"retention_months": months}
    )
    retention_set(org, stored, actor=actor, months=months)
    return stored


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day when
    that month is shorter: 31 March less one month is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def do_apply_retention(org_id: int) -> int:
    """Redact the organisation's free text older than its retention period; rows changed.

    Runs in the bulk worker in batches (each a conditional UPDATE in its own transaction),
    so a large backlog never holds a long lock and a second run at once does no harm.
    """
    stored = PrivacySettings.objects.filter(organization_id=org_id).first()
    if stored is None or stored.retention_months is None:
        return 0
    before = months_before(clock.now(), stored.retention_months)
    rows = sum(redact_free_text(TextScope(org_id, before=before), EXPIRED).values())
    with transaction.atomic():
        PrivacySettings.objects.filter(pk=stored.pk).update(retention_applied_at=clock.now())
        if rows:
            retention_applied(org_id, stored, before=before.isoformat(), rows=rows)
    return rows
