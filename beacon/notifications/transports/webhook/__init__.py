"""Generic outbound webhook: JSON POST, signed, never to a private address unless allowed.

Signature: `X-Beacon-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with
`X-Beacon-Timestamp: <unix seconds>`; the receiver recomputes it and rejects old timestamps,
so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

if TYPE_CHECKING:
    from beacon.notifications.models import OutboxMessage

# The channel's signing secret travels in the outbox row under this header name and is
# removed before sending: the transport layer cannot read the loop app's channel table.
SECRET_HEADER = "X-Beacon-Signing-Secret"  # noqa: S105 (a header name, not a secret)
TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 64 * 1024


class DestinationRefused(Exception):
    """The URL points somewhere Beacon must not post to."""


class HostUnresolved(DestinationRefused):
    """The URL's host name has no address at the moment (it may have one later)."""


@dataclass(frozen=True)
class Destination:
    """A webhook URL resolved once: the post goes to `addresses`, the very ones checked.

    Connecting by host name would resolve it again, and a DNS server answering a public
    address to the check and a private one to the connection (DNS rebinding) would get
    the post into the internal network.
    """

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # tried in the resolver's order, like a normal connection


# A DNS name as written in a URL: dot-separated labels of letters, digits and hyphens
# (international names are checked in their xn-- form).
_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")

# IPv6 forms that carry an IPv4 address: what is reached is the IPv4 address inside.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    inner = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in _NAT64:
        inner.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in inner if a is not None]


def is_public_address(address: str) -> bool:
    """True only for an address routable on the public internet (IANA's "globally
    reachable"), so private, loopback, link-local and shared (100.64.0.0/10, where some
    clouds keep their metadata service) ranges are all refused, in any IPv6 disguise."""
    ip = ipaddress.ip_address(address)
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return all(is_public_address(str(inner)) for inner in _embedded(ip))
    return True


def _ascii(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def resolve_destination(url: str, *, allow_private: bool | None = None) -> Destination:
    """Resolve `url`'s host once and check every address it resolves to.

    Every address must be globally routable (internal services such as metadata endpoints
    or admin ports on localhost are not reachable through Beacon) unless an admin allows
    others. Raises DestinationRefused with the reason.
    """
    if allow_private is None:
        allow_private = settings.BEACON_WEBHOOK_ALLOW_PRIVATE
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise DestinationRefused("must start with http:// or https://")
    if not parts.hostname:
        raise DestinationRefused("must name a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DestinationRefused("has an invalid port") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except UnicodeError:
        raise DestinationRefused(f"host {parts.hostname} is not a valid host name") from None
    except socket.gaierror:
        if not _HOST_NAME.fullmatch(_ascii(parts.hostname)):
            raise DestinationRefused(f"host {parts.hostname} is not a valid host name") from None
        raise HostUnresolved(f"host {parts.hostname} does not resolve") from None
    # An IPv6 zone ("fe80::1%eth0") is not part of the address that is checked.
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise DestinationRefused(
                    f"host {parts.hostname} resolves to {address}, which is not a public "
                    "internet address; an admin must set BEACON_WEBHOOK_ALLOW_PRIVATE=true "
                    "to allow it"
                )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, parts.hostname, port, target, tuple(addresses))


def destination_problem(
    url: str, *, allow_private: bool | None = None, unresolved_ok: bool = False
) -> str | None:
    """Why Beacon refuses to post to `url`, or None when it may.

    With `unresolved_ok` (saving a channel), a host name without an address right now is
    accepted: DNS may be down for a moment or the receiver not set up yet, and every post
    resolves and checks the host again before it is sent. Literal addresses and names
    that do resolve are still checked here.
    """
    try:
        resolve_destination(url, allow_private=allow_private)
    except HostUnresolved as exc:
        return None if unresolved_ok else str(exc)
    except DestinationRefused as exc:
        return str(exc)
    return None


def _connect(destination: Destination, timeout: float | None) -> socket.socket:
    """A TCP connection to the first checked address that answers; no lookup by name."""
    error: OSError = OSError(f"no address for {destination.host}")
    for address in destination.addresses:
        try:
            return socket.create_connection((address, destination.port), timeout)
        except OSError as exc:
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header still names the host."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self.destination = destination

    def connect(self) -> None:
        self.sock = _connect(self.destination, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with TLS SNI and the certificate check naming the host."""

    def __init__(self, destination: Destination, timeout: float, tls: ssl.SSLContext) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout, context=tls)
        self.destination = destination
        self.tls = tls

    def connect(self) -> None:
        raw = _connect(self.destination, self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def post_pinned(
    destination: Destination,
    body: bytes,
    headers: dict[str, str],
    *,
    tls: ssl.SSLContext | None = None,
) -> int:
    """POST to the destination's checked address and return the HTTP status.

    http.client follows no redirects, so a public URL cannot bounce the post to a
    private one. `tls` defaults to the system's trusted certificates.
    """
    connection: http.client.HTTPConnection
    if destination.scheme == "https":
        tls = tls or ssl.create_default_context()
        connection = _PinnedHTTPSConnection(destination, TIMEOUT_SECONDS, tls)
    else:
        connection = _PinnedHTTPConnection(destination, TIMEOUT_SECONDS)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        answer = connection.getresponse()
        # Only the status matters; a receiver's long answer is not read to the end.
        answer.read(MAX_ANSWER_BYTES)
        return int(answer.status)
    finally:
        connection.close()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post_json(message: OutboxMessage) -> None:
    """POST the message's JSON body to its recipient URL; any non-2xx answer is a failure."""
    try:
        # Checked again at send time (DNS may have changed since the channel was saved),
        # and the post goes to the address this check approved.
        destination = resolve_destination(message.recipient)
    except DestinationRefused as exc:
        raise DestinationRefused(f"webhook URL {exc}") from None
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
    status = post_pinned(destination, body, headers)
    if not 200 <= status < 300:
        raise RuntimeError(f"webhook answered HTTP {status}")


def send_webhook(message: OutboxMessage) -> None:
    post_json(message)
