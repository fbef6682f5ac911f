"""The CX model: adding stages to a journey and needs to a stage."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.cxmodel.models import Journey, Measure, Need, Persona, Stage
from beacon.orgs.models import Membership
from beacon.surveys.models import SCORED_KINDS, Question
from beacon.web.forms.common import OrgChoiceField, PostForm, QueryForm, flag, text

MEMBER = "choose a member of this organisation"


def _too_long(limit: int) -> dict[str, str]:
    return {"max_length": f"must be at most {limit} characters"}


class StageForm(PostForm):
    journey = OrgChoiceField(
        Journey,
        "choose a journey of this organisation",
        required=True,
        error_messages={"required": "choose the journey"},
    )
    name = text(120, error_messages=_too_long(120))
    owner = OrgChoiceField(
        Membership,
        MEMBER,
        required=True,
        error_messages={"required": "every stage needs one accountable owner"},
    )
    description = text()
    inside_company = flag()


class NeedForm(PostForm):
    stage = OrgChoiceField(
        Stage,
        "choose a stage of this organisation",
        required=True,
        error_messages={"required": "choose the stage"},
    )
    persona = OrgChoiceField(Persona, "choose a persona of this organisation")
    owner = OrgChoiceField(
        Membership,
        MEMBER,
        required=True,
        error_messages={"required": "every need needs one accountable owner"},
    )
    description = text()
    successful_outcome = text()
    metric = text(200, error_messages=_too_long(200))
    measure = forms.ChoiceField(
        choices=[("", "none"), *Measure.choices],
        required=False,
        error_messages={"invalid_choice": f"must be one of {', '.join(Measure.values)}"},
    )
    target = forms.FloatField(required=False, error_messages={"invalid": "must be a number"})
    question = OrgChoiceField(
        Question,
        "choose a scored question of this organisation",
        only={"kind__in": sorted(SCORED_KINDS)},
    )


class NeedMeasureForm(PostForm):
    need = OrgChoiceField(
        Need,
        "choose a need of this organisation",
        required=True,
        error_messages={"required": "choose the need"},
    )
    measure = NeedForm.base_fields["measure"]
    target = NeedForm.base_fields["target"]
    question = NeedForm.base_fields["question"]


class StageOwnerForm(PostForm):
    stage = OrgChoiceField(
        Stage,
        "choose a stage of this organisation",
        required=True,
        error_messages={"required": "choose the stage"},
    )
    owner = OrgChoiceField(
        Membership,
        MEMBER,
        required=True,
        error_messages={"required": "every stage needs one accountable owner"},
    )


SCALES = {"native": "Each metric on its own scale", "perfect": "% of perfect"}


class ScaleForm(QueryForm):
    """How scores are shown: on their own scales, or all as "% of perfect"."""

    scale = forms.ChoiceField(
        choices=list(SCALES.items()),
        required=False,
        error_messages={"invalid_choice": "must be native or perfect"},
    )

    def perfect(self) -> bool:
        self.is_valid()
        return bool(self.cleaned_data.get("scale") == "perfect")

    def problems(self) -> dict[str, Any]:
        self.is_valid()
        return {name: str(errors[0]) for name, errors in self.errors.items()}


POSTER_SIZES = {"a4": "A4", "a3": "A3"}


class PosterForm(QueryForm):
    """The paper a persona poster is laid out for (the print stylesheet's named page)."""

    size = forms.ChoiceField(
        choices=list(POSTER_SIZES.items()),
        required=False,
        error_messages={"invalid_choice": "must be a4 or a3"},
    )

    def chosen(self) -> str:
        self.is_valid()
        return str(self.cleaned_data.get("size") or "a4")

    def problems(self) -> dict[str, Any]:
        self.is_valid()
        return {name: str(errors[0]) for name, errors in self.errors.items()}
