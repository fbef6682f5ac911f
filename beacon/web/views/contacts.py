"""Contacts: the searchable list, a contact's page with their history, erasure and export,
and the organisation's privacy settings (retention of free text)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from beacon.analytics.customer import customer_history, history_counts
from beacon.contacts.models import Contact
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Persona
from beacon.insights.text import redact
from beacon.orgs.models import Membership, Role
from beacon.outcomes.queries import may_see_money
from beacon.privacy.actions import do_erase_contact, do_log_contact_export, do_set_retention
from beacon.privacy.export import contact_export_json
from beacon.privacy.queries import erasure_of, settings_of
from beacon.reports.datasets import CONTACTS
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.contacts import ContactListForm, EraseForm, HistoryPageForm, RetentionForm
from beacon.web.rows import may_see_contact_details

PAGE_SIZE = 25
# Erasing and exporting a person's data are owners' and admins' decisions.
PRIVACY_ROLE = Role.ADMIN


@staff_view
@require_GET
@reads(ContactListForm)
def contact_list(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    form = ContactListForm(org, request.GET)
    problems = form.problems()
    spec = form.spec()
    reveal = may_see_contact_details(member)
    rows = CONTACTS.select(org, spec, reveal).order_by("-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(form.value("page") or 1)
    query = {k: v for k, v in spec.items() if v not in (None, "")}
    context = {
        "page": page,
        "reveal": reveal,
        "q": spec["q"],
        "persona": spec["persona"],
        "personas": Persona.objects.for_org(org).order_by("name"),
        "problems": problems,
        "query": urlencode(query),
        "may_export": member.has_role(PRIVACY_ROLE),
    }
    status = 400 if problems else 200
    return render_page(request, member, "web/contacts.html", context, status=status, nav="contacts")


def _contact_or_404(member: Membership, contact_id: int) -> Contact:
    contact = (
        Contact.objects.for_org(member.organization)
        .select_related("persona")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise Http404("no such contact")
    return contact


def _attributes(contact: Contact, reveal: bool) -> list[tuple[str, str]]:
    """The contact's attributes as the viewer may see them: values masked for those who see
    personal data masked (a phone number or email kept as an attribute included)."""
    return [
        (str(k), str(v) if reveal else redact(str(v)))
        for k, v in sorted((contact.attributes or {}).items())
    ]


@staff_view
@require_GET
@reads(HistoryPageForm)
def contact_page(request: HttpRequest, member: Membership, contact_id: int) -> HttpResponse:
    org = member.organization
    contact = _contact_or_404(member, contact_id)
    reveal = may_see_contact_details(member)
    form = HistoryPageForm(org.pk, request.GET)
    problems = form.problems()
    history = customer_history(
        org, contact, reveal=reveal, money=may_see_money(member), page=form.page()
    )
    context = {
        "contact": contact,
        "reveal": reveal,
        "attributes": _attributes(contact, reveal),
        "erasure": erasure_of(org, contact.pk),
        "history": history,
        "history_problems": problems,
        "may_erase": member.has_role(PRIVACY_ROLE),
    }
    status = 400 if problems else 200
    return render_page(request, member, "web/contact.html", context, status=status, nav="contacts")


@staff_view
@require_http_methods(["GET", "POST"])
@reads(EraseForm)
def contact_erase(request: HttpRequest, member: Membership, contact_id: int) -> HttpResponse:
    """The confirmation page (GET), then the erasure (POST with the confirmation)."""
    contact = _contact_or_404(member, contact_id)
    require_role(member, PRIVACY_ROLE)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            EraseForm(member.organization_id, request.POST).checked()
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            do_erase_contact(contact, actor=member)
            messages.success(
                request,
                f"Contact {contact.pk} erased: personal data and free text are gone, "
                "scores are kept.",
            )
            return redirect("web:contact", contact_id=contact.pk)
    # The confirmation says how much is erased: counts, not the history itself.
    context: dict[str, Any] = {
        "contact": contact,
        "counts": history_counts(member.organization, contact),
        "erasure": erasure_of(member.organization, contact.pk),
        "errors": errors,
    }
    status = 400 if errors else 200
    return render_page(
        request, member, "web/contact_erase.html", context, status=status, nav="contacts"
    )


@staff_view
@require_GET
def contact_export(request: HttpRequest, member: Membership, contact_id: int) -> HttpResponse:
    """Everything held about the contact, as a JSON file (a subject access request)."""
    contact = _contact_or_404(member, contact_id)
    require_role(member, PRIVACY_ROLE)
    body = contact_export_json(member.organization, contact)
    do_log_contact_export(contact, actor=member)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="beacon-contact-{contact.pk}.json"'
    return response


@staff_view
@require_http_methods(["GET", "POST"])
@reads(RetentionForm)
def privacy_settings(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, PRIVACY_ROLE)
    stored = settings_of(member.organization)
    initial = {"retention_months": stored.retention_months}
    if request.method == "POST":
        form = RetentionForm(request.POST, initial=initial)
    else:
        form = RetentionForm(initial=initial)
    if request.method == "POST" and form.is_valid():
        months = form.cleaned_data["retention_months"]
        try:
            do_set_retention(member.organization, months, actor=member)
        except ValidationFailed as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                f"Free text older than {months} months will be redacted each night."
                if months
                else "Free text is kept.",
            )
            return redirect("web:privacy_settings")
    context = {"form": form, "stored": stored}
    status = 400 if form.errors else 200
    return render_page(
        request, member, "web/privacy_settings.html", context, status=status, nav="privacy"
    )
