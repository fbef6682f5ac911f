"""Feedback reaching staff: digests, the story of the day, recognition, verbatim channels,
and the moderated queue of comments for the public wall."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string

from beacon.core import clock
from beacon.core.computed import Computed, read_or_request
from beacon.core.errors import Conflict, ValidationFailed
from beacon.insights.models import Praise
from beacon.insights.text import redact
from beacon.loop.channels import active_channels, post_to_channels
from beacon.loop.events import (
    digest_preference,
    recognition_created,
    survey_wall_consent,
    wall_moderated,
    wall_queued,
    wall_settings,
)
from beacon.loop.models import (
    ChannelEvent,
    DigestFrequency,
    DigestPreference,
    DigestSent,
    Recognition,
    SurveyConsent,
    WallPost,
    WallPostStatus,
    WallSettings,
)
from beacon.notifications.actions import do_queue_email
from beacon.orgs.models import Membership, Organization, Team
from beacon.orgs.queries import manager_of
from beacon.responses.models import Answer, Response
from beacon.surveys.models import FIXED_SCALES, QuestionKind, Survey

MAX_DIGEST_ITEMS = 30
MAX_WALL_TEXT = 2000
# The story of the day: how many of a team's newest comments of the week are weighed, and
# the length beyond which a longer comment is not fuller.
STORY_CANDIDATES = 200
STORY_LENGTH = 600
STORIES = "beacon.loop.sharing.stories_of_the_day_data"
STORIES_FRESH_FOR = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Verbatim:
    response_id: int
    text: str
    score: int | None
    kind: str
    at: dt.datetime
    survey: str
    stage: str
    team: str
    staff: str


def _verbatims(responses: object, limit: int) -> list[Verbatim]:
    return _as_verbatims(
        Answer.objects.filter(response__in=responses)
        .exclude(text="")
        .order_by("-response__responded_at", "-pk")[:limit]
    )


def _as_verbatims(answers: QuerySet[Answer]) -> list[Verbatim]:
    """The comments `answers` names, in its order, each with its response's first score."""
    answers = answers.select_related(
        "response__survey", "response__stage", "response__team", "response__staff"
    ).prefetch_related("response__answers__question")
    found = []
    for a in answers:
        r = a.response
        scored = [s for s in r.answers.all() if s.number is not None]
        first = min(scored, key=lambda s: s.question.position, default=None)
        found.append(
            Verbatim(
                response_id=r.pk,
                text=redact(a.text.strip()),
                score=first.number if first else None,
                kind=first.question.kind if first else "",
                at=r.responded_at,
                survey=r.survey.name,
                stage=r.stage.name if r.stage_id else "",  # type: ignore[union-attr]
                team=r.team.name if r.team_id else "",  # type: ignore[union-attr]
                staff=r.staff.display_name if r.staff_id else "",  # type: ignore[union-attr]
            )
        )
    return found


def concerning(member: Membership, since: dt.datetime, until: dt.datetime) -> list[Verbatim]:
    """Comments that concern a member: their team's, their stages', or naming them as staff."""
    who = Q(staff=member) | Q(stage__owner=member)
    if member.team_id is not None:
        who |= Q(team_id=member.team_id)
    responses = Response.objects.for_org(member.organization_id).filter(
        who, responded_at__gte=since, responded_at__lt=until
    )
    return _verbatims(responses, MAX_DIGEST_ITEMS)


# ------------------------------------------------------------------ digests


@transaction.atomic
def do_set_digest(member: Membership, frequency: str) -> DigestPreference:
    if frequency not in DigestFrequency.values:
        raise ValidationFailed({"frequency": f"must be one of {', '.join(DigestFrequency.values)}"})
    pref, _ = DigestPreference.objects.update_or_create(
        member=member,
        defaults={"organization_id": member.organization_id, "frequency": frequency},
    )
    digest_preference(member.organization_id, pref, actor=member, to=frequency)
    return pref


def digest_frequency(member: Membership) -> str:
    pref = DigestPreference.objects.filter(member=member).first()
    return pref.frequency if pref else DigestFrequency.WEEKLY


def _period(frequency: str, today: dt.date) -> tuple[str, dt.timedelta] | None:
    if frequency == DigestFrequency.DAILY:
        return today.isoformat(), dt.timedelta(days=1)
    if frequency == DigestFrequency.WEEKLY and today.weekday() == 0:
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}", dt.timedelta(days=7)
    return None


@transaction.atomic
def do_send_digest(
    member: Membership, period: str, span: dt.timedelta, *, until: dt.datetime
) -> DigestSent | None:
    """One digest per member and period, covering `span` up to `until` (a local midnight).

    When nothing concerns the member, the period is still recorded (with no verbatims and
    no message), so the job that runs all day does not look again.
    """
    items = concerning(member, until - span, until)
    try:
        with transaction.atomic():
            sent = DigestSent.objects.create(
                organization_id=member.organization_id,
                member=member,
                period=period,
                verbatims=len(items),
            )
    except IntegrityError:
        return None
    if not items:
        return None
    context = {
        "member": member,
        "items": items,
        "period": period,
        "url": f"{settings.BASE_URL}/verbatims/",
        "settings_url": f"{settings.BASE_URL}/loop/digest/",
    }
    do_queue_email(
        member.organization_id,
        to=member.email,
        subject=f"What customers said ({period}): {len(items)} comments",
        text=render_to_string("loop/email/digest.txt", context),
        html=render_to_string("loop/email/digest.html", context),
        cause=sent,
        key=f"digest:{member.pk}:{period}",
    )
    return sent


def _send_org_digests(org: Organization, local: dt.datetime) -> int:
    today = local.date()
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=org.zone)
    due: dict[int, tuple[str, dt.timedelta]] = {}
    prefs = dict(DigestPreference.objects.for_org(org).values_list("member_id", "frequency"))
    for member_id in Membership.objects.for_org(org).values_list("pk", flat=True):
        found = _period(prefs.get(member_id, DigestFrequency.WEEKLY), today)
        if found is not None:
            due[member_id] = found
    done = set(
        DigestSent.objects.for_org(org)
        .filter(period__in={p for p, _ in due.values()})
        .values_list("member_id", "period")
    )
    members = Membership.objects.for_org(org).filter(pk__in=due).select_related("user", "team")
    count = 0
    for member in members.order_by("pk"):
        period, span = due[member.pk]
        if (member.pk, period) in done:
            continue
        if do_send_digest(member, period, span, until=midnight) is not None:
            count += 1
    return count


def send_digests() -> int:
    """The periodic job's work; it runs every quarter of an hour.

    Each organisation's members get their digest once its local time has passed its
    digest hour: daily ones every day, weekly ones on Mondays, each covering the local
    days before today. A digest is never sent twice (one DigestSent row per member and
    period, and the outbox key), so the job may run late, twice, or catch up after a
    stopped worker.
    """
    now = clock.now()
    count = 0
    for org in Organization.objects.order_by("pk"):
        local = now.astimezone(org.zone)
        if local.hour >= org.digest_hour:
            count += _send_org_digests(org, local)
    return count


def story_of_the_day(team: Team) -> Verbatim | None:
    """A recent, vivid comment for the start of the team's meeting (`stories_of_the_day`)."""
    return stories_of_the_day(team.organization_id, [team.pk]).get(team.pk)


def stories_of_the_day(
    org_id: int, team_ids: Iterable[int], candidates: int = STORY_CANDIDATES
) -> dict[int, Verbatim]:
    """Each team's story of the day, by team id (a team without comments this week has none).

    The fullest comment of the week: among the team's newest `candidates` comments of
    the last seven days, the longest (counted up to STORY_LENGTH characters, after
    redaction), the newest on ties. Picked the same way all day, so everyone who opens the
    page sees the same story. One query ranks every team's comments (a window per team)
    and reads only their text; the stories' details are read for the winners alone.
    """
    now = clock.now()
    newest_first = [F("response__responded_at").desc(), F("pk").desc()]
    ranked = (
        Answer.objects.filter(
            response__organization_id=org_id,
            response__team_id__in=list(team_ids),
            response__responded_at__gte=now - dt.timedelta(days=7),
            response__responded_at__lte=now,
        )
        .exclude(text="")
        .annotate(
            rank=Window(RowNumber(), partition_by=F("response__team_id"), order_by=newest_first)
        )
        .filter(rank__lte=candidates)
        .order_by("response__team_id", *newest_first)
        .values_list("pk", "response__team_id", "text", "response__responded_at")
    )
    best: dict[int, tuple[tuple[int, dt.datetime], int]] = {}
    for pk, team_id, text, at in ranked:
        key = (min(len(redact(text.strip())), STORY_LENGTH), at)
        # Strictly greater: on a whole tie the first in newest-first order stays.
        if team_id not in best or key > best[team_id][0]:
            best[team_id] = (key, pk)
    chosen = sorted(pk for _, pk in best.values())
    stories = _as_verbatims(Answer.objects.filter(pk__in=chosen).order_by("pk"))
    by_answer = dict(zip(chosen, stories, strict=True))
    return {team_id: by_answer[pk] for team_id, (_, pk) in best.items()}


def stories_of_the_day_data(org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The job's computation: every team's story of the day, as JSON, by team id."""
    teams = list(Team.objects.for_org(org_id).values_list("pk", flat=True))
    return {
        "stories": {
            str(team_id): {**asdict(story), "at": story.at.isoformat()}
            for team_id, story in stories_of_the_day(org_id, teams).items()
        }
    }


@dataclass(frozen=True)
class StoredStories:
    stories: dict[int, Verbatim] | None  # by team id; None until the worker has picked once
    computed: Computed


def stored_stories_of_the_day(org_id: int) -> StoredStories:
    """Every team's story of the day as the worker last picked it (at most STORIES_FRESH_FOR
    old): weighing the week's comments of every team is too slow for a page at 1M."""
    computed = read_or_request(org_id, STORIES, {}, max_age=STORIES_FRESH_FOR)
    if computed.data is None:
        return StoredStories(None, computed)
    stories = {
        int(team_id): Verbatim(**{**row, "at": dt.datetime.fromisoformat(row["at"])})
        for team_id, row in computed.data["stories"].items()
    }
    return StoredStories(stories, computed)


# ------------------------------------------------------------------ recognition


def _top_score(answer: Answer) -> bool:
    kind = answer.question.kind
    if kind in FIXED_SCALES:
        return answer.number == FIXED_SCALES[QuestionKind(kind)].high
    scale = answer.question.scale
    return scale is not None and answer.number == scale.high


@transaction.atomic
def do_recognise(
    staff: Membership, response: Response, kind: str, text: str = "", *, notify: bool = True
) -> Recognition | None:
    """Praise for a staff member, once per response; they and their manager hear of it
    (`notify=False` when insights has already told them about a named praise)."""
    if staff.organization_id != response.organization_id:
        raise ValidationFailed({"staff": "belongs to another organisation"})
    try:
        with transaction.atomic():
            praise = Recognition.objects.create(
                organization_id=response.organization_id,
                staff=staff,
                response=response,
                kind=kind,
                text=redact(text.strip())[:MAX_WALL_TEXT],
            )
    except IntegrityError:
        return None
    recognition_created(response.organization_id, praise, staff=staff.pk)
    if not notify:
        return praise
    manager = manager_of(staff)
    context = {"praise": praise, "staff": staff, "url": f"{settings.BASE_URL}/loop/recognition/"}
    for person, role in ((staff, "you"), (manager, "manager")):
        if person is None:
            continue
        do_queue_email(
            response.organization_id,
            to=person.email,
            subject=(
                "A customer praised you"
                if role == "you"
                else f"A customer praised {staff.display_name}"
            ),
            text=render_to_string("loop/email/recognition.txt", {**context, "role": role}),
            cause=praise,
            key=f"recognition:{praise.pk}:{person.pk}",
        )
    return praise


def recognise_named_praise(
    response: Response, found: list[Praise] | None = None
) -> list[Recognition]:
    """Comments insights found praising a named member (it runs earlier in the pipeline);
    `found`: the response's praise, when a batch has read it for many responses."""
    if found is None:
        found = list(
            Praise.objects.for_org(response.organization_id)
            .filter(response=response)
            .select_related("member__user")
            .order_by("pk")
        )
    made = []
    for praise in found:
        recognised = do_recognise(praise.member, response, "named", praise.excerpt, notify=False)
        if recognised is not None:
            made.append(recognised)
    return made


def _answers(response: Response) -> list[Answer]:
    return list(Answer.objects.filter(response=response).select_related("question").order_by("pk"))


def recognise_top_scores(
    response: Response, answers: list[Answer] | None = None
) -> Recognition | None:
    if response.staff_id is None:
        return None
    if answers is None:
        answers = _answers(response)
    scored = [a for a in answers if a.number is not None]
    if not scored or not any(_top_score(a) for a in scored):
        return None
    comment = " ".join(a.text for a in answers if a.text)
    return do_recognise(response.staff, response, "top_score", comment)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the public wall's queue


@transaction.atomic
def do_set_wall(
    org_id: int,
    *,
    enabled: bool,
    embeddable: bool,
    headline: str = "",
    actor: Membership | None = None,
) -> WallSettings:
    if len(headline) > 200:
        raise ValidationFailed({"headline": "must be at most 200 characters"})
    wall, _ = WallSettings.objects.update_or_create(
        organization_id=org_id,
        defaults={"enabled": enabled, "embeddable": embeddable, "headline": headline.strip()},
    )
    wall_settings(org_id, wall, actor=actor, enabled=enabled)
    return wall


@transaction.atomic
def do_record_survey_consent(
    survey: Survey, wording: str, *, actor: Membership | None = None
) -> SurveyConsent:
    """The survey asks respondents' consent to publish their comment, in these words."""
    if not wording.strip():
        raise ValidationFailed({"wording": "say what respondents are told"})
    consent, _ = SurveyConsent.objects.update_or_create(
        survey=survey,
        defaults={
            "organization_id": survey.organization_id,
            "wording": wording.strip(),
            "recorded_by": actor,
        },
    )
    survey_wall_consent(survey.organization_id, consent, actor=actor)
    return consent


@transaction.atomic
def do_queue_for_wall(
    response: Response, answers: list[Answer] | None = None, *, consented: bool | None = None
) -> WallPost | None:
    """Put a consented comment in the moderation queue, already redacted (`answers` and
    `consented`: what a batch has read once for many responses)."""
    if consented is None:
        consented = SurveyConsent.objects.filter(survey_id=response.survey_id).exists()
    if not consented:
        return None
    if answers is None:
        answers = _answers(response)
    texts = [a.text.strip() for a in answers if a.text.strip()]
    if not texts:
        return None
    scores = [
        a.number for a in answers if a.number is not None and a.question.kind == QuestionKind.NPS
    ]
    try:
        with transaction.atomic():
            post = WallPost.objects.create(
                organization_id=response.organization_id,
                response=response,
                text=redact(" ".join(texts))[:MAX_WALL_TEXT],
                score=next(iter(scores), None),
            )
    except IntegrityError:
        return None
    wall_queued(response.organization_id, post)
    return post


@transaction.atomic
def do_moderate_wall_post(
    post: WallPost,
    *,
    approve: bool,
    actor: Membership,
    text: str | None = None,
    public_reply: str = "",
) -> WallPost:
    """Approve or reject; an edited text is redacted again, so approval never shows PII."""
    final = redact((post.text if text is None else text).strip())
    errors: dict[str, str] = {}
    if approve and not final:
        errors["text"] = "must not be empty"
    if len(final) > MAX_WALL_TEXT:
        errors["text"] = f"must be at most {MAX_WALL_TEXT} characters"
    if len(public_reply) > MAX_WALL_TEXT:
        errors["public_reply"] = f"must be at most {MAX_WALL_TEXT} characters"
    if errors:
        raise ValidationFailed(errors)
    if approve and not SurveyConsent.objects.filter(survey_id=post.response.survey_id).exists():
        raise Conflict("the survey no longer records consent to publish comments")
    status = WallPostStatus.APPROVED if approve else WallPostStatus.REJECTED
    WallPost.objects.filter(pk=post.pk).update(
        status=status,
        text=final,
        public_reply=public_reply.strip(),
        moderated_by=actor,
        moderated_at=clock.now(),
    )
    post.refresh_from_db()
    wall_moderated(post.organization_id, post, actor=actor, status=status)
    return post


# ------------------------------------------------------------------ the pipeline's step


def do_share_response(response: Response) -> None:
    """After a response is stored: praise, the wall's queue, and verbatim channels."""
    do_share_responses([response])


@transaction.atomic
def do_share_responses(responses: list[Response]) -> None:
    """`do_share_response` for a batch: the answers, praise, consents and verbatim channels
    of every response read in one query each, then each response shared as alone."""
    answers: dict[int, list[Answer]] = {r.pk: [] for r in responses}
    found = Answer.objects.filter(response__in=responses).select_related("question")
    for answer in found.order_by("pk"):
        answers[answer.response_id].append(answer)
    praised: dict[int, list[Praise]] = {r.pk: [] for r in responses}
    praise = Praise.objects.filter(response__in=responses).select_related("member__user")
    for item in praise.order_by("pk"):
        praised[item.response_id].append(item)
    consented = set(
        SurveyConsent.objects.filter(survey_id__in={r.survey_id for r in responses}).values_list(
            "survey_id", flat=True
        )
    )
    channels = {
        org_id: active_channels(org_id, ChannelEvent.VERBATIM)
        for org_id in {r.organization_id for r in responses}
    }
    for response in responses:
        mine = answers[response.pk]
        recognise_named_praise(response, praised[response.pk])
        recognise_top_scores(response, mine)
        if response.survey_id in consented:  # no savepoint for the many that never qualify
            do_queue_for_wall(response, mine, consented=True)
        if any(a.text for a in mine):
            who = str(response.contact) if response.contact_id else "A customer"
            post_to_channels(
                response.organization_id,
                ChannelEvent.VERBATIM,
                response,
                f"{who} on {response.survey.name}",
                cause=response,
                channels=channels[response.organization_id],
            )
