"""Email through Django's configured backend (SMTP in production)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

if TYPE_CHECKING:
    from beacon.notifications.models import OutboxMessage


def send_email(message: OutboxMessage) -> None:
    headers = {"X-Beacon-Message": str(message.pk), **message.headers}
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
