from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction

from beacon.analytics.metrics import summary
from beacon.cxmodel.models import Journey, Need, Persona, Stage
from beacon.demo.seed import DEMO_SLUG, open_invitations, seed
from beacon.insights.models import ThemeMention
from beacon.loop.models import Case
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.orgs.models import Organization
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
    assert 1400 <= responses.count() <= 1500
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
    # Only the demo's approved "you said, we did" updates are left to send.
    pending = outbox.filter(state=OutboxState.PENDING).values_list("idempotency_key", flat=True)
    assert pending and all(k.startswith("you-said-we-did:") for k in pending)
    assert ThemeMention.objects.for_org(org).exists()


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
    assert "Demo organisation already loaded; skipping." in out
    assert Organization.objects.filter(slug=DEMO_SLUG).count() == 1
