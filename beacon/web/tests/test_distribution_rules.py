"""Distribution rules from the staff screens: edit, pause, resume, remove."""

from __future__ import annotations

import pytest

from beacon.contacts.actions import InteractionIn
from beacon.orgs.models import Event
from beacon.pipeline.actions import receive_interaction
from beacon.surveys.distribution import RuleIn, do_add_rule
from beacon.surveys.models import DistributionRule, Invitation, InvitationChannel
from beacon.testing import World, contact_in
from beacon.web.tests.helpers import logged_in

pytestmark = pytest.mark.django_db


def _call(world: World, n: int) -> int:
    received = receive_interaction(
        world.org,
        InteractionIn(contact=contact_in(n), idempotency_key=f"call-{n}",
                      touchpoint=world.touchpoint),
    )  # fmt: skip
    return len(received.invitations)


def test_rule_is_edited_with_every_field_and_bad_input_shows_the_form_again(
    world: World,
) -> None:
    rule = do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    client = logged_in(world.owner)
    url = f"/surveys/{world.survey.pk}/distribution/rules/{rule.pk}/"
    form = client.get(url)
    assert form.status_code == 200
    assert f'<option value="{world.touchpoint.pk}" selected>'.encode() in form.content
    saved = client.post(
        url,
        {"touchpoint": "", "stage": world.stage.pk, "team": world.team.pk,
         "conditions": "plan = gold | silver\nregion = north", "channel": "link",
         "delay_minutes": "60", "sample_percent": "20", "active": "1"},
    )  # fmt: skip
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (
        rule.touchpoint_id, rule.stage_id, rule.team_id, rule.conditions, rule.channel,
        rule.delay_minutes, rule.sample_percent, rule.active,
    ) == (
        None, world.stage.pk, world.team.pk, {"plan": ["gold", "silver"], "region": "north"},
        InvitationChannel.LINK, 60, 20, True,
    )  # fmt: skip
    assert "plan = gold | silver" in client.get(url).content.decode()
    bad = client.post(
        url,
        {"stage": "999999", "conditions": "just words", "channel": "pigeon",
         "delay_minutes": "soon", "sample_percent": "150"},
    )  # fmt: skip
    html = bad.content.decode()
    assert bad.status_code == 400 and "Nothing was saved" in html
    assert "unknown stage" in html and "line 1: write attribute = value" in html
    assert "delay_minutes: must be a whole number" in html
    assert 'name="delay_minutes" inputmode="numeric" value="soon" aria-invalid="true"' in html
    refused = client.post(url, {"channel": "pigeon", "sample_percent": "150", "active": "1"})
    assert refused.status_code == 400
    assert "sample_percent: must be between 1 and 100" in refused.content.decode()
    assert "channel: must be one of" in refused.content.decode()
    rule.refresh_from_db()
    assert (rule.delay_minutes, rule.sample_percent, rule.channel) == (60, 20, "link")
    assert Event.objects.filter(verb="distribution_rule.updated").count() == 1
    # The Active box unticked (browsers then send nothing for it) pauses the rule.
    paused = client.post(url, {"stage": world.stage.pk, "delay_minutes": "60"})
    assert paused.status_code == 302
    rule.refresh_from_db()
    assert (rule.active, rule.stage_id, rule.sample_percent) == (False, world.stage.pk, 100)


def test_paused_rule_invites_nobody_until_resumed_and_removal_keeps_invitations(
    world: World,
) -> None:
    rule = do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint,
                                            channel=InvitationChannel.LINK))  # fmt: skip
    client = logged_in(world.owner)
    state = f"/surveys/{world.survey.pk}/distribution/rules/{rule.pk}/state/"
    assert client.post(state, {"action": "pause"}).status_code == 302
    assert client.post(state, {"action": "pause"}).status_code == 302  # a second click
    assert DistributionRule.objects.get().active is False
    page = client.get(f"/surveys/{world.survey.pk}/distribution/").content.decode()
    assert "Paused" in page and ">Resume<" in page
    assert _call(world, 1) == 0
    assert client.post(state, {"action": "resume"}).status_code == 302
    assert _call(world, 2) == 1
    assert client.post(state, {"action": "explode"}).status_code == 400
    assert client.post(state, {"action": "remove"}).status_code == 302
    assert not DistributionRule.objects.exists()
    invitation = Invitation.objects.get()
    assert invitation.rule_id is None and invitation.contact.external_id == "cust-2"
    verbs = list(
        Event.objects.filter(verb__startswith="distribution_rule.")
        .order_by("pk").values_list("verb", flat=True)
    )  # fmt: skip
    assert verbs == ["distribution_rule.added", "distribution_rule.paused",
                     "distribution_rule.resumed", "distribution_rule.removed"]  # fmt: skip


def test_rules_of_another_organisation_or_role_are_refused(
    world: World, other_world: World
) -> None:
    theirs = do_add_rule(other_world.survey, RuleIn())
    mine = do_add_rule(world.survey, RuleIn())
    owner = logged_in(world.owner)
    base = f"/surveys/{world.survey.pk}/distribution/rules/"
    assert owner.get(f"{base}{theirs.pk}/").status_code == 404
    assert owner.post(f"{base}{theirs.pk}/state/", {"action": "remove"}).status_code == 404
    other_base = f"/surveys/{other_world.survey.pk}/distribution/rules/"
    assert owner.post(f"{other_base}{theirs.pk}/state/", {"action": "remove"}).status_code == 404
    agent = logged_in(world.agent)
    assert agent.post(f"{base}{mine.pk}/state/", {"action": "remove"}).status_code == 403
    assert agent.post(f"{base}{mine.pk}/", {"sample_percent": "5"}).status_code == 403
    assert DistributionRule.objects.count() == 2
