"""'Needs attention' on the overview and on My work: a planted drop is found and named with
its figures, no drop is invented where there is none, and each item links where to act."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from beacon.analytics import metrics
from beacon.analytics.actions import AlertRuleIn, do_create_alert_rule, evaluate_rule
from beacon.analytics.attention import (
    _comparisons,
    _scopes,
    drops,
    holm_rejected,
    needs_attention,
)
from beacon.core import clock
from beacon.loop.actions import do_open_case_for
from beacon.loop.improvements import ActionIn, do_create_action
from beacon.testing import World, build_world
from beacon.web.tests.helpers import answer, logged_in, page

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def _answers(world: World, scores: list[int], days_ago: tuple[int, int], seed: int) -> None:
    rng = random.Random(seed)
    for score in scores:
        when = NOW - dt.timedelta(days=rng.randint(*days_ago), hours=rng.randint(0, 10))
        answer(world, nps=score, when=when)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_holm_keeps_the_family_wise_rate() -> None:
    assert holm_rejected([0.001, 0.02, 0.04]) == [True, True, True]
    assert holm_rejected([0.001, 0.03, 0.04]) == [True, False, False]
    assert holm_rejected([0.2, 0.01]) == [False, True]
    assert holm_rejected([]) == []


def test_a_planted_drop_is_listed_with_its_figures_and_link(world: World) -> None:
    # Four weeks at NPS +40 (60% promoters, 20% detractors), then a week at -40.
    _answers(world, [10] * 36 + [8] * 12 + [3] * 12, (8, 34), seed=1)
    _answers(world, [10] * 8 + [8] * 8 + [2] * 24, (0, 6), seed=2)
    with clock.frozen_at(NOW):
        today = NOW.date()
        expected = metrics.compare(
            world.org,
            "nps",
            metrics.Filters(start=today - dt.timedelta(days=34), end=today - dt.timedelta(days=7)),
            metrics.Filters(start=today - dt.timedelta(days=6), end=today),
        )
        assert expected.difference is not None and expected.difference.diff == pytest.approx(-80)
        found = drops(world.org, today)
        html = page(logged_in(world.owner), "/")
        mine = page(logged_in(world.stage_owner), "/me/")
    assert [i.title for i in found] == [
        "NPS fell from 40 to -40",
        "NPS at Get help fell from 40 to -40",
    ]
    text = _text(html)
    assert "Needs attention" in text
    assert (
        "Drop NPS fell from 40 to -40 last 7 days (n=40) against the 28 days before (n=60): "
        f"change -80, 95% interval {expected.difference.low:.0f} to "
        f"{expected.difference.high:.0f}"
    ) in text
    assert f'href="/analytics/?metric=nps&amp;stage_id={world.stage.pk}"' in html
    # The stage's owner sees the drop at their stage on My work.
    assert "NPS at Get help fell from 40 to -40" in _text(mine)


def test_no_drop_is_invented_when_nothing_changed() -> None:
    # The same population in both windows, ten organisations over: Holm keeps false
    # alarms rare (at most 2.5% per panel for a fall).
    flagged = 0
    for seed in range(10):
        world = build_world(f"Steady {seed}")
        rng = random.Random(seed)
        scores = [rng.choice([0, 3, 6, 7, 8, 9, 10, 10]) for _ in range(100)]
        _answers(world, scores[:60], (8, 34), seed=100 + seed)
        _answers(world, scores[60:], (0, 6), seed=200 + seed)
        with clock.frozen_at(NOW):
            flagged += bool(drops(world.org, NOW.date()))
    assert flagged <= 1


def test_alerts_overdue_cases_and_actions_due_each_link_where_to_act(
    world: World, other_world: World
) -> None:
    with clock.frozen_at(NOW - dt.timedelta(days=3)):
        # A detractor's case, due before now (and one in the other organisation).
        assert do_open_case_for(answer(world, nps=1, text="Nobody called back")) is not None
        assert do_open_case_for(answer(other_world, nps=0, text="Theirs")) is not None
    rule = do_create_alert_rule(
        world.org,
        AlertRuleIn(name="NPS under 50", metric="nps", kind="below", threshold=50,
                    notify=world.stage_owner),
    )  # fmt: skip
    for _ in range(30):
        answer(world, nps=7, when=NOW - dt.timedelta(hours=2))
    with clock.frozen_at(NOW):
        fired = evaluate_rule(rule, NOW)
        assert fired is not None
        action = do_create_action(
            world.org.pk,
            ActionIn(title="Call-back promise kept", source="driver", driver="waiting",
                     owner=world.stage_owner, deadline=NOW + dt.timedelta(days=2)),
        )  # fmt: skip
        items = needs_attention(world.org, NOW)
        html = page(logged_in(world.owner), "/")
        mine_items = needs_attention(world.org, NOW, world.stage_owner)
        agent_items = needs_attention(world.org, NOW, world.agent)
    kinds = [(i.kind, i.title) for i in items]
    # An alert that fired today is on the list.
    assert ("alert", "NPS under 50") in kinds
    assert ("action", "Call-back promise kept") in kinds
    assert [t for k, t in kinds if k == "overdue"] == ["1 case is overdue"]
    assert 'href="/analytics/alerts/"' in html and f'href="/actions/{action.pk}/"' in html
    assert 'href="/cases/?overdue=1"' in html
    # My work lists only the member's share: the rule tells the stage owner, who owns
    # the action and the case; the agent owns none of them.
    assert {i.kind for i in mine_items} >= {"alert", "action", "overdue"}
    assert agent_items == []


def _figures(c: metrics.Comparison) -> tuple[float | None, ...]:
    d = c.difference
    assert d is not None
    return (c.a.n, c.a.value, c.b.n, c.b.value, d.diff, d.low, d.high, d.p_value)


def test_grouped_reads_give_each_scope_the_comparison_compare_gives(world: World) -> None:
    # Scores at one stage of several (the world has others with no answers), in both
    # windows: each scope's comparison from the grouped reads equals `metrics.compare` of
    # that scope alone, for the overview (organisation and every stage) and for My work.
    _answers(world, [10] * 30 + [8] * 10 + [3] * 10, (8, 34), seed=3)
    _answers(world, [10] * 10 + [2] * 30, (0, 6), seed=4)
    with clock.frozen_at(NOW):
        today = NOW.date()
        base = metrics.Filters(
            start=today - dt.timedelta(days=34), end=today - dt.timedelta(days=7)
        )
        recent = metrics.Filters(start=today - dt.timedelta(days=6), end=today)
        for member in (None, world.stage_owner):
            scopes = _scopes(world.org, member)
            grouped = {
                (d.stage_id, d.key): d.comparison for d in _comparisons(world.org, scopes, today)
            }
            expected = {}
            for _label, stage_id in scopes:
                for key in ("nps", "csat", "ces"):
                    c = metrics.compare(
                        world.org,
                        key,
                        metrics.Filters(**{**base.__dict__, "stage_id": stage_id}),
                        metrics.Filters(**{**recent.__dict__, "stage_id": stage_id}),
                    )
                    if c.enough:
                        expected[(stage_id, key)] = c
            assert grouped.keys() == expected.keys()
            for scope, c in expected.items():
                assert _figures(grouped[scope]) == pytest.approx(_figures(c)), scope
            assert (world.stage.pk, "nps") in grouped
