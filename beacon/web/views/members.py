"""Settings → Members: the list, invitations, roles, departments, deactivation and handover;
and the invitee's own page that turns an invitation link into a membership."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
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
from beacon.orgs.models import Department, Membership, Role, Team
from beacon.orgs.queries import active_members
from beacon.web.access import SESSION_ORG, render_page, require_role, staff_view

T = TypeVar("T", bound=models.Model)


def errors_onto(form: forms.Form, exc: ValidationFailed | Conflict) -> None:
    """A domain error shown on the form: under its field when the form has one."""
    if isinstance(exc, Conflict):
        form.add_error(None, str(exc))
        return
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _org_choice(queryset: Any, label: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(queryset=queryset, required=False, label=label)


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    display_name = forms.CharField(max_length=200, required=False, label="Name")
    # Every role is offered; the action refuses one above the inviter's with a message.
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, member: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = member.organization_id
        self.fields["department"] = _org_choice(Department.objects.for_org(org), "Department")
        self.fields["team"] = _org_choice(Team.objects.for_org(org).order_by("name"), "Team")


class MemberForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, member: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = member.organization_id
        self.fields["department"] = _org_choice(Department.objects.for_org(org), "Department")
        self.fields["team"] = _org_choice(Team.objects.for_org(org).order_by("name"), "Team")


class HandoverForm(forms.Form):
    """One item (kind + id) or, without them, all of the member's open work."""

    kind = forms.ChoiceField(choices=[(k, k) for k in WORK_KINDS], required=False)
    item = forms.IntegerField(min_value=1, required=False)

    def __init__(self, member: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"] = forms.ModelChoiceField(
            queryset=active_members(member.organization_id), label="Hand over to"
        )


class DepartmentForm(forms.Form):
    name = forms.CharField(max_length=100)


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
def member_list(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    return _members_page(request, member, InviteForm(member))


@staff_view
@require_POST
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
def departments(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    form = DepartmentForm(request.POST if request.method == "POST" else None)
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
    rows = Department.objects.for_org(member.organization_id).order_by("name")
    context = {
        "form": form if request.method == "POST" and editing is None else DepartmentForm(),
        "rows": [
            (
                d,
                editing[1]
                if editing and editing[0] == d.pk
                else DepartmentForm(initial={"name": d.name}),
            )
            for d in rows
        ],
    }
    return render_page(
        request, member, "web/members/departments.html", context, status=status, nav="members"
    )


@staff_view
@require_POST
def department_rename(request: HttpRequest, member: Membership, department_id: int) -> HttpResponse:
    require_role(member, Role.ADMIN)
    dept = own_or_404(member, Department, department_id)
    form = DepartmentForm(request.POST)
    if form.is_valid():
        try:
            do_rename_department(dept, form.cleaned_data["name"], actor=member)
        except ValidationFailed as exc:
            errors_onto(form, exc)
        else:
            return redirect("web:departments")
    return _departments_page(request, member, DepartmentForm(), editing=(dept.pk, form), status=400)


@staff_view
@require_POST
def department_remove(request: HttpRequest, member: Membership, department_id: int) -> HttpResponse:
    require_role(member, Role.ADMIN)
    dept = own_or_404(member, Department, department_id)
    do_remove_department(dept, actor=member)
    messages.success(request, f"Department {dept.name} removed; its members have none now.")
    return redirect("web:departments")


# ------------------------------------------------------------------ the invitee's page


class AcceptForm(SetPasswordForm):  # type: ignore[type-arg]
    """Django's own password rules (AUTH_PASSWORD_VALIDATORS), plus the name to show."""

    display_name = forms.CharField(max_length=200, label="Your name")


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
    data = request.POST if request.method == "POST" else None
    form: forms.Form = (
        forms.Form(data)
        if existing
        else AcceptForm(user, data, initial={"display_name": invitation.display_name})
    )
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
