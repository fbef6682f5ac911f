"""Transports, one folder each; `deliver` picks the one a message names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from beacon.notifications.transports.email import send_email
from beacon.notifications.transports.slack import send_slack
from beacon.notifications.transports.teams import send_teams
from beacon.notifications.transports.webhook import send_webhook

if TYPE_CHECKING:
    from beacon.notifications.models import OutboxMessage

TRANSPORTS: dict[str, Callable[[OutboxMessage], None]] = {
    "email": send_email,
    "slack": send_slack,
    "teams": send_teams,
    "webhook": send_webhook,
}


def deliver(message: OutboxMessage) -> None:
    try:
        transport = TRANSPORTS[message.transport]
    except KeyError:
        raise ValueError(f"unknown transport {message.transport!r}") from None
    transport(message)
