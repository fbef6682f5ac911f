"""Realistic synthetic feedback for benchmarks: one telecom-like organisation, six months.

Skewed on purpose, because real data is: a few teams and touchpoints carry most of the
volume (Zipf), personas are unequal, weekends are quiet, volume grows over the half-year,
scores depend on team quality, touchpoint and persona, one stage has a bad month, CSAT and
CES are skipped by some respondents and about a third leave a comment.

Everything goes through Beacon's own write paths (do_* actions, and `responses.bulk.store`,
the bulk path under `ingest_bulk`), so the benchmark measures what production does.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.db import transaction

from beacon.contacts.actions import ContactIn, InteractionIn, do_bulk_record_interactions
from beacon.contacts.models import Interaction
from beacon.cxmodel.actions import (
    do_add_stage,
    do_add_touchpoint,
    do_create_journey,
    do_create_persona,
)
from beacon.cxmodel.models import Stage, Touchpoint
from beacon.orgs.actions import (
    do_add_member,
    do_create_api_key,
    do_create_organization,
    do_create_team,
)
from beacon.orgs.models import Membership, Organization, Role
from beacon.responses.ingest import AnswerIn, ResponseIn
from beacon.responses.rollups import do_set_rollup_attributes
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey
from beacon.surveys.models import Question, Survey, SurveyStatus

# The data ends at today's midnight (UTC) so that pages whose window is relative to today
# (the last 7 days, the last 12 weeks) read it all; BENCH_END=YYYY-MM-DD pins it, which a
# kept database resumed on a later day needs to stay one run.
_END_DAY = os.environ.get("BENCH_END") or dt.datetime.now(dt.UTC).date().isoformat()
END = dt.datetime.combine(dt.date.fromisoformat(_END_DAY), dt.time(), tzinfo=dt.UTC)
DAYS = 182
TEAMS = 40
PERSONAS = 8
STAGES = 12
TOUCHPOINTS_PER_STAGE = 3
SURVEYS = 3
INTERACTIONS = 6000
PLANS = ["prepaid", "contract", "business"]
REGIONS = [f"region-{i}" for i in range(10)]
COMMENTS = [
    "The agent fixed it on the first call, thank you.",
    "I waited 40 minutes on hold before anyone answered.",
    "The bill was wrong again and nobody explained why.",
    "Shop staff were friendly but the phone I wanted was out of stock.",
    "Coverage at home keeps dropping in the evening.",
    "Setup was quick and the instructions were clear.",
    "I was transferred three times and had to repeat myself.",
    "The app makes it easy to see my usage.",
]


def zipf_weights(n: int, s: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return np.asarray(w / w.sum(), dtype=np.float64)


@dataclass
class BenchOrg:
    org: Organization
    api_secret: str
    surveys: list[Survey]
    # Per survey: (nps, csat, ces, comment) question ids.
    questions: dict[int, tuple[int, int, int, int]]
    interactions: list[Interaction]
    # Per interaction: its survey, and its latent quality (team + touchpoint + persona).
    survey_of: np.ndarray
    quality: np.ndarray
    stage_of: np.ndarray


def build_org(seed: int = 1) -> BenchOrg:
    rng = np.random.default_rng(seed)
    org = do_create_organization("Bench Telecom", slug="bench-telecom")
    owner = do_add_member(org, "owner@bench.test", role=Role.OWNER, display_name="Bench Owner")
    secret = do_create_api_key(org, "bench").secret
    teams = [do_create_team(org, f"Team {i + 1:02d}") for i in range(TEAMS)]
    personas = [
        do_create_persona(org, f"Persona {i + 1}", "A needs-based segment", "Things that work")
        for i in range(PERSONAS)
    ]
    journey = do_create_journey(org, "Customer journey")
    touchpoints = []
    for s in range(STAGES):
        stage = do_add_stage(journey, f"Stage {s + 1:02d}", owner=owner, inside_company=s > 0)
        for t in range(TOUCHPOINTS_PER_STAGE):
            touchpoints.append(do_add_touchpoint(stage, f"Touchpoint {s + 1}.{t + 1}", "phone"))
    surveys = []
    questions: dict[int, tuple[int, int, int, int]] = {}
    for i in range(SURVEYS):
        mine = touchpoints[i::SURVEYS]
        survey = do_create_survey(
            org, f"Survey {i + 1}", "How did we do?", touchpoints=mine, status=SurveyStatus.ACTIVE
        )
        recommend = QuestionIn("nps", "How likely are you to recommend us?", required=True)
        nps = do_add_question(survey, recommend)
        csat = do_add_question(survey, QuestionIn("csat", "How satisfied were you?"))
        ces = do_add_question(survey, QuestionIn("ces", "How easy was it?"))
        text = do_add_question(survey, QuestionIn("text", "What is the main reason?"))
        surveys.append(survey)
        questions[survey.pk] = (nps.pk, csat.pk, ces.pk, text.pk)
    do_set_rollup_attributes(org, ["plan", "region"])

    team_idx, tp_idx, persona_idx, quality = _latent(rng, len(touchpoints))
    items = [
        InteractionIn(
            contact=ContactIn(
                external_id=f"cust-{i}",
                email=f"cust{i}@example.com",
                persona=personas[int(persona_idx[i])],
                attributes={
                    "plan": PLANS[int(rng.choice(3, p=[0.5, 0.4, 0.1]))],
                    "region": REGIONS[int(rng.choice(10, p=zipf_weights(10, 0.6)))],
                },
            ),
            idempotency_key=f"int-{i}",
            touchpoint=touchpoints[int(tp_idx[i])],
            team=teams[int(team_idx[i])],
            occurred_at=END - dt.timedelta(days=DAYS),
        )
        for i in range(INTERACTIONS)
    ]
    do_bulk_record_interactions(org, items)
    interactions = list(
        Interaction.objects.for_org(org)
        .select_related("contact", "touchpoint")
        .order_by("idempotency_key")
    )
    by_key = {it.idempotency_key: it for it in interactions}
    interactions = [by_key[f"int-{i}"] for i in range(INTERACTIONS)]
    survey_by_tp = {tp.pk: surveys[i % SURVEYS] for i, tp in enumerate(touchpoints)}
    survey_of = np.array([surveys.index(survey_by_tp[it.touchpoint_id]) for it in interactions])  # type: ignore[index]
    stage_of = tp_idx // TOUCHPOINTS_PER_STAGE
    return BenchOrg(org, secret, surveys, questions, interactions, survey_of, quality, stage_of)


def _latent(
    rng: np.random.Generator, touchpoints: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each interaction's team, touchpoint and persona, and its latent quality."""
    team_quality = rng.normal(0, 0.6, TEAMS)
    tp_quality = rng.normal(0, 0.4, touchpoints)
    persona_quality = rng.normal(0, 0.3, PERSONAS)
    team_idx = rng.choice(TEAMS, INTERACTIONS, p=zipf_weights(TEAMS))
    tp_idx = rng.choice(touchpoints, INTERACTIONS, p=zipf_weights(touchpoints, 0.8))
    persona_idx = rng.choice(PERSONAS, INTERACTIONS, p=zipf_weights(PERSONAS, 0.7))
    quality = team_quality[team_idx] + tp_quality[tp_idx] + persona_quality[persona_idx]
    return team_idx, tp_idx, persona_idx, quality


def load_org() -> BenchOrg | None:
    """The organisation an earlier run built (to add responses or measure again), with
    a fresh API key; None when there is none. Latent qualities are drawn again from the
    same seed, so generation continues with the same distributions."""
    org = Organization.objects.filter(slug="bench-telecom").first()
    if org is None:
        return None
    rng = np.random.default_rng(1)
    secret = do_create_api_key(org, "bench").secret
    surveys = list(Survey.objects.for_org(org).order_by("pk"))
    questions: dict[int, tuple[int, int, int, int]] = {}
    for survey in surveys:
        by_kind = {q.kind: q.pk for q in Question.objects.filter(survey=survey)}
        questions[survey.pk] = (by_kind["nps"], by_kind["csat"], by_kind["ces"], by_kind["text"])
    touchpoints = list(Touchpoint.objects.for_org(org).order_by("pk"))
    _, tp_idx, _, quality = _latent(rng, len(touchpoints))
    by_key = {
        it.idempotency_key: it
        for it in Interaction.objects.for_org(org).select_related("contact", "touchpoint")
    }
    interactions = [by_key[f"int-{i}"] for i in range(INTERACTIONS)]
    position = {tp.pk: i for i, tp in enumerate(touchpoints)}
    survey_of = np.array([position[it.touchpoint_id or 0] % SURVEYS for it in interactions])
    stage_of = tp_idx // TOUCHPOINTS_PER_STAGE
    return BenchOrg(org, secret, surveys, questions, interactions, survey_of, quality, stage_of)


def _timestamps(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds before END: more recent days are busier, weekends quieter."""
    days = np.arange(DAYS)
    weights = 1.0 + days / DAYS  # growth towards END (day 0 is the oldest)
    weekday = np.array([(END - dt.timedelta(days=int(DAYS - d))).weekday() for d in days])
    weights = weights * np.where(weekday >= 5, 0.5, 1.0)
    chosen = rng.choice(DAYS, n, p=weights / weights.sum())
    return (DAYS - chosen) * 86400 - rng.integers(0, 86400, n)


def responses(
    bench: BenchOrg, start: int, count: int, chunk: int = 20_000
) -> Iterator[list[ResponseIn]]:
    """Responses number start..start+count-1, in chunks; the same numbers give the same data.

    NumPy draws every number of a chunk at once; the loop only assembles the objects the
    bulk path takes (a few microseconds each), so 10M responses never sit in memory.
    """
    surveys = [bench.surveys[int(s)] for s in bench.survey_of]
    questions = [bench.questions[s.pk] for s in surveys]
    for first in range(start, start + count, chunk):
        n = min(chunk, start + count - first)
        rng = np.random.default_rng(first + 17)
        which = rng.integers(0, len(bench.interactions), n)
        ago = _timestamps(rng, n)
        latent = bench.quality[which] + rng.normal(0, 1.0, n)
        # One stage has a bad month about two months before the end.
        bad = (bench.stage_of[which] == 3) & (ago > 45 * 86400) & (ago < 75 * 86400)
        latent = latent - 1.2 * bad
        nps = np.clip(np.round(7.6 + 1.6 * latent + rng.normal(0, 0.8, n)), 0, 10).astype(int)
        csat = np.clip(np.round(3.9 + 0.9 * latent + rng.normal(0, 0.5, n)), 1, 5).astype(int)
        ces = np.clip(np.round(5.2 + 0.8 * latent + rng.normal(0, 0.9, n)), 1, 7).astype(int)
        skip_csat = rng.random(n) < 0.1
        skip_ces = rng.random(n) < 0.2
        comment = rng.random(n) < 0.33
        phrase = rng.integers(0, len(COMMENTS), n)
        end = END.timestamp()
        batch = []
        for i, w, when, s_nps, s_csat, s_ces, no_csat, no_ces, says, p in zip(
            range(first, first + n), which.tolist(), ago.tolist(), nps.tolist(),
            csat.tolist(), ces.tolist(), skip_csat.tolist(), skip_ces.tolist(),
            comment.tolist(), phrase.tolist(), strict=True,
        ):  # fmt: skip
            q_nps, q_csat, q_ces, q_text = questions[w]
            answers = [AnswerIn(q_nps, number=s_nps)]
            if not no_csat:
                answers.append(AnswerIn(q_csat, number=s_csat))
            if not no_ces:
                answers.append(AnswerIn(q_ces, number=s_ces))
            if says:
                answers.append(AnswerIn(q_text, text=COMMENTS[p]))
            batch.append(
                ResponseIn(
                    survey=surveys[w],
                    idempotency_key=f"bench-{i}",
                    answers=answers,
                    interaction=bench.interactions[w],
                    channel="import",
                    responded_at=dt.datetime.fromtimestamp(end - when, dt.UTC),
                )
            )
        yield batch


# --- what the staff pages show besides scores (for the page crawl) -------------------------
CASES = 400
MEMBERS = 24
DEPARTMENTS = ["Sales", "Service", "Network", "Billing"]


def has_content(org: Organization) -> bool:
    from beacon.alignment.models import Round

    return Round.objects.for_org(org).exists()


@transaction.atomic
def add_content(bench: BenchOrg) -> None:
    """Members, themes read from every comment, cases, actions, lost customers, outcomes
    and a closed alignment round: enough that each staff page does its real work.

    Written through Beacon's own actions, except the insights of comments: the bench has
    a handful of distinct comments, so each is read once by the real text engine and its
    reading copied to every answer with the same text in one statement (reading 330,000
    comments one by one would take hours and measure the worker, not the pages)."""
    from beacon.demo.closed_loop import seed_closed_loop
    from beacon.demo.outcomes import seed_outcomes

    org = bench.org
    owner = Membership.objects.for_org(org).get(role=Role.OWNER)
    members = _members(org)
    _distribution(bench)
    _themes(org)
    _cases(bench, members)
    seed_closed_loop(org, today=END)
    _alignment(org, owner, [owner, *members])
    seed_outcomes(org, today=END)


def _members(org: Organization) -> list[Membership]:
    from beacon.cxmodel.actions import do_set_stage_owner
    from beacon.orgs.actions import do_add_department, do_set_team_lead
    from beacon.orgs.models import Department, Team

    have = {d.name: d for d in Department.objects.for_org(org)}
    departments = [have.get(name) or do_add_department(org, name) for name in DEPARTMENTS]
    teams = list(Team.objects.for_org(org).order_by("pk"))
    roles = [Role.ADMIN, Role.ANALYST, Role.AGENT, Role.AGENT, Role.VIEWER]
    members = []
    for i in range(MEMBERS):
        m = do_add_member(org, f"staff{i}@bench.test", role=roles[i % len(roles)],
                          display_name=f"Staff {i + 1:02d}", team=teams[i % len(teams)],
                          department=departments[i % len(departments)])  # fmt: skip
        members.append(m)
    # Each stage is owned by a member, as a real journey is.
    for i, stage in enumerate(Stage.objects.for_org(org).order_by("position", "pk")):
        do_set_stage_owner(stage, members[i % len(members)])
    for i, team in enumerate(teams[:MEMBERS]):
        do_set_team_lead(team, members[i % len(members)])
    return members


def _distribution(bench: BenchOrg) -> None:
    from beacon.surveys.distribution import RuleIn, do_add_rule

    for survey in bench.surveys:
        tp = survey.touchpoints.order_by("pk").first()
        do_add_rule(survey, RuleIn(touchpoint=tp, delay_minutes=60, sample_percent=50))


def _themes(org: Organization) -> None:
    from django.db import connection

    from beacon.insights.analysis import do_analyse_answers
    from beacon.insights.models import AnswerInsight, ThemeMention
    from beacon.insights.taxonomy import do_adopt_starter
    from beacon.responses.models import Answer, Response

    do_adopt_starter(org, "telecom")
    texts = Answer.objects.for_org(org).filter(question__kind="text")
    insight, mention = AnswerInsight._meta.db_table, ThemeMention._meta.db_table
    answer, response = Answer._meta.db_table, Response._meta.db_table
    for comment in COMMENTS:
        first = texts.filter(text=comment).select_related("response").order_by("pk").first()
        if first is None:
            continue
        do_analyse_answers([first.response], [first])
        with connection.cursor() as c:
            c.execute(
                f"INSERT INTO {insight} (created_at, organization_id, answer_id, response_id,"
                " language, sentiment, sentiment_score, unclassifiable, reason, redacted_text,"
                " model_version, corrected)"
                " SELECT a.created_at, a.organization_id, a.id, a.response_id, i.language,"
                " i.sentiment, i.sentiment_score, i.unclassifiable, i.reason, a.text,"
                f" i.model_version, i.corrected FROM {answer} a, {insight} i"
                " WHERE i.answer_id = %s AND a.organization_id = %s AND a.text = %s"
                " AND a.id <> %s",
                [first.pk, org.pk, comment, first.pk],
            )
            c.execute(
                f"INSERT INTO {mention} (created_at, organization_id, answer_id, response_id,"
                " contact_id, responded_at, theme_id, sentiment, score, source)"
                " SELECT a.created_at, a.organization_id, a.id, a.response_id, r.contact_id,"
                " r.responded_at, m.theme_id, m.sentiment, m.score, m.source"
                f" FROM {answer} a JOIN {response} r ON r.id = a.response_id, {mention} m"
                " WHERE m.answer_id = %s AND a.organization_id = %s AND a.text = %s"
                " AND a.id <> %s",
                [first.pk, org.pk, comment, first.pk],
            )


def _cases(bench: BenchOrg, members: list[Membership]) -> None:
    from beacon.loop.actions import (
        CaseRuleIn,
        do_create_case_rule,
        do_create_root_cause,
        do_open_case_for,
        do_resolve_case,
    )
    from beacon.responses.models import Response

    org = bench.org
    do_create_case_rule(org.pk, CaseRuleIn(name="Detractor", question_kind="nps", max_score=6))
    cause = do_create_root_cause(org.pk, "wait", "Waiting time")
    recent = (
        Response.objects.for_org(org)
        .filter(answers__question__kind="nps", answers__number__lte=6)
        .order_by("-responded_at")[:CASES]
    )
    for i, response in enumerate(recent):
        case = do_open_case_for(response)
        if case is not None and i % 3 == 0:
            do_resolve_case(case, cause, "Called back and fixed it.", actor=members[0])


def _alignment(org: Organization, owner: Membership, people: list[Membership]) -> None:
    from beacon.alignment.actions import (
        AnswerIn,
        StageAnswerIn,
        do_answer,
        do_close_round,
        do_create_round,
    )
    from beacon.alignment.models import Accountable, Recipient
    from beacon.core import clock
    from beacon.cxmodel.actions import do_set_primary_persona
    from beacon.cxmodel.models import Journey, Persona

    personas = list(Persona.objects.for_org(org).order_by("pk"))
    do_set_primary_persona(personas[0])
    journey = Journey.objects.for_org(org).get()
    stages = list(Stage.objects.for_org(org).filter(journey=journey).order_by("position", "pk"))
    with clock.frozen_at(END - dt.timedelta(days=20)):
        issued = do_create_round(org, "Who owns the experience?", journey=journey,
                                 closes_at=END - dt.timedelta(days=6), recipients=people,
                                 actor=owner)  # fmt: skip
    for n, recipient in enumerate(Recipient.objects.filter(round=issued.round).order_by("pk")):
        answer = AnswerIn(
            personas=[personas[n % 3], personas[3]],
            persona_text="",
            overall=owner if n % 4 else None,
            stages=[
                StageAnswerIn(s, Accountable.MEMBER, member=people[(n + k) % 3 + 1])
                if (n + k) % 5
                else StageAnswerIn(s, Accountable.DONT_KNOW)
                for k, s in enumerate(stages)
            ],
        )
        with clock.frozen_at(END - dt.timedelta(days=19 - n % 10)):
            do_answer(recipient, answer)
    do_close_round(issued.round, actor=owner)
