"""Reports: the board pack's period and its monthly schedule."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.alignment.models import Round
from beacon.orgs.models import Membership
from beacon.outcomes.models import OutcomeKind
from beacon.reports.actions import MAX_PACK_DAYS
from beacon.web.forms.common import (
    OrgChoiceField,
    OrgMultipleChoiceField,
    PostForm,
    QueryForm,
    WholeNumberField,
)


def _date() -> forms.DateField:
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class PackForm(PostForm):
    start = _date()
    end = _date()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "must be on or after the start")
            elif (end - start).days + 1 > MAX_PACK_DAYS:
                self.add_error("end", f"a pack covers at most {MAX_PACK_DAYS} days")
        return data


class RecipientsField(OrgMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.user.email})"


class ScheduleForm(PostForm):
    day = WholeNumberField(
        min_value=1,
        max_value=28,
        required=True,
        help_text="Day of the month; the pack covers last month.",
    )
    # Only this organisation's members can be chosen; another organisation's id is refused.
    recipients = RecipientsField(
        Membership,
        "Select a valid choice: that member is not one of this organisation's.",
        required=True,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(required=False)

    def __init__(self, member: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(member.organization_id, *args, **kwargs)
        field: Any = self.fields["recipients"]
        field.queryset = field.queryset.select_related("user").order_by("display_name")


class OutcomeExportForm(QueryForm):
    """The outcome items to download: every kind, or one."""

    kind = forms.ChoiceField(
        choices=OutcomeKind.choices,
        required=False,
        error_messages={"invalid_choice": f"must be one of {', '.join(OutcomeKind.values)}"},
    )

    def spec(self) -> dict[str, Any]:
        return {"kind": self.cleaned_data.get("kind") or None} if self.is_valid() else {}


class AlignmentExportForm(QueryForm):
    """Which alignment round's answers to download (one of the organisation's)."""

    round = OrgChoiceField(Round, "unknown round", required=True)

    def spec(self) -> dict[str, Any]:
        return {"round": self.cleaned_data["round"].pk} if self.is_valid() else {}
