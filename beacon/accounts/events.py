"""The verbs sign-in policy changes record."""

from __future__ import annotations

from enum import StrEnum


class AccountsEvent(StrEnum):
    POLICY_UPDATED = "signin.policy_updated"
    SSO_SAVED = "signin.sso_saved"
    SSO_REMOVED = "signin.sso_removed"
    SSO_JOINED = "signin.sso_joined"
