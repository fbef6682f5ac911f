"""The verbs sign-in policy changes record."""

from __future__ import annotations

from beacon.orgs.events import EventVerb


class AccountsEvent(EventVerb):
    POLICY_UPDATED = "signin.policy_updated"
    SSO_SAVED = "signin.sso_saved"
    SSO_REMOVED = "signin.sso_removed"
    SSO_JOINED = "signin.sso_joined"
