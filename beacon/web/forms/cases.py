"""Follow-up cases: the list's filters and what agents post on a case page."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.cxmodel.models import Stage
from beacon.insights.models import ContactReason
from beacon.loop.actions import FIRST_CONTACT_CHANNELS, MAX_NOTE_LENGTH
from beacon.loop.models import RootCause
from beacon.loop.queries import CASE_SORTS, CASE_STATUS_FILTERS
from beacon.orgs.models import Membership
from beacon.web.forms.common import (
    OrgChoiceField,
    PostForm,
    QueryForm,
    WholeNumberField,
    flag,
    text,
)


class CaseListForm(QueryForm):
    status = forms.ChoiceField(choices=[(s, s) for s in CASE_STATUS_FILTERS], required=False)
    mine = flag()
    overdue = flag()
    sort = forms.ChoiceField(choices=[(s, s) for s in CASE_SORTS], required=False)
    stage = OrgChoiceField(Stage, "unknown stage")
    page = WholeNumberField(min_value=1)

    def problems(self) -> list[str]:
        self.is_valid()
        out = []
        for name, errors in self.errors.items():
            if name == "status":
                raw = str(self.data.get("status", ""))[:40]
                out.append(
                    f"status: must be one of {', '.join(CASE_STATUS_FILTERS)} (got {raw!r}); "
                    "showing open cases."
                )
            elif name == "sort":
                out.append(f"sort: must be one of {', '.join(CASE_SORTS)}; sorted by status.")
            else:
                out.append(f"{name}: {errors[0]}; the filter was not applied.")
        return out

    def value(self, name: str) -> Any:
        self.is_valid()
        return self.cleaned_data.get(name)

    def chosen_status(self) -> str:
        return str(self.value("status") or "open")

    def only_mine(self) -> bool:
        return bool(self.value("mine") == "1")

    def only_overdue(self) -> bool:
        return bool(self.value("overdue") == "1")

    def chosen_sort(self) -> str:
        return str(self.value("sort") or "status")

    def stage_id(self) -> int | None:
        stage = self.value("stage")
        return stage.pk if stage else None

    def query(self) -> dict[str, str]:
        """The filters and order in use, for the pager's and the sort links' query strings."""
        shown = {"status": self.chosen_status(), "sort": self.chosen_sort()}
        shown.update({name: "1" for name in ("mine", "overdue") if self.value(name) == "1"})
        if stage_id := self.stage_id():
            shown["stage"] = str(stage_id)
        return shown

    def spec(self, member: Membership) -> dict[str, Any]:
        """The filters and order as plain JSON (for exports): the same rows as the list
        shows, in the same order."""
        return {
            "status": self.chosen_status(),
            "sort": self.chosen_sort(),
            "owner_id": member.pk if self.only_mine() else None,
            "overdue": self.only_overdue(),
            "stage_id": self.stage_id(),
        }


class ReasonForm(PostForm):
    # Required: the select starts on "Choose a reason", and sending it unchanged is refused
    # rather than filing whatever reason happened to be first.
    reason = OrgChoiceField(
        ContactReason, "choose one of the reasons", only={"active": True}, required=True
    )


class FirstContactForm(PostForm):
    channel = forms.ChoiceField(
        choices=FIRST_CONTACT_CHANNELS,
        error_messages={
            "required": "say how you reached the customer",
            "invalid_choice": "choose one of the channels offered",
        },
    )
    note = text(
        MAX_NOTE_LENGTH,
        error_messages={"max_length": f"must be at most {MAX_NOTE_LENGTH} characters"},
    )


class NoteForm(PostForm):
    body = text()


class StatusForm(PostForm):
    # The loop's own check names the allowed moves from the case's current status.
    status = text()


class ReassignForm(PostForm):
    owner = OrgChoiceField(Membership, "choose a member of this organisation", required=True)
    reason = text(
        MAX_NOTE_LENGTH,
        error_messages={"max_length": f"must be at most {MAX_NOTE_LENGTH} characters"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "owner" in self.errors and not str(self.data.get("reason", "")).strip():
            self.add_error("reason", "say why the case moves")
        return data


class ResolveForm(PostForm):
    root_cause = OrgChoiceField(RootCause, "choose one of this organisation's root causes")
    resolution = text(
        MAX_NOTE_LENGTH,
        error_messages={"max_length": f"must be at most {MAX_NOTE_LENGTH} characters"},
    )
