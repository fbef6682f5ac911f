"""The overview dashboard's period."""

from __future__ import annotations

from django import forms

from beacon.web.forms.common import QueryForm

PERIODS = (30, 90, 180)
DEFAULT_PERIOD = 90


class PeriodForm(QueryForm):
    period = forms.TypedChoiceField(
        choices=[(str(p), f"Last {p} days") for p in PERIODS],
        coerce=int,
        required=False,
    )

    def problem(self) -> str:
        """What the page says about a period it cannot use ("" when there is none)."""
        if self.is_valid():
            return ""
        allowed = ", ".join(str(p) for p in PERIODS)
        return f"period must be one of {allowed} days; showing the last {DEFAULT_PERIOD} days."

    def days(self) -> int:
        return (
            int(self.cleaned_data["period"] or DEFAULT_PERIOD)
            if self.is_valid()
            else DEFAULT_PERIOD
        )
