from __future__ import annotations

import datetime as dt
from importlib import import_module
from io import StringIO
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.test import Client

from beacon.analytics import stats
from beacon.contacts.actions import InteractionIn, do_record_interaction, do_upsert_contact
from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.insights import queries
from beacon.insights.analysis import analyse_response, do_backfill
from beacon.insights.corrections import do_correct_sentiment, do_correct_theme
from beacon.insights.engine import ENGINE_VERSION
from beacon.insights.models import (
    AnswerInsight,
    Correction,
    CorrectionKind,
    Praise,
    Theme,
    ThemeMention,
    TrainedModel,
)
from beacon.insights.reason_reading import do_classify_interaction
from beacon.insights.reasons import do_create_reason
from beacon.insights.registry import do_train_themes, do_train_themes_if_due, retrain_due_orgs
from beacon.insights.suggesting import group_unmatched
from beacon.insights.taxonomy import do_adopt_starter, do_create_theme, do_update_theme
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_set_team_lead
from beacon.pipeline.processing import process_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.responses.models import Answer, Response
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db

# The migration that copied each mention's customer and time from its response.
copy_from_responses = import_module(
    "beacon.insights.migrations.0005_mention_contact_and_time"
).copy_from_responses

_counter = iter(range(1, 1_000_000))


def respond(
    world: World,
    comment: str,
    nps: int = 8,
    at: dt.datetime | None = None,
    contact: Contact | None = None,
) -> Response:
    response = ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key=f"r{next(_counter)}",
            answers=[AnswerIn(world.nps.pk, number=nps), AnswerIn(world.comment.pk, text=comment)],
            touchpoint=world.touchpoint,
            responded_at=at,
            contact=contact,
        )
    ).response
    process_response(response.pk)
    return response


def comment_of(response: Response) -> Answer:
    return Answer.objects.get(response=response, question__kind="text")


def insight_of(response: Response) -> AnswerInsight:
    return AnswerInsight.objects.get(answer=comment_of(response))


def themes_of(response: Response) -> dict[str, str]:
    return dict(
        ThemeMention.objects.filter(answer=comment_of(response)).values_list(
            "theme__name", "sentiment"
        )
    )


def test_adopting_a_starter_taxonomy_is_editable_and_not_repeated(world: World) -> None:
    created = do_adopt_starter(world.org, "telecom", actor=world.owner)
    assert [t.name for t in created] == [
        "Staff friendliness",
        "Waiting time",
        "Price and value",
        "Network coverage",
        "Internet speed",
        "Billing",
        "Contract and plans",
    ]
    billing = Theme.objects.get(organization=world.org, name="Billing")
    do_update_theme(
        billing,
        name="Bills",
        description="Invoices",
        phrases=["charged twice", "charged twice", " "],
        actor=world.owner,
    )
    billing.refresh_from_db()
    assert (billing.name, billing.phrases) == ("Bills", ["charged twice"])
    # Adopting again adds back only what is missing by name, keeping the edit.
    again = do_adopt_starter(world.org, "telecom", actor=world.owner)
    assert [t.name for t in again] == ["Billing"]
    with pytest.raises(ValidationFailed) as err:
        do_adopt_starter(world.org, "mining")
    assert "industry" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        do_create_theme(world.org, "bills")
    assert err.value.errors == {"name": "a theme with this name already exists"}


def test_pipeline_reads_themes_and_sentiment(world: World) -> None:
    do_adopt_starter(world.org, "telecom")
    response = respond(world, "I was charged twice on my bill and nobody can explain it.", nps=2)
    insight = insight_of(response)
    assert (insight.language, insight.sentiment, insight.unclassifiable) == (
        "en",
        "negative",
        False,
    )
    assert insight.model_version == f"{ENGINE_VERSION}/default"
    assert themes_of(response) == {"Billing": "negative"}
    happy = respond(world, "Lovely friendly staff, thank you so much!", nps=10)
    assert insight_of(happy).sentiment == "positive"
    assert themes_of(happy) == {"Staff friendliness": "positive"}
    # Two themes in one comment, each with its own sentiment; the comment is mixed.
    mixed = respond(world, "The staff were friendly but I waited far too long on hold.", nps=6)
    assert themes_of(mixed) == {"Staff friendliness": "positive", "Waiting time": "negative"}
    assert insight_of(mixed).sentiment == "mixed"
    # Themes are an analytics dimension: NPS per theme through mention -> response.
    by_theme = {t.name: (t.n, t.nps) for t in queries.theme_nps(world.org)}
    assert by_theme["Billing"] == (1, -100.0)
    assert by_theme["Staff friendliness"] == (2, 0.0)
    assert by_theme["Waiting time"] == (1, -100.0)


def test_mentions_carry_their_responses_customer_and_time(world: World) -> None:
    """The pipeline, a staff correction and the migration's copy all give each mention its
    response's contact and time (the action page counts a theme's customers from them)."""
    do_adopt_starter(world.org, "telecom")
    contact = do_upsert_contact(world.org, contact_in(7))
    at = clock.now() - dt.timedelta(days=3)
    named = respond(world, "I was charged twice on my bill.", nps=3, at=at, contact=contact)
    anonymous = respond(world, "Lovely friendly staff, thank you so much!", nps=10)
    roaming = do_create_theme(world.org, "Roaming", "Using the phone abroad")
    do_correct_theme(comment_of(named), roaming, "negative", actor=world.owner)

    def copied() -> set[tuple[str, int | None, dt.datetime]]:
        return {
            (m.theme.name, m.contact_id, m.responded_at)
            for m in ThemeMention.objects.select_related("theme")
        }

    expected = {
        ("Billing", contact.pk, at),
        ("Roaming", contact.pk, at),
        ("Staff friendliness", None, anonymous.responded_at),
    }
    assert copied() == expected
    ThemeMention.objects.update(contact=None, responded_at=at - dt.timedelta(days=400))
    copy_from_responses(django_apps, None)
    assert copied() == expected


def read_again(response: Response) -> None:
    """A processed response is never processed twice by a job: the test asks on purpose."""
    Response.objects.filter(pk=response.pk).update(processed_at=None)
    process_response(response.pk)


@pytest.mark.parametrize(
    ("comment", "language", "reason"),
    [
        ("", "und", "empty"),
        ("   \n\t ", "und", "empty"),
        ("😀🙏🎉", "und", "no words"),
        ("Het personeel was erg vriendelijk maar ik moest lang wachten", "other", "not English"),
        ("スタッフはとても親切でした、でも待ち時間が長かった", "other", "not English"),
        ("<script>alert(1)</script>", "und", "no words"),
    ],
)
def test_bad_input_is_stored_and_marked_unclassifiable(
    world: World, comment: str, language: str, reason: str
) -> None:
    response = respond(world, comment if comment.strip() else "x")
    if not comment.strip():
        # Ingest drops blank answers; one stored blank by an older client must still pass.
        Answer.objects.filter(response=response, question__kind="text").update(text=comment)
        read_again(response)
    insight = insight_of(response)
    assert (insight.language, insight.unclassifiable, insight.reason, insight.sentiment) == (
        language,
        True,
        reason,
        "",
    )
    assert themes_of(response) == {}
    assert Response.objects.get(pk=response.pk).processed_at is not None


def test_long_html_and_mixed_script_comments_are_read(world: World) -> None:
    do_adopt_starter(world.org, "telecom")
    long = respond(world, "The internet keeps going down.")
    # Ingest caps answers at 20,000 characters; older rows may hold more.
    Answer.objects.filter(response=long, question__kind="text").update(
        text="The internet keeps going down. " + "x" * 100_000
    )
    read_again(long)
    assert insight_of(long).unclassifiable is False
    assert themes_of(long) == {"Internet speed": "negative"}
    assert len(insight_of(long).redacted_text) == len(comment_of(long).text)
    html = respond(world, "<b>Rude</b> staff <script>steal()</script> &amp; no help at all")
    insight = insight_of(html)
    assert (insight.unclassifiable, insight.sentiment) == (False, "negative")
    # Stored as given; templates escape it when shown.
    assert "<script>steal()</script>" in insight.redacted_text
    mixed = respond(world, "Great service from the staff, спасибо")
    assert (insight_of(mixed).language, insight_of(mixed).sentiment) == ("en", "positive")


def test_redacted_text_hides_contact_details_unless_allowed(world: World) -> None:
    respond(world, "Call me on +44 20 7946 0958 or mail a@b.example about the bill")
    shared = queries.verbatims(world.org)[0]
    assert shared.text == "Call me on [phone] or mail [email] about the bill"
    full = queries.verbatims(world.org, show_contact_details=True)[0]
    assert full.text == "Call me on +44 20 7946 0958 or mail a@b.example about the bill"


def test_corrections_train_the_next_model_and_quality_is_measured(world: World) -> None:
    do_adopt_starter(world.org, "telecom")
    roaming = do_create_theme(world.org, "Roaming", "Using the phone abroad")
    comments = [
        "My phone did not work in Spain at all",
        "Could not make calls in France last week",
        "Using my phone in Italy cost a fortune",
        "No service when I was in Portugal",
        "Calls from Germany kept failing",
        "Data did not work during my trip to Greece",
        "Texts never arrived while I was in Belgium",
        "The phone was useless on holiday in Croatia",
        "Could not call home from Austria",
        "No mobile data at all in the Netherlands",
    ]
    responses = [respond(world, c) for c in comments]
    for r in responses:
        answer = comment_of(r)
        for mention in ThemeMention.objects.filter(answer=answer).exclude(theme=roaming):
            do_correct_theme(answer, mention.theme, None, actor=world.owner)
        do_correct_theme(answer, roaming, "negative", actor=world.owner)
    assert Correction.objects.filter(kind=CorrectionKind.THEME_ADDED).count() == 10
    held_out = Correction.objects.filter(held_out=True).values("answer_id").distinct().count()
    assert held_out == sum(1 for r in responses if comment_of(r).pk % 5 == 0)
    assert retrain_due_orgs() == [world.org.pk]
    record = do_train_themes(world.org, actor=world.owner)
    assert record.version == 1
    assert retrain_due_orgs() == []
    fresh = respond(world, "My phone would not connect in Sweden")
    assert themes_of(fresh) == {"Roaming": "negative"}
    if held_out:
        assert record.quality is not None and record.quality_n >= held_out
    # The themes page says it as a percentage of the held-out corrections, with its interval.
    est = stats.agreement(record.quality or 0.0, record.quality_n)
    assert est is not None
    client = Client()
    client.force_login(world.owner.user)
    page = client.get("/insights/").content.decode()
    assert (
        f"model v1, agrees with {est.value:.0f}% of {record.quality_n} held-out "
        f"corrections (95% interval {est.low:.0f} to {est.high:.0f}%)"
    ) in page
    # Staff-reviewed answers keep their themes when analysed again.
    first = responses[1]
    process_response(first.pk)
    assert themes_of(first) == {"Roaming": "negative"}


def test_overall_sentiment_correction_is_kept(world: World) -> None:
    response = respond(world, "It was fine I suppose")
    answer = comment_of(response)
    do_correct_sentiment(answer, "negative", actor=world.agent)
    process_response(response.pk)
    assert insight_of(response).sentiment == "negative"
    with pytest.raises(ValidationFailed) as err:
        do_correct_sentiment(answer, "angry", actor=world.agent)
    assert list(err.value.errors) == ["sentiment"]


def test_praise_for_named_staff_notifies_person_and_manager(world: World) -> None:
    do_set_team_lead(world.team, world.stage_owner)
    response = respond(world, "Priya was fantastic, so patient and helpful. Thank you!", nps=10)
    praise = Praise.objects.get(organization=world.org)
    assert (praise.member, praise.response) == (world.agent, response)
    recipients = sorted(
        OutboxMessage.objects.filter(cause_type="insights.praise").values_list(
            "recipient", flat=True
        )
    )
    assert recipients == sorted([world.agent.email, world.stage_owner.email])
    assert [p.pk for p in queries.recognition_feed(world.org, member=world.agent)] == [praise.pk]
    # Processing again neither records nor sends twice; a complaint is not praise.
    process_response(response.pk)
    respond(world, "Priya hung up on me, terrible.", nps=0)
    assert Praise.objects.count() == 1
    assert OutboxMessage.objects.filter(cause_type="insights.praise").count() == 2


def test_reason_for_contact_from_interaction_description(world: World) -> None:
    card = do_create_reason(
        world.org,
        "Card problem",
        "Card lost, stolen, blocked or declined",
        ["my card was declined"],
    )
    bill = do_create_reason(world.org, "Bill question", "Charges on the invoice", ["charged twice"])
    interaction = do_record_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(1),
            occurred_at=clock.now(),
            description="Customer says their card got declined in a shop",
            idempotency_key="i1",
        ),
    ).interaction
    row = do_classify_interaction(interaction)
    assert row is not None and row.reason == card
    other = do_record_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(2),
            occurred_at=clock.now(),
            description="Why was I charged twice on this month's invoice?",
            idempotency_key="i2",
        ),
    ).interaction
    row2 = do_classify_interaction(other)
    assert row2 is not None and row2.reason == bill
    assert queries.reason_counts(world.org) == [("Bill question", 1), ("Card problem", 1)]
    with pytest.raises(ValidationFailed):
        do_create_reason(world.org, " ")


def test_emerging_theme_is_flagged_when_its_share_rises(world: World) -> None:
    do_adopt_starter(world.org, "telecom")
    now = dt.datetime(2026, 6, 29, 12, tzinfo=dt.UTC)
    for week in range(1, 5):
        for i in range(6):
            at = now - dt.timedelta(days=7 * week + 1, hours=i)
            respond(world, "Lovely friendly staff, thank you", at=at)
        respond(world, "I was charged twice on my bill", at=now - dt.timedelta(days=7 * week + 2))
    for i in range(6):
        respond(world, "I was charged twice on my bill", at=now - dt.timedelta(days=1, hours=i))
    respond(world, "Lovely friendly staff, thank you", at=now - dt.timedelta(days=2))
    emerging = queries.emerging_themes(world.org, now=now)
    assert [e.name for e in emerging] == ["Billing"]
    assert (emerging[0].this_week, emerging[0].this_week_total) == (6, 7)
    assert (emerging[0].before, emerging[0].before_total) == (4, 28)
    # A week like the others flags nothing.
    later = now + dt.timedelta(days=70)
    assert queries.emerging_themes(world.org, now=later) == []


def test_suggested_themes_group_unmatched_comments(world: World) -> None:
    do_create_theme(world.org, "Billing", "Bills and charges", ["charged twice"])
    for place in ["car park", "car park entrance", "car park barrier", "car park at night"]:
        respond(world, f"The {place} was full and parking cost too much")
    for thing in ["website login", "website checkout", "website search"]:
        respond(world, f"The {thing} page is broken on the website")
    suggestions = group_unmatched(world.org)
    names = {s.name for s in suggestions}
    assert sum(s.size for s in suggestions) <= 7
    assert names & {"Car", "Park", "Car park", "Parking", "Website"}
    assert all(len(s.examples) <= 3 for s in suggestions)


def test_other_organisations_data_is_invisible(world: World, other_world: World) -> None:
    do_adopt_starter(world.org, "telecom")
    respond(world, "I was charged twice on my bill")
    assert queries.verbatims(other_world.org) == []
    assert queries.theme_nps(other_world.org) == []
    assert queries.themes(other_world.org) == []
    theme = Theme.objects.get(organization=world.org, name="Billing")
    assert queries.theme(other_world.org, theme.pk) is None


def test_analysis_never_trains_inline_and_picks_up_the_trained_model(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    do_adopt_starter(world.org, "telecom")
    roaming = do_create_theme(world.org, "Roaming", "Phone use abroad", ["abroad", "roaming"])
    response = ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key="first",
            answers=[
                AnswerIn(world.nps.pk, number=3),
                AnswerIn(world.comment.pk, text="Roaming abroad cost me a fortune"),
            ],
        )
    ).response
    with django_capture_on_commit_callbacks() as queued:
        analyse_response(response)
    # The default model read it; training was only queued for the worker.
    assert TrainedModel.objects.count() == 0
    assert len(queued) == 1
    assert insight_of(response).model_version == f"{ENGINE_VERSION}/default"
    # A theme the default model does not know is found by its own words meanwhile.
    assert themes_of(response) == {"Roaming": "negative"}
    record = do_train_themes_if_due(world.org)
    assert record is not None and record.version == 1
    # Several queued jobs train once.
    assert do_train_themes_if_due(world.org) is None
    later = respond(world, "Roaming in Spain was a nightmare")
    assert insight_of(later).model_version == f"{ENGINE_VERSION}/v1"
    assert "Roaming" in themes_of(later)
    assert roaming.active


def test_a_model_an_older_engine_trained_is_retrained_not_read(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    do_adopt_starter(world.org, "telecom")
    old = do_train_themes(world.org)
    TrainedModel.objects.filter(pk=old.pk).update(engine="tfidf-lr-lex-vec-3")
    reasons = do_create_reason(world.org, "Bill question", "Charges on the bill")
    interaction = do_record_interaction(
        world.org,
        InteractionIn(contact=contact_in(1), description="charged twice", idempotency_key="i"),
    ).interaction
    do_classify_interaction(interaction)
    TrainedModel.objects.filter(kind="reasons").update(engine="tfidf-lr-lex-vec-3")
    assert retrain_due_orgs() == [world.org.pk]
    with django_capture_on_commit_callbacks() as queued:
        response = respond(world, "I was charged twice on my bill")
    # The default model read the comment and training was queued for the worker.
    assert insight_of(response).model_version == f"{ENGINE_VERSION}/default"
    assert len(queued) == 1
    record = do_train_themes_if_due(world.org)
    assert record is not None and (record.version, record.engine) == (2, ENGINE_VERSION)
    assert record.previous_quality is None  # the old engine's model is not judged either
    assert retrain_due_orgs() == []
    # A reason model of an older engine is replaced before it reads.
    row = do_classify_interaction(interaction)
    assert row is not None and row.reason == reasons
    assert list(
        TrainedModel.objects.filter(kind="reasons").order_by("version").values_list("engine")
    ) == [("tfidf-lr-lex-vec-3",), (ENGINE_VERSION,)]


def test_backfill_analyses_waiting_answers_in_batches(world: World) -> None:
    do_adopt_starter(world.org, "telecom")
    texts = ["I was charged twice on my bill", "Lovely friendly staff", "The internet is slow"]
    for i, text in enumerate(texts):
        ingest(
            ResponseIn(
                survey=world.survey,
                idempotency_key=f"b{i}",
                answers=[AnswerIn(world.nps.pk, number=5), AnswerIn(world.comment.pk, text=text)],
            )
        )
    assert do_backfill(world.org, batch_size=2) == 3
    got = {i.answer.text: i.sentiment for i in AnswerInsight.objects.select_related("answer").all()}
    assert got == {
        "I was charged twice on my bill": "negative",
        "Lovely friendly staff": "positive",
        "The internet is slow": "negative",
    }
    assert do_backfill(world.org) == 0
    assert do_backfill(world.org, redo=True) == 3
    assert TrainedModel.objects.count() == 0


def test_backfill_command_reports_and_refuses_an_unknown_org(world: World) -> None:
    ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key="cmd-1",
            answers=[AnswerIn(world.nps.pk, number=9), AnswerIn(world.comment.pk, text="Great")],
        )
    )
    out = StringIO()
    call_command("insights", "backfill", "--org", str(world.org.pk), stdout=out)
    assert out.getvalue().startswith(f"{world.org.name}: analysed 1 answers in ")
    assert AnswerInsight.objects.get(organization=world.org).sentiment == "positive"
    with pytest.raises(CommandError, match="--org: no organisation with id 999999"):
        call_command("insights", "backfill", "--org", "999999")
