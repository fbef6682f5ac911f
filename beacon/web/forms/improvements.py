"""Improvement actions: creating one, its progress, status, public summary, and the
"you said, we did" drafts to customers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from beacon.core.ids import is_id
from beacon.insights.models import Theme
from beacon.loop.models import Case, RootCause, UpdateChannel
from beacon.loop.updates import MAX_PER_MINUTE
from beacon.orgs.models import Membership, Organization
from beacon.surveys.distribution import LANGUAGES
from beacon.surveys.models import Question
from beacon.web.forms.common import (
    OrgChoiceField,
    PostForm,
    QueryForm,
    WholeNumberField,
    errors_of,
    flag,
    text,
)

CASE_LIST = "list case numbers of this organisation, separated by spaces"
# A deadline is the end of the working day (UTC) of the date chosen.
DEADLINE_TIME = dt.time(17, 0)


class ActionForm(PostForm):
    title = text()
    description = text()
    source = text()
    # The action names a missing owner together with every other missing field.
    owner = OrgChoiceField(Membership, "every action needs exactly one owner of this organisation")
    deadline = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "must be a date like 2026-12-31"},
    )
    theme_id = OrgChoiceField(Theme, "choose one of this organisation's themes")
    root_cause = OrgChoiceField(RootCause, "choose one of this organisation's root causes")
    driver = text()
    question = OrgChoiceField(Question, "choose a question of this organisation")
    cases = text()

    def __init__(self, org: Organization | int, *args: Any, **kwargs: Any) -> None:
        super().__init__(org, *args, **kwargs)
        field: Any = self.fields["question"]
        field.queryset = field.queryset.select_related("survey")

    def clean_cases(self) -> list[Case]:
        ids = self.cleaned_data["cases"].replace(",", " ").split()
        if not all(is_id(i) for i in ids):
            raise forms.ValidationError(CASE_LIST)
        found = list(Case.objects.for_org(self.organization).filter(pk__in={int(i) for i in ids}))
        if len(found) != len(set(ids)):
            raise forms.ValidationError(CASE_LIST)
        return found

    def deadline_at(self) -> dt.datetime | None:
        day = self.cleaned_data["deadline"]
        return None if day is None else dt.datetime.combine(day, DEADLINE_TIME, tzinfo=dt.UTC)


class NewActionForm(QueryForm):
    """What the new-action form starts with, from a link (a theme page's "Create action")."""

    theme_id = OrgChoiceField(Theme, "choose one of this organisation's themes")

    def initial_values(self) -> tuple[dict[str, str], dict[str, str]]:
        """The form's first values and the errors of what could not be read."""
        if not self.is_valid():
            return {}, errors_of(self)
        theme = self.cleaned_data["theme_id"]
        if theme is None:
            return {}, {}
        return {"source": "theme", "theme_id": str(theme.pk)}, {}


PROGRESS = "must be a whole number from 0 to 100"


class ProgressForm(PostForm):
    body = text()
    progress = WholeNumberField(
        min_value=0,
        max_value=100,
        error_messages={"invalid": PROGRESS, "min_value": PROGRESS, "max_value": PROGRESS},
    )


class ActionStatusForm(PostForm):
    # The action's own check names the moves allowed from its current status.
    status = text()


class PublishForm(PostForm):
    public_summary = text()
    customer_said = text()
    on_wall = flag()


class CustomerUpdateForm(PostForm):
    op = forms.ChoiceField(
        choices=[("save", "save"), ("approve", "approve"), ("discard", "discard")],
        error_messages={
            "invalid_choice": "must be save, approve or discard",
            "required": "must be save, approve or discard",
        },
    )
    subject = text()
    body = text()


PAGE = "must be a page number from 1"
LANGUAGE = f"must be one of {', '.join(LANGUAGES)}"
CHANNEL = f"must be one of {', '.join(UpdateChannel.values)}"


class UpdatesPageForm(QueryForm):
    """Which page of the action's drafts and of its approved or sent updates to show."""

    drafts = WholeNumberField(min_value=1, error_messages={"min_value": PAGE, "invalid": PAGE})
    done = WholeNumberField(min_value=1, error_messages={"min_value": PAGE, "invalid": PAGE})


def _choice(values: tuple[str, ...] | list[str], message: str) -> forms.ChoiceField:
    # Empty means "all": bulk approval of every draft whatever its language or channel.
    return forms.ChoiceField(
        choices=[("", "all")] + [(v, v) for v in values],
        required=False,
        error_messages={"invalid_choice": message},
    )


class BulkApproveForm(PostForm):
    language = _choice(LANGUAGES, LANGUAGE)
    channel = _choice(UpdateChannel.values, CHANNEL)


class ConfirmUpdatesForm(PostForm):
    # Required only when the metric did not improve; the action's check says so.
    reason = text()


class UpdateTemplateForm(PostForm):
    language = forms.ChoiceField(
        choices=[(v, v) for v in LANGUAGES],
        error_messages={"invalid_choice": LANGUAGE, "required": LANGUAGE},
    )
    subject = text()
    body = text()


RATE = f"must be a whole number from 1 to {MAX_PER_MINUTE}"


class SendingRateForm(PostForm):
    per_minute = WholeNumberField(
        min_value=1,
        max_value=MAX_PER_MINUTE,
        required=True,
        error_messages={"invalid": RATE, "min_value": RATE, "max_value": RATE, "required": RATE},
    )
