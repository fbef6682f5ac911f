"""Follow-up cases: the list's filters and what agents post on a case page."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.cxmodel.models import Stage
from beacon.insights.models import ContactReason
from beacon.loop.actions import MAX_NOTE_LENGTH
from beacon.loop.models import RootCause
from beacon.loop.queries import CASE_STATUS_FILTERS
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

    def stage_id(self) -> int | None:
        stage = self.value("stage")
        return stage.pk if stage else None

    def spec(self, member: Membership) -> dict[str, Any]:
        """The filters as plain JSON (for exports): the same rows as the list shows."""
        return {
            "status": self.chosen_status(),
            "owner_id": member.pk if self.only_mine() else None,
            "overdue": self.only_overdue(),
            "stage_id": self.stage_id(),
        }


class ReasonForm(PostForm):
    reason = OrgChoiceField(ContactReason, "choose one of the reasons", only={"active": True})


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
