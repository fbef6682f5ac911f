"""Generic outbound webhook: JSON POST, signed, never to a private address unless allowed.

Signature: `X-Beacon-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with
`X-Beacon-Timestamp: <unix seconds>`; the receiver recomputes it and rejects old timestamps,
so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

if TYPE_CHECKING:
    from beacon.notifications.models import OutboxMessage

# The channel's signing secret travels in the outbox row under this header name and is
# removed before sending: the transport layer cannot read the loop app's channel table.
SECRET_HEADER = "X-Beacon-Signing-Secret"  # noqa: S105 (a header name, not a secret)
TIMEOUT_SECONDS = 10


class DestinationRefused(Exception):
    """The URL points somewhere Beacon must not post to."""


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def destination_problem(url: str, *, allow_private: bool | None = None) -> str | None:
    """Why Beacon refuses to post to `url`, or None when it may.

    Every address the host name resolves to must be public: internal services
    (metadata endpoints, admin ports on localhost) are not reachable through Beacon.
    """
    if allow_private is None:
        allow_private = settings.BEACON_WEBHOOK_ALLOW_PRIVATE
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return "must start with http:// or https://"
    if not parts.hostname:
        return "must name a host"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "has an invalid port"
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return f"host {parts.hostname} does not resolve"
    if allow_private:
        return None
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if _is_private(address):
            return (
                f"host {parts.hostname} resolves to the private address {address}; "
                "an admin must set BEACON_WEBHOOK_ALLOW_PRIVATE=true to allow it"
            )
    return None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post_json(message: OutboxMessage) -> None:
    """POST the message's JSON body to its recipient URL; any non-2xx answer is a failure."""
    problem = destination_problem(message.recipient)
    if problem is not None:
        # Checked again at send time: DNS may have changed since the channel was saved.
        raise DestinationRefused(f"webhook URL {problem}")
    headers = dict(message.headers)
    secret = headers.pop(SECRET_HEADER, "")
    body = message.body_text.encode()
    timestamp = str(int(time.time()))
    headers.update(
        {
            "Content-Type": "application/json",
            "User-Agent": "Beacon-Webhook/1",
            "X-Beacon-Message": str(message.pk),
            "X-Beacon-Timestamp": timestamp,
        }
    )
    if secret:
        headers["X-Beacon-Signature"] = signature(secret, timestamp, body)
    # The scheme was checked above (http or https only), so no file: or custom schemes.
    request = urllib.request.Request(  # noqa: S310
        message.recipient, data=body, headers=headers, method="POST"
    )
    # No redirects: a public URL must not bounce the post to a private one.
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"webhook answered HTTP {exc.code}") from None
    if not 200 <= status < 300:
        raise RuntimeError(f"webhook answered HTTP {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def send_webhook(message: OutboxMessage) -> None:
    post_json(message)
