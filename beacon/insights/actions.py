"""Every write of the insights app: themes, analysis, corrections, training, reasons, praise."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction

from beacon.contacts.models import Interaction
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.jobs import enqueue_on_commit, enqueue_once_on_commit
from beacon.insights import text as textutil
from beacon.insights.labels import OVERALL, POLARITIES, Analysis, Example, ThemeSpec, key_of
from beacon.insights.models import (
    AnswerInsight,
    ContactReason,
    Correction,
    CorrectionKind,
    InteractionReason,
    ModelKind,
    Praise,
    Theme,
    ThemeMention,
    TrainedModel,
)
from beacon.insights.seed import seed_comments
from beacon.insights.starters import STARTERS
from beacon.notifications.actions import do_queue_email
from beacon.orgs.events import record_event
from beacon.orgs.models import Event, Membership, Organization
from beacon.orgs.queries import manager_of
from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind

if TYPE_CHECKING:
    # The engine (scikit-learn, SciPy, word vectors) is imported where comments are read
    # or models trained, so the web server does not load it (docs/adr/0006).
    from beacon.insights.engine import InsightModel, ReasonModel

log = logging.getLogger(__name__)

MAX_PHRASES = 50


# --- seed data ------------------------------------------------------------------------


# --- themes ---------------------------------------------------------------------------


def _clean_phrases(phrases: list[str] | None) -> list[str]:
    seen: list[str] = []
    for p in phrases or []:
        p = " ".join(str(p).split())[:200]
        if p and p not in seen:
            seen.append(p)
    return seen[:MAX_PHRASES]


def _check_named(
    model: type[Theme] | type[ContactReason],
    org: Organization | int,
    name: str,
    description: str,
    *,
    exclude: Theme | ContactReason | None,
    what: str,
) -> dict[str, str]:
    """Name required, at most 100 characters and unique in the organisation (any case)."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "is required"
    elif len(name) > 100:
        errors["name"] = "must be at most 100 characters"
    else:
        clash = model.objects.for_org(org).filter(name__iexact=name)
        if exclude is not None:
            clash = clash.exclude(pk=exclude.pk)
        if clash.exists():
            errors["name"] = f"{what} with this name already exists"
    if len(description) > 2000:
        errors["description"] = "must be at most 2000 characters"
    return errors


def _save_named(
    item: Theme | ContactReason,
    name: str,
    description: str,
    phrases: list[str] | None,
    active: bool,
) -> None:
    item.name = name.strip()
    item.description = description.strip()
    item.phrases = _clean_phrases(phrases)
    item.active = active
    item.save(update_fields=["name", "description", "phrases", "active"])


def check_theme(
    org: Organization, name: str, description: str, *, exclude: Theme | None = None
) -> dict[str, str]:
    return _check_named(Theme, org, name, description, exclude=exclude, what="a theme")


@transaction.atomic
def do_create_theme(
    org: Organization,
    name: str,
    description: str = "",
    phrases: list[str] | None = None,
    *,
    starter: str = "",
    actor: Membership | None = None,
) -> Theme:
    errors = check_theme(org, name, description)
    if errors:
        raise ValidationFailed(errors)
    theme = Theme.objects.create(
        organization=org,
        name=name.strip(),
        description=description.strip(),
        phrases=_clean_phrases(phrases),
        starter=starter,
    )
    record_event(org, "theme.created", theme, actor=actor, name=theme.name)
    _queue_training(org.pk)
    return theme


@transaction.atomic
def do_update_theme(
    theme: Theme,
    *,
    name: str,
    description: str,
    phrases: list[str] | None,
    active: bool = True,
    actor: Membership | None = None,
) -> Theme:
    errors = check_theme(theme.organization, name, description, exclude=theme)
    if errors:
        raise ValidationFailed(errors)
    _save_named(theme, name, description, phrases, active)
    record_event(theme.organization_id, "theme.updated", theme, actor=actor, name=theme.name)
    _queue_training(theme.organization_id)
    return theme


@transaction.atomic
def do_adopt_starter(
    org: Organization, industry: str, *, actor: Membership | None = None
) -> list[Theme]:
    """Add the starter themes the organisation does not have yet (by name); keep its edits."""
    if industry not in STARTERS:
        raise ValidationFailed({"industry": f"must be one of {', '.join(sorted(STARTERS))}"})
    have = {n.lower() for n in Theme.objects.for_org(org).values_list("name", flat=True)}
    created = []
    for item in STARTERS[industry]:
        if item["name"].lower() in have:
            continue
        created.append(
            do_create_theme(
                org,
                item["name"],
                item["description"],
                item["phrases"],
                starter=industry,
                actor=actor,
            )
        )
    return created


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
    from beacon.insights.engine import ENGINE_VERSION, InsightModel

    examples, sentiment = _training_examples(org)
    model = InsightModel.train(
        _theme_specs(org), examples, sentiment, encoder=settings.BEACON_TEXT_ENCODER
    )
    previous = _current_record(org, ModelKind.THEMES)
    quality, quality_n = _quality(org, model)
    previous_quality = None
    # The previous model is judged on the same corrections, if this engine can read it.
    comparable = previous is not None and previous.engine == ENGINE_VERSION and quality_n
    old = _load_themes(org.pk, previous) if previous is not None and comparable else None
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
                latest = _current_record(org, kind)
                record = TrainedModel.objects.create(
                    organization=org,
                    kind=kind,
                    version=(latest.version + 1) if latest else 1,
                    blob=blob,
                    **fields,
                )
                record_event(
                    org,
                    "insights.model_trained",
                    record,
                    actor=actor,
                    version=record.version,
                    quality=record.quality,
                )
        except IntegrityError:
            if attempt == STORE_ATTEMPTS - 1:
                raise
            continue
        _loaded[(org.pk, kind)] = (record.token, model)
        return record
    raise AssertionError("unreachable")


def _current_record(org: Organization | int, kind: str) -> TrainedModel | None:
    return TrainedModel.objects.for_org(org).filter(kind=kind).order_by("-version").first()


def _load(org_id: int, record: TrainedModel) -> InsightModel | ReasonModel:
    from beacon.insights.engine import InsightModel, ReasonModel

    cached = _loaded.get((org_id, record.kind))
    if cached is not None and cached[0] == record.token:
        return cached[1]
    blob = bytes(record.blob)
    model: InsightModel | ReasonModel
    model = InsightModel.loads(blob) if record.kind == ModelKind.THEMES else ReasonModel.loads(blob)
    _loaded[(org_id, record.kind)] = (record.token, model)
    return model


def _load_themes(org_id: int, record: TrainedModel) -> InsightModel | None:
    """The stored theme model, or None when this install cannot run it (a model trained
    with the optional extra, which is not installed here): the caller falls back."""
    from beacon.insights.engine import ExtraMissing, InsightModel

    try:
        model = _load(org_id, record)
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
    from beacon.insights.default import DEFAULT_VERSION, default_model
    from beacon.insights.engine import ENGINE_VERSION, InsightModel

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
            loaded = _load_themes(org.pk, record)
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
            _queue_training(org.pk)
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


def _queue_training(org_id: int) -> None:
    """Themes changed: the worker retrains (once, however many changes are queued)."""
    from beacon.insights.tasks import train_themes_task

    enqueue_once_on_commit(train_themes_task, org_id)


# --- analysis -------------------------------------------------------------------------


def unclassifiable_reason(raw: str, cleaned: str, language: str) -> str:
    if not raw.strip():
        return "empty"
    if textutil.letter_count(cleaned) < 2:
        return "no words"
    if language == textutil.OTHER:
        return "not English"
    if language == textutil.UNDETERMINED:
        return "language unclear"
    return ""


def analyse_response(response: Response) -> None:
    """Read every free-text answer of a stored response; a failure never blocks the pipeline."""
    answers = list(
        Answer.objects.for_org(response.organization_id)
        .filter(response=response, question__kind=QuestionKind.TEXT)
        .order_by("pk")
    )
    try:
        with transaction.atomic():
            if answers:
                do_analyse_answers(response, answers)
            if response.interaction_id is not None:
                interaction = Interaction.objects.for_org(response.organization_id).get(
                    pk=response.interaction_id
                )
                do_classify_interaction(interaction)
    except Exception:
        log.exception("insights failed for response %s; the pipeline goes on", response.pk)


def do_analyse_answers(response: Response, answers: list[Answer]) -> list[AnswerInsight]:
    org = response.organization
    for answer in answers:
        answer.response = response
    insights, version = _analyse(org, answers)
    record_event(org, "insights.analysed", response, answers=len(answers), model=version)
    return insights


@transaction.atomic
def do_backfill(org: Organization, *, redo: bool = False, batch_size: int = 500) -> int:
    """Analyse the organisation's free-text answers that have no insight yet (all, with
    `redo`) many per model call; returns how many were analysed."""
    qs = Answer.objects.for_org(org).filter(question__kind=QuestionKind.TEXT)
    if not redo:
        qs = qs.exclude(pk__in=AnswerInsight.objects.for_org(org).values("answer_id"))
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = list(
            Answer.objects.for_org(org)
            .filter(pk__in=ids[start : start + batch_size])
            .select_related("response")
            .order_by("pk")
        )
        _, version = _analyse(org, chunk)
        done += len(chunk)
    if done:
        record_event(org, "insights.backfilled", org, answers=done, model=version)
    return done


def _analyse(org: Organization, answers: list[Answer]) -> tuple[list[AnswerInsight], str]:
    """Analyse answers of any responses in one model call (batches are much faster)."""
    reader = theme_model_for(org)
    prepared = []
    for answer in answers:
        cleaned = textutil.clean(answer.text)
        language = textutil.detect_language(cleaned)
        prepared.append(
            (answer, cleaned, language, unclassifiable_reason(answer.text, cleaned, language))
        )
    to_read = [cleaned for _, cleaned, _, why in prepared if not why]
    analyses = iter(reader.model.analyse(to_read))
    praise = _PraiseFinder(org, reader.model)
    insights = []
    for answer, cleaned, language, why in prepared:
        analysis = None if why else next(analyses)
        mentions: list[tuple[Theme, str, float]] = []
        if analysis is not None:
            mentions = [
                (reader.themes[r.key], r.sentiment, r.score)
                for r in analysis.themes
                if r.key in reader.themes
            ]
            lowered = " ".join(cleaned.lower().split())
            seen = {theme.pk for theme, _, _ in mentions}
            mentions.extend(
                (theme, analysis.sentiment, 0.5)
                for theme, pattern in reader.by_words
                if theme.pk not in seen and pattern.search(lowered)
            )
        insights.append(_store(answer, language, why, analysis, reader.version, mentions))
        if analysis is not None:
            praise.find(answer, cleaned)
    return insights, reader.version


def _store(
    answer: Answer,
    language: str,
    why: str,
    analysis: Analysis | None,
    version: str,
    found: list[tuple[Theme, str, float]],
) -> AnswerInsight:
    response = answer.response
    insight, _ = AnswerInsight.objects.get_or_create(
        answer=answer,
        defaults={
            "organization_id": answer.organization_id,
            "response": response,
            "language": language,
        },
    )
    insight.language = language
    insight.unclassifiable = bool(why)
    insight.reason = why
    insight.redacted_text = textutil.redact(answer.text)
    insight.model_version = version
    if not insight.corrected:
        insight.sentiment = analysis.sentiment if analysis else ""
        insight.sentiment_score = analysis.sentiment_score if analysis else None
    insight.save()
    mentions = ThemeMention.objects.for_org(answer.organization_id).filter(answer=answer)
    if insight.corrected or mentions.filter(source="staff").exists():
        # Staff have looked at this answer: their themes stand.
        return insight
    mentions.delete()
    ThemeMention.objects.bulk_create(
        ThemeMention(
            organization_id=answer.organization_id,
            answer=answer,
            response=response,
            theme=theme,
            sentiment=sentiment,
            score=score,
        )
        for theme, sentiment, score in found
    )
    return insight


# --- corrections ----------------------------------------------------------------------


def _held_out(answer: Answer) -> bool:
    # By answer, so one comment is never both trained on and used to judge the model.
    return answer.pk % 5 == 0


def _insight_of(answer: Answer) -> AnswerInsight:
    insight = AnswerInsight.objects.for_org(answer.organization_id).filter(answer=answer).first()
    if insight is None:
        cleaned = textutil.clean(answer.text)
        language = textutil.detect_language(cleaned)
        insight = AnswerInsight.objects.create(
            organization_id=answer.organization_id,
            answer=answer,
            response_id=answer.response_id,
            language=language,
            redacted_text=textutil.redact(answer.text),
        )
    return insight


def _check_sentiment(sentiment: str, field: str = "sentiment") -> None:
    if sentiment not in POLARITIES:
        raise ValidationFailed({field: f"must be one of {', '.join(POLARITIES)}"})


@transaction.atomic
def do_correct_theme(
    answer: Answer, theme: Theme, sentiment: str | None, *, actor: Membership | None
) -> Correction:
    """Say the answer mentions `theme` with `sentiment`, or (sentiment None) that it does not."""
    assert theme.organization_id == answer.organization_id
    if sentiment is not None:
        _check_sentiment(sentiment)
    _insight_of(answer)
    mention = (
        ThemeMention.objects.for_org(answer.organization_id)
        .filter(answer=answer, theme=theme)
        .first()
    )
    # Staff have now reviewed this answer: every remaining model mention counts as theirs.
    ThemeMention.objects.for_org(answer.organization_id).filter(answer=answer).update(
        source="staff"
    )
    if sentiment is None:
        kind = CorrectionKind.THEME_REMOVED
        if mention is not None:
            mention.delete()
    elif mention is None:
        kind = CorrectionKind.THEME_ADDED
        ThemeMention.objects.create(
            organization_id=answer.organization_id,
            answer=answer,
            response_id=answer.response_id,
            theme=theme,
            sentiment=sentiment,
            source="staff",
        )
    else:
        kind = CorrectionKind.THEME_SENTIMENT
        mention.sentiment = sentiment
        mention.source = "staff"
        mention.save(update_fields=["sentiment", "source"])
    correction = Correction.objects.create(
        organization_id=answer.organization_id,
        answer=answer,
        kind=kind,
        theme=theme,
        sentiment=sentiment or "",
        by=actor,
        held_out=_held_out(answer),
    )
    record_event(answer.organization_id, "insights.corrected", correction, actor=actor, kind=kind)
    return correction


@transaction.atomic
def do_correct_sentiment(answer: Answer, sentiment: str, *, actor: Membership | None) -> Correction:
    _check_sentiment(sentiment)
    insight = _insight_of(answer)
    insight.sentiment = sentiment
    insight.sentiment_score = 1.0
    insight.corrected = True
    insight.save(update_fields=["sentiment", "sentiment_score", "corrected"])
    correction = Correction.objects.create(
        organization_id=answer.organization_id,
        answer=answer,
        kind=CorrectionKind.SENTIMENT,
        sentiment=sentiment,
        by=actor,
        held_out=_held_out(answer),
    )
    record_event(
        answer.organization_id,
        "insights.corrected",
        correction,
        actor=actor,
        kind=CorrectionKind.SENTIMENT,
    )
    return correction


# --- praise ---------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_PRAISE_WORDS = re.compile(
    r"\b(thank|thanks|great|brilliant|amazing|fantastic|excellent|helpful|kind|lovely|star|"
    r"superb|wonderful|above and beyond|friendly|patient|best|outstanding|awesome)\b",
    re.I,
)


def _name_patterns(member: Membership) -> list[re.Pattern[str]]:
    names = [member.display_name.strip()]
    first = names[0].split()[0] if names[0].split() else ""
    if len(first) >= 3 and first != names[0]:
        names.append(first)
    return [re.compile(rf"(?<!\w){re.escape(n)}(?!\w)") for n in names if len(n) >= 3]


class _PraiseFinder:
    """Praise of named members; names are read once per batch, not once per answer."""

    def __init__(self, org: Organization, model: InsightModel) -> None:
        self.model = model
        self.members = [
            (member, _name_patterns(member))
            for member in Membership.objects.for_org(org).select_related("user", "team__lead__user")
        ]

    def find(self, answer: Answer, cleaned: str) -> None:
        for member, patterns in self.members:
            if not patterns:
                continue
            sentences = [
                s.strip() for s in _SENTENCE.findall(cleaned) if any(p.search(s) for p in patterns)
            ]
            if not sentences:
                continue
            polar = self.model.sentiment.predict(
                [(s, OVERALL) for s in sentences], self.model.themes.indicative
            )
            praising = [
                s
                for s, (p, _) in zip(sentences, polar, strict=True)
                if p == "positive" and _PRAISE_WORDS.search(s)
            ]
            if praising:
                do_record_praise(answer.response, answer, member, " ".join(praising))


def do_record_praise(
    response: Response, answer: Answer, member: Membership, excerpt: str
) -> Praise | None:
    """Record it once and tell the person and their manager (through the outbox)."""
    praise, created = Praise.objects.get_or_create(
        answer=answer,
        member=member,
        defaults={
            "organization_id": answer.organization_id,
            "response": response,
            "excerpt": textutil.redact(excerpt)[:1000],
        },
    )
    if not created:
        return None
    record_event(answer.organization_id, "insights.praise_recorded", praise, member=member.pk)
    subject = f"A customer praised {member.display_name}"
    body = (
        f'A customer wrote about {member.display_name}:\n\n"{praise.excerpt}"\n\n'
        "Thank you for the difference you make.\n"
    )
    do_queue_email(
        answer.organization_id,
        to=member.email,
        subject=subject,
        text=body,
        cause=praise,
        key=f"praise:{praise.pk}:member",
    )
    manager = manager_of(member)
    if manager is not None:
        do_queue_email(
            answer.organization_id,
            to=manager.email,
            subject=subject,
            text=body,
            cause=praise,
            key=f"praise:{praise.pk}:manager",
        )
    return praise


# --- reasons for contact --------------------------------------------------------------


def check_reason(
    org: Organization | int, name: str, description: str, *, exclude: ContactReason | None = None
) -> dict[str, str]:
    return _check_named(ContactReason, org, name, description, exclude=exclude, what="a reason")


@transaction.atomic
def do_create_reason(
    org: Organization,
    name: str,
    description: str = "",
    phrases: list[str] | None = None,
    *,
    actor: Membership | None = None,
) -> ContactReason:
    errors = check_reason(org, name, description)
    if errors:
        raise ValidationFailed(errors)
    reason = ContactReason.objects.create(
        organization=org,
        name=name.strip(),
        description=description.strip(),
        phrases=_clean_phrases(phrases),
    )
    record_event(org, "contact_reason.created", reason, actor=actor, name=reason.name)
    _queue_reason_training(org.pk)
    return reason


@transaction.atomic
def do_update_reason(
    reason: ContactReason,
    *,
    name: str,
    description: str,
    phrases: list[str] | None,
    active: bool = True,
    actor: Membership | None = None,
) -> ContactReason:
    errors = check_reason(reason.organization_id, name, description, exclude=reason)
    if errors:
        raise ValidationFailed(errors)
    _save_named(reason, name, description, phrases, active)
    record_event(
        reason.organization_id, "contact_reason.updated", reason, actor=actor, name=reason.name
    )
    _queue_reason_training(reason.organization_id)
    return reason


def _queue_reason_training(org_id: int) -> None:
    """Reasons or staff labels changed: the worker retrains and rereads what the model read."""
    from beacon.insights.tasks import train_reasons_task

    enqueue_once_on_commit(train_reasons_task, org_id)


def queue_reason_reading(interaction: Interaction) -> None:
    """A new interaction with a description: the worker reads why the customer got in touch
    (the web server that recorded it does not load the text models)."""
    from beacon.insights.tasks import classify_interaction_task

    if not interaction.description.strip():
        return
    org_id = interaction.organization_id
    if ContactReason.objects.for_org(org_id).filter(active=True).exists():
        enqueue_on_commit(classify_interaction_task, interaction.pk)


def do_train_reasons(org: Organization, *, actor: Membership | None = None) -> TrainedModel:
    """Reasons learn from their descriptions, phrases and interactions staff labelled."""
    from beacon.insights.engine import ENGINE_VERSION, ReasonModel

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


# Staff labels are the truth the model learns from; the model never overwrites them.
STAFF = "staff"
MODEL = "model"
# After retraining, the model rereads this much recent history.
REREAD_DAYS = 90


def do_classify_interaction(interaction: Interaction) -> InteractionReason | None:
    """Read the reason for contact from the description; staff labels are kept."""
    rows = do_classify_interactions(interaction.organization, [interaction])
    return rows[0] if rows else None


@transaction.atomic
def do_classify_interactions(
    org: Organization, interactions: list[Interaction]
) -> list[InteractionReason]:
    """One model call for many interactions. A staff label is kept: new rows are inserted
    only where none exists and existing rows are updated only while the model owns them,
    so a label a person sets meanwhile wins."""
    from beacon.insights.engine import ENGINE_VERSION, ReasonModel

    texts = {i.pk: textutil.clean(i.description) for i in interactions}
    texts = {pk: t for pk, t in texts.items() if textutil.letter_count(t) >= 2}
    if not texts or not ContactReason.objects.for_org(org).filter(active=True).exists():
        return []
    record = _current_record(org, ModelKind.REASONS)
    if record is None or record.engine != ENGINE_VERSION:
        # Reason models train in about a second: an older engine's is replaced here.
        record = do_train_reasons(org)
    model = _load(org.pk, record)
    assert isinstance(model, ReasonModel)
    reasons = ContactReason.objects.for_org(org).in_bulk()
    version = f"{record.engine}/v{record.version}"
    predicted = dict(zip(texts, model.predict(list(texts.values())), strict=True))
    rows = [
        InteractionReason(
            organization=org,
            interaction_id=pk,
            reason=reasons.get(int(key)) if key else None,
            confidence=confidence,
            source=MODEL,
            model_version=version,
        )
        for pk, (key, confidence) in predicted.items()
    ]
    InteractionReason.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    for row in rows:
        InteractionReason.objects.filter(interaction_id=row.interaction_id, source=MODEL).update(
            reason=row.reason, confidence=row.confidence, model_version=version
        )
    record_event(org, "insights.reasons_read", record, interactions=len(rows), model=version)
    return list(
        InteractionReason.objects.for_org(org)
        .filter(interaction_id__in=list(predicted))
        .select_related("reason")
        .order_by("interaction_id")
    )


@transaction.atomic
def do_set_interaction_reason(
    interaction: Interaction, reason: ContactReason, *, actor: Membership | None
) -> InteractionReason:
    """A person says why the customer got in touch: kept, and learned from."""
    if reason.organization_id != interaction.organization_id:
        raise ValidationFailed({"reason_id": "is not a reason of this organisation"})
    (row,) = InteractionReason.objects.bulk_create(
        [
            InteractionReason(
                organization_id=interaction.organization_id,
                interaction=interaction,
                reason=reason,
                confidence=1.0,
                source=STAFF,
                model_version="",
            )
        ],
        update_conflicts=True,
        unique_fields=["interaction"],
        update_fields=["reason", "confidence", "source", "model_version"],
    )
    row = InteractionReason.objects.get(interaction=interaction)
    record_event(
        interaction.organization_id, "insights.reason_set", row, actor=actor, reason=reason.pk
    )
    _queue_reason_training(interaction.organization_id)
    return row


def queue_unread_reasons(org_id: int) -> None:
    """After an import: the worker reads every described interaction that has no reason."""
    from beacon.insights.tasks import read_unread_reasons_task

    if ContactReason.objects.for_org(org_id).filter(active=True).exists():
        enqueue_once_on_commit(read_unread_reasons_task, org_id)


def do_read_unread_reasons(org: Organization, *, batch_size: int = 1000) -> int:
    """Described interactions with no reason yet, read many per model call."""
    read = InteractionReason.objects.for_org(org).values("interaction_id")
    pending = (
        Interaction.objects.for_org(org).exclude(description="").exclude(pk__in=read).order_by("pk")
    )
    return _read_in_batches(org, pending, batch_size)


def _read_in_batches(org: Organization, pending: Any, batch_size: int) -> int:
    done, last = 0, 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:batch_size])
        if not batch:
            return done
        done += len(do_classify_interactions(org, batch))
        last = batch[-1].pk


def do_reread_reasons(
    org: Organization, *, since: dt.datetime | None = None, batch_size: int = 1000
) -> int:
    """After retraining: recent described interactions (staff-labelled ones aside) are read
    again, by default those of the last REREAD_DAYS days."""
    since = since or clock.now() - dt.timedelta(days=REREAD_DAYS)
    labelled_by_staff = InteractionReason.objects.for_org(org).filter(source=STAFF)
    pending = (
        Interaction.objects.for_org(org)
        .filter(occurred_at__gte=since)
        .exclude(description="")
        .exclude(pk__in=labelled_by_staff.values("interaction_id"))
        .order_by("pk")
    )
    return _read_in_batches(org, pending, batch_size)


def retrain_due(org_id: int) -> bool:
    """Corrections or theme edits newer than the organisation's current model, or a model
    an older engine trained."""
    from beacon.insights.engine import ENGINE_VERSION

    record = _current_record(org_id, ModelKind.THEMES)
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
