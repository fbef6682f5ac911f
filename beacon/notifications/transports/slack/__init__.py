"""Slack incoming webhooks: the body is Slack's JSON (`{"text": ...}`), posted like a webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from beacon.notifications.transports.webhook import post_json

if TYPE_CHECKING:
    from beacon.notifications.models import OutboxMessage


def send_slack(message: OutboxMessage) -> None:
    post_json(message)
