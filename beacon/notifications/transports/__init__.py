"""Transports, one folder each; `deliver` picks the one a message names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from beacon.notifications.transports.email import send_email

if TYPE_CHECKING:
    from beacon.notifications.models import OutboxMessage

TRANSPORTS: dict[str, Callable[[OutboxMessage], None]] = {"email": send_email}


def deliver(message: OutboxMessage) -> None:
    try:
        transport = TRANSPORTS[message.transport]
    except KeyError:
        raise ValueError(f"unknown transport {message.transport!r}") from None
    transport(message)
