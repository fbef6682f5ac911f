"""The closed loop's staff pages beyond actions: case rules, replies, digests, the public
wall's moderation, channels and calls to lost customers."""

from __future__ import annotations

from django import forms

from beacon.cxmodel.models import Stage
from beacon.loop.models import CaseRule, LostReason, WallPost
from beacon.orgs.models import Membership
from beacon.surveys.models import Question, Survey
from beacon.web.forms.common import OrgChoiceField, PostForm, WholeNumberField, flag, text

MEMBER = "choose a member of this organisation"


class DeactivateRuleForm(PostForm):
    deactivate = OrgChoiceField(CaseRule, "no such rule", required=True)

    def asked(self) -> bool:
        return bool(self.data.get("deactivate"))


class CaseRuleForm(PostForm):
    name = text()
    question = OrgChoiceField(Question, "choose a question of this organisation")
    question_kind = text()
    max_score = WholeNumberField()
    keyword = text()
    contact_attribute = text()
    contact_value = text()
    stage = OrgChoiceField(Stage, "choose a stage of this organisation")
    priority = text()
    due_hours = WholeNumberField()
    owner_rule = text()
    owner_member = OrgChoiceField(Membership, MEMBER)
    position = WholeNumberField()


class ReplyForm(PostForm):
    body = text()


class DigestForm(PostForm):
    """A member's own digest frequency, or (admins, form=schedule) the organisation's time."""

    form = forms.ChoiceField(
        choices=[("schedule", "schedule")],
        required=False,
        error_messages={"invalid_choice": "must be schedule or left out"},
    )
    frequency = text()
    timezone = text()
    digest_hour = WholeNumberField()

    def schedule(self) -> bool:
        return self.data.get("form") == "schedule"


WALL_OPS = ("settings", "consent", "approve", "reject")


class WallForm(PostForm):
    op = forms.ChoiceField(
        choices=[(op, op) for op in WALL_OPS],
        error_messages={"invalid_choice": "unknown operation", "required": "unknown operation"},
    )
    enabled = flag()
    embeddable = flag()
    headline = text()
    survey = OrgChoiceField(Survey, "choose a survey of this organisation")
    wording = text()
    post = OrgChoiceField(WallPost, "no such post")
    public_reply = text()
    text = text()

    def clean_text(self) -> str | None:
        # No text sent keeps the customer's words; an empty text is refused by the action.
        return self.cleaned_data["text"] if "text" in self.data else None


class ChannelForm(PostForm):
    name = text()
    kind = text()
    url = text()
    event = text()
    max_score = WholeNumberField()
    keyword = text()


class LostCallForm(PostForm):
    outcome = text()
    reason = OrgChoiceField(LostReason, "choose why the customer left")
    won_back = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")],
        coerce=lambda v: v == "yes",
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "must be yes or no"},
    )
