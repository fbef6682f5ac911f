"""A believable demo organisation: a telecom with personas, a journey, surveys and history.

Deterministic: the same seed and the same end date give the same organisation. Answers go
through the product's bulk ingest path; cases through the loop's own actions.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from beacon.analytics.actions import AlertRuleIn, do_create_alert_rule, evaluate_rule
from beacon.analytics.models import AlertKind
from beacon.analytics.money.report import refresh as refresh_value
from beacon.contacts.actions import ContactIn, InteractionIn, do_bulk_record_interactions
from beacon.contacts.models import Interaction
from beacon.core import clock
from beacon.cxmodel.actions import (
    do_add_need,
    do_add_stage,
    do_add_touchpoint,
    do_create_journey,
    do_create_persona,
)
from beacon.cxmodel.models import Persona, Stage, Touchpoint
from beacon.demo.alignment import seed_alignment
from beacon.demo.closed_loop import seed_closed_loop, withhold_history
from beacon.demo.distribution import seed_distribution
from beacon.demo.insights import outage_comment, outage_note, teach
from beacon.demo.outcomes import seed_outcomes
from beacon.demo.reasons import REASONS, contact_note
from beacon.demo.verbatims import Sentiment, generate_verbatim
from beacon.insights.analysis import do_backfill
from beacon.insights.models import ContactReason, InteractionReason
from beacon.insights.reason_reading import do_reread_reasons
from beacon.insights.reasons import do_create_reason, do_set_interaction_reason
from beacon.insights.registry import do_train_reasons
from beacon.insights.taxonomy import do_adopt_starter
from beacon.loop.actions import (
    do_create_root_cause,
    do_open_case_for,
    do_resolve_case,
    do_set_status,
)
from beacon.loop.models import Case, RootCause
from beacon.notifications.actions import sends_held
from beacon.orgs.actions import (
    do_add_member,
    do_create_organization,
    do_create_team,
    do_deactivate_member,
)
from beacon.orgs.models import Membership, Organization, Role, Team
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest_bulk
from beacon.responses.models import Response
from beacon.surveys.actions import (
    QuestionIn,
    do_add_question,
    do_create_invitation,
    do_create_survey,
)
from beacon.surveys.models import Invitation, Question, QuestionKind, Survey, SurveyStatus

DEMO_SLUG = "northwind"
DEMO_EMAIL = "demo@beacon.local"
DEMO_PASSWORD = "beacon-demo"
STAFF_DOMAIN = "northwind.example"

PERSONAS = [
    (
        "Keep me connected",
        "Relies on the network for work and family every day; an outage is a crisis, not an "
        "inconvenience.",
        "A connection that simply works, and a fix in one contact when it does not.",
    ),
    (
        "No surprises",
        "Watches every pound; wants to know exactly what they pay and why, and hates price "
        "changes they did not see coming.",
        "A bill they understand at a glance, with no charges they did not expect.",
    ),
    (
        "Help me choose",
        "Not confident with technology; needs patient advice to pick a plan and set it up.",
        "Someone who explains things plainly and stays until everything works.",
    ),
]

# (key, name, inside the company, owner key, touchpoints, baseline satisfaction)
STAGES = [
    ("discover", "Discover & compare", False, "sofia", [], 0.0),
    (
        "buy",
        "Buy & sign up",
        True,
        "marcus",
        [("Store visit", "store"), ("Online checkout", "web"), ("Sales call", "phone")],
        0.55,
    ),
    (
        "activate",
        "Get connected",
        True,
        "aisha",
        [
            ("Delivery & SIM activation", "delivery"),
            ("Broadband installation visit", "field"),
            ("Number transfer", "web"),
        ],
        0.1,
    ),
    ("use", "Everyday use", False, "jonas", [("Quarterly check-in", "email")], 0.2),
    (
        "billing",
        "Billing & payment",
        True,
        "tom",
        [("Monthly bill", "email"), ("Payment query call", "phone")],
        -0.15,
    ),
    (
        "support",
        "Get help",
        True,
        "priya",
        [("Phone support", "phone"), ("Live chat", "chat"), ("Store help desk", "store")],
        0.0,
    ),
    (
        "renew",
        "Renew or leave",
        True,
        # The demo login (Dana, head of customer experience) owns retention, so her My
        # work page shows what it is for.
        "dana",
        [("Renewal call", "phone"), ("Cancellation request", "phone")],
        -0.1,
    ),
]

LEADERS = {
    "dana": ("Dana Reyes", Role.OWNER),
    "sofia": ("Sofia Alvarez", Role.ANALYST),
    "marcus": ("Marcus Bell", Role.ADMIN),
    "aisha": ("Aisha Khan", Role.ADMIN),
    "jonas": ("Jonas Berg", Role.ADMIN),
    "tom": ("Tom Whitaker", Role.ADMIN),
    "priya": ("Priya Nair", Role.ADMIN),
    "elena": ("Elena Rossi", Role.ADMIN),
    # Owned a need, then left: deactivated, so the journey map shows it orphaned and the
    # handover page lists it for reassignment.
    "leo": ("Leo Grant", Role.ADMIN),
}
LEAVER = "leo"

# team name -> (parent, lead key or None, channels it serves, agents, team effect)
TEAMS = {
    "Customer Care": (None, "priya", [], [], 0.0),
    "Care - Leeds": (
        "Customer Care",
        None,
        ["phone", "chat"],
        ["Hannah Cole", "Ravi Patel", "Owen Hughes", "Grace Lin"],
        0.25,
    ),
    "Care - Glasgow": (
        "Customer Care",
        None,
        ["phone", "chat"],
        ["Callum Fraser", "Isla Murray", "Kofi Mensah", "Zara Ahmed"],
        -0.2,
    ),
    "Retail": (None, "marcus", [], [], 0.0),
    "Store - Manchester Arndale": ("Retail", None, ["store"], ["Liam Doyle", "Amira Haddad"], 0.3),
    "Store - Bristol Cabot Circus": (
        "Retail",
        None,
        ["store"],
        ["Chloe Evans", "Ben Carter"],
        0.05,
    ),
    "Field Engineering": (
        None,
        "aisha",
        ["field", "delivery"],
        ["Marek Nowak", "Dylan Price", "Fatima Bello"],
        0.0,
    ),
    "Billing Operations": (None, "tom", ["email"], ["Nina Schultz", "Paul Grant"], -0.1),
    "Digital": (None, "jonas", ["web"], ["Leo Park"], 0.1),
}

ROOT_CAUSES = [
    ("wait-time", "Long wait to reach an agent"),
    ("billing-error", "Billing error"),
    ("price-change", "Price change not explained"),
    ("coverage-gap", "Network coverage gap"),
    ("missed-appointment", "Missed installation appointment"),
    ("knowledge-gap", "Agent lacked knowledge or authority"),
    ("handoff", "Hand-off between teams failed"),
    ("product-fault", "Device or equipment fault"),
]


@dataclass
class DemoOrg:
    org: Organization
    members: dict[str, Membership] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    agents_by_team: dict[str, list[Membership]] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    stage_effect: dict[int, float] = field(default_factory=dict)
    touchpoints: list[Touchpoint] = field(default_factory=list)
    personas: list[Persona] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)


def _email(name: str) -> str:
    return name.lower().replace(" ", ".") + f"@{STAFF_DOMAIN}"


def _people(demo: DemoOrg) -> None:
    org = demo.org
    for key, (name, role) in LEADERS.items():
        email = DEMO_EMAIL if key == "dana" else _email(name)
        demo.members[key] = do_add_member(org, email, role=role, display_name=name)
    for team_name, (parent, lead, _channels, agents, _effect) in TEAMS.items():
        team = do_create_team(
            org,
            team_name,
            parent=demo.teams[parent] if parent else None,
            lead=demo.members[lead] if lead else None,
        )
        demo.teams[team_name] = team
        demo.agents_by_team[team_name] = [
            do_add_member(org, _email(agent), role=Role.AGENT, display_name=agent, team=team)
            for agent in agents
        ]
    # Every demo account signs in with the published demo password. Hashed once, not once
    # per account: a hash costs about a quarter of a second by design, eight seconds for
    # the demo's 27 people.
    staff = [*demo.members.values(), *(m for ms in demo.agents_by_team.values() for m in ms)]
    User.objects.filter(pk__in=[m.user_id for m in staff]).update(
        password=make_password(DEMO_PASSWORD)
    )


def _data(name: str) -> Any:
    """A table of the demo kept as data (beacon/demo/data/), not as code."""
    return json.loads(files("beacon.demo").joinpath("data", name).read_text("utf-8"))


def _cx_model(demo: DemoOrg) -> None:
    org = demo.org
    demo.personas = [do_create_persona(org, n, d, needs) for n, d, needs in PERSONAS]
    journey = do_create_journey(
        org,
        "Mobile & broadband customer journey",
        "From first comparing offers to renewing or leaving; two stages happen away from us.",
    )
    for key, name, inside, owner, touchpoints, effect in STAGES:
        stage = do_add_stage(journey, name, owner=demo.members[owner], inside_company=inside)
        demo.stages[key] = stage
        demo.stage_effect[stage.pk] = effect
        for tp_name, channel in touchpoints:
            demo.touchpoints.append(do_add_touchpoint(stage, tp_name, channel))
    personas = {p.name: p for p in demo.personas}
    for need in _data("needs.json"):
        do_add_need(
            demo.stages[need["stage"]],
            need["need"],
            need["outcome"],
            owner=demo.members[need["owner"]],
            persona=personas[need["persona"]],
            metric="CSAT of the stage's survey",
            # What shows the need is met, for this persona at this stage (journey map).
            measure=need["measure"],
            target=float(need["target"]),
        )


def _tps(demo: DemoOrg, *names: str) -> list[Touchpoint]:
    return [tp for tp in demo.touchpoints if tp.name in names]


def _surveys(demo: DemoOrg) -> None:
    """The demo's surveys with their touchpoints and questions (data/surveys.json)."""
    for spec in _data("surveys.json"):
        survey = do_create_survey(
            demo.org,
            spec["name"],
            spec["title"],
            touchpoints=_tps(demo, *spec["touchpoints"]),
            status=SurveyStatus.ACTIVE,
        )
        for question in spec["questions"]:
            do_add_question(survey, QuestionIn(**question))
        demo.surveys.append(survey)


def _team_for(demo: DemoOrg, rng: random.Random, channel: str) -> str | None:
    options = [name for name, spec in TEAMS.items() if channel in spec[2]]
    return rng.choice(options) if options else None


def _satisfaction(
    demo: DemoOrg,
    stage: Stage,
    persona_ix: int,
    team: str | None,
    staff_ix: int,
    days_ago: float,
    rng: random.Random,
) -> float:
    """A latent score in roughly -3..3 built from known effects, so the demo has patterns."""
    s = 0.35 + demo.stage_effect[stage.pk]
    s += (0.2, -0.25, 0.05)[persona_ix]
    if team:
        s += TEAMS[team][4]
        s += (staff_ix % 3 - 1) * 0.15
    if stage.name == "Get help":
        s += 0.5 * (1 - days_ago / 180)  # a coaching programme is slowly paying off
    if stage.name == "Billing & payment" and days_ago < 75:
        s -= 0.6  # a price rise two and a half months ago
    return s + rng.gauss(0, 1.05)


def _scores(latent: float) -> dict[str, int]:
    def scale(lo: int, hi: int, shift: float = 0.0) -> int:
        p = 1 / (1 + math.exp(-(latent + shift) * 1.3))
        return max(lo, min(hi, round(lo + p * (hi - lo))))

    return {
        "nps": scale(0, 10, 0.55),
        "csat": scale(1, 5, 0.3),
        "ces": scale(1, 7, 0.2),
        "rating": scale(1, 5, 0.35),
    }


def _sentiment(nps_like: int) -> Sentiment:
    return "positive" if nps_like >= 9 else "neutral" if nps_like >= 7 else "negative"


STAGE_KEY_BY_NAME = {name: key for key, name, *_ in STAGES}


def _answers(
    rng: random.Random,
    survey: Survey,
    questions: list[Question],
    stage: Stage,
    latent: float,
    staff_name: str | None,
) -> list[AnswerIn]:
    scores = _scores(latent)
    out: list[AnswerIn] = []
    for q in questions:
        if q.kind == QuestionKind.TEXT:
            if rng.random() < 0.55:
                text = generate_verbatim(
                    rng,
                    stage=STAGE_KEY_BY_NAME[stage.name],
                    sentiment=_sentiment(scores["nps"]),
                    staff_name=staff_name,
                ).text
                out.append(AnswerIn(q.pk, text=text))
        elif q.kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
            k = 1 if q.kind == QuestionKind.SINGLE else rng.randint(1, 3)
            out.append(AnswerIn(q.pk, choices=rng.sample(q.choices, k)))
        elif q.required or rng.random() < 0.9:
            out.append(AnswerIn(q.pk, number=scores[q.kind]))
    return out


def _note(tp: Touchpoint, index: int) -> str:
    """A help contact's note says what it was about; a purchase or a bill has no note, so
    only help contacts get a reason for contact."""
    note = contact_note(tp.name, index)
    return note[1] if note else ""


def _reasons(demo: DemoOrg, since: dt.datetime, labels: int = 12) -> None:
    """The reasons Customer Care uses, every described contact read through them, and a few
    the support lead corrected where the model read the note wrongly."""
    org, lead = demo.org, demo.members["priya"]
    for name, description, phrases in REASONS:
        do_create_reason(org, name, description, phrases, actor=lead)
    do_train_reasons(org)
    do_reread_reasons(org, since=since)
    by_name = {r.name: r for r in ContactReason.objects.for_org(org)}
    read = InteractionReason.objects.for_org(org).select_related(
        "interaction__touchpoint", "reason"
    )
    wrong = []
    for row in read.order_by("interaction_id"):
        key, tp = row.interaction.idempotency_key, row.interaction.touchpoint
        if tp is None or not key.startswith("demo-"):
            continue
        note = contact_note(tp.name, int(key.removeprefix("demo-")))
        if note and (row.reason is None or row.reason.name != note[0]):
            wrong.append((row.interaction, by_name[note[0]]))
    for interaction, truth in wrong[:labels]:
        do_set_interaction_reason(interaction, truth, actor=lead)
    # The model learns from the corrections, as the worker does after each one.
    do_train_reasons(org)
    do_reread_reasons(org, since=since)


def _outage(demo: DemoOrg, count: int, today: dt.datetime) -> None:
    """Last week's mast fault around Leeds: unhappy support calls about no signal."""
    rng = random.Random("northwind-outage")
    phone = next(tp for tp in demo.touchpoints if tp.name == "Phone support")
    survey = next(s for s in demo.surveys if s.touchpoints.filter(pk=phone.pk).exists())
    questions = list(survey.questions.order_by("position"))
    planned = []
    for i in range(count):
        name = _customer_name(rng)
        planned.append(
            InteractionIn(
                contact=ContactIn(
                    external_id=f"NW-OUT-{i}",
                    email=f"outage{i}@example.net",
                    name=name,
                    persona=demo.personas[i % 3],
                    attributes={"plan": "Phone contract", "value": "standard"},
                ),
                idempotency_key=f"outage-{i}",
                occurred_at=today - dt.timedelta(hours=rng.uniform(4, 150)),
                touchpoint=phone,
                team=demo.teams["Care - Leeds"],
                description=outage_note(i),
            )
        )
    items = []
    for i, interaction in enumerate(do_bulk_record_interactions(demo.org, planned)):
        first = planned[i].contact.name.split()[0]
        scores = {"nps": rng.randint(0, 4), "csat": rng.randint(1, 2), "ces": rng.randint(1, 3)}
        answers = [
            AnswerIn(q.pk, text=outage_comment(i, first))
            if q.kind == QuestionKind.TEXT
            else AnswerIn(q.pk, number=scores.get(q.kind, rng.randint(1, 2)))
            for q in questions
            if q.kind not in (QuestionKind.SINGLE, QuestionKind.MULTI)
        ]
        items.append(
            ResponseIn(
                survey=survey,
                idempotency_key=f"outage-response-{interaction.pk}",
                answers=answers,
                interaction=interaction,
                channel="email",
                responded_at=min(interaction.occurred_at + dt.timedelta(hours=1), today),
            )
        )
    ingest_bulk(items, historical=True)


def _history(demo: DemoOrg, rng: random.Random, responses: int, today: dt.datetime) -> None:
    org = demo.org
    survey_of_tp = {tp.pk: s for s in demo.surveys for tp in s.touchpoints.all()}
    questions = {s.pk: list(s.questions.order_by("position")) for s in demo.surveys}
    contacts = [
        ContactIn(
            external_id=f"NW-{100000 + i}",
            email=f"customer{i}@example.net",
            name=_customer_name(rng),
            persona=demo.personas[rng.choices([0, 1, 2], [5, 3, 2])[0]],
            attributes={
                "plan": rng.choice(
                    ["SIM only", "Phone contract", "Broadband", "Broadband + mobile"]
                ),
                "value": rng.choice(["standard", "standard", "high"]),
            },
        )
        for i in range(max(10, responses * 3 // 5))
    ]
    weights = [
        5 if tp.stage.name == "Get help" else 2 if tp.stage.name == "Buy & sign up" else 1
        for tp in demo.touchpoints
    ]
    planned: list[tuple[InteractionIn, float]] = []
    for i in range(responses):
        tp = rng.choices(demo.touchpoints, weights)[0]
        days_ago = rng.random() ** 0.9 * 180
        when = today - dt.timedelta(days=days_ago, hours=rng.uniform(0, 1))
        team_name = _team_for(demo, rng, tp.channel)
        agents = demo.agents_by_team.get(team_name or "", [])
        staff = rng.choice(agents) if agents else None
        planned.append(
            (
                InteractionIn(
                    contact=rng.choice(contacts),
                    idempotency_key=f"demo-{i}",
                    occurred_at=when,
                    touchpoint=tp,
                    team=demo.teams[team_name] if team_name else None,
                    staff=staff,
                    description=_note(tp, i),
                ),
                days_ago,
            )
        )
    interactions = do_bulk_record_interactions(org, [p[0] for p in planned])
    staff_order = {
        m.display_name: i
        for i, m in enumerate(m for team in demo.agents_by_team.values() for m in team)
    }
    items: list[ResponseIn] = []
    for interaction, (data, days_ago) in zip(interactions, planned, strict=True):
        where = data.touchpoint
        assert where is not None
        survey = survey_of_tp[where.pk]
        persona_ix = demo.personas.index(data.contact.persona)  # type: ignore[arg-type]
        # Position among the demo's staff, not the database id: ids differ between databases.
        staff_ix = staff_order.get(data.staff.display_name, 0) if data.staff else 0
        latent = _satisfaction(
            demo,
            where.stage,
            persona_ix,
            data.team.name if data.team else None,
            staff_ix,
            days_ago,
            rng,
        )
        staff_first = data.staff.display_name.split()[0] if data.staff else None
        items.append(
            ResponseIn(
                survey=survey,
                idempotency_key=f"demo-response-{interaction.pk}",
                answers=_answers(
                    rng, survey, questions[survey.pk], where.stage, latent, staff_first
                ),
                interaction=interaction,
                channel="email",
                responded_at=interaction.occurred_at + dt.timedelta(minutes=rng.randint(5, 600)),
            )
        )
    items = [i for i in items if i.responded_at and i.responded_at < today]
    ingest_bulk(items, historical=True)


FIRST = [
    "James",
    "Olivia",
    "Mohammed",
    "Amelia",
    "Noah",
    "Isla",
    "George",
    "Ava",
    "Arthur",
    "Mia",
    "Leo",
    "Ivy",
    "Harry",
    "Freya",
    "Oscar",
    "Lily",
    "Jack",
    "Sophie",
    "Yusuf",
    "Ella",
    "Daniel",
    "Chloe",
    "Samuel",
    "Aoife",
    "Tariq",
    "Megan",
    "Piotr",
    "Hana",
    "Kwame",
    "Ruth",
]
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Khan",
    "Lewis",
    "O'Brien",
    "Kowalski",
    "Singh",
    "Murphy",
    "Campbell",
    "Okafor",
]


def _customer_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _cases(demo: DemoOrg, rng: random.Random, today: dt.datetime) -> None:
    """Cases for the last fortnight's unhappy answers: older ones mostly resolved."""
    causes = [do_create_root_cause(demo.org.pk, code, name) for code, name in ROOT_CAUSES]
    recent = (
        Response.objects.for_org(demo.org)
        .filter(responded_at__gte=today - dt.timedelta(days=14), answers__number__lte=2)
        .select_related("survey", "contact", "stage__owner", "organization")
        .distinct()
        .order_by("responded_at")
    )
    # The fortnight's newest 90, oldest first: the last days' cases are the open ones.
    for response in reversed(list(recent.reverse()[:90])):
        with clock.frozen_at(response.responded_at + dt.timedelta(minutes=2)):
            case = do_open_case_for(response)
        if case is None:
            continue
        hours_ago = int((today - response.responded_at).total_seconds() // 3600)
        actor = case.owner
        # A team that works: most cases past their deadline were resolved in time, a few
        # slipped; the last two days' cases are still open and within their deadline.
        if hours_ago >= 48 and rng.random() < 0.92:
            took = rng.randint(3, min(46, hours_ago - 1))
            with clock.frozen_at(response.responded_at + dt.timedelta(hours=took)):
                _resolve(case, rng.choice(causes), actor)
        elif hours_ago >= 2 and rng.random() < 0.5:
            took = rng.randint(1, min(20, hours_ago - 1))
            with clock.frozen_at(response.responded_at + dt.timedelta(hours=took)):
                do_set_status(case, "in_progress", actor=actor)


def _alert_rules(demo: DemoOrg, now: dt.datetime) -> None:
    """The alert a CX team sets first: support NPS against the week before, told to the
    demo login; last week's mast fault makes it fire."""
    rule = do_create_alert_rule(
        demo.org,
        AlertRuleIn(
            name="Get help NPS moved",
            metric="nps",
            kind=AlertKind.CHANGED,
            notify=demo.members["dana"],
            stage=demo.stages["support"],
        ),
    )
    evaluate_rule(rule, now)


def _resolve(case: Case, cause: RootCause, actor: Membership) -> None:
    do_resolve_case(
        case,
        cause,
        "Called the customer, apologised and fixed the cause; "
        "credit applied where we were at fault.",
        actor=actor,
    )


def _open_invitations(demo: DemoOrg, today: dt.datetime) -> list[Invitation]:
    """A few fresh invitations so anyone can answer as a customer right away."""
    phone = _tps(demo, "Phone support")[0]
    team = demo.teams["Care - Leeds"]
    out = []
    for i in range(5):
        data = InteractionIn(
            contact=ContactIn(
                external_id=f"NW-DEMO-{i}",
                email=f"try{i}@example.net",
                name=f"Demo Customer {i + 1}",
                persona=demo.personas[i % 3],
            ),
            idempotency_key=f"demo-open-{i}",
            occurred_at=today - dt.timedelta(minutes=30),
            touchpoint=phone,
            team=team,
            staff=demo.agents_by_team["Care - Leeds"][i % 4],
        )
        interaction: Interaction = do_bulk_record_interactions(demo.org, [data])[0]
        out.append(
            do_create_invitation(demo.surveys[0], interaction.contact, interaction=interaction)
        )
    return out


def open_invitations(org: Organization) -> list[Invitation]:
    return list(
        Invitation.objects.for_org(org)
        .filter(completed_at__isnull=True, contact__external_id__startswith="NW-DEMO-")
        .order_by("pk")
    )


@transaction.atomic
def seed(
    *,
    responses: int = 20_000,
    seed: int = 7,
    today: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> Organization:
    """The demo organisation; `progress` hears the name of each step before it starts."""
    say = progress or (lambda step: None)
    rng = random.Random(seed)
    now = today or clock.now()
    # Send jobs only for what the history leaves to send (see `sends_held`).
    with sends_held():
        say("people, journeys, surveys and rules")
        # The organisation's history is placed six months back so created_at reads naturally.
        with clock.frozen_at(now - dt.timedelta(days=190)):
            org = do_create_organization("Northwind Mobile", DEMO_SLUG)
            org.brand_color = "#0b6e4f"
            org.save(update_fields=["brand_color"])
            demo = DemoOrg(org)
            _people(demo)
            _cx_model(demo)
            _surveys(demo)
            seed_distribution(org)
        say(f"{responses:,} responses of six months' history")
        _history(demo, rng, responses, now)
        _outage(demo, max(10, responses // 200), now)
        # The telecom starter taxonomy, and every comment read through it, as a customer
        # adopting Beacon with six months of history would do on day one.
        say("reading every comment (themes and sentiment)")
        do_adopt_starter(org, "telecom")
        do_backfill(org)
        say("staff corrections and reasons for contact")
        teach(org, demo.members["sofia"])
        _reasons(demo, since=now - dt.timedelta(days=190))
        say("cases, actions and updates to customers")
        _cases(demo, rng, now)
        _alert_rules(demo, now)
        say("alignment rounds")
        seed_alignment(org, demo.stages, now)
        # Emails the seeded history would have sent months ago are kept as rows, not mailed.
        withhold_history(org, seed_closed_loop(org, today=now))
    # Orders, subscriptions and service contacts over the same months, and the money
    # figures the worker would have stored from them (the Value page reads those).
    say("orders, subscriptions and what experience is worth")
    seed_outcomes(org, today=now)
    refresh_value(org, now)
    _open_invitations(demo, now)
    with clock.frozen_at(now - dt.timedelta(days=12)):
        do_deactivate_member(demo.members[LEAVER], actor=demo.members["dana"])
    return org
