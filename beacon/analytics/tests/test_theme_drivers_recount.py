"""The theme drivers' histograms equal a plain recount from answers and mentions, on
seeded data with the awkward cases: a response whose two comments both mention a theme
(it counts once), comments Beacon could not classify, a retired theme, another
organisation's data, and date and survey filters (both databases)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest

from beacon.analytics import metrics
from beacon.analytics.tests.helpers import BASE
from beacon.analytics.theme_drivers import _histograms, histograms_data
from beacon.analytics.theme_profile import count_figures
from beacon.insights.analysis import analyse_response
from beacon.insights.corrections import do_correct_theme
from beacon.insights.models import AnswerInsight, Theme, ThemeMention
from beacon.insights.taxonomy import do_create_theme, do_update_theme
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest_bulk
from beacon.responses.models import Answer
from beacon.surveys.actions import QuestionIn, do_add_question
from beacon.surveys.models import Question
from beacon.testing import World

pytestmark = pytest.mark.django_db

F = metrics.Filters
DAYS = 6


def _seed(world: World, seed: int, n: int) -> None:
    """`n` responses over DAYS days: an NPS score, and none, one or two comments; each
    comment mentions a random set of the themes (staff set them), or is left for the
    engine to read ("!!" has no words: unclassifiable)."""
    rng = random.Random(seed)
    org = world.org
    themes = [do_create_theme(org, name) for name in ("Price", "Staff", "Speed")]
    retired = do_create_theme(org, "Retired")
    second = do_add_question(world.survey, QuestionIn("text", "Anything else?"))
    items = []
    for i in range(n):
        answers = [AnswerIn(world.nps.pk, number=rng.randint(0, 10))]
        for q in (world.comment, second):
            if rng.random() < 0.6:
                answers.append(AnswerIn(q.pk, text=rng.choice(["a comment", "!!"])))
        items.append(
            ResponseIn(
                survey=world.survey,
                idempotency_key=f"seed-{i}",
                answers=answers,
                touchpoint=world.touchpoint,
                responded_at=BASE + dt.timedelta(days=rng.randrange(DAYS), hours=rng.random()),
            )
        )
    for response in ingest_bulk(items, historical=True):
        for comment in Answer.objects.filter(response=response, question__kind="text"):
            if comment.text == "!!":
                analyse_response(response)
                continue
            for theme in [*themes, retired]:
                if rng.random() < 0.4:
                    do_correct_theme(comment, theme, "negative", actor=world.owner)
    do_update_theme(retired, name="Retired", description="", phrases=[], active=False)


def _recount(world: World, f: metrics.Filters) -> tuple[dict[int, int], dict[int, dict[int, int]]]:
    """Straight from the stored rows, in Python: the NPS scores of responses with a
    classified comment, and per active theme of those that mention it (once each)."""
    org = world.org
    nps = Question.objects.filter(organization=org, kind="nps")
    if f.survey_id:
        nps = nps.filter(survey_id=f.survey_id)
    classified = set(
        AnswerInsight.objects.filter(organization=org, unclassifiable=False).values_list(
            "response_id", flat=True
        )
    )
    scores: dict[int, list[int]] = defaultdict(list)
    for answer in Answer.objects.filter(
        organization=org, question__in=nps, number__isnull=False
    ).select_related("response"):
        day = answer.response.responded_at.astimezone(dt.UTC).date()
        if (f.start and day < f.start) or (f.end and day > f.end):
            continue
        if answer.response_id in classified:
            scores[answer.response_id].append(answer.number or 0)
    overall = Counter(s for ss in scores.values() for s in ss)
    active = set(Theme.objects.filter(organization=org, active=True).values_list("pk", flat=True))
    pairs = {
        (m.response_id, m.theme_id)
        for m in ThemeMention.objects.filter(organization=org)
        if m.theme_id in active
    }
    per_theme: dict[int, Counter[int]] = defaultdict(Counter)
    for response_id, theme_id in pairs:
        per_theme[theme_id].update(scores.get(response_id, []))
    return dict(overall), {t: dict(h) for t, h in per_theme.items() if h}


def test_theme_histograms_equal_a_recount_from_answers_and_mentions(
    world: World, other_world: World
) -> None:
    _seed(world, seed=1, n=60)
    _seed(other_world, seed=2, n=20)
    # The awkward case is there: some response's two comments mention the same theme.
    doubled = Counter(
        (m.response_id, m.theme_id) for m in ThemeMention.objects.filter(organization=world.org)
    )
    assert max(doubled.values()) == 2
    assert AnswerInsight.objects.filter(organization=world.org, unclassifiable=True).exists()
    day = BASE.date()
    for f in (
        F(),
        F(survey_id=world.survey.pk),
        F(start=day + dt.timedelta(days=2)),
        F(start=day + dt.timedelta(days=1), end=day + dt.timedelta(days=3)),
    ):
        overall, per_theme = _histograms(world.org, f)
        expected_overall, expected_per_theme = _recount(world, f)
        assert (overall, dict(per_theme)) == (expected_overall, expected_per_theme)
    # And as the worker stores it (JSON keys are text).
    stored = histograms_data(world.org.pk, {"filters": F().to_params()})
    expected_overall, expected_per_theme = _recount(world, F())
    assert stored == {
        "overall": {str(s): c for s, c in expected_overall.items()},
        "per_theme": {
            str(t): {str(s): c for s, c in h.items()} for t, h in expected_per_theme.items()
        },
    }


def test_theme_page_weekly_nps_equals_each_weeks_histogram(world: World) -> None:
    """The theme page's weekly NPS, counted in one read, is each week's own histogram."""
    _seed(world, seed=3, n=40)
    today = BASE.date() + dt.timedelta(days=DAYS + 3)
    for theme in Theme.objects.filter(organization=world.org, active=True):
        figures = count_figures(world.org, theme.pk, today=today, days=90, weeks=3)
        got = [(row["week"], row["nps"]) for row in figures["weeks"]]
        first = metrics.week_start(today) - dt.timedelta(weeks=2)
        expected = []
        for i in range(3):
            week = first + dt.timedelta(weeks=i)
            f = F(start=week, end=week + dt.timedelta(days=6), theme_id=theme.pk)
            hist = metrics.histogram(world.org, "nps", f)
            expected.append((week.isoformat(), {str(s): c for s, c in hist.items()}))
        assert got == expected
        assert sum(sum(h.values()) for _, h in got) > 0
