"""Channels: new cases and verbatims posted to Slack, Microsoft Teams or a webhook.

Every post is an outbox row written with its cause (the transport named on the row picks
Slack, Teams or the generic webhook), so a chat service that is down loses nothing.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.db import models, transaction

from beacon.core.errors import ValidationFailed
from beacon.insights.text import redact
from beacon.loop.events import channel_created
from beacon.loop.models import Channel, ChannelEvent, ChannelKind
from beacon.loop.rules import mentions
from beacon.notifications.actions import MessageIn, do_queue_messages
from beacon.notifications.models import OutboxMessage
from beacon.notifications.transports.webhook import SECRET_HEADER, destination_problem
from beacon.orgs.models import Membership
from beacon.responses.models import Answer, Response

MAX_COMMENT_IN_POST = 1000


@transaction.atomic
def do_create_channel(
    org_id: int,
    *,
    name: str,
    kind: str,
    url: str,
    event: str,
    max_score: int | None = None,
    keyword: str = "",
    actor: Membership | None = None,
) -> Channel:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "must not be empty"
    if kind not in ChannelKind.values:
        errors["kind"] = f"must be one of {', '.join(ChannelKind.values)}"
    if event not in ChannelEvent.values:
        errors["event"] = f"must be one of {', '.join(ChannelEvent.values)}"
    url = url.strip()
    if len(url) > 500:
        errors["url"] = "must be at most 500 characters"
    # A host that does not resolve yet is saved; the send-time check refuses to post to it
    # until it does, and the channel's log shows why.
    elif (problem := destination_problem(url, unresolved_ok=True)) is not None:
        errors["url"] = problem
    if errors:
        raise ValidationFailed(errors)
    channel = Channel.objects.create(
        organization_id=org_id,
        name=name.strip()[:200],
        kind=kind,
        url=url,
        # Receivers verify X-Beacon-Signature with this; shown to the admin once created.
        secret=secrets.token_urlsafe(32),
        event=event,
        max_score=max_score,
        keyword=keyword.strip()[:100],
    )
    channel_created(org_id, channel, actor=actor, kind=kind)
    return channel


def post_key_prefix(channel_id: int) -> str:
    """The start of the outbox key of every post to a channel (its log reads them back)."""
    return f"channel:{channel_id}:"


def _comment(answers: list[Answer]) -> str:
    return " ".join(a.text.strip() for a in answers if a.text and a.text.strip())


def _lowest_score(answers: list[Answer]) -> int | None:
    scores = [a.number for a in answers if a.number is not None]
    return min(scores) if scores else None


def _wants(channel: Channel, answers: list[Answer]) -> bool:
    if channel.max_score is not None:
        lowest = _lowest_score(answers)
        if lowest is None or lowest > channel.max_score:
            return False
    return not channel.keyword or mentions(_comment(answers), channel.keyword)


def _payload(
    channel: Channel, event: str, response: Response, title: str, cause: Any, answers: list[Answer]
) -> str:
    comment = redact(_comment(answers))[:MAX_COMMENT_IN_POST]
    scores = {a.question.kind: a.number for a in answers if a.number is not None}
    link = f"{settings.BASE_URL}/cases/{cause.pk}/" if event == ChannelEvent.CASE else ""
    text = "\n".join(part for part in (title, f"“{comment}”" if comment else "", link) if part)
    body: dict[str, Any]
    if channel.kind == ChannelKind.SLACK:
        body = {"text": text}
    elif channel.kind == ChannelKind.TEAMS:
        body = {"title": title, "text": text}
    else:
        body = {
            "event": f"{event}.created",
            "id": cause.pk,
            "response_id": response.pk,
            "title": title,
            "scores": scores,
            "comment": comment,
            "url": link,
        }
    return json.dumps(body, ensure_ascii=False)


@transaction.atomic
def active_channels(org_id: int, event: str) -> list[Channel]:
    return list(Channel.objects.for_org(org_id).filter(active=True, event=event).order_by("pk"))


def case_channels(org_id: int) -> list[Channel]:
    return active_channels(org_id, ChannelEvent.CASE)


def post_to_channels(
    org_id: int,
    event: str,
    response: Response,
    title: str,
    *,
    cause: models.Model,
    channels: list[Channel] | None = None,
) -> list[OutboxMessage]:
    """Queue one post per active channel of this event whose filter the response meets
    (`channels`: those a batch has read once for many responses)."""
    if channels is None:
        channels = active_channels(org_id, event)
    if not channels:
        return []
    answers = list(Answer.objects.filter(response=response).select_related("question"))
    return do_queue_messages(
        channel_posts(org_id, event, response, title, cause, channels, answers)
    )


def channel_posts(
    org_id: int,
    event: str,
    response: Response,
    title: str,
    cause: models.Model,
    channels: list[Channel],
    answers: list[Answer],
) -> list[MessageIn]:
    """The posts `post_to_channels` queues, for a caller that queues a batch's together
    (`answers`: the response's, with their questions)."""
    return [
        MessageIn(
            org_id=org_id,
            transport=channel.kind,
            to=channel.url,
            subject=title,
            text=_payload(channel, event, response, title, cause, answers),
            cause=cause,
            key=f"{post_key_prefix(channel.pk)}{event}:{cause.pk}",
            headers={SECRET_HEADER: channel.secret},
        )
        for channel in channels
        if _wants(channel, answers)
    ]
