"""The verbatim feed's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from beacon.cxmodel.models import Persona, Stage
from beacon.orgs.models import Team
from beacon.responses.queries import (
    NPS_BANDS,
    VERBATIM_ID_FILTERS,
    FeedCursor,
    parse_cursor,
    verbatim_filter,
)
from beacon.surveys.models import Survey
from beacon.web.forms.common import OrgChoiceField, QueryForm

MAX_QUERY = 200
BANDS = NPS_BANDS
ROW_FILTERS = VERBATIM_ID_FILTERS


class CursorField(forms.CharField):
    """Where the previous page of comments ended, as its "Load more" link wrote it."""

    default_error_messages = {"invalid": "not a position in this list of comments"}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(max_length=40, **kwargs)

    def clean(self, value: Any) -> FeedCursor | None:
        text = str(super().clean(value) or "").strip()
        if not text:
            return None
        cursor = parse_cursor(text)
        if cursor is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return cursor


CURSOR_PROBLEM = "after: not a position in this list of comments; showing the newest."


class FeedForm(QueryForm):
    """An unusable filter is dropped with a message; the others still apply."""

    survey = OrgChoiceField(Survey, "unknown survey")
    stage = OrgChoiceField(Stage, "unknown stage")
    persona = OrgChoiceField(Persona, "unknown persona")
    team = OrgChoiceField(Team, "unknown team")
    band = forms.ChoiceField(choices=[(b, b) for b in BANDS], required=False)
    q = forms.CharField(max_length=MAX_QUERY, required=False)
    after = CursorField()

    def problems(self) -> list[str]:
        self.is_valid()
        out = []
        for name in self.errors:
            raw = str(self.data.get(name, "")).strip()[:40]
            if name in ROW_FILTERS:
                out.append(f"{name}: unknown {name} {raw!r}; the filter was not applied.")
            elif name == "band":
                out.append(
                    f"band: must be detractor, passive or promoter (got {raw!r}); "
                    "the filter was not applied."
                )
            elif name == "q":
                out.append(f"q: search text must be at most {MAX_QUERY} characters.")
            else:
                out.append(CURSOR_PROBLEM)
        return out

    def applied(self) -> dict[str, str]:
        """The filters in use, as query-string values (for links and selected options)."""
        self.is_valid()
        data = self.cleaned_data
        shown = {name: str(data[name].pk) for name in ROW_FILTERS if data.get(name)}
        if data.get("band"):
            shown["band"] = data["band"]
        if data.get("q", "").strip():
            shown["q"] = data["q"].strip()
        return shown

    def condition(self, *, reveal: bool) -> Q:
        """The feed's filters as one condition; search reads what the viewer is shown."""
        return verbatim_filter(self.organization, self.applied(), reveal=reveal)

    def cursor(self) -> FeedCursor | None:
        """Where to start: after the previous page's last comment, or at the newest."""
        self.is_valid()
        found: FeedCursor | None = self.cleaned_data.get("after")
        return found
