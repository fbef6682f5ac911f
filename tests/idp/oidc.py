"""An OpenID Connect provider on loopback: pyop's Provider behind a stdlib HTTP server.

Its sign-in page asks only for an email (the test's stand-in for the company's login);
everything after that — authorisation code, PKCE, client secret, signed ID token, userinfo
— is pyop's real protocol work.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwkest.jwk import RSAKey, import_rsa_key  # type: ignore[import-untyped]
from pyop.authz_state import AuthorizationState
from pyop.exceptions import OAuthError
from pyop.provider import Provider
from pyop.subject_identifier import HashBasedSubjectIdentifierFactory
from pyop.userinfo import Userinfo
from pyop.util import should_fragment_encode

from tests.idp.tls import self_signed, server_context, serving


@dataclass
class OidcProvider:
    url: str
    provider: Provider
    ca_file: Path
    client_id: str = "beacon"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_user(self, email: str, given: str, family: str) -> None:
        self.users[email] = {
            "email": email,
            "email_verified": True,
            "given_name": given,
            "family_name": family,
            "name": f"{given} {family}",
        }

    def allow_redirect(self, uri: str) -> None:
        self.provider.clients[self.client_id]["redirect_uris"].append(uri)


def _signing_key() -> RSAKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return RSAKey(key=import_rsa_key(pem), alg="RS256", kid="test-idp")


def _handler(idp_ref: list[OidcProvider]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep the test output quiet
            pass

        def _send(self, status: int, body: str, ctype: str = "application/json") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _body(self) -> str:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()

        def do_GET(self) -> None:
            idp = idp_ref[0]
            parts = urlsplit(self.path)
            if parts.path == "/.well-known/openid-configuration":
                self._send(200, idp.provider.provider_configuration.to_json())
            elif parts.path == "/jwks":
                self._send(200, json.dumps(idp.provider.jwks))
            elif parts.path == "/userinfo":
                headers = {"Authorization": self.headers.get("Authorization", "")}
                try:
                    info = idp.provider.handle_userinfo_request(parts.query, headers)
                except OAuthError as exc:
                    self._send(401, json.dumps({"error": exc.oauth_error}))
                    return
                self._send(200, info.to_json())
            elif parts.path == "/authorize":
                # Check the request before asking who is signing in.
                try:
                    idp.provider.parse_authentication_request(parts.query)
                except OAuthError as exc:
                    self._send(400, f"bad authentication request: {exc}", "text/plain")
                    return
                self._send(200, _sign_in_page(parts.query), "text/html; charset=utf-8")
            else:
                self._send(404, "{}")

        def do_POST(self) -> None:
            idp = idp_ref[0]
            path = urlsplit(self.path).path
            body = self._body()
            try:
                if path == "/authorize":
                    form = {k: v[-1] for k, v in parse_qs(body).items()}
                    email = form.pop("idp_email", "")
                    request = idp.provider.parse_authentication_request(urlencode(form))
                    if email not in idp.users:
                        self._send(403, "unknown user", "text/plain")
                        return
                    response = idp.provider.authorize(request, email)
                    self._redirect(
                        response.request(request["redirect_uri"], should_fragment_encode(request))
                    )
                elif path == "/token":
                    headers = {"Authorization": self.headers.get("Authorization", "")}
                    answer = idp.provider.handle_token_request(body, headers)
                    self._send(200, answer.to_json())
                elif path == "/userinfo":
                    headers = {"Authorization": self.headers.get("Authorization", "")}
                    self._send(200, idp.provider.handle_userinfo_request(body, headers).to_json())
                else:
                    self._send(404, "{}")
            except OAuthError as exc:
                self._send(400, json.dumps({"error": exc.oauth_error, "detail": str(exc)}))

        do_HEAD = do_GET

    return Handler


def _sign_in_page(query: str) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v[-1])}">'
        for k, v in parse_qs(query).items()
    )
    return (
        "<!doctype html><title>Test identity provider</title><h1>Company sign-in</h1>"
        f'<form method="post" action="/authorize">{hidden}'
        '<label>Company email <input name="idp_email" type="email"></label>'
        '<button type="submit">Sign in at the identity provider</button></form>'
    )


@contextmanager
def oidc_provider(directory: Path) -> Iterator[OidcProvider]:
    """A running provider on https://127.0.0.1 (OpenID Connect issuers are HTTPS only);
    register users and redirect URIs on it; `ca_file` is its certificate to trust."""
    ref: list[OidcProvider] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    cert, tls_key = self_signed(directory)
    server.socket = server_context(cert, tls_key).wrap_socket(server.socket, server_side=True)
    url = f"https://127.0.0.1:{server.server_address[1]}"
    key = _signing_key()
    configuration = {
        "issuer": url,
        "authorization_endpoint": f"{url}/authorize",
        "token_endpoint": f"{url}/token",
        "userinfo_endpoint": f"{url}/userinfo",
        "jwks_uri": f"{url}/jwks",
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "grant_types_supported": ["authorization_code"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
    }
    secret = secrets.token_urlsafe(24)
    clients = {
        "beacon": {
            "client_secret": secret,
            "redirect_uris": [],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_post",
        }
    }
    users: dict[str, dict[str, Any]] = {}
    provider = Provider(
        key,
        configuration,
        AuthorizationState(HashBasedSubjectIdentifierFactory(secrets.token_hex(8))),
        clients,
        Userinfo(users),
    )
    idp = OidcProvider(url, provider, cert, client_secret=secret, users=users)
    ref.append(idp)
    with serving(server):
        yield idp
