"""Settings: API keys and the audit log's filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from beacon.orgs.models import Membership, Scope
from beacon.orgs.queries import AuditFilter, audit_verbs
from beacon.web.forms.common import OrgChoiceField, PostForm, QueryForm, WholeNumberField

# Django's own wording, which these pages have always shown.
NOT_A_CHOICE = "Select a valid choice. That choice is not one of the available choices."


def _day(label: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        required=False, label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs
    )


class ApiKeyForm(PostForm):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “Help desk sync”.")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text="Read: GET requests. Write: everything else. Admin: members and keys.",
    )
    expires_on = _day(
        "Expires after", help_text="Optional: the key stops working at the end of this day."
    )

    def expires_at(self, member: Membership) -> dt.datetime | None:
        day: dt.date | None = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        # The end of the chosen day where the organisation is, not in UTC.
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), member.organization.zone)


class AuditFilterForm(QueryForm):
    member = OrgChoiceField(Membership, NOT_A_CHOICE, label="Member")
    # The verbs present in the organisation's log (set per organisation below).
    verb = forms.ChoiceField(choices=[], required=False, label="What happened")
    date_from = _day("From")
    date_to = _day("To")
    page = WholeNumberField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, member: Membership, *args: Any, **kwargs: Any) -> None:
        org = member.organization
        super().__init__(org, *args, **kwargs)
        self.zone = org.zone
        field: Any = self.fields["member"]
        field.queryset = field.queryset.order_by("display_name")
        verbs: Any = self.fields["verb"]
        verbs.choices = [("", "Any")] + [(v, v) for v in audit_verbs(org)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "must be on or after the From date")
        return data

    def where(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            actor=data.get("member"),
            verb=data.get("verb") or "",
            since=self._midnight(data.get("date_from")),
            until=self._midnight(data["date_to"] + dt.timedelta(days=1))
            if data.get("date_to")
            else None,
        )

    def _midnight(self, day: dt.date | None) -> dt.datetime | None:
        # Days are the organisation's days, as everywhere else in Beacon.
        return None if day is None else dt.datetime.combine(day, dt.time(), self.zone)
