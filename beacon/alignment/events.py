"""The alignment app's event verbs, one function per event."""

from __future__ import annotations

from beacon.alignment.models import Recipient, Round
from beacon.orgs.events import EventVerb, record_event
from beacon.orgs.models import Event, Membership, Organization


class AlignmentEvent(EventVerb):
    ROUND_SENT = "alignment_round.sent"
    ROUND_REMINDED = "alignment_round.reminded"
    ROUND_CLOSED = "alignment_round.closed"
    ANSWERED = "alignment_round.answered"


def round_sent(
    org: Organization | int, round_: Round, *, actor: Membership | None, recipients: int
) -> Event:
    return record_event(
        org,
        AlignmentEvent.ROUND_SENT,
        round_,
        actor=actor,
        recipients=recipients,
        show_names=round_.show_names,
    )


def round_reminded(org: Organization | int, round_: Round, *, recipients: int) -> Event:
    return record_event(org, AlignmentEvent.ROUND_REMINDED, round_, recipients=recipients)


def round_closed(org: Organization | int, round_: Round, *, actor: Membership | None) -> Event:
    return record_event(org, AlignmentEvent.ROUND_CLOSED, round_, actor=actor)


def answered(org: Organization | int, recipient: Recipient, *, replaced: bool) -> Event:
    # The respondent acts through their link; the event names the membership as actor.
    return record_event(
        org,
        AlignmentEvent.ANSWERED,
        recipient,
        actor=recipient.membership,
        round=recipient.round_id,
        replaced=replaced,
    )
