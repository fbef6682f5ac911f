"""Email through Django's configured backend (SMTP in production)."""

from __future__ import annotations

import hashlib
from email.utils import parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

if TYPE_CHECKING:
    from beacon.notifications.models import OutboxMessage


def message_id_of(message: OutboxMessage) -> str:
    """The same Message-ID on every attempt at one outbox row, so that a message sent again
    after a crash (the first attempt may have arrived) can be dropped by the receiver."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "beacon.local"
    cause = hashlib.sha256(f"{message.organization_id}:{message.idempotency_key}".encode())
    return f"<outbox.{message.pk}.{cause.hexdigest()[:16]}@{domain}>"


def send_email(message: OutboxMessage) -> None:
    headers = {
        "X-Beacon-Message": str(message.pk),
        "Message-ID": message_id_of(message),
        **message.headers,
    }
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers=headers,
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    mail.send(fail_silently=False)
