"""A SAML 2.0 identity provider on loopback: pysaml2's IdP server behind a stdlib server.

pysaml2 reads the service provider's metadata, parses its AuthnRequest and signs the
response and assertion (with Debian's xmlsec1); its sign-in page asks only for an email.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import AUTHN_PASSWORD, NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from tests.idp.tls import self_signed, serving


@dataclass
class SamlIdp:
    url: str
    config: dict[str, Any]
    server: Server | None = None
    users: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def metadata(self) -> str:
        """The IdP's metadata, as an admin pastes it into Beacon."""
        config = IdPConfig().load(self.config)
        return str(create_metadata_string(None, config=config, sign=False).decode())

    def trust(self, sp_metadata: str) -> None:
        """Load the service provider's metadata and start answering its requests."""
        self.server = Server(config=IdPConfig().load({**self.config, "metadata": {
            "inline": [sp_metadata]}}))  # fmt: skip

    def sign_with_another_key(self, directory: Path, sp_metadata: str) -> None:
        """From now on sign with a key the service provider was never told about."""
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = self_signed(directory)
        self.config = {**self.config, "cert_file": str(cert), "key_file": str(key)}
        self.trust(sp_metadata)

    def add_user(self, email: str, given: str, family: str) -> None:
        self.users[email] = {"mail": [email], "givenName": [given], "sn": [family]}


def _xmlsec1() -> str:
    found = shutil.which("xmlsec1")
    if found is None:
        raise RuntimeError("xmlsec1 is missing: run scripts/ensure-xmlsec1")
    return found


def _handler(ref: list[SamlIdp]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path != "/sso/redirect" or "SAMLRequest" not in query:
                self._send(404, "not found")
                return
            self._send(200, _sign_in_page(query["SAMLRequest"], query.get("RelayState", "")))

        def do_POST(self) -> None:
            idp = ref[0]
            assert idp.server is not None, "call trust() with the SP's metadata first"
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            request = idp.server.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT)
            message = request.message
            email = form.get("idp_email", "")
            if email not in idp.users:
                self._send(403, "unknown user")
                return
            sp_entity_id = message.issuer.text
            acs = message.assertion_consumer_service_url
            response = idp.server.create_authn_response(
                idp.users[email],
                in_response_to=message.id,
                destination=acs,
                sp_entity_id=sp_entity_id,
                name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
                authn={"class_ref": AUTHN_PASSWORD, "authn_auth": idp.url},
                sign_response=True,
                sign_assertion=True,
                # Beacon refuses SHA-1 signatures (pysaml2's default).
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
            http_args = idp.server.apply_binding(
                BINDING_HTTP_POST, str(response), acs, form.get("RelayState", ""), response=True
            )
            self._send(200, http_args["data"])

    return Handler


def _sign_in_page(saml_request: str, relay_state: str) -> str:
    return (
        "<!doctype html><title>Test SAML IdP</title><h1>Company sign-in (SAML)</h1>"
        '<form method="post" action="/sso/redirect">'
        f'<input type="hidden" name="SAMLRequest" value="{html.escape(saml_request)}">'
        f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
        '<label>Company email <input name="idp_email" type="email"></label>'
        '<button type="submit">Sign in at the identity provider</button></form>'
    )


@contextmanager
def saml_idp(directory: Path) -> Iterator[SamlIdp]:
    ref: list[SamlIdp] = []
    http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    url = f"http://127.0.0.1:{http.server_address[1]}"
    cert, key = self_signed(directory)
    config: dict[str, Any] = {
        "entityid": f"{url}/metadata",
        "service": {
            "idp": {
                "name": "Test IdP",
                "endpoints": {
                    "single_sign_on_service": [(f"{url}/sso/redirect", BINDING_HTTP_REDIRECT)]
                },
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "policy": {"default": {"lifetime": {"minutes": 15}, "name_form": NAME_FORMAT_URI}},
                "want_authn_requests_signed": False,
            }
        },
        "key_file": str(key),
        "cert_file": str(cert),
        "xmlsec_binary": _xmlsec1(),
        "delete_tmpfiles": True,
    }
    idp = SamlIdp(url, config)
    ref.append(idp)
    with serving(http):
        yield idp
