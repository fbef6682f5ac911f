"""Two alignment rounds at Northwind, a quarter apart, with the gaps the audit exists to
find: sales makes it for another customer, two stages have no agreed owner, and most
people do not know who is accountable for customer experience overall.

The pattern of answers is planted, not drawn at random (`data/alignment.json`), so the
flags on the results page are exactly the ones the demo tells its story with.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files
from typing import Any

from beacon.alignment.actions import (
    AnswerIn,
    StageAnswerIn,
    do_answer,
    do_close_round,
    do_create_round,
)
from beacon.alignment.models import Accountable, Recipient, Round
from beacon.core import clock
from beacon.cxmodel.actions import do_set_primary_persona
from beacon.cxmodel.models import Persona, Stage
from beacon.orgs.actions import do_place_member
from beacon.orgs.models import Department, Membership, Organization

CYCLE = 5  # answers repeat their pattern every five respondents of a department


def _data() -> Any:
    return json.loads(files("beacon.demo").joinpath("data", "alignment.json").read_text("utf-8"))


def _place(org: Organization, plan: dict[str, list[str]]) -> dict[int, str]:
    """Put the respondents in their departments; returns membership id -> department."""
    placed = {}
    for name, people in plan.items():
        dept = Department.objects.for_org(org).get(name=name)
        for person in people:
            member = Membership.objects.for_org(org).get(display_name=person)
            do_place_member(member, department=dept, team=member.team)
            placed[member.pk] = name
    return placed


def _stage_answer(
    stage: Stage, i: int, contested: bool, others: list[Membership], own_words: str
) -> StageAnswerIn:
    needs = list(stage.needs.all().order_by("pk"))
    need = needs[0] if needs and i % 4 else None
    text = "" if need is not None else own_words
    if contested:
        # Three names about equally often: nobody has half of the answers.
        pick = [stage.owner, *others][i % 3]
        return StageAnswerIn(stage, Accountable.MEMBER, member=pick, need=need, need_text=text)
    if i % CYCLE == 0:
        return StageAnswerIn(stage, Accountable.DONT_KNOW, need=need, need_text=text)
    return StageAnswerIn(stage, Accountable.MEMBER, member=stage.owner, need=need, need_text=text)


def _answer(
    org: Organization,
    spec: dict[str, Any],
    department: str,
    i: int,
    n: int,
    stages: list[Stage],
    own_words: str,
) -> AnswerIn:
    """The i-th answer of its department (n-th of the round): the planted pattern."""
    personas = {p.name: p for p in Persona.objects.for_org(org)}
    primary = next(p for p in personas.values() if p.primary)
    first = personas[spec["first_choice"].get(department, primary.name)]
    rest = [p for p in sorted(personas.values(), key=lambda p: p.name) if p != first]
    # Now and then someone puts the department's usual first choice second.
    order = [rest[0], first] if i % CYCLE == 4 else [first, rest[0]]
    named = [Membership.objects.for_org(org).get(display_name=n) for n in spec["named_accountable"]]
    leaders = [s.owner for s in stages]
    return AnswerIn(
        personas=order,
        persona_text="",
        overall=None if i % CYCLE in spec["overall_dont_know_every"] else named[n % len(named)],
        stages=[
            _stage_answer(
                s,
                i,
                s.pk in spec["contested_ids"],
                [m for m in leaders if m != s.owner][i % 2 : i % 2 + 2],
                own_words,
            )
            for s in stages
        ],
    )


def _round(
    org: Organization,
    spec: dict[str, Any],
    placed: dict[int, str],
    stages: list[Stage],
    today: dt.datetime,
    own_words: str,
) -> Round:
    sent = today - dt.timedelta(days=spec["sent_days_ago"])
    closes = sent + dt.timedelta(days=spec["days_open"])
    dana = Membership.objects.for_org(org).get(display_name="Dana Reyes")
    people = list(Membership.objects.for_org(org).filter(pk__in=placed).order_by("pk"))
    with clock.frozen_at(sent):
        issued = do_create_round(
            org, spec["title"], journey=stages[0].journey, closes_at=closes,
            recipients=people, actor=dana,
        )  # fmt: skip
    seen: dict[str, int] = {}
    for n, recipient in enumerate(Recipient.objects.filter(round=issued.round).order_by("pk")):
        department = placed[recipient.membership_id]
        i = seen[department] = seen.get(department, -1) + 1
        with clock.frozen_at(sent + dt.timedelta(hours=2 + 5 * n)):
            do_answer(recipient, _answer(org, spec, department, i, n, stages, own_words))
    with clock.frozen_at(closes):
        do_close_round(issued.round)
    return issued.round


def seed_alignment(org: Organization, stages: dict[str, Stage], today: dt.datetime) -> list[Round]:
    """The demo's rounds (emails kept as rows: the caller withholds the history's mail)."""
    data = _data()
    placed = _place(org, data["departments"])
    do_set_primary_persona(Persona.objects.for_org(org).get(name=data["primary_persona"]))
    ordered = sorted(stages.values(), key=lambda s: s.position)
    rounds = []
    for spec in data["rounds"]:
        spec = spec | {"contested_ids": {stages[k].pk for k in spec["contested"]}}
        rounds.append(_round(org, spec, placed, ordered, today, data["need_in_own_words"]))
    return rounds
