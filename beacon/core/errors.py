"""Domain errors that every entry point turns into a clear message."""

from __future__ import annotations


class BeaconError(Exception):
    """Base class of errors a user can act on."""


class ValidationFailed(BeaconError):
    """Input was wrong; `errors` maps a field path to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in errors.items()))
        self.errors = errors


class NotFound(BeaconError):
    """The thing does not exist in this organisation (or belongs to another one)."""


class Conflict(BeaconError):
    """The request clashes with the current state (e.g. a finished invitation)."""
