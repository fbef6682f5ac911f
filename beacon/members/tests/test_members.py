"""Members: invitations by email, the invitee's page, roles, deactivation and handover."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client

from beacon.analytics.actions import AlertRuleIn, do_create_alert_rule
from beacon.analytics.models import AlertRule
from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.cxmodel.actions import do_add_need
from beacon.cxmodel.models import Need, Stage
from beacon.loop.improvements import ActionIn, do_create_action
from beacon.loop.models import Action, Case, RootCause
from beacon.members.events import InvitationEvent
from beacon.members.models import Invitation
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.orgs.actions import do_add_member, do_change_role, do_deactivate_member
from beacon.orgs.events import MemberEvent
from beacon.orgs.models import Department, Event, Membership, Role
from beacon.testing import PASSWORD, SmtpServer, World, race
from beacon.web.tests.helpers import logged_in, open_case

LINK = re.compile(r"http://[^/\s]+(/invite/[A-Za-z0-9_-]+/)")


def invite(client: Client, capture: Any, **fields: str) -> Any:
    data = {"email": "new.person@acme.test", "role": "analyst", "display_name": ""} | fields
    with capture(execute=True):
        return client.post("/settings/members/invite/", data)


def link_in(smtp: SmtpServer, address: str, n: int = -1) -> str:
    payload = smtp.inbox.to(address)[n].get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_an_invitation_is_mailed_once_and_its_link_makes_a_signed_in_member(
    world: World, smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    owner = logged_in(world.owner)
    service = Department.objects.for_org(world.org).get(name="Service")
    response = invite(
        owner,
        django_capture_on_commit_callbacks,
        department=str(service.pk),
        team=str(world.team.pk),
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new.person@acme.test")
    [message] = OutboxMessage.objects.filter(cause_type="members.invitation")
    assert message.state == OutboxState.SENT  # sent by the worker's job, after commit
    [mail] = smtp.inbox.to("new.person@acme.test")
    assert mail["Subject"] == "You are invited to Acme Telecom on Beacon"
    url = link_in(smtp, "new.person@acme.test")
    assert invitation.token_hash not in url  # the link carries the token, not its hash

    invitee = Client()
    assert "Set password and sign in" in invitee.get(url).content.decode()
    mismatch = invitee.post(
        url, {"display_name": "Nia", "new_password1": PASSWORD, "new_password2": "other words"}
    )
    assert mismatch.status_code == 400
    assert "The two password fields didn\u2019t match." in mismatch.content.decode()
    short = invitee.post(
        url, {"display_name": "Nia", "new_password1": "abc", "new_password2": "abc"}
    )
    assert "This password is too short" in short.content.decode()
    assert not Membership.objects.filter(user__username="new.person@acme.test").exists()

    done = invitee.post(
        url, {"display_name": "Nia New", "new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/"
    assert "Nia New" in invitee.get("/").content.decode()  # signed in, no login step
    member = Membership.objects.get(user__username="new.person@acme.test")
    assert (member.role, member.department, member.team) == (Role.ANALYST, service, world.team)
    assert member.user.check_password(PASSWORD)
    used = Client().get(url)
    assert used.status_code == 410
    assert "already been used" in used.content.decode()
    verbs = list(
        Event.objects.filter(subject_type="members.invitation").values_list("verb", flat=True)
    )
    assert verbs == [InvitationEvent.SENT, InvitationEvent.ACCEPTED]


def test_expired_revoked_resent_and_unknown_links_give_a_clear_page(
    world: World, smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    owner = logged_in(world.owner)
    invite(owner, django_capture_on_commit_callbacks, email="late@acme.test")
    url = link_in(smtp, "late@acme.test")
    with clock.frozen_at(clock.now() + dt.timedelta(days=7, minutes=1)):
        expired = Client().get(url)
        assert expired.status_code == 410 and "has expired" in expired.content.decode()
        listed = owner.get("/settings/members/").content.decode()
        assert "(expired: resend it)" in listed
    assert "(expired: resend it)" not in owner.get("/settings/members/").content.decode()
    invitation = Invitation.objects.get(email="late@acme.test")
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/settings/members/invitations/{invitation.pk}/resend/")
    assert len(smtp.inbox.to("late@acme.test")) == 2
    new_url = link_in(smtp, "late@acme.test")
    assert new_url != url
    assert Client().get(url).status_code == 404  # the old link died with the resend
    assert Client().get(new_url).status_code == 200
    owner.post(f"/settings/members/invitations/{invitation.pk}/revoke/")
    revoked = Client().get(new_url)
    assert revoked.status_code == 410 and "was withdrawn" in revoked.content.decode()
    unknown = Client().post("/invite/not-a-token/", {"new_password1": "x"})
    assert unknown.status_code == 404 and "not valid" in unknown.content.decode()


def test_an_invitation_for_a_member_deactivated_meanwhile_is_refused(
    world: World, smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    invite(logged_in(world.owner), django_capture_on_commit_callbacks, email="gone@acme.test")
    url = link_in(smtp, "gone@acme.test")
    gone = do_add_member(world.org, "gone@acme.test", role=Role.AGENT, display_name="Gone")
    do_deactivate_member(gone, actor=world.owner)
    page = Client().get(url)
    assert page.status_code == 410 and "was deactivated" in page.content.decode()


def test_someone_with_an_account_joins_by_signing_in_not_by_a_new_password(
    world: World, other_world: World, smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    email = other_world.agent.email
    invite(logged_in(world.owner), django_capture_on_commit_callbacks, email=email)
    url = link_in(smtp, email)
    stranger = Client()
    page = stranger.get(url).content.decode()
    assert "already has a Beacon account" in page and "new_password1" not in page
    stranger.post(url, {"new_password1": "hijack words 123", "new_password2": "hijack words 123"})
    assert not Membership.objects.filter(organization=world.org, user__username=email).exists()
    assert other_world.agent.user.__class__.objects.get(username=email).check_password(PASSWORD)
    agent = logged_in(other_world.agent)
    assert agent.post(url).status_code == 302
    assert Membership.objects.filter(organization=world.org, user__username=email).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "agent@acme-telecom.test"}, "is already a member of Acme Telecom"),
        ({"email": "not an email"}, "Enter a valid email address."),
        ({"role": "owner"}, "you cannot grant a role above your own (admin)"),
        ({"role": "wizard"}, "Select a valid choice."),
    ],
)
def test_bad_invitations_show_the_form_again_with_the_reason(
    world: World, django_capture_on_commit_callbacks: Any, fields: dict[str, str], message: str
) -> None:
    admin = logged_in(world.stage_owner)  # an admin, not an owner
    response = invite(admin, django_capture_on_commit_callbacks, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Invitation.objects.count() == 0 and not OutboxMessage.objects.exists()


def test_inviting_twice_asks_to_resend_and_expired_invitations_make_way(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    owner = logged_in(world.owner)
    assert invite(owner, django_capture_on_commit_callbacks).status_code == 302
    again = invite(owner, django_capture_on_commit_callbacks)
    assert again.status_code == 400 and "resend the invitation" in again.content.decode()
    with clock.frozen_at(clock.now() + dt.timedelta(days=8)):
        assert invite(owner, django_capture_on_commit_callbacks).status_code == 302
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_members_list_shows_role_department_team_sign_in_and_two_factor(world: World) -> None:
    def cells() -> list[str]:
        html = logged_in(world.owner).get("/settings/members/").content.decode()
        row = re.search(r"<tr>\s*<th scope=\"row\"><a[^>]*>Priya Agent</a>.*?</tr>", html, re.S)
        assert row, html
        return re.findall(r"<td>(.*?)</td>", row.group(0), re.S)

    # email, role, department, team, last sign-in, 2FA, status
    assert cells() == [world.agent.email, "Agent", "—", "Support", "never", "off", "active"]
    Authenticator.objects.create(
        user=world.agent.user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    assert cells()[5] == "on"


def test_roles_never_rise_above_the_actors_and_the_last_owner_stays(world: World) -> None:
    admin = logged_in(world.stage_owner)
    grant = admin.post(f"/settings/members/{world.agent.pk}/", {"role": "owner"})
    assert grant.status_code == 400
    assert "you cannot grant a role above your own" in grant.content.decode()
    demote = admin.post(f"/settings/members/{world.owner.pk}/", {"role": "viewer"})
    assert (
        demote.status_code == 400 and "only an owner can change an owner" in demote.content.decode()
    )
    last = logged_in(world.owner).post(f"/settings/members/{world.owner.pk}/", {"role": "admin"})
    assert last.status_code == 400 and "the last owner cannot be demoted" in last.content.decode()
    world.owner.refresh_from_db()
    assert world.owner.role == Role.OWNER
    ok = logged_in(world.owner).post(f"/settings/members/{world.agent.pk}/", {"role": "analyst"})
    assert ok.status_code == 302
    world.agent.refresh_from_db()
    assert world.agent.role == Role.ANALYST
    event = Event.objects.get(verb=MemberEvent.ROLE_CHANGED)
    assert (event.actor, event.data) == (world.owner, {"frm": "agent", "to": "analyst"})


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(world: World) -> None:
    second = do_add_member(world.org, "co@acme.test", role=Role.OWNER, display_name="Co Owner")
    pair = [(world.owner, second), (second, world.owner)]

    def demote(i: int) -> str:
        actor, target = pair[i]
        try:
            do_change_role(Membership.objects.get(pk=target.pk), Role.ADMIN, actor=actor)
        except Conflict:
            return "refused"
        return "demoted"

    assert sorted(race(2, demote)) == ["demoted", "refused"]
    assert Membership.objects.filter(organization=world.org, role=Role.OWNER).count() == 1


def _work(world: World, capture: Any) -> dict[str, Any]:
    """Everything the stage owner holds: a case, the stage, a need, an action, an alert rule."""
    case = open_case(world)
    need = do_add_need(world.stage, "Reach a person", "Solved in one call", owner=world.stage_owner)
    action = do_create_action(
        world.org.pk,
        ActionIn(
            title="Shorter hold times",
            source="root_cause",
            root_cause=RootCause.objects.for_org(world.org).get(code="process"),
            owner=world.stage_owner,
            deadline=clock.now() + dt.timedelta(days=14),
        ),
        actor=world.owner,
    )
    rule = do_create_alert_rule(
        world.org,
        AlertRuleIn(
            name="Help NPS",
            metric="nps",
            kind="below",
            threshold=0,
            window_days=7,
            stage=world.stage,
            notify=world.stage_owner,
        ),
    )
    return {"case": case, "stage": world.stage, "need": need, "action": action, "rule": rule}


def test_deactivation_ends_access_and_lists_open_work_as_gaps_until_handed_over(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    items = _work(world, django_capture_on_commit_callbacks)
    assert Case.objects.get(pk=items["case"].pk).owner == world.stage_owner
    leaver = logged_in(world.stage_owner)
    assert leaver.get("/").status_code == 200
    owner = logged_in(world.owner)
    assert owner.post(f"/settings/members/{world.stage_owner.pk}/deactivate/").status_code == 302

    refused = leaver.get("/cases/")
    assert refused.status_code == 302 and refused["Location"].startswith("/login/")
    assert "_auth_user_id" not in leaver.session  # logged out, not only refused once

    journey = owner.get("/cx/journey/").content.decode()
    assert "deactivated: a gap until the stage is handed over" in journey
    assert "deactivated: a gap until the need is handed over" in journey
    members_page = owner.get("/settings/members/").content.decode()
    assert "Sam Stage</a> (deactivated) still holds 5 open items" in members_page
    page = owner.get(f"/settings/members/{world.stage_owner.pk}/").content.decode()
    assert "Open work (5)" in page and "has no active owner until it is handed over" in page
    assert "Shorter hold times" in page and "Help NPS" in page and "Get help" in page

    one = owner.post(
        f"/settings/members/{world.stage_owner.pk}/handover/",
        {"kind": "stage", "item": world.stage.pk, "to": world.agent.pk},
    )
    assert one.status_code == 302
    assert Stage.objects.get(pk=world.stage.pk).owner == world.agent
    assert "still holds 4 open items" in owner.get("/settings/members/").content.decode()
    to_deactivated = owner.post(
        f"/settings/members/{world.stage_owner.pk}/handover/", {"to": world.stage_owner.pk}
    )
    assert to_deactivated.status_code == 400
    assert "Select a valid choice" in to_deactivated.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        rest = owner.post(
            f"/settings/members/{world.stage_owner.pk}/handover/", {"to": world.owner.pk}
        )
    assert rest.status_code == 302
    assert Case.objects.get(pk=items["case"].pk).owner == world.owner
    assert Need.objects.get(pk=items["need"].pk).owner == world.owner
    assert Action.objects.get(pk=items["action"].pk).owner == world.owner
    assert AlertRule.objects.get(pk=items["rule"].pk).notify == world.owner
    assert "Gaps" not in owner.get("/settings/members/").content.decode()
    assert "deactivated: a gap" not in owner.get("/cx/journey/").content.decode()


def test_a_deactivated_membership_is_never_the_current_one(
    world: World, other_world: World
) -> None:
    both = do_add_member(other_world.org, world.agent.email, role=Role.VIEWER, display_name="P")
    client = logged_in(world.agent)
    client.post("/org/", {"org": str(world.org.pk)})
    assert "Acme Telecom" in client.get("/").content.decode()
    do_deactivate_member(world.agent, actor=world.owner)
    page = client.get("/").content.decode()
    assert "Globex Retail" in page and both.organization.name == "Globex Retail"
    assert client.post("/org/", {"org": str(world.org.pk)}).status_code == 404


def test_the_last_owner_cannot_be_deactivated_and_nobody_deactivates_themselves(
    world: World,
) -> None:
    with pytest.raises(ValidationFailed, match="cannot deactivate yourself"):
        do_deactivate_member(world.owner, actor=world.owner)
    with pytest.raises(Conflict, match="last owner"):
        do_deactivate_member(world.owner)
    response = logged_in(world.stage_owner).post(f"/settings/members/{world.owner.pk}/deactivate/")
    assert response.status_code == 302
    world.owner.refresh_from_db()
    assert world.owner.deactivated_at is None


def test_departments_are_seeded_and_editable_per_organisation(
    world: World, other_world: World
) -> None:
    names = list(Department.objects.for_org(world.org).values_list("name", flat=True))
    assert names == ["Marketing", "Operations", "Other", "Product", "Sales", "Service"]
    owner = logged_in(world.owner)
    assert owner.post("/settings/departments/", {"name": "Finance"}).status_code == 302
    duplicate = owner.post("/settings/departments/", {"name": "Finance"})
    assert duplicate.status_code == 400
    assert "there is already a department called Finance" in duplicate.content.decode()
    sales = Department.objects.for_org(world.org).get(name="Sales")
    owner.post(f"/settings/members/{world.agent.pk}/", {"role": "agent", "department": sales.pk})
    assert (
        owner.post(f"/settings/departments/{sales.pk}/", {"name": "Sales & renewals"}).status_code
        == 302
    )
    assert Membership.objects.get(pk=world.agent.pk).department.name == "Sales & renewals"  # type: ignore[union-attr]
    assert owner.post(f"/settings/departments/{sales.pk}/remove/").status_code == 302
    assert Membership.objects.get(pk=world.agent.pk).department is None
    assert Department.objects.for_org(other_world.org).filter(name="Sales").exists()


def test_another_organisations_ids_are_unknown_on_every_members_page(
    world: World, other_world: World, django_capture_on_commit_callbacks: Any
) -> None:
    invite(logged_in(other_world.owner), django_capture_on_commit_callbacks)
    theirs = Invitation.objects.get(organization=other_world.org)
    dept = Department.objects.for_org(other_world.org).first()
    assert dept is not None
    owner = logged_in(world.owner)
    m = other_world.agent.pk
    for url, method in [
        (f"/settings/members/{m}/", "get"),
        (f"/settings/members/{m}/", "post"),
        (f"/settings/members/{m}/deactivate/", "post"),
        (f"/settings/members/{m}/reactivate/", "post"),
        (f"/settings/members/{m}/handover/", "post"),
        (f"/settings/members/invitations/{theirs.pk}/resend/", "post"),
        (f"/settings/members/invitations/{theirs.pk}/revoke/", "post"),
        (f"/settings/departments/{dept.pk}/", "post"),
        (f"/settings/departments/{dept.pk}/remove/", "post"),
    ]:
        response = getattr(owner, method)(
            url, {"role": "viewer", "to": world.owner.pk, "name": "X"}
        )
        assert response.status_code == 404, url
    # Our own member cannot be handed a foreign member's work either.
    foreign_to = owner.post(
        f"/settings/members/{world.stage_owner.pk}/handover/", {"to": other_world.owner.pk}
    )
    assert foreign_to.status_code == 400
    assert Membership.objects.get(pk=m).deactivated_at is None
    assert Invitation.objects.get(pk=theirs.pk).revoked_at is None


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT, Role.VIEWER])
def test_only_owners_and_admins_manage_members(world: World, role: str) -> None:
    member = do_add_member(world.org, f"{role}@acme.test", role=role, display_name=role)
    client = logged_in(member)
    for url in [
        "/settings/members/",
        f"/settings/members/{world.agent.pk}/",
        "/settings/departments/",
    ]:
        assert client.get(url).status_code == 403, url
    for url in [
        "/settings/members/invite/",
        f"/settings/members/{world.agent.pk}/deactivate/",
        f"/settings/members/{world.agent.pk}/handover/",
    ]:
        assert client.post(url, {"email": "x@acme.test", "role": "viewer"}).status_code == 403
    assert Membership.objects.get(pk=world.agent.pk).deactivated_at is None
    assert not Invitation.objects.exists()
    assert 'href="/settings/members/"' not in client.get("/").content.decode()
    assert 'href="/settings/members/"' in logged_in(world.owner).get("/").content.decode()


def test_createuser_still_adds_a_member_from_the_shell(world: World) -> None:
    call_command("createuser", world.org.slug, "shell@acme.test", role="admin", password=PASSWORD)
    member = Membership.objects.get(user__username="shell@acme.test")
    assert member.role == Role.ADMIN and member.deactivated_at is None
    assert Client().login(username="shell@acme.test", password=PASSWORD)


def test_deactivated_members_are_listed_after_the_active_ones(world: World) -> None:
    do_deactivate_member(world.agent, actor=world.owner)
    html = logged_in(world.owner).get("/settings/members/").content.decode()
    names = re.findall(r'<th scope="row"><a href="/settings/members/\d+/">([^<]+)</a>', html)
    assert names == ["Olive Owner", "Sam Stage", "Priya Agent"]
