"""Settings → Members: the list, invitations, roles, departments, deactivation and handover;
and the invitee's own page that turns an invitation link into a membership."""

from __future__ import annotations

from typing import TypeVar, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.members.actions import (
    InvitationUnusable,
    do_accept_invitation,
    do_hand_over,
    do_hand_over_all,
    do_invite,
    do_resend_invitation,
    do_revoke_invitation,
    hash_token,
)
from beacon.members.models import Invitation
from beacon.members.queries import (
    WORK_KINDS,
    WORK_LABELS,
    gaps,
    has_account,
    invitation_by_token,
    invitation_state,
    live_keys_created_by,
    members,
    open_invitations,
    open_work,
    two_factor_by_user,
    work_item,
)
from beacon.orgs.actions import (
    do_add_department,
    do_change_role,
    do_deactivate_member,
    do_place_member,
    do_reactivate_member,
    do_remove_department,
    do_rename_department,
)
from beacon.orgs.models import Department, Membership, Role
from beacon.web.access import SESSION_ORG, render_page, require_role, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.members import (
    AcceptForm,
    DepartmentForm,
    HandoverForm,
    InviteForm,
    JoinForm,
    MemberForm,
)

T = TypeVar("T", bound=models.Model)


def errors_onto(form: forms.Form, exc: ValidationFailed | Conflict) -> None:
    """A domain error shown on the form: under its field when the form has one."""
    if isinstance(exc, Conflict):
        form.add_error(None, str(exc))
        return
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _member(member: Membership, member_id: int) -> Membership:
    found = (
        Membership.objects.for_org(member.organization_id)
        .select_related("user", "team", "department")
        .filter(pk=member_id)
        .first()
    )
    if found is None:
        raise Http404("no such member")
    return found


def _members_page(
    request: HttpRequest, member: Membership, invite_form: InviteForm, status: int = 200
) -> HttpResponse:
    org = member.organization
    rows = list(members(org))
    factors = two_factor_by_user([m.user_id for m in rows])
    context = {
        "rows": [(m, factors[m.user_id]) for m in rows],
        "invitations": open_invitations(org),
        "now": clock.now(),
        "gaps": gaps(org),
        "form": invite_form,
    }
    return render_page(
        request, member, "web/members/list.html", context, status=status, nav="members"
    )


@staff_view
@require_http_methods(["GET"])
@reads()
def member_list(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    return _members_page(request, member, InviteForm(member))


@staff_view
@require_POST
@reads(InviteForm)
def member_invite(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    form = InviteForm(member, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            issued = do_invite(
                member.organization,
                data["email"],
                role=data["role"],
                display_name=data["display_name"],
                department=data["department"],
                team=data["team"],
                actor=member,
            )
        except ValidationFailed as exc:
            errors_onto(form, exc)
        else:
            messages.success(request, f"Invitation sent to {issued.invitation.email}.")
            return redirect("web:members")
    return _members_page(request, member, form, status=400)


def own_or_404(member: Membership, model: type[T], pk: int) -> T:
    """The organisation's row with this id; another organisation's id is simply unknown."""
    found = model.objects.for_org(member.organization_id).filter(pk=pk).first()  # type: ignore[attr-defined]
    if found is None:
        raise Http404(f"no such {model._meta.verbose_name}")
    return cast(T, found)


def _change_invitation(
    request: HttpRequest, member: Membership, invitation_id: int, revoke: bool
) -> HttpResponse:
    require_role(member, Role.ADMIN)
    invitation = own_or_404(member, Invitation, invitation_id)
    try:
        if revoke:
            do_revoke_invitation(invitation, actor=member)
        else:
            do_resend_invitation(invitation, actor=member)
    except ValidationFailed as exc:
        messages.error(request, f"{invitation.email}: {exc.errors['invitation']}")
    else:
        messages.success(
            request,
            f"The invitation to {invitation.email} was revoked."
            if revoke
            else f"A new link was sent to {invitation.email}; the old one no longer works.",
        )
    return redirect("web:members")


@staff_view
@require_POST
def invitation_resend(request: HttpRequest, member: Membership, invitation_id: int) -> HttpResponse:
    return _change_invitation(request, member, invitation_id, revoke=False)


@staff_view
@require_POST
def invitation_revoke(request: HttpRequest, member: Membership, invitation_id: int) -> HttpResponse:
    return _change_invitation(request, member, invitation_id, revoke=True)


def _member_page(
    request: HttpRequest,
    member: Membership,
    target: Membership,
    form: MemberForm | None = None,
    handover: HandoverForm | None = None,
    status: int = 200,
) -> HttpResponse:
    initial = {"role": target.role, "department": target.department, "team": target.team}
    work = open_work(target)
    context = {
        "target": target,
        "form": form or MemberForm(member, initial=initial),
        "handover": handover or HandoverForm(member),
        "work": [(WORK_LABELS[k], [i for i in work if i.kind == k]) for k in WORK_KINDS],
        "work_count": len(work),
        "keys": live_keys_created_by(target),
    }
    return render_page(
        request, member, "web/members/member.html", context, status=status, nav="members"
    )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(MemberForm, HandoverForm)
def member_edit(request: HttpRequest, member: Membership, member_id: int) -> HttpResponse:
    require_role(member, Role.ADMIN)
    target = _member(member, member_id)
    if request.method == "GET":
        return _member_page(request, member, target)
    form = MemberForm(member, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # role and place change together, or neither
                if data["role"] != target.role:
                    do_change_role(target, data["role"], actor=member)
                if (data["department"], data["team"]) != (target.department, target.team):
                    do_place_member(
                        target, department=data["department"], team=data["team"], actor=member
                    )
        except (ValidationFailed, Conflict) as exc:
            errors_onto(form, exc)
        else:
            messages.success(request, f"{target.display_name} saved.")
            return redirect("web:member", member_id=target.pk)
    return _member_page(request, member, _member(member, member_id), form=form, status=400)


def _set_active(
    request: HttpRequest, member: Membership, member_id: int, active: bool
) -> HttpResponse:
    require_role(member, Role.ADMIN)
    target = _member(member, member_id)
    try:
        if active:
            do_reactivate_member(target, actor=member)
        else:
            do_deactivate_member(target, actor=member)
    except ValidationFailed as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{target.display_name} can sign in again."
            if active
            else f"{target.display_name} is deactivated and signed out. Hand their work over.",
        )
    return redirect("web:member", member_id=target.pk)


@staff_view
@require_POST
def member_deactivate(request: HttpRequest, member: Membership, member_id: int) -> HttpResponse:
    return _set_active(request, member, member_id, active=False)


@staff_view
@require_POST
def member_reactivate(request: HttpRequest, member: Membership, member_id: int) -> HttpResponse:
    return _set_active(request, member, member_id, active=True)


@staff_view
@require_POST
@reads(HandoverForm)
def member_handover(request: HttpRequest, member: Membership, member_id: int) -> HttpResponse:
    require_role(member, Role.ADMIN)
    target = _member(member, member_id)
    form = HandoverForm(member, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] and data["item"]:
                item = work_item(data["kind"], target, data["item"])
                if item is None:
                    raise Http404("no such item of this member's work")
                do_hand_over(data["kind"], item, data["to"], actor=member)
                messages.success(request, f"Handed over to {data['to'].display_name}.")
            else:
                moved = do_hand_over_all(target, data["to"], actor=member)
                messages.success(
                    request, f"{moved} items handed over to {data['to'].display_name}."
                )
        except ValidationFailed as exc:
            errors_onto(form, exc)
        else:
            return redirect("web:member", member_id=target.pk)
    return _member_page(request, member, target, handover=form, status=400)


# ------------------------------------------------------------------ departments


@staff_view
@require_http_methods(["GET", "POST"])
@reads(DepartmentForm)
def departments(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    org = member.organization_id
    form = DepartmentForm(org, request.POST) if request.method == "POST" else DepartmentForm(org)
    if request.method == "POST" and form.is_valid():
        try:
            do_add_department(member.organization, form.cleaned_data["name"], actor=member)
        except ValidationFailed as exc:
            errors_onto(form, exc)
        else:
            return redirect("web:departments")
    return _departments_page(request, member, form, status=400 if form.errors else 200)


def _departments_page(
    request: HttpRequest,
    member: Membership,
    form: DepartmentForm,
    editing: tuple[int, DepartmentForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    org = member.organization_id
    rows = Department.objects.for_org(org).order_by("name")
    context = {
        "form": form if request.method == "POST" and editing is None else DepartmentForm(org),
        "rows": [
            (
                d,
                editing[1]
                if editing and editing[0] == d.pk
                else DepartmentForm(org, initial={"name": d.name}),
            )
            for d in rows
        ],
    }
    return render_page(
        request, member, "web/members/departments.html", context, status=status, nav="members"
    )


@staff_view
@require_POST
@reads(DepartmentForm)
def department_rename(request: HttpRequest, member: Membership, department_id: int) -> HttpResponse:
    require_role(member, Role.ADMIN)
    dept = own_or_404(member, Department, department_id)
    form = DepartmentForm(member.organization_id, request.POST)
    if form.is_valid():
        try:
            do_rename_department(dept, form.cleaned_data["name"], actor=member)
        except ValidationFailed as exc:
            errors_onto(form, exc)
        else:
            return redirect("web:departments")
    blank = DepartmentForm(member.organization_id)
    return _departments_page(request, member, blank, editing=(dept.pk, form), status=400)


@staff_view
@require_POST
def department_remove(request: HttpRequest, member: Membership, department_id: int) -> HttpResponse:
    require_role(member, Role.ADMIN)
    dept = own_or_404(member, Department, department_id)
    do_remove_department(dept, actor=member)
    messages.success(request, f"Department {dept.name} removed; its members have none now.")
    return redirect("web:departments")


# ------------------------------------------------------------------ the invitee's page


_UNUSABLE = {
    "unknown": "This invitation link is not valid. Check that you copied the whole link.",
    "accepted": "This invitation has already been used. Sign in with your email and password.",
    "revoked": "This invitation was withdrawn. Ask an admin of the organisation for a new one.",
    "expired": "This invitation has expired (links work for 7 days). Ask an admin to resend it.",
    "deactivated": "Your access to this organisation was deactivated: the invitation is void.",
    "other_account": "This invitation is for another email address. Sign out, then open it again.",
}


def _unusable(request: HttpRequest, reason: str, invitation: Invitation | None) -> HttpResponse:
    context = {"message": _UNUSABLE.get(reason, _UNUSABLE["unknown"]), "invitation": invitation}
    return render(
        request, "web/members/invitation_unusable.html", context, status=410 if invitation else 404
    )


@require_http_methods(["GET", "POST"])
@reads(AcceptForm, JoinForm)
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(hash_token(token))
    if invitation is None:
        return _unusable(request, "unknown", None)
    state = invitation_state(invitation)
    if state != "open":
        return _unusable(request, state, invitation)
    signed_in = request.user if request.user.is_authenticated else None
    existing = has_account(invitation.email)
    if existing and (signed_in is None or signed_in.get_username() != invitation.email):
        # Someone with an account joins by signing in as themselves, never by a new password.
        context = {
            "invitation": invitation,
            "login_url": f"{reverse('web:login')}?next={request.path}",
            "other": signed_in,
        }
        return render(request, "web/members/invitation_sign_in.html", context)
    user = signed_in if existing else User(username=invitation.email, email=invitation.email)
    initial = {"display_name": invitation.display_name}
    form: forms.Form
    if request.method == "POST":
        form = JoinForm(request.POST) if existing else AcceptForm(user, request.POST)
    else:
        form = JoinForm() if existing else AcceptForm(user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            member = do_accept_invitation(
                invitation,
                password=None if existing else form.cleaned_data["new_password1"],
                user=user if existing else None,
                display_name="" if existing else form.cleaned_data["display_name"],
            )
        except InvitationUnusable as exc:
            return _unusable(request, exc.reason, invitation)
        login(request, member.user, backend=settings.AUTHENTICATION_BACKENDS[0])
        request.session[SESSION_ORG] = member.organization_id
        messages.success(request, f"Welcome to {member.organization.name}.")
        return redirect("web:overview")
    context = {"invitation": invitation, "form": form, "existing": existing}
    return render(request, "web/members/accept.html", context, status=400 if form.errors else 200)
