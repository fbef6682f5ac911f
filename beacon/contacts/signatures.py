"""How an inbound webhook proves a body came from its help desk.

Help desks sign what they send in their own way, and most cannot compute Beacon's own
signature, so each webhook names its scheme:

- `beacon`: `X-Beacon-Signature: sha256=<hex HMAC-SHA256 of the body>` with the webhook's
  Beacon secret (a relay or script that posts for the help desk).
- `zendesk`: Zendesk signs with the webhook's signing secret, shown in Zendesk once the
  webhook exists there: `X-Zendesk-Webhook-Signature` is base64 HMAC-SHA256 of the
  `X-Zendesk-Webhook-Signature-Timestamp` header's value followed by the body
  (developer.zendesk.com/documentation/webhooks/verifying/).
- `intercom`: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>` with the app's client
  secret (developers.intercom.com, "Signed notifications").
- `token`: the help desk sends the webhook's Beacon secret in an `X-Beacon-Token` header:
  for products whose outgoing webhooks take custom headers but cannot sign (Freshdesk
  automation webhooks, HubSpot workflow webhooks, Salesforce callouts). It proves the
  sender knows the secret, not that the body is unchanged; TLS protects the body.
- `stripe`: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">` with the
  endpoint's signing secret (docs.stripe.com/webhooks, "Verify signatures manually").
- `shopify`: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>` with the app's
  client secret (shopify.dev/docs/apps/build/webhooks/subscribe/https, "Verify").
- `basic`: HTTP Basic authentication whose password is the webhook's Beacon secret, for
  billing systems that protect a webhook URL only that way (Chargebee's webhook settings).

Every comparison is constant-time: the time taken must not reveal how much matched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from django.db import models


class Scheme(models.TextChoices):
    BEACON = "beacon", "Beacon signature (X-Beacon-Signature)"
    ZENDESK = "zendesk", "Zendesk signing secret"
    INTERCOM = "intercom", "Intercom client secret (X-Hub-Signature)"
    TOKEN = "token", "Secret in a header (X-Beacon-Token)"
    STRIPE = "stripe", "Stripe signing secret (Stripe-Signature)"
    SHOPIFY = "shopify", "Shopify client secret (X-Shopify-Hmac-Sha256)"
    BASIC = "basic", "Basic authentication, the secret as password"


BEACON_HEADER = "X-Beacon-Signature"
TOKEN_HEADER = "X-Beacon-Token"  # noqa: S105 (a header name, not a secret)
ZENDESK_HEADER = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
INTERCOM_HEADER = "X-Hub-Signature"
# Schemes whose key is the help desk's own secret, pasted into Beacon by an admin.
STRIPE_HEADER = "Stripe-Signature"
SHOPIFY_HEADER = "X-Shopify-Hmac-Sha256"
BASIC_HEADER = "Authorization"
HELP_DESK_KEYED = (Scheme.ZENDESK, Scheme.INTERCOM, Scheme.STRIPE, Scheme.SHOPIFY)


class BadSignature(Exception):
    """The body was not signed as the webhook's scheme requires."""


def beacon_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def intercom_signature(secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def stripe_signature(secret: str, timestamp: str, body: bytes) -> str:
    signed = timestamp.encode() + b"." + body
    return f"t={timestamp},v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def shopify_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _stripe_parts(header: str) -> tuple[str, list[str]]:
    """The timestamp and every v1 signature of a Stripe-Signature header (Stripe sends one
    v1 per active secret while a secret is being rolled)."""
    pairs = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v.strip() for k, v in pairs if k.strip() == "t"]
    return (stamps[0] if stamps else ""), [v.strip() for k, v in pairs if k.strip() == "v1"]


def _basic_password(header: str) -> str:
    kind, _, encoded = header.strip().partition(" ")
    if kind.lower() != "basic":
        return ""
    try:
        return base64.b64decode(encoded, validate=True).decode().partition(":")[2]
    except (ValueError, UnicodeDecodeError):
        return ""


def verify(
    scheme: str, beacon_secret: str, help_desk_secret: str, body: bytes, headers: Mapping[str, str]
) -> None:
    """Raise BadSignature naming the header that is missing or wrong."""
    if scheme in HELP_DESK_KEYED and not help_desk_secret:
        raise BadSignature(
            f"no {Scheme(scheme).label} is set on this webhook yet: paste it on the imports page"
        )
    if scheme == Scheme.ZENDESK:
        timestamp = headers.get(ZENDESK_TIMESTAMP, "")
        expected = zendesk_signature(help_desk_secret, timestamp, body)
        _same(
            expected,
            headers.get(ZENDESK_HEADER, ""),
            f"{ZENDESK_HEADER} (with {ZENDESK_TIMESTAMP})",
        )
    elif scheme == Scheme.INTERCOM:
        expected = intercom_signature(help_desk_secret, body)
        _same(
            expected, headers.get(INTERCOM_HEADER, ""), f"{INTERCOM_HEADER} (HMAC-SHA1 of the body)"
        )
    elif scheme == Scheme.STRIPE:
        timestamp, given = _stripe_parts(headers.get(STRIPE_HEADER, ""))
        what = f"{STRIPE_HEADER} (t= and v1=, HMAC-SHA256 of the timestamp and body)"
        expected = stripe_signature(help_desk_secret, timestamp, body).rpartition("v1=")[2]
        if not any(hmac.compare_digest(expected.encode(), g.encode()) for g in given):
            raise BadSignature(f"missing or wrong {what}")
    elif scheme == Scheme.SHOPIFY:
        expected = shopify_signature(help_desk_secret, body)
        _same(expected, headers.get(SHOPIFY_HEADER, ""), f"{SHOPIFY_HEADER} (of the body)")
    elif scheme == Scheme.BASIC:
        password = _basic_password(headers.get(BASIC_HEADER, ""))
        _same(beacon_secret, password, f"{BASIC_HEADER} (Basic, the webhook's secret as password)")
    elif scheme == Scheme.TOKEN:
        _same(
            beacon_secret, headers.get(TOKEN_HEADER, ""), f"{TOKEN_HEADER} (the webhook's secret)"
        )
    else:
        expected = beacon_signature(beacon_secret, body)
        _same(
            expected, headers.get(BEACON_HEADER, ""), f"{BEACON_HEADER} (HMAC-SHA256 of the body)"
        )


def _same(expected: str, given: str, what: str) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise BadSignature(f"missing or wrong {what}")
