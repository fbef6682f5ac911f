"""Alignment rounds: sending a round, the registry's primary persona, and the
questionnaire a recipient answers from their link."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.alignment.models import Accountable, Round
from beacon.alignment.queries import AUDIENCES, round_stages
from beacon.cxmodel.models import Journey, Need, Persona, Stage
from beacon.orgs.models import Department, Membership, Team
from beacon.web.forms.common import OrgChoiceField, OrgMultipleChoiceField, PostForm, text

PERSONA = "choose a persona of this organisation"
MEMBER = "choose a member of this organisation, nobody, or don't know"


class RoundForm(PostForm):
    title = text(200, error_messages={"max_length": "must be at most 200 characters"})
    journey = OrgChoiceField(
        Journey,
        "choose a journey of this organisation",
        required=True,
        error_messages={"required": "choose the journey whose stages are asked about"},
    )
    closes_on = forms.DateField(
        label="Closes on",
        error_messages={"required": "give the closing date", "invalid": "must be a date"},
    )
    audience = forms.ChoiceField(
        choices=[(a, a) for a in AUDIENCES],
        error_messages={"invalid_choice": "must be all, departments or teams"},
    )
    departments = OrgMultipleChoiceField(Department, "choose departments of this organisation")
    teams = OrgMultipleChoiceField(Team, "choose teams of this organisation")
    show_names = forms.BooleanField(
        required=False,
        label="Show each person's answers with their name to admins and analysts",
    )


class PrimaryPersonaForm(PostForm):
    persona = OrgChoiceField(
        Persona, PERSONA, required=True, error_messages={"required": "choose the primary persona"}
    )


class AccountableField(OrgChoiceField):
    """A member of the organisation, or one of the words "nobody" and "dont_know"."""

    def __init__(self, words: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(Membership, MEMBER, **kwargs)
        self.words = words

    def to_python(self, value: Any) -> Any:
        if str(value).strip() in self.words:
            return str(value).strip()
        return super().to_python(value)


def _accountable(*words: str) -> AccountableField:
    return AccountableField(words, only={"deactivated_at__isnull": True})


class AnswerForm(PostForm):
    """The questionnaire; its per-stage fields are added for the round's stages."""

    persona_1 = OrgChoiceField(Persona, PERSONA, label="First choice")
    persona_2 = OrgChoiceField(Persona, PERSONA, label="Second choice")
    persona_3 = OrgChoiceField(Persona, PERSONA, label="Third choice")
    persona_text = text(
        500,
        label="Or describe another customer in your own words",
        error_messages={"max_length": "must be at most 500 characters"},
    )
    overall = _accountable(Accountable.DONT_KNOW)

    def __init__(self, round_: Round | None, *args: Any, **kwargs: Any) -> None:
        org = round_.organization_id if round_ else 0
        super().__init__(org, *args, **kwargs)
        self.stage_rows: list[tuple[Stage, str, str, str]] = []
        for stage in round_stages(round_) if round_ else []:
            self._add_stage(stage)

    def _add_stage(self, stage: Stage) -> None:
        prefix = f"stage_{stage.pk}"
        who = _accountable(Accountable.NOBODY, Accountable.DONT_KNOW)
        who.queryset = Membership.objects.for_org(stage.organization_id).filter(
            deactivated_at__isnull=True
        )
        need = OrgChoiceField(Need, "choose one of this stage's needs")
        need.queryset = Need.objects.for_org(stage.organization_id).filter(stage=stage)
        self.fields[f"{prefix}_accountable"] = who
        self.fields[f"{prefix}_need"] = need
        self.fields[f"{prefix}_need_text"] = text(
            500, error_messages={"max_length": "must be at most 500 characters"}
        )
        self.stage_rows.append(
            (stage, f"{prefix}_accountable", f"{prefix}_need", f"{prefix}_need_text")
        )
