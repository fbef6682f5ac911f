""" "You said, we did": every write to the updates customers receive about an action.

Drafts are written from the organisation's template in the customer's language (never
from the action's internal title), proposed only when the action's metric shows it helped
or its owner confirms with a reason, approved one by one or in bulk, and handed to the
outbox by a periodic job at the organisation's rate (docs/adr/0013-you-said-we-did-at-scale.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string

from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.insights.models import Theme
from beacon.loop.events import (
    action_drafted,
    customer_update_approved,
    customer_update_discarded,
    customer_update_edited,
    customer_update_settings,
    customer_update_template,
    customer_updates_approved,
    customer_updates_confirmed,
    customer_updates_queued,
)
from beacon.loop.models import (
    Action,
    ActionStatus,
    CustomerUpdate,
    CustomerUpdateSettings,
    CustomerUpdateStatus,
    CustomerUpdateTemplate,
    UpdateChannel,
)
from beacon.loop.queries import first_reachable, raised_by_ids, reachable
from beacon.notifications.actions import do_queue_email
from beacon.orgs.models import Membership, Role
from beacon.surveys.distribution import LANGUAGES, unsubscribe_url
from beacon.surveys.models import Invitation

MAX_SUBJECT = 300
MAX_TEXT = 10_000
MAX_REASON = 2_000
DEFAULT_PER_MINUTE = 60
MAX_PER_MINUTE = 10_000
RATE_WINDOW = dt.timedelta(minutes=1)
DEFAULT_LANGUAGE = "en"

# ------------------------------------------------------------------ templates

PLACEHOLDERS: dict[str, str] = {
    "first_name": "the customer's first name (left out when unknown)",
    "what_you_told_us": "what customers told us, in their words (else the theme's name)",
    "what_we_changed": "what we changed, in customers' words (the action's public summary)",
    "organisation": "the organisation's name",
}

# A leading space goes with the placeholder, so an unknown first name leaves "Hello,".
_PLACEHOLDER = re.compile(r"( ?)\{([^{}]*)\}")


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


DEFAULT_TEMPLATES: dict[str, Wording] = {
    "en": Wording(
        "You told us, and we changed it",
        "Hello {first_name},\n\nYou told us: {what_you_told_us}.\n\n"
        "Here is what we changed:\n{what_we_changed}\n\n"
        "Thank you for telling us.\n{organisation}",
    ),
    "de": Wording(
        "Sie haben es uns gesagt, und wir haben es geändert",
        "Hallo {first_name},\n\nSie haben uns gesagt: {what_you_told_us}.\n\n"
        "Das haben wir geändert:\n{what_we_changed}\n\n"
        "Danke, dass Sie es uns gesagt haben.\n{organisation}",
    ),
    "fr": Wording(
        "Vous nous l'avez dit, nous l'avons changé",
        "Bonjour {first_name},\n\nVous nous avez dit : {what_you_told_us}.\n\n"
        "Voici ce que nous avons changé :\n{what_we_changed}\n\n"
        "Merci de nous l'avoir dit.\n{organisation}",
    ),
    "es": Wording(
        "Nos lo dijo y lo hemos cambiado",
        "Hola {first_name}:\n\nNos dijo: {what_you_told_us}.\n\n"
        "Esto es lo que hemos cambiado:\n{what_we_changed}\n\n"
        "Gracias por decírnoslo.\n{organisation}",
    ),
    "nl": Wording(
        "U zei het ons, en wij hebben het veranderd",
        "Hallo {first_name},\n\nU vertelde ons: {what_you_told_us}.\n\n"
        "Dit hebben we veranderd:\n{what_we_changed}\n\n"
        "Bedankt dat u het ons vertelde.\n{organisation}",
    ),
}

# The unsubscribe line under every message, in the message's language.
STOP_LINES: dict[str, str] = {
    "en": "To stop hearing from {organisation}:",
    "de": "Keine Nachrichten mehr von {organisation}:",
    "fr": "Ne plus recevoir de messages de {organisation} :",
    "es": "Para no recibir más mensajes de {organisation}:",
    "nl": "Geen berichten meer van {organisation}:",
}


def unknown_placeholders(text: str) -> list[str]:
    return sorted({m.group(2) for m in _PLACEHOLDER.finditer(text)} - set(PLACEHOLDERS))


def fill(text: str, values: Mapping[str, str]) -> str:
    """Put the values in; an empty value takes its leading space with it."""

    def put(match: re.Match[str]) -> str:
        value = values.get(match.group(2), "")
        return f"{match.group(1)}{value}" if value else ""

    return _PLACEHOLDER.sub(put, text)


def templates_of(org_id: int) -> dict[str, Wording]:
    """The organisation's wording per language: its own where saved, else Beacon's."""
    wording = dict(DEFAULT_TEMPLATES)
    for row in CustomerUpdateTemplate.objects.for_org(org_id):
        wording[row.language] = Wording(row.subject, row.body)
    return wording


def check_template(language: str, subject: str, body: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if language not in LANGUAGES:
        errors["language"] = f"must be one of {', '.join(LANGUAGES)}"
    for name, text, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_TEXT)):
        unknown = unknown_placeholders(text)
        if not text.strip():
            errors[name] = "must not be empty"
        elif len(text) > limit:
            errors[name] = f"must be at most {limit} characters"
        elif unknown:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            named = ", ".join(f"{{{u}}}" for u in unknown)
            errors[name] = f"unknown placeholder {named}; use {known}"
    return errors


@transaction.atomic
def do_save_template(
    org_id: int, language: str, *, subject: str, body: str, actor: Membership
) -> CustomerUpdateTemplate:
    errors = check_template(language, subject, body)
    if errors:
        raise ValidationFailed(errors)
    row, _ = CustomerUpdateTemplate.objects.update_or_create(
        organization_id=org_id,
        language=language,
        defaults={"subject": subject.strip(), "body": body.strip()},
    )
    customer_update_template(org_id, row, actor=actor, language=language)
    return row


def sending_rate(org_id: int) -> int:
    row = CustomerUpdateSettings.objects.for_org(org_id).first()
    return row.per_minute if row is not None else DEFAULT_PER_MINUTE


@transaction.atomic
def do_set_sending_rate(org_id: int, per_minute: int, *, actor: Membership) -> None:
    if not 1 <= per_minute <= MAX_PER_MINUTE:
        raise ValidationFailed({"per_minute": f"must be from 1 to {MAX_PER_MINUTE}"})
    row, _ = CustomerUpdateSettings.objects.update_or_create(
        organization_id=org_id, defaults={"per_minute": per_minute}
    )
    customer_update_settings(org_id, row, actor=actor, per_minute=per_minute)


# ------------------------------------------------------------------ who is told, in what words


def languages_of(org_id: int, contacts: list[Contact]) -> dict[int, str]:
    """Each customer's language: their own attribute, else their newest invitation's."""
    invited = dict(
        Invitation.objects.for_org(org_id)
        .filter(contact_id__in=[c.pk for c in contacts])
        .exclude(language="")
        .order_by("contact_id", "created_at", "pk")
        .values_list("contact_id", "language")
    )
    out: dict[int, str] = {}
    for contact in contacts:
        own = str((contact.attributes or {}).get("language", "")).lower()[:2]
        out[contact.pk] = own if own in LANGUAGES else invited.get(contact.pk, DEFAULT_LANGUAGE)
    return out


def what_you_told_us(action: Action) -> str:
    if action.customer_said.strip():
        return action.customer_said.strip()
    if action.theme_id is None:
        return ""
    theme = Theme.objects.for_org(action.organization_id).filter(pk=action.theme_id).first()
    return theme.name if theme is not None else ""


def first_name(contact: Contact) -> str:
    parts = contact.name.split()
    return parts[0] if parts else ""


def wording_for(
    action: Action, contact: Contact, language: str, templates: Mapping[str, Wording]
) -> Wording:
    template = templates.get(language) or templates[DEFAULT_LANGUAGE]
    values = {
        "first_name": first_name(contact),
        "what_you_told_us": what_you_told_us(action),
        "what_we_changed": action.public_summary.strip(),
        "organisation": action.organization.name,
    }
    return Wording(fill(template.subject, values)[:MAX_SUBJECT], fill(template.body, values))


# ------------------------------------------------------------------ proposing drafts


class Verdict:
    """What the action's metric says about it (analytics/impact.py decides)."""

    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    WORSE = "worse"
    TOO_EARLY = "too_early"
    UNMEASURED = "unmeasured"


@dataclass(frozen=True)
class Evidence:
    verdict: str
    why: str

    @property
    def supports_telling(self) -> bool:
        """Only a measured improvement, or no metric to contradict the owner, needs no
        confirmation: "here is what we changed" should not follow a change that did not help."""
        return self.verdict in (Verdict.IMPROVED, Verdict.UNMEASURED)


UNMEASURED = Evidence(Verdict.UNMEASURED, "No metric is linked to this action.")


@transaction.atomic
def do_propose_customer_updates(
    action: Action,
    evidence: Evidence,
    *,
    actor: Membership | None = None,
    reason: str = "",
) -> int:
    """Draft one update per reachable customer (once per action and customer).

    Without evidence that the action helped, the owner (or an admin) must confirm with a
    reason, recorded in the audit log beside the figures they saw. Returns the number of
    new drafts.
    """
    errors: dict[str, str] = {}
    if action.status != ActionStatus.DONE:
        errors["status"] = "draft updates once the action is done"
    if not action.public_summary.strip():
        errors["public_summary"] = "say what changed, in customers' words, before drafting"
    confirming = not evidence.supports_telling
    if confirming:
        if actor is None or not may_approve(action, actor):
            errors["actor"] = "only the action's owner or an admin confirms updates"
        elif not reason.strip():
            errors["reason"] = (
                "the metric does not show an improvement; say why customers should still "
                f"be told ({evidence.why})"
            )
        elif len(reason) > MAX_REASON:
            errors["reason"] = f"must be at most {MAX_REASON} characters"
    if errors:
        raise ValidationFailed(errors)
    org_id = action.organization_id
    contacts = reachable(org_id, raised_by_ids(action))
    language = languages_of(org_id, contacts)
    templates = templates_of(org_id)
    rows = []
    for contact in contacts:
        words = wording_for(action, contact, language[contact.pk], templates)
        rows.append(
            CustomerUpdate(
                organization_id=org_id,
                action=action,
                contact=contact,
                subject=words.subject,
                body=words.body,
                language=language[contact.pk],
                channel=UpdateChannel.EMAIL,
            )
        )
    before = CustomerUpdate.objects.for_org(org_id).filter(action=action).count()
    # The unique key (action, customer) keeps a second proposal from drafting twice.
    CustomerUpdate.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    drafted = CustomerUpdate.objects.for_org(org_id).filter(action=action).count() - before
    if confirming:
        customer_updates_confirmed(
            org_id,
            action,
            actor=actor,
            reason=reason.strip(),
            verdict=evidence.verdict,
            why=evidence.why,
        )
    if drafted:
        action_drafted(org_id, action, count=drafted, verdict=evidence.verdict)
    return drafted


# ------------------------------------------------------------------ editing and approving


def customer_update_key_prefix(action_id: int) -> str:
    """The start of the outbox key of every "you said, we did" message of one action."""
    return f"you-said-we-did:{action_id}:"


def may_approve(action: Action, actor: Membership) -> bool:
    return actor.pk == action.owner_id or actor.has_role(Role.ADMIN)


@transaction.atomic
def do_edit_customer_update(
    update: CustomerUpdate, *, subject: str, body: str, actor: Membership
) -> CustomerUpdate:
    errors: dict[str, str] = {}
    if not subject.strip():
        errors["subject"] = "must not be empty"
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = f"must be at most {MAX_SUBJECT} characters"
    if not body.strip():
        errors["body"] = "must not be empty"
    elif len(body) > MAX_TEXT:
        errors["body"] = f"must be at most {MAX_TEXT} characters"
    if errors:
        raise ValidationFailed(errors)
    if not may_approve(update.action, actor):
        raise ValidationFailed({"actor": "only the action's owner or an admin edits updates"})
    edited = CustomerUpdate.objects.filter(pk=update.pk, status=CustomerUpdateStatus.DRAFT).update(
        subject=subject.strip(), body=body.strip()
    )
    if not edited:
        raise Conflict("this update was already approved, sent or discarded")
    update.refresh_from_db()
    customer_update_edited(update.organization_id, update, actor=actor)
    return update


@transaction.atomic
def do_approve_customer_update(update: CustomerUpdate, *, actor: Membership) -> CustomerUpdate:
    """Approve one draft; the throttled sender hands it to the outbox."""
    if not may_approve(update.action, actor):
        raise ValidationFailed({"actor": "only the action's owner or an admin approves updates"})
    if update.contact.unsubscribed_at is not None:
        raise Conflict("this customer has unsubscribed; the update cannot be sent")
    # Compare-and-set: of two approvals at once, one moves the draft; the other stops here.
    moved = CustomerUpdate.objects.filter(pk=update.pk, status=CustomerUpdateStatus.DRAFT).update(
        status=CustomerUpdateStatus.APPROVED, approved_by=actor, approved_at=clock.now()
    )
    if not moved:
        raise Conflict("this update was already approved, sent or discarded")
    update.refresh_from_db()
    customer_update_approved(update.organization_id, update, actor=actor)
    return update


@transaction.atomic
def do_approve_customer_updates(
    action: Action, *, actor: Membership, language: str = "", channel: str = ""
) -> int:
    """Approve every draft of the action (or of one language or channel) in one UPDATE.

    Only drafts move, so a second click approves nothing and records nothing.
    """
    if not may_approve(action, actor):
        raise ValidationFailed({"actor": "only the action's owner or an admin approves updates"})
    drafts = CustomerUpdate.objects.for_org(action.organization_id).filter(
        action=action, status=CustomerUpdateStatus.DRAFT, contact__unsubscribed_at__isnull=True
    )
    if language:
        drafts = drafts.filter(language=language)
    if channel:
        drafts = drafts.filter(channel=channel)
    count = drafts.update(
        status=CustomerUpdateStatus.APPROVED, approved_by=actor, approved_at=clock.now()
    )
    if count:
        customer_updates_approved(
            action.organization_id,
            action,
            actor=actor,
            count=count,
            language=language,
            channel=channel,
        )
    return count


@transaction.atomic
def do_discard_customer_update(update: CustomerUpdate, *, actor: Membership) -> None:
    if not may_approve(update.action, actor):
        raise ValidationFailed({"actor": "only the action's owner or an admin discards updates"})
    moved = CustomerUpdate.objects.filter(pk=update.pk, status=CustomerUpdateStatus.DRAFT).update(
        status=CustomerUpdateStatus.DISCARDED
    )
    if not moved:
        raise Conflict("this update was already approved, sent or discarded")
    customer_update_discarded(update.organization_id, update, actor=actor)


# ------------------------------------------------------------------ throttled sending


def email_of(update: CustomerUpdate, unsubscribe: str) -> tuple[str, str]:
    """The message as the customer receives it: (text, html)."""
    org = update.action.organization
    language = update.language if update.language in STOP_LINES else DEFAULT_LANGUAGE
    context = {
        "update": update,
        "org": org,
        "unsubscribe": unsubscribe,
        "stop_line": STOP_LINES[language].format(organisation=org.name),
        "language": language,
    }
    return (
        render_to_string("loop/email/customer_update.txt", context),
        render_to_string("loop/email/customer_update.html", context),
    )


def _unsubscribe_link(update: CustomerUpdate) -> str:
    # The customer's newest invitation carries their unsubscribe link, when they have one.
    invitation = (
        Invitation.objects.for_org(update.organization_id)
        .filter(contact_id=update.contact_id)
        .order_by("-created_at", "-pk")
        .first()
    )
    return unsubscribe_url(invitation) if invitation is not None else ""


def _queue(update: CustomerUpdate) -> None:
    unsubscribe = _unsubscribe_link(update)
    text, html = email_of(update, unsubscribe)
    do_queue_email(
        update.organization_id,
        to=update.contact.email,
        subject=update.subject,
        text=text,
        html=html,
        cause=update,
        # Keyed by action and customer, not by row: the outbox refuses a second message.
        key=f"{customer_update_key_prefix(update.action_id)}{update.contact_id}",
        headers={"List-Unsubscribe": f"<{unsubscribe}>"} if unsubscribe else None,
    )


@transaction.atomic
def do_send_approved_batch(org_id: int) -> int:
    """Hand at most the organisation's per-minute rate of approved updates to the outbox.

    The settings row is locked first, so two runs of the job count the last minute's sends
    one after the other; each update is then claimed by a conditional UPDATE, so an update
    is handed over once even if the lock is not held (SQLite serialises writers itself).
    """
    now = clock.now()
    CustomerUpdateSettings.objects.get_or_create(
        organization_id=org_id, defaults={"per_minute": DEFAULT_PER_MINUTE}
    )
    rate = CustomerUpdateSettings.objects.select_for_update().get(organization_id=org_id)
    updates = CustomerUpdate.objects.for_org(org_id)
    recent = updates.filter(status=CustomerUpdateStatus.SENT, sent_at__gt=now - RATE_WINDOW)
    budget = rate.per_minute - recent.count()
    if budget <= 0:
        return 0
    batch = (
        updates.filter(status=CustomerUpdateStatus.APPROVED, contact__unsubscribed_at__isnull=True)
        .select_related("contact", "action__organization")
        .order_by("approved_at", "pk")[:budget]
    )
    per_action: dict[int, tuple[Action, int]] = {}
    for update in batch:
        claimed = CustomerUpdate.objects.filter(
            pk=update.pk, status=CustomerUpdateStatus.APPROVED
        ).update(status=CustomerUpdateStatus.SENT, sent_at=now)
        if not claimed:
            continue
        _queue(update)
        action, count = per_action.get(update.action_id, (update.action, 0))
        per_action[update.action_id] = (action, count + 1)
    for action, count in per_action.values():
        customer_updates_queued(org_id, action, count=count)
    return sum(count for _, count in per_action.values())


def send_approved_updates() -> int:
    """The periodic job's work: one batch per organisation with approved updates waiting."""
    org_ids = (
        CustomerUpdate.objects.filter(status=CustomerUpdateStatus.APPROVED)
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by()
    )
    return sum(do_send_approved_batch(org_id) for org_id in list(org_ids))


# ------------------------------------------------------------------ preview


@dataclass(frozen=True)
class Preview:
    contact: Contact
    language: str
    subject: str
    text: str


def preview(action: Action) -> Preview | None:
    """The message as one customer receives it: their draft when there is one, else the
    organisation's template in their language; None when nobody can be told."""
    org_id = action.organization_id
    update = (
        CustomerUpdate.objects.for_org(org_id)
        .filter(action=action)
        .exclude(status=CustomerUpdateStatus.DISCARDED)
        .select_related("contact")
        .order_by("pk")
        .first()
    )
    if update is None:
        contact = first_reachable(action)
        if contact is None:
            return None
        language = languages_of(org_id, [contact])[contact.pk]
        words = wording_for(action, contact, language, templates_of(org_id))
        update = CustomerUpdate(
            organization_id=org_id,
            action=action,
            contact=contact,
            subject=words.subject,
            body=words.body,
            language=language,
        )
    else:
        update.action = action
    text, _html = email_of(update, _unsubscribe_link(update))
    return Preview(update.contact, update.language, update.subject, text)
