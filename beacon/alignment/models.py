"""Alignment rounds: a short internal questionnaire that measures whether the company
shares one picture of its customers (personas), its journey's owners and its needs."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from beacon.core import clock
from beacon.core.models import TenantModel
from beacon.cxmodel.models import Journey, Need, Persona, Stage
from beacon.orgs.models import Department, Membership, Role


class RoundStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Round(TenantModel):
    title = models.CharField(max_length=200)
    # The stages asked about are this journey's, as they are when a recipient answers.
    journey = models.ForeignKey(Journey, on_delete=models.PROTECT, related_name="+")
    closes_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    # The registry's primary persona when the round was sent: later rounds may compare
    # against another one, and the trend must read each round against its own.
    primary_persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Claimed by a conditional UPDATE: the reminder goes out once, however often the job runs.
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The organisation's choice to show each person's answers with their name to admins
    # and analysts. Set only when the round is sent: the email and the questionnaire tell
    # recipients before they answer, so it can never change under answers already given.
    show_names = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["status", "closes_at"], name="alignment_round_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN and self.closes_at > clock.now()


class Recipient(TenantModel):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="recipients")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    # The link's token is derived from this nonce and the server's secret (so a reminder can
    # carry the same link); only its hash is looked up and stored.
    nonce = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # How often the recipient answered; the latest answer replaces the earlier one.
    answers = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "membership"], name="one_recipient_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.membership} in {self.round}"


class Reply(TenantModel):
    """One recipient's answers, attributed to their department and role when they answered."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="replies")
    recipient = models.OneToOneField(Recipient, on_delete=models.CASCADE, related_name="reply")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too: a department renamed or removed later still reads as it was.
    department_name = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    # Up to three personas in order of importance, or another customer described in words.
    persona_1 = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    persona_2 = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    persona_3 = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    persona_text = models.CharField(max_length=500, blank=True)
    # Accountable for customer experience overall: a member, or None for "don't know".
    overall = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class Accountable(models.TextChoices):
    MEMBER = "member", "A member"
    NOBODY = "nobody", "Nobody"
    DONT_KNOW = "dont_know", "Don't know"


class StageReply(TenantModel):
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="stages")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    accountable = models.CharField(max_length=10, choices=Accountable.choices)
    member = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    need = models.ForeignKey(
        Need, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    need_text = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reply", "stage"], name="one_answer_per_stage"),
            models.CheckConstraint(
                condition=Q(accountable="member", member__isnull=False)
                | (~Q(accountable="member") & Q(member__isnull=True)),
                name="stage_reply_member_matches_kind",
            ),
        ]
