"""The fan-out in batches: claims that never overlap, crashes that are taken again, and a
batch that leaves exactly what one response at a time leaves."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction

from beacon.core import clock
from beacon.insights.models import AnswerInsight, Praise, ThemeMention
from beacon.insights.taxonomy import do_adopt_starter
from beacon.loop.channels import do_create_channel
from beacon.loop.models import Case, Recognition, WallPost
from beacon.loop.sharing import do_record_survey_consent
from beacon.loop.tests.helpers import respond
from beacon.notifications.models import OutboxMessage
from beacon.orgs.models import Event, Membership
from beacon.pipeline.actions import ANALYSIS_STAGE, CASE_STAGE, ready, requeue_lost_fanout
from beacon.pipeline.processing import claim, drain, process_response, run_case_stage
from beacon.pipeline.tasks import analyse_responses_task, open_cases_task
from beacon.responses.models import Response
from beacon.testing import World

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

# Detractors, passives and promoters; praise of a named member; a comment with a phone
# number; comments the engine cannot read; no comment at all.
MIXED = [
    (2, "Waited forty minutes on hold and nobody called back"),
    (9, "Priya was brilliant and fixed my router in minutes, thank you"),
    (10, "Great service"),
    (5, "Billing charged me twice, call me on 07700 900123"),
    (7, "??"),
    (0, "Internet keeps dropping every evening since the upgrade, I will cancel"),
    (8, ""),
    (6, "Prix trop élevés, je suis déçu du service"),
    (10, "Quick answer in the chat"),
    (3, "The app logged me out three times while paying"),
]


def store_mixed(world: World, prefix: str = "") -> list[Response]:
    """Stored without their jobs (as if every job were still queued)."""
    with clock.frozen_at(T0):
        return [
            respond(world, i, nps=nps, comment=text, staff=world.agent, key=prefix)
            for i, (nps, text) in enumerate(MIXED, start=1)
        ]


def outcome() -> dict[str, Any]:
    """What the fan-out left, per response, in terms that do not depend on row ids."""
    by_key: dict[str, Any] = {}
    for r in Response.objects.order_by("pk"):
        case = Case.objects.filter(response=r).first()
        insight = AnswerInsight.objects.filter(response=r).first()
        by_key[f"{r.organization_id}:{r.idempotency_key}"] = {
            "case": case and (case.title, case.owner_id, case.priority, case.due_at),
            "case_mail": case
            and sorted(
                OutboxMessage.objects.filter(cause_id=case.pk, cause_type="loop.case").values_list(
                    "transport", "recipient", "subject"
                )
            ),
            "insight": insight
            and (
                insight.language,
                insight.sentiment,
                insight.sentiment_score,
                insight.unclassifiable,
                insight.reason,
                insight.redacted_text,
                insight.model_version,
            ),
            "themes": sorted(
                ThemeMention.objects.filter(response=r).values_list(
                    "theme__name", "sentiment", "score"
                )
            ),
            "praise": sorted(Praise.objects.filter(response=r).values_list("member_id", "excerpt")),
            "recognition": sorted(
                Recognition.objects.filter(response=r).values_list("staff_id", "kind", "text")
            ),
            "wall": list(WallPost.objects.filter(response=r).values_list("text", "score")),
            "posts": sorted(
                OutboxMessage.objects.filter(
                    cause_id=r.pk, cause_type="responses.response"
                ).values_list("transport", "recipient", "subject")
            ),
            "done": (r.cased_at is not None, r.processed_at is not None),
        }
    return by_key


def forget_the_fanout() -> None:
    for model in (Case, OutboxMessage, AnswerInsight, ThemeMention, Praise, Recognition, WallPost):
        model.objects.all().delete()
    Response.objects.update(cased_at=None, processed_at=None)


def verbs(since: int) -> Counter[str]:
    return Counter(Event.objects.filter(pk__gt=since).values_list("verb", flat=True))


@pytest.mark.django_db
def test_a_batch_leaves_what_one_response_at_a_time_leaves(
    world: World, other_world: World, settings: Any
) -> None:
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = True
    do_adopt_starter(world.org, "telecom")
    do_record_survey_consent(world.survey, "We may publish your comment.")
    for event in ("case", "verbatim"):
        do_create_channel(world.org.pk, name=event, kind="webhook",
                          url=f"http://127.0.0.1:9/{event}", event=event)  # fmt: skip
    responses = store_mixed(world) + store_mixed(other_world)  # two organisations, one batch
    mark = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        assert drain(CASE_STAGE) == 20
        assert drain(ANALYSIS_STAGE) == 20
    in_batches, batch_events = outcome(), verbs(mark)

    forget_the_fanout()
    mark = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        for response in responses:
            assert process_response(response.pk)
    assert outcome() == in_batches
    assert verbs(mark) == batch_events

    # And what that is: each detractor (0-6) has exactly one case, nobody else has one.
    detractors = {f"r-{i}-" for i, (nps, _) in enumerate(MIXED, start=1) if nps <= 6}
    cases = Counter(Case.objects.values_list("response__idempotency_key", flat=True))
    assert cases == Counter({key: 2 for key in detractors})  # once in each organisation
    assert batch_events["case.opened"] == 2 * len(detractors)
    # Every readable comment was read with the starter taxonomy's themes in Acme.
    read = AnswerInsight.objects.filter(organization=world.org, unclassifiable=False)
    assert read.count() == 7
    assert ThemeMention.objects.filter(organization=world.org).exists()
    assert set(
        AnswerInsight.objects.filter(unclassifiable=True).values_list("reason", flat=True)
    ) == {"no words", "not English"}
    # The wall queue and verbatim posts only where the survey and channels ask for them.
    assert WallPost.objects.filter(organization=world.org).count() == 9
    assert not WallPost.objects.filter(organization=other_world.org).exists()
    assert OutboxMessage.objects.filter(transport="webhook").count() == len(detractors) + 9
    assert "07700 900123" not in "".join(WallPost.objects.values_list("text", flat=True))
    assert Praise.objects.filter(member=world.agent).count() == 1


@pytest.mark.django_db
def test_a_duplicated_batch_job_does_nothing(world: World) -> None:
    store_mixed(world)
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        open_cases_task.call_local()
        analyse_responses_task.call_local()
    first = outcome(), Event.objects.count()
    assert Case.objects.count() == 5
    with clock.frozen_at(T0 + dt.timedelta(seconds=9)):
        open_cases_task.call_local()
        analyse_responses_task.call_local()
    assert (outcome(), Event.objects.count()) == first
    assert set(Response.objects.values_list("cased_at", "processed_at")) == {
        (T0 + dt.timedelta(seconds=5), T0 + dt.timedelta(seconds=5))
    }


@pytest.mark.django_db
def test_a_crashed_batch_is_taken_again(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    stored = [r.pk for r in store_mixed(world)]
    with pytest.raises(RuntimeError), transaction.atomic():
        assert claim(CASE_STAGE, 100) == stored
        raise RuntimeError("the worker dies before its batch commits")
    assert sorted(ready(CASE_STAGE).values_list("pk", flat=True)) == stored
    assert not Case.objects.exists()
    with clock.frozen_at(T0 + dt.timedelta(seconds=60)):
        assert requeue_lost_fanout() == 0  # not lost yet: a job may still be coming
    # After the lease, the sweeper enqueues one job for all of them; it opens each case once.
    with (
        clock.frozen_at(T0 + dt.timedelta(seconds=121)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert requeue_lost_fanout() == 10
    assert Case.objects.count() == 5 == len(set(Case.objects.values_list("response", flat=True)))
    assert not Response.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_one_response_that_fails_does_not_hold_back_its_batch(
    world: World, other_world: World
) -> None:
    # Globex has nobody left to own a case: its detractor's case cannot be opened.
    Membership.objects.filter(organization=other_world.org).update(deactivated_at=T0)
    good = store_mixed(world)
    with clock.frozen_at(T0):
        bad = respond(other_world, 99, nps=1, comment="Nobody answers")
    assert drain(CASE_STAGE) == 10
    assert Case.objects.count() == 5
    bad.refresh_from_db()
    assert (bad.cased_at, bad.fanout_attempts) == (None, 1)
    assert drain(ANALYSIS_STAGE) == 10
    assert Response.objects.filter(pk__in=[r.pk for r in good], processed_at=None).count() == 0
    # Each later job tries it once more, until it is left for a person.
    for _ in range(4):
        assert drain(CASE_STAGE) == 0
    bad.refresh_from_db()
    assert bad.fanout_attempts == 5 and not ready(CASE_STAGE).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claimers_never_take_the_same_response(world: World) -> None:
    stored = [r.pk for r in store_mixed(world)]
    taken: dict[str, list[int]] = {}
    first_holds = threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                taken["first"] = claim(CASE_STAGE, 6)
                first_holds.set()
                time.sleep(0.5)  # its batch is running while the second claims
        finally:
            first_holds.set()
            connection.close()

    def second() -> None:
        first_holds.wait(10)
        try:
            for _ in range(200):
                try:
                    with transaction.atomic():
                        taken["second"] = claim(CASE_STAGE, 10)
                    return
                except OperationalError:
                    # SQLite's shared in-memory test database refuses a second writer
                    # outright (a file database waits for it); PostgreSQL never gets here.
                    time.sleep(0.05)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert taken == {"first": stored[:6], "second": stored[6:]}
    assert not ready(CASE_STAGE).exists()


def case_trail() -> dict[str, Any]:
    """Every row opening a case writes, per case, with its id written as `#`: its steps,
    its audit events, its emails and posts (keys, bodies, headers) and their events."""
    trail: dict[str, Any] = {}
    for case in Case.objects.select_related("response").order_by("pk"):

        def plain(text: str, pk: int = case.pk) -> str:
            for mark in ("/cases/{}/", "case-opened:{}:", ":case:{}", '"id": {},'):
                text = text.replace(mark.format(pk), mark.format("#"))
            return text

        messages = OutboxMessage.objects.filter(cause_type="loop.case", cause_id=case.pk)
        trail[f"{case.organization_id}:{case.response.idempotency_key}"] = {
            "steps": list(
                case.events.order_by("pk").values_list("kind", "actor_id", "body", "data")
            ),
            "events": sorted(
                (verb, repr(data))
                for verb, data in Event.objects.filter(
                    subject_type="loop.case", subject_id=case.pk
                ).values_list("verb", "data")
            ),
            "messages": sorted(
                (
                    m.transport,
                    plain(m.idempotency_key),
                    m.recipient,
                    m.subject,
                    plain(m.body_text),
                    plain(m.body_html),
                    repr(m.headers),
                    m.state,
                    m.attempts,
                )
                for m in messages
            ),
            "message_events": sorted(
                (verb, plain(data["key"]), data["transport"])
                for verb, data in Event.objects.filter(
                    subject_type="notifications.outboxmessage",
                    subject_id__in=[m.pk for m in messages],
                ).values_list("verb", "data")
            ),
        }
    return trail


@pytest.mark.django_db
def test_a_batch_opens_cases_with_the_rows_one_at_a_time_writes(
    world: World, other_world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = True
    for org in (world.org, other_world.org):
        do_create_channel(org.pk, name="cases", kind="webhook",
                          url="http://127.0.0.1:9/cases", event="case")  # fmt: skip
    responses = store_mixed(world) + store_mixed(other_world)
    with (
        clock.frozen_at(T0 + dt.timedelta(seconds=5)),
        django_capture_on_commit_callbacks() as batch_jobs,
    ):
        assert drain(CASE_STAGE) == 20
    in_batches = case_trail()
    assert len(in_batches) == 10 and all(len(t["messages"]) == 2 for t in in_batches.values())

    forget_the_fanout()
    with (
        clock.frozen_at(T0 + dt.timedelta(seconds=5)),
        django_capture_on_commit_callbacks() as single_jobs,
    ):
        for response in responses:
            assert run_case_stage(response.pk, then_analyse=False)
    assert case_trail() == in_batches
    # Each email and post is enqueued after commit, once: the batch did it in one callback.
    assert len(batch_jobs) < len(single_jobs)
