"""Building rounds and answers for the alignment tests (through the real actions)."""

from __future__ import annotations

import datetime as dt

from beacon.alignment.actions import AnswerIn, IssuedRound, StageAnswerIn, do_create_round
from beacon.alignment.models import Accountable, Recipient
from beacon.core import clock
from beacon.cxmodel.models import Persona, Stage
from beacon.orgs.models import Membership
from beacon.testing import World


def send_round(
    world: World, members: list[Membership] | None = None, days: int = 14
) -> IssuedRound:
    return do_create_round(
        world.org,
        "Spring alignment",
        journey=world.stage.journey,
        closes_at=clock.now() + dt.timedelta(days=days),
        recipients=[world.owner, world.stage_owner, world.agent] if members is None else members,
        actor=world.owner,
    )


def recipient(issued: IssuedRound, member: Membership) -> Recipient:
    return Recipient.objects.get(round=issued.round, membership=member)


def answer_in(
    world: World,
    *,
    personas: list[Persona] | None = None,
    text: str = "",
    overall: Membership | None = None,
    who: dict[int, Membership | str] | None = None,
) -> AnswerIn:
    """Every stage answered: the recorded owner unless `who` says otherwise (by stage id)."""
    stages = Stage.objects.for_org(world.org).order_by("position")
    choices = who or {}
    rows = []
    for stage in stages:
        pick = choices.get(stage.pk, stage.owner)
        if isinstance(pick, Membership):
            rows.append(StageAnswerIn(stage, Accountable.MEMBER, member=pick))
        else:
            rows.append(StageAnswerIn(stage, pick))
    return AnswerIn(
        personas=[world.persona] if personas is None else personas,
        persona_text=text,
        overall=overall,
        stages=rows,
    )
