"""Analytics pages: the period and filters every page shares, alert rules, wallboards."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.analytics.models import AlertRule, Wallboard
from beacon.cxmodel.models import Persona, Stage, Touchpoint
from beacon.insights.models import Theme
from beacon.orgs.models import Membership, Team
from beacon.surveys.models import Survey
from beacon.web.forms.common import (
    OrgChoiceField,
    PostForm,
    QueryForm,
    TextListField,
    WholeNumberField,
    text,
)

NOT_FOUND = "not found in this organisation"
DEFAULT_WINDOW_DAYS = 7


def _row(model: Any) -> OrgChoiceField:
    return OrgChoiceField(model, NOT_FOUND, error_messages={"not_an_id": "must be an id"})


def _date() -> forms.DateField:
    return forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "must be a date like 2026-03-01"},
    )


# Filter name -> model; the metric filters take ids, hence the "_id" names.
SCOPE_ROWS = {
    "stage_id": Stage,
    "persona_id": Persona,
    "team_id": Team,
    "survey_id": Survey,
    "touchpoint_id": Touchpoint,
    "theme_id": Theme,
}


class ScopeForm(QueryForm):
    """The period and the dimension filters of every analytics page."""

    start = _date()
    end = _date()
    stage_id = _row(Stage)
    persona_id = _row(Persona)
    team_id = _row(Team)
    survey_id = _row(Survey)
    touchpoint_id = _row(Touchpoint)
    theme_id = _row(Theme)
    sentiment = text()

    def value(self, name: str) -> Any:
        self.is_valid()
        return self.cleaned_data.get(name)

    def ids(self) -> dict[str, int | None]:
        """The filters that could be read, as ids (a filter that could not is left out)."""
        return {name: row.pk if (row := self.value(name)) else None for name in SCOPE_ROWS}


class ExploreForm(ScopeForm):
    metric = text()
    grain = text()
    dimension = text()
    # The breakdown on the metric's own scale, or every row as "% of perfect".
    scale = forms.ChoiceField(
        choices=[("native", "own scale"), ("perfect", "% of perfect")],
        required=False,
        error_messages={"invalid_choice": "must be native or perfect"},
    )


class DrillForm(ScopeForm):
    metric = text()
    band = text()


class AlertRuleForm(PostForm):
    name = text()
    metric = text()
    kind = text()
    notify = OrgChoiceField(Membership, NOT_FOUND)
    threshold = forms.FloatField(required=False, error_messages={"invalid": "must be a number"})
    window_days = WholeNumberField()
    survey = OrgChoiceField(Survey, NOT_FOUND)
    stage = OrgChoiceField(Stage, NOT_FOUND)
    team = OrgChoiceField(Team, NOT_FOUND)
    theme = OrgChoiceField(Theme, NOT_FOUND)
    sentiment = text()

    def clean_window_days(self) -> int:
        days = self.cleaned_data["window_days"]
        if days is not None:
            return int(days)
        # Left out: the usual week; sent empty: zero, which the rule check refuses.
        return 0 if "window_days" in self.data else DEFAULT_WINDOW_DAYS


class DeactivateAlertForm(PostForm):
    deactivate = OrgChoiceField(AlertRule, NOT_FOUND, required=True)

    def asked(self) -> bool:
        return "deactivate" in self.data


class WallboardForm(PostForm):
    name = text()
    metrics = TextListField()
    stage = OrgChoiceField(Stage, NOT_FOUND)
    theme = OrgChoiceField(Theme, NOT_FOUND)


class RevokeWallForm(PostForm):
    revoke = OrgChoiceField(Wallboard, NOT_FOUND, required=True)

    def asked(self) -> bool:
        return "revoke" in self.data
