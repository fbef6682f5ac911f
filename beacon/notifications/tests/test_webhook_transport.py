"""Outbound posts go to the address that was checked, never to a second DNS answer."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from beacon.notifications.actions import do_deliver, do_queue_message
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.notifications.transports.webhook import (
    Destination,
    DestinationRefused,
    post_pinned,
    resolve_destination,
)
from beacon.testing import World, http_server

pytestmark = pytest.mark.django_db


@dataclass
class Receiver:
    """A real HTTP(S) server on 127.0.0.1 that records what reached it."""

    port: int = 0
    hosts: list[str] = field(default_factory=list)  # Host headers, in order
    sni: list[str | None] = field(default_factory=list)  # TLS server names asked for


def _serve(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.hosts.append(self.headers.get("Host", ""))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    if tls is not None:
        tls.sni_callback = lambda _sock, name, _ctx: receiver.sni.append(name)
    with http_server(Handler, tls) as port:
        receiver.port = port
        yield receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve()


def _queue(world: World, url: str) -> OutboxMessage:
    return do_queue_message(
        world.org.pk,
        transport="webhook",
        to=url,
        subject="ping",
        text='{"ping": true}',
        cause=world.org,
        key=f"test:{url}",
    )


def test_a_host_name_resolving_to_loopback_is_refused_at_send_time(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = False
    message = _queue(world, f"http://localhost:{receiver.port}/hook")
    assert do_deliver(message.pk) == OutboxState.PENDING
    message.refresh_from_db()
    assert message.last_error.startswith(
        "DestinationRefused: webhook URL host localhost resolves to the private address "
    )
    assert receiver.hosts == []
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = True
    allowed = _queue(world, f"http://localhost:{receiver.port}/other")
    assert do_deliver(allowed.pk) == OutboxState.SENT
    assert receiver.hosts == [f"localhost:{receiver.port}"]


def test_the_post_goes_to_the_checked_address_when_dns_answers_differently_later(
    world: World, receiver: Receiver, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the first answer passes the check, a later one points elsewhere."""
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = True
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding_dns(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host != "hooks.rebind.test":
            return real(host, port, *args, **kw)
        lookups.append(host)
        # Nothing listens on 127.0.0.2: a post sent after a second lookup would fail.
        address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return real(address, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    message = _queue(world, f"http://hooks.rebind.test:{receiver.port}/hook")
    assert do_deliver(message.pk) == OutboxState.SENT
    assert lookups == ["hooks.rebind.test"]
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    # The receiver still sees the name it was addressed by.
    assert receiver.hosts == [f"hooks.rebind.test:{receiver.port}"]


def test_resolving_checks_every_address_and_keeps_the_one_connected_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = socket.getaddrinfo

    def two_answers(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        # A public address first, a private one second: the second one must still refuse.
        return real("8.8.8.8", port, *args, **kw) + real("10.0.0.5", port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(DestinationRefused) as exc:
        resolve_destination("https://hooks.example.com/x", allow_private=False)
    assert str(exc.value).startswith(
        "host hooks.example.com resolves to the private address 10.0.0.5"
    )
    pinned = resolve_destination("https://hooks.example.com:8443/x?a=1", allow_private=True)
    assert pinned == Destination(
        "https", "hooks.example.com", 8443, "/x?a=1", ("8.8.8.8", "10.0.0.5")
    )


def _certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    # The openssl command is part of the base system; a missing one fails the test.
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_to_the_checked_address_names_the_host_in_sni_and_the_certificate(
    tmp_path: Path,
) -> None:
    cert, key = _certificate(tmp_path, "hooks.pinned.test")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    for receiver in _serve(server_tls):
        # The host name resolves nowhere: only the pinned address can have been used.
        destination = Destination(
            "https", "hooks.pinned.test", receiver.port, "/hook", ("127.0.0.1",)
        )
        assert post_pinned(destination, b"{}", {}, tls=client_tls) == 204
        assert receiver.sni == ["hooks.pinned.test"]
        assert receiver.hosts == [f"hooks.pinned.test:{receiver.port}"]
        # A certificate for another name is refused even though the address is right.
        wrong = Destination("https", "other.test", receiver.port, "/hook", ("127.0.0.1",))
        with pytest.raises(ssl.SSLCertVerificationError):
            post_pinned(wrong, b"{}", {}, tls=client_tls)
        assert len(receiver.hosts) == 1


def test_an_unknown_transport_is_refused_before_anything_is_written(world: World) -> None:
    with pytest.raises(ValueError, match="unknown transport 'fax'"):
        do_queue_message(
            world.org.pk, transport="fax", to="x", subject="s", text="t", cause=world.org, key="k"
        )
    assert OutboxMessage.objects.count() == 0
