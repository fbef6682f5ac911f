"""How a survey reaches customers: distribution rules, budget and reminders; imports and
inbound webhooks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from beacon.contacts.connectors import CONNECTORS, connector_choices
from beacon.contacts.models import ImportKind
from beacon.contacts.signatures import Scheme
from beacon.contacts.webhooks import FIELDS as WEBHOOK_FIELDS
from beacon.cxmodel.models import Stage, Touchpoint
from beacon.orgs.models import Organization, Team
from beacon.outcomes.webhooks import ALL_FIELDS as OUTCOME_FIELDS
from beacon.outcomes.webhooks import RECORDS
from beacon.surveys.distribution import RuleIn
from beacon.surveys.models import InvitationChannel
from beacon.web.forms.common import (
    OrgChoiceField,
    PostForm,
    QueryForm,
    WholeNumberField,
    flag,
    text,
)

MAX_UPLOAD = 500 * 1024 * 1024
MAX_CONDITION_NAME, MAX_CONDITION_VALUE = 100, 200


def parse_conditions(text: str) -> dict[str, Any]:
    """`attribute = value` lines (alternatives joined by |) as a rule's conditions."""
    conditions: dict[str, Any] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, raw = line.partition("=")
        values = [v.strip()[:MAX_CONDITION_VALUE] for v in raw.split("|") if v.strip()]
        if not sep or not name.strip() or not values:
            raise forms.ValidationError(f"line {n}: write attribute = value (alternatives with |)")
        conditions[name.strip()[:MAX_CONDITION_NAME]] = values[0] if len(values) == 1 else values
    return conditions


class RuleForm(PostForm):
    """A distribution rule. A new rule is active; only the edit form has the Active box (an
    unticked box is not sent at all, so on the add form its absence would pause it)."""

    touchpoint = OrgChoiceField(Touchpoint, "unknown touchpoint")
    stage = OrgChoiceField(Stage, "unknown stage")
    team = OrgChoiceField(Team, "unknown team")
    conditions = text()
    channel = text()
    delay_minutes = WholeNumberField()
    sample_percent = WholeNumberField()
    active = flag()

    def __init__(self, org: Organization | int, *args: Any, editing: bool, **kwargs: Any) -> None:
        super().__init__(org, *args, **kwargs)
        self.editing = editing

    def clean_conditions(self) -> dict[str, Any]:
        return parse_conditions(self.cleaned_data["conditions"])

    def rule_in(self) -> RuleIn:
        data = self.cleaned_data
        sample = data["sample_percent"]
        return RuleIn(
            touchpoint=data["touchpoint"],
            stage=data["stage"],
            team=data["team"],
            conditions=data["conditions"],
            channel=data["channel"].strip() or InvitationChannel.EMAIL,
            delay_minutes=data["delay_minutes"] or 0,
            sample_percent=100 if sample is None else sample,
            active=bool(data["active"]) or not self.editing,
        )

    def shown(self) -> dict[str, str]:
        """What was sent, to show in the form again."""
        out = {name: str(self.data.get(name, "")).strip() for name in self.fields}
        out["active"] = "1" if self.data.get("active") or not self.editing else ""
        return out


class RuleStateForm(PostForm):
    action = forms.ChoiceField(
        choices=[("pause", "pause"), ("resume", "resume"), ("remove", "remove")],
        error_messages={
            "invalid_choice": "must be pause, resume or remove",
            "required": "must be pause, resume or remove",
        },
    )


class BudgetForm(PostForm):
    org_days = WholeNumberField()
    survey_days = WholeNumberField()
    reminder_after_days = WholeNumberField()


class ImportForm(PostForm):
    kind = forms.ChoiceField(
        choices=ImportKind.choices,
        error_messages={
            "invalid_choice": "choose contacts or interactions",
            "required": "choose contacts or interactions",
        },
    )
    file = forms.FileField(
        error_messages={"required": "choose a CSV file", "empty": "choose a CSV file"}
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > MAX_UPLOAD:
            raise forms.ValidationError(f"must be at most {MAX_UPLOAD // (1024 * 1024)} MB")
        return upload


# The paths a webhook may name: an interaction's fields, then those only outcomes have.
HOOK_FIELDS = tuple(dict.fromkeys((*WEBHOOK_FIELDS, *OUTCOME_FIELDS)))


class WebhookForm(PostForm):
    """A posted JSON mapped to an interaction or an outcome: one JSON path per field."""

    name = text()
    records = forms.ChoiceField(
        choices=[("", "Interactions (help-desk tickets)"), *RECORDS.items()],
        required=False,
        error_messages={"invalid_choice": "choose interactions or one of the outcome kinds"},
    )
    # Outcomes: the amounts posted are in the currency's minor unit (cents).
    minor_units = forms.BooleanField(required=False)

    def paths(self) -> dict[str, str]:
        return {f: self.cleaned_data[f"path_{f}"].strip()[:200] for f in HOOK_FIELDS}


for _field in HOOK_FIELDS:
    WebhookForm.base_fields[f"path_{_field}"] = text()


def _connector() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=connector_choices,
        required=False,
        error_messages={"invalid_choice": f"must be one of {', '.join(CONNECTORS)}"},
    )


def _scheme(required: bool) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=Scheme.choices,
        required=required,
        error_messages={"invalid_choice": f"must be one of {', '.join(Scheme.values)}"},
    )


class WebhookSigningForm(PostForm):
    """How an existing webhook's posts are verified, and the help desk's own secret."""

    signature = _scheme(required=True)
    help_desk_secret = forms.CharField(max_length=200, required=False, strip=False)


class ConnectorForm(QueryForm):
    """Which ready-made mapping to start a new webhook from (contacts.connectors)."""

    connector = _connector()


class WebhookConditionForm(PostForm):
    connector = _connector()
    # Empty: the connector's own scheme (contacts.connectors), else Beacon's signature.
    signature = _scheme(required=False)

    def scheme(self) -> str:
        chosen: str = self.cleaned_data.get("signature") or ""
        connector = CONNECTORS.get(self.cleaned_data.get("connector") or "")
        return chosen or (connector.signature if connector else Scheme.BEACON)

    only_when_path = forms.CharField(max_length=200, required=False)
    only_when_values = forms.CharField(max_length=500, required=False)

    def values(self) -> list[str]:
        return [v for v in self.cleaned_data.get("only_when_values", "").split(",") if v.strip()]
