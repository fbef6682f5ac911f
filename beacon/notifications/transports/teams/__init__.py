"""Microsoft Teams incoming webhooks: a MessageCard JSON body, posted like a webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from beacon.notifications.transports.webhook import post_json

if TYPE_CHECKING:
    from beacon.notifications.models import OutboxMessage


def send_teams(message: OutboxMessage) -> None:
    post_json(message)
