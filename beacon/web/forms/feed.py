"""The verbatim feed's filters."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.cxmodel.models import Persona, Stage
from beacon.orgs.models import Team
from beacon.responses.queries import NPS_BANDS, VERBATIM_ID_FILTERS, verbatim_lookups
from beacon.surveys.models import Survey
from beacon.web.forms.common import OrgChoiceField, QueryForm, WholeNumberField

MAX_QUERY = 200
BANDS = NPS_BANDS
ROW_FILTERS = VERBATIM_ID_FILTERS


class FeedForm(QueryForm):
    """An unusable filter is dropped with a message; the others still apply."""

    survey = OrgChoiceField(Survey, "unknown survey")
    stage = OrgChoiceField(Stage, "unknown stage")
    persona = OrgChoiceField(Persona, "unknown persona")
    team = OrgChoiceField(Team, "unknown team")
    band = forms.ChoiceField(choices=[(b, b) for b in BANDS], required=False)
    q = forms.CharField(max_length=MAX_QUERY, required=False)
    page = WholeNumberField(min_value=1)

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
                out.append(f"{name}: must be a page number from 1; showing the first page.")
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

    def lookups(self, *, reveal: bool) -> dict[str, Any]:
        """The feed's filters as lookups; search reads what the viewer is shown."""
        return verbatim_lookups(self.organization, self.applied(), reveal=reveal)

    def page_number(self) -> int:
        self.is_valid()
        return int(self.cleaned_data.get("page") or 1)
