"""The model registry: training, storing, loading and caching each organisation's models.

Worker-only: it imports the text engine (scikit-learn, SciPy, word vectors), which the web
server never loads (import-linter contract "The web server never loads the text engine").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from beacon.contacts.models import Interaction
from beacon.insights import text as textutil
from beacon.insights.default import DEFAULT_VERSION, default_model
from beacon.insights.engine import ENGINE_VERSION, ExtraMissing, InsightModel, ReasonModel
from beacon.insights.events import insights_model_trained
from beacon.insights.labels import Example, ThemeSpec, key_of
from beacon.insights.models import (
    AnswerInsight,
    ContactReason,
    Correction,
    CorrectionKind,
    InteractionReason,
    ModelKind,
    Theme,
    ThemeMention,
    TrainedModel,
)
from beacon.insights.reasons import STAFF
from beacon.insights.taxonomy import queue_training
from beacon.insights.training_comments import seed_comments
from beacon.orgs.models import Event, Membership, Organization
from beacon.responses.models import Answer

log = logging.getLogger(__name__)


# --- models ---------------------------------------------------------------------------

# One loaded model per organisation and kind in each worker process, replaced when a
# newer version is trained (checked by a cheap query per response).
_loaded: dict[tuple[int, str], tuple[str, InsightModel | ReasonModel]] = {}


def _theme_specs(org: Organization | int) -> list[ThemeSpec]:
    return [
        ThemeSpec(str(t.pk), t.name, t.description, tuple(t.phrases))
        for t in Theme.objects.for_org(org).filter(active=True).order_by("pk")
    ]


def _training_examples(org: Organization | int) -> tuple[list[Example], list[tuple[str, str]]]:
    """Corrected answers (not held out) as staff left them, plus the matching seed comments."""
    themes = {t.name.lower(): str(t.pk) for t in Theme.objects.for_org(org).filter(active=True)}
    examples: list[Example] = []
    sentiment: list[tuple[str, str]] = []
    for seed in seed_comments():
        keys = {themes.get(n.lower()): p for n, p in seed.themes.items()}
        if None in keys:
            # A theme this organisation does not have: good for sentiment, not for themes.
            sentiment.append((seed.text, seed.overall))
            continue
        examples.append(Example(seed.text, {k: p for k, p in keys.items() if k}, seed.overall))
    for answer_id in _corrected_answer_ids(org, held_out=False):
        example = _answer_truth(org, answer_id)
        if example is not None:
            examples.append(example)
    return examples, sentiment


def _corrected_answer_ids(org: Organization | int, *, held_out: bool) -> list[int]:
    return sorted(
        set(
            Correction.objects.for_org(org)
            .filter(held_out=held_out)
            .values_list("answer_id", flat=True)
        )
    )


def _answer_truth(org: Organization | int, answer_id: int) -> Example | None:
    """The answer as staff left it: its themes and sentiments after their corrections."""
    answer = Answer.objects.for_org(org).filter(pk=answer_id).first()
    insight = AnswerInsight.objects.for_org(org).filter(answer_id=answer_id).first()
    if answer is None or insight is None:
        return None
    mentions = ThemeMention.objects.for_org(org).filter(answer_id=answer_id, theme__active=True)
    return Example(
        textutil.clean(answer.text),
        {str(m.theme_id): m.sentiment for m in mentions},
        insight.sentiment if insight.corrected else "",
    )


def _quality(org: Organization | int, model: InsightModel) -> tuple[float | None, int]:
    """Share of held-out corrections the model agrees with."""
    agree = total = 0
    for answer_id in _corrected_answer_ids(org, held_out=True):
        truth = _answer_truth(org, answer_id)
        if truth is None:
            continue
        analysis = model.analyse([truth.text])[0]
        predicted = {t.key: t.sentiment for t in analysis.themes}
        for c in Correction.objects.for_org(org).filter(answer_id=answer_id, held_out=True):
            key = str(c.theme_id)
            if c.kind == CorrectionKind.THEME_ADDED:
                ok = key in predicted
            elif c.kind == CorrectionKind.THEME_REMOVED:
                ok = key not in predicted
            elif c.kind == CorrectionKind.THEME_SENTIMENT:
                ok = predicted.get(key) == truth.themes.get(key)
            else:
                ok = analysis.sentiment == truth.overall
            agree += int(ok)
            total += 1
    return (agree / total if total else None), total


def do_train_themes(org: Organization, *, actor: Membership | None = None) -> TrainedModel:
    """Train a new theme and sentiment model from themes, seed comments and corrections."""
    examples, sentiment = _training_examples(org)
    model = InsightModel.train(
        _theme_specs(org), examples, sentiment, encoder=settings.BEACON_TEXT_ENCODER
    )
    previous = current_record(org, ModelKind.THEMES)
    quality, quality_n = _quality(org, model)
    previous_quality = None
    # The previous model is judged on the same corrections, if this engine can read it.
    comparable = previous is not None and previous.engine == ENGINE_VERSION and quality_n
    old = load_themes(org.pk, previous) if previous is not None and comparable else None
    if old is not None:
        previous_quality, _ = _quality(org, old)
    return _store_model(
        org,
        ModelKind.THEMES,
        model,
        actor=actor,
        engine=ENGINE_VERSION,
        n_examples=len(examples) + len(sentiment),
        quality=quality,
        quality_n=quality_n,
        previous_quality=previous_quality,
    )


# Two trainings of one organisation may finish together; the later one takes the next
# version number on a second try.
STORE_ATTEMPTS = 3


def _store_model(
    org: Organization,
    kind: str,
    model: InsightModel | ReasonModel,
    *,
    actor: Membership | None,
    **fields: Any,
) -> TrainedModel:
    """Keep a trained model under the next version number, in a short transaction of its
    own: training takes seconds to minutes and must not hold the database's write lock
    (SQLite has only one) meanwhile."""
    blob = model.dumps()
    for attempt in range(STORE_ATTEMPTS):
        try:
            with transaction.atomic():
                latest = current_record(org, kind)
                record = TrainedModel.objects.create(
                    organization=org,
                    kind=kind,
                    version=(latest.version + 1) if latest else 1,
                    blob=blob,
                    **fields,
                )
                insights_model_trained(
                    org, record, actor=actor, version=record.version, quality=record.quality
                )
        except IntegrityError:
            if attempt == STORE_ATTEMPTS - 1:
                raise
            continue
        _loaded[(org.pk, kind)] = (record.token, model)
        return record
    raise AssertionError("unreachable")


def current_record(org: Organization | int, kind: str) -> TrainedModel | None:
    return TrainedModel.objects.for_org(org).filter(kind=kind).order_by("-version").first()


def load_model(org_id: int, record: TrainedModel) -> InsightModel | ReasonModel:

    cached = _loaded.get((org_id, record.kind))
    if cached is not None and cached[0] == record.token:
        return cached[1]
    blob = bytes(record.blob)
    model: InsightModel | ReasonModel
    model = InsightModel.loads(blob) if record.kind == ModelKind.THEMES else ReasonModel.loads(blob)
    _loaded[(org_id, record.kind)] = (record.token, model)
    return model


def load_themes(org_id: int, record: TrainedModel) -> InsightModel | None:
    """The stored theme model, or None when this install cannot run it (a model trained
    with the optional extra, which is not installed here): the caller falls back."""
    try:
        model = load_model(org_id, record)
    except ExtraMissing as exc:
        log.warning("theme model %s of organisation %s not loaded: %s", record.pk, org_id, exc)
        return None
    assert isinstance(model, InsightModel)
    return model


@dataclass(frozen=True)
class ThemeReader:
    """A model and how its keys map onto the organisation's themes."""

    model: InsightModel
    version: str
    themes: dict[str, Theme]
    # A theme's own name or example phrase, said word for word, is that theme: this
    # covers themes made after the model was trained and themes with too few examples
    # for the model to learn.
    by_words: list[tuple[Theme, re.Pattern[str]]]


def _words_pattern(theme: Theme) -> re.Pattern[str] | None:
    words = [theme.name, *theme.phrases]
    alternatives = [re.escape(" ".join(w.lower().split())) for w in words if w.strip()]
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.I)


def theme_model_for(org: Organization) -> ThemeReader:
    """The organisation's newest trained model, else the shared default one.

    Never trains here: a first response must not wait seconds for a model. Without an
    organisation model the default one is used and training is queued for the worker.
    """
    active = list(Theme.objects.for_org(org).filter(active=True).order_by("pk"))
    record = (
        TrainedModel.objects.for_org(org)
        .filter(kind=ModelKind.THEMES)
        .defer("blob")
        .order_by("-version")
        .first()
    )
    loaded: InsightModel | ReasonModel | None = None
    stale = record is not None and record.engine != ENGINE_VERSION
    if record is not None and not stale:
        cached = _loaded.get((org.pk, ModelKind.THEMES))
        if cached is not None and cached[0] == record.token:
            loaded = cached[1]
        else:
            record.refresh_from_db()
            loaded = load_themes(org.pk, record)
    model: InsightModel
    if record is None or loaded is None:
        # No model yet, one trained by an older engine (retrained, never read: the engine
        # keeps no code for old models' features), or one this install cannot run
        # (logged): the default model reads.
        model = default_model()
        version = DEFAULT_VERSION
        keys = set(model.themes.keys)
        themes = {key_of(t.name): t for t in active if key_of(t.name) in keys}
        if active and (record is None or stale):
            # The job trains only when due, so queueing on every early response is cheap.
            queue_training(org.pk)
    else:
        assert isinstance(loaded, InsightModel)
        model = loaded
        version = f"{record.engine}/v{record.version}"
        keys = set(model.themes.keys)
        themes = {str(t.pk): t for t in active if str(t.pk) in keys}
    by_words = []
    for t in active:
        pattern = _words_pattern(t)
        if pattern is not None:
            by_words.append((t, pattern))
    return ThemeReader(model, version, themes, by_words)


def do_train_reasons(org: Organization, *, actor: Membership | None = None) -> TrainedModel:
    """Reasons learn from their descriptions, phrases and interactions staff labelled."""

    reasons = ContactReason.objects.for_org(org).filter(active=True).order_by("pk")
    specs = [ThemeSpec(str(r.pk), r.name, r.description, tuple(r.phrases)) for r in reasons]
    labelled = InteractionReason.objects.for_org(org).filter(
        source=STAFF, reason__isnull=False, reason__active=True
    )
    descriptions = dict(
        Interaction.objects.for_org(org)
        .filter(pk__in=labelled.values("interaction_id"))
        .values_list("pk", "description")
    )
    examples = [
        (descriptions[r.interaction_id], str(r.reason_id))
        for r in labelled
        if descriptions.get(r.interaction_id)
    ]
    model = ReasonModel(specs).fit(examples)
    return _store_model(
        org,
        ModelKind.REASONS,
        model,
        actor=actor,
        engine=ENGINE_VERSION,
        n_examples=len(examples) + len(specs),
    )


def retrain_due(org_id: int) -> bool:
    """Corrections or theme edits newer than the organisation's current model, or a model
    an older engine trained."""
    record = current_record(org_id, ModelKind.THEMES)
    if record is not None and record.engine != ENGINE_VERSION:
        return True
    newest_input = max(
        [
            *Correction.objects.for_org(org_id)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:1],
            *Event.objects.for_org(org_id)
            .filter(verb__in=["theme.created", "theme.updated"])
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:1],
        ],
        default=None,
    )
    if newest_input is None:
        return False
    return record is None or newest_input > record.created_at


def retrain_due_orgs() -> list[int]:
    return [
        org_id
        for org_id in Organization.objects.values_list("pk", flat=True).order_by("pk")
        if retrain_due(org_id)
    ]


def do_train_themes_if_due(org: Organization) -> TrainedModel | None:
    """What the job runs: several queued requests for one organisation train once."""
    return do_train_themes(org) if retrain_due(org.pk) else None
