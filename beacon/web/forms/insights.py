"""Text analytics pages: themes and reasons for contact, corrections of a comment's
themes and sentiment, suggested themes."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.insights.models import Theme
from beacon.responses.queries import FeedCursor
from beacon.web.forms.common import (
    OrgChoiceField,
    PostForm,
    QueryForm,
    TextListField,
    text,
)
from beacon.web.forms.feed import CURSOR_PROBLEM, CursorField

MAX_PHRASE_LINES = 50


def phrases(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()][:MAX_PHRASE_LINES]


class NamedForm(PostForm):
    """A theme or a reason for contact: its name, description, phrases, on or off."""

    name = text()
    description = text()
    phrases = text()
    # A browser sends "on" for a ticked box without a value; anything sent means ticked.
    active = text()

    def named(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "phrases": phrases(data["phrases"]),
            "active": bool(data["active"]),
        }


class ThemeListForm(NamedForm):
    action = forms.ChoiceField(
        choices=[("adopt", "adopt"), ("create", "create")],
        required=False,
        error_messages={"invalid_choice": "must be adopt or create"},
    )
    industry = text()

    def adopting(self) -> bool:
        return self.cleaned_data.get("action") == "adopt"


class CorrectionForm(PostForm):
    action = forms.ChoiceField(
        choices=[("theme", "theme"), ("sentiment", "sentiment")],
        required=False,
        error_messages={"invalid_choice": "must be theme or sentiment"},
    )
    theme = OrgChoiceField(
        Theme, "choose an active theme of this organisation", only={"active": True}
    )
    sentiment = text()


class SuggestedForm(PostForm):
    name = text()
    description = text()
    phrase = TextListField()


class ThemePageForm(QueryForm):
    """The theme page's page of comments."""

    after = CursorField()

    def cursor(self) -> tuple[FeedCursor | None, list[str]]:
        """Where the page of comments starts, or the newest with a message naming the field."""
        if not self.is_valid():
            return None, [CURSOR_PROBLEM]
        found: FeedCursor | None = self.cleaned_data.get("after")
        return found, []
