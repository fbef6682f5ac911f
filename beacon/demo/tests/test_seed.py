from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.db import transaction

from beacon.analytics.alignment import latest_round, round_results, trend
from beacon.analytics.journey import journey_map
from beacon.analytics.metrics import summary
from beacon.analytics.models import AlertRule
from beacon.contacts.models import Interaction
from beacon.cxmodel.models import Journey, Need, Persona, Stage
from beacon.demo.insights import has_contact_details
from beacon.demo.reasons import CONTACT_TOUCHPOINTS, REASONS, contact_note
from beacon.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, open_invitations, seed
from beacon.insights import queries
from beacon.insights.models import (
    ContactReason,
    Correction,
    InteractionReason,
    ThemeMention,
    TrainedModel,
)
from beacon.loop.models import Case, CustomerUpdate
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.orgs.models import Membership, Organization
from beacon.responses.models import Answer, Response
from beacon.surveys.models import RECOMMENDED_MAX_QUESTIONS, Survey

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def test_demo_is_a_believable_organisation() -> None:
    org = seed(responses=1500, today=TODAY)
    assert Persona.objects.for_org(org).count() == 3
    stages = list(Stage.objects.for_org(org).order_by("position"))
    assert len(stages) == 7 and Journey.objects.for_org(org).count() == 1
    assert [s.name for s in stages if not s.inside_company] == [
        "Discover & compare",
        "Everyday use",
    ]
    assert Need.objects.for_org(org).count() == 10
    surveys = Survey.objects.for_org(org)
    assert surveys.count() == 5
    assert all(s.questions.count() <= RECOMMENDED_MAX_QUESTIONS for s in surveys)
    responses = Response.objects.for_org(org)
    # The history asked for, and last week's ten outage calls (demo/insights.py).
    assert 1400 + 10 <= responses.count() <= 1500 + 10
    oldest = responses.order_by("responded_at").first()
    assert oldest is not None and (TODAY - oldest.responded_at).days >= 150
    texts = list(Answer.objects.for_org(org).exclude(text="").values_list("text", flat=True))
    assert len(texts) > 500 and len(set(texts)) > 0.8 * len(texts)
    assert Case.objects.for_org(org).filter(status="resolved").exists()
    assert Case.objects.for_org(org).exclude(status="resolved").exists()
    assert len(open_invitations(org)) == 5
    assert summary(org)["nps"].n > 500
    outbox = OutboxMessage.objects.for_org(org)
    assert outbox.filter(state=OutboxState.WITHHELD).exists()
    # Nothing of the history is left to send: the completed action's NPS did not improve,
    # so no "you said, we did" update was proposed, let alone approved.
    assert not outbox.filter(state=OutboxState.PENDING).exists()
    assert not CustomerUpdate.objects.for_org(org).exists()
    assert ThemeMention.objects.for_org(org).exists()
    # The demo login owns a stage, is told by an alert that last week's outage fired,
    # and works in a team that keeps its deadlines: few open cases are overdue.
    dana = Membership.objects.for_org(org).get(user__email=DEMO_EMAIL)
    assert [s.name for s in stages if s.owner_id == dana.pk] == ["Renew or leave"]
    # Every one of the demo's people signs in with the published password.
    people = Membership.objects.for_org(org).select_related("user")
    assert people.count() == 27
    assert all(m.user.check_password(DEMO_PASSWORD) for m in people)
    # (At this size last week has too few support answers to fire; the full demo fires.)
    rule = AlertRule.objects.for_org(org).get()
    assert (rule.name, rule.notify_id, rule.stage_id) == (
        "Get help NPS moved", dana.pk, next(s.pk for s in stages if s.name == "Get help")
    )  # fmt: skip
    assert rule.last_evaluated_at is not None
    open_cases = Case.objects.for_org(org).exclude(status="resolved")
    overdue = open_cases.filter(due_at__lt=TODAY).count()
    assert open_cases.filter(due_at__gte=TODAY).exists() and overdue < open_cases.count() / 2
    # Every need names its measure and target; one lost its owner (an orphaned need), and
    # the outside stage nobody surveys has no data to judge its needs by.
    needs = Need.objects.for_org(org).select_related("owner")
    assert all(n.measure and n.target is not None for n in needs)
    assert [n.owner.display_name for n in needs if n.owner.deactivated_at] == ["Leo Grant"]
    figures = {f.stage.name: f for _, figs in journey_map(org, TODAY).journeys for f in figs}
    assert {n.status for n in figures["Discover & compare"].needs} == {"not_enough"}
    _planted_misalignment(org)


def _planted_misalignment(org: Organization) -> None:
    """The latest alignment round shows the gaps the demo tells its story with."""
    latest = latest_round(org)
    assert latest is not None and latest.title == "Alignment check, autumn"
    flags = [(where, f.kind) for where, f in round_results(latest).flags]
    assert flags == [
        ("Get connected", "contested"),
        ("Billing & payment", "contested"),
        ("Overall accountability", "unknown"),
        ("Sales", "misaligned"),
    ]
    assert [p.round.title for p in trend(org)] == [
        "Alignment check, spring", "Alignment check, autumn"
    ]  # fmt: skip
    # Nothing was mailed to staff: the rounds are history.
    assert (
        not OutboxMessage.objects.for_org(org)
        .filter(cause_type="alignment.recipient", state=OutboxState.PENDING)
        .exists()
    )


def _fingerprint() -> list[tuple[int | None, str]]:
    org = seed(responses=300, today=TODAY)
    return list(Answer.objects.for_org(org).order_by("pk").values_list("number", "text"))


def test_demo_is_deterministic() -> None:
    with transaction.atomic():
        first = _fingerprint()
        transaction.set_rollback(True)
    assert first == _fingerprint()


def test_demo_command_loads_once(capsys) -> None:
    call_command("demo", responses=200)
    call_command("demo", responses=200)
    out = capsys.readouterr().out
    assert out.count("Loaded demo organisation Northwind Mobile") == 1
    # Progress while it loads: each step as it starts, with the time and CPU so far.
    assert re.findall(r"^  \[ *[\d.]+s, CPU +[\d.]+s\] (.+)$", out, re.MULTILINE) == [
        "people, journeys, surveys and rules",
        "200 responses of six months' history",
        "reading every comment (themes and sentiment)",
        "staff corrections and reasons for contact",
        "cases, actions and updates to customers",
        "alignment rounds",
        "orders, subscriptions and what experience is worth",
    ]
    assert "Demo organisation already loaded; skipping." in out
    assert Organization.objects.filter(slug=DEMO_SLUG).count() == 1


def test_demo_shows_every_part_of_text_analytics() -> None:
    org = seed(responses=1500, today=TODAY)
    # Reasons for contact: every described help contact is read.
    reasons = {r.name for r in ContactReason.objects.for_org(org)}
    assert reasons == {name for name, _, _ in REASONS}
    described = Interaction.objects.for_org(org).exclude(description="")
    assert set(described.values_list("touchpoint__name", flat=True)) == set(CONTACT_TOUCHPOINTS)
    rows = InteractionReason.objects.for_org(org).select_related(
        "reason", "interaction__touchpoint"
    )
    assert rows.count() == described.count() > 300
    right = staff = 0
    for row in rows:
        key, tp = row.interaction.idempotency_key, row.interaction.touchpoint
        assert tp is not None and row.reason is not None
        if key.startswith("outage-"):
            truth = "No signal or slow data"
        else:
            note = contact_note(tp.name, int(key.removeprefix("demo-")))
            assert note is not None
            truth = note[0]
        right += row.reason.name == truth
        if row.source == "staff":
            staff += 1
            assert row.reason.name == truth
    # The support lead corrected twelve notes the model read wrongly (from the reasons'
    # names, descriptions and phrases alone it read 83% right); retrained on them, it
    # reads at least 85% of the help notes right.
    assert staff == 12
    assert right / rows.count() >= 0.85

    # Last week's mast fault makes network coverage an emerging theme.
    emerging = queries.emerging_themes(org, now=TODAY)
    assert [e.name for e in emerging][:1] == ["Network coverage"]
    assert emerging[0].z >= 1.96 and emerging[0].this_week >= 10
    # Contact details customers typed are masked wherever comments are shared.
    texts = Answer.objects.for_org(org).exclude(text="").values_list("text", flat=True)
    typed = sum(has_contact_details(t) for t in texts)
    shown = [v.text for v in queries.verbatims(org, limit=200)]
    assert typed >= 3 and any("[phone]" in t or "[email]" in t for t in shown)
    assert not any(has_contact_details(t) for t in shown)
    # Staff corrections trained the organisation's own model twice; its quality on
    # held-out corrections, and the previous model's, are on record.
    corrections = Correction.objects.for_org(org).count()
    assert corrections >= 40
    models = TrainedModel.objects.for_org(org).filter(kind="themes").order_by("version")
    assert [m.version for m in models] == [1, 2]
    latest = models.last()
    assert latest is not None and latest.quality is not None and latest.quality_n >= 5
    assert latest.previous_quality is not None
