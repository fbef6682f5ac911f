"""Contacts: the list's search and filter, the erase confirmation, privacy settings."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.cxmodel.models import Persona
from beacon.privacy.models import MAX_RETENTION_MONTHS
from beacon.web.forms.common import OrgChoiceField, PostForm, QueryForm, WholeNumberField, text

MAX_SEARCH = 200


class ContactListForm(QueryForm):
    q = text(MAX_SEARCH, error_messages={"max_length": f"must be at most {MAX_SEARCH} characters"})
    persona = OrgChoiceField(Persona, "unknown persona")
    page = WholeNumberField(min_value=1)

    def problems(self) -> list[str]:
        self.is_valid()
        return [
            f"{name}: {errors[0]}; the filter was not applied."
            for name, errors in self.errors.items()
        ]

    def value(self, name: str) -> Any:
        self.is_valid()
        return self.cleaned_data.get(name)

    def spec(self) -> dict[str, Any]:
        """The filters as plain JSON: the export of the list holds the same rows."""
        persona = self.value("persona")
        return {
            "q": str(self.value("q") or "").strip(),
            "persona": persona.pk if persona is not None else None,
        }


class HistoryPageForm(QueryForm):
    """Which page of the customer's responses a contact or case page shows (1: newest)."""

    history = WholeNumberField(min_value=1, error_messages={"min_value": "pages start at 1"})

    def page(self) -> int:
        """The page asked for; the first when none (or a wrong one) was given."""
        if not self.is_valid():
            return 1
        return int(self.cleaned_data.get("history") or 1)

    def problems(self) -> list[str]:
        self.is_valid()
        return [f"{name}: {errors[0]}; showing the newest." for name, errors in self.errors.items()]


class EraseForm(PostForm):
    # The confirm step: the button on the confirmation page sends exactly this value.
    confirm = forms.ChoiceField(
        choices=[("erase", "erase")],
        error_messages={
            "required": "confirm the erasure on the confirmation page",
            "invalid_choice": "confirm the erasure on the confirmation page",
        },
    )


class RetentionForm(forms.Form):
    retention_months = WholeNumberField(
        min_value=1,
        max_value=MAX_RETENTION_MONTHS,
        label="Redact free text older than (months)",
        help_text=(
            "Comments, case notes, replies and message bodies older than this are redacted "
            "each night; scores are kept. Leave empty to keep text."
        ),
    )
