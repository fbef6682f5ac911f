"""The CX model: adding stages to a journey and needs to a stage."""

from __future__ import annotations

from beacon.cxmodel.models import Journey, Persona, Stage
from beacon.orgs.models import Membership
from beacon.web.forms.common import OrgChoiceField, PostForm, flag, text

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
