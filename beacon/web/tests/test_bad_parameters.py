"""No page parameter of a staff page can give a server error.

The pages and their parameters are read from the URL conf and from the forms each view
declares (`reads`), so a new page or a new field is covered without touching this file;
two more tests make sure a view cannot read a parameter without declaring its form.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib.auth.views import LoginView
from django.urls import URLPattern

from beacon.alignment.tests.helpers import send_round
from beacon.contacts.imports import do_start_import
from beacon.contacts.webhooks import do_create_webhook
from beacon.insights.reasons import do_create_reason
from beacon.insights.taxonomy import do_create_theme
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.lost import ChurnIn, do_record_churn
from beacon.loop.models import CustomerUpdate, RootCause
from beacon.orgs.actions import do_add_department
from beacon.responses.models import Answer
from beacon.surveys.distribution import RuleIn, do_add_rule
from beacon.testing import World
from beacon.web import urls
from beacon.web.forms.common import (
    OrgChoiceField,
    OrgMultipleChoiceField,
    TextListField,
)
from beacon.web.tests.helpers import answer, logged_in, page

# Unicode digits ("²".isdigit() is true and int("²") raises; int("٣") is 3), a negative
# number, a number no column holds, and nothing at all.
BAD_VALUES = ("²", "٣", "-1", str(10**30), "")
HUGE_ID = str(10**30)
WEB = Path(__file__).resolve().parents[1]


def _patterns() -> Iterator[URLPattern]:
    for p in urls.urlpatterns:
        assert isinstance(p, URLPattern), f"{p}: nested URL confs are not expected here"
        yield p


def _declared(view: Callable[..., Any]) -> tuple[type[forms.Form], ...]:
    view_class = getattr(view, "view_class", None)
    if view_class is not None and issubclass(view_class, LoginView):
        return (view.view_initkwargs["authentication_form"],)  # type: ignore[attr-defined]
    return tuple(getattr(view, "forms", ()))


def _method(form_class: type[forms.Form]) -> str:
    return str(getattr(form_class, "method", "POST"))


def _typed(field: forms.Field) -> bool:
    """Fields whose value must be read as something (a row, a number, a date, a choice)."""
    loose = isinstance(field, TextListField | forms.FileField) or (type(field) is forms.CharField)
    return not loose


def _refuses(field: forms.Field, value: str) -> bool:
    try:
        copy.deepcopy(field).clean(value)
    except forms.ValidationError:
        return True
    return False


def _seeded(world: World) -> dict[str, str]:
    """One row of each kind a staff URL names, by the URL's parameter name."""
    theme = do_create_theme(world.org, "Price", phrases=["price"])
    reason = do_create_reason(world.org, "Billing", phrases=["invoice"])
    response = answer(world, nps=2, text="Too expensive and slow")
    case = do_open_case_for(response)
    assert case is not None
    comment = Answer.objects.get(response=response, question=world.comment)
    cause = RootCause.objects.for_org(world.org).get(code="process")
    action = do_create_action(
        world.org.pk,
        ActionIn(title="Simplify billing", source="root_cause", owner=world.stage_owner,
                 deadline=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), root_cause=cause,
                 public_summary="Bills fit on one page now."),
    )  # fmt: skip
    do_resolve_case(case, cause, "done", actor=world.agent)
    do_set_action_status(action, "done", actor=world.stage_owner)
    rule = do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    job = do_start_import(world.org, "contacts", "people.csv", 10, actor=world.owner)
    assert response.contact is not None
    call = do_record_churn(world.org, ChurnIn(response.contact.external_id, "churn")).call
    alignment = send_round(world)
    return {
        "survey_id": str(world.survey.pk),
        # An answered question: removing it asks for confirmation first.
        "question_id": str(world.nps.pk),
        "rule_id": str(rule.pk),
        "touchpoint_id": str(world.touchpoint.pk),
        "fmt": "svg",
        "job_id": str(job.pk),
        "case_id": str(case.pk),
        "action_id": str(action.pk),
        "update_id": str(CustomerUpdate.objects.get(action=action).pk),
        "call_id": str(call.pk),
        "theme_id": str(theme.pk),
        "answer_id": str(comment.pk),
        "reason_id": str(reason.pk),
        "contact_id": str(response.contact.pk),
        "round_id": str(alignment.round.pk),
        "token": alignment.tokens[world.agent.pk],
        "dataset": "actions",
        "member_id": str(world.agent.pk),
        "department_id": str(do_add_department(world.org, "Support").pk),
        "file_format": "csv",
        "webhook_id": str(do_create_webhook(world.org, "Desk", {"contact_id": "a.id"}).pk),
        "persona_id": str(world.persona.pk),
    }


def _url(pattern: URLPattern, ids: dict[str, str], *, strict: bool = True) -> str:
    route = str(pattern.pattern)
    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    unknown = [n for n in names if n not in ids]
    assert not (strict and unknown), f"{route}: add a row for {unknown} to _seeded"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids.get(str(m.group(1)), "1"), route)


def test_no_page_parameter_gives_a_server_error(world: World) -> None:
    ids = _seeded(world)
    # Junk sent to the sign-in settings may switch "two-factor required" on; the owner has
    # an authenticator app, so that does not send every later request to set one up.
    Authenticator.objects.create(user=world.owner.user, type=Authenticator.Type.TOTP, data={})
    client = logged_in(world.owner)
    client.raise_request_exception = False
    failures: list[str] = []
    sent = 0
    for pattern in _patterns():
        declared = _declared(pattern.callback)
        url = _url(pattern, ids) if declared else ""
        for form_class in declared:
            method = _method(form_class)
            for name, field in form_class.base_fields.items():
                for value in BAD_VALUES:
                    send = client.get if method == "GET" else client.post
                    answer = send(url, {name: value})
                    status = answer.status_code
                    if method == "GET" and status == 302:
                        # An export sends a filter it cannot read back to its list, which
                        # names it (400).
                        status = client.get(answer["Location"]).status_code
                    sent += 1
                    if status >= 500:
                        failures.append(f"{method} {url} {name}={value!r}: {status}")
                    elif _typed(field) and _refuses(field, value):
                        # A page filter answers 400; a record to act on may be "not found".
                        allowed = {400} if method == "GET" else {400, 404}
                        if status not in allowed:
                            failures.append(
                                f"{method} {url} {name}={value!r}: {status}, not {allowed}"
                            )
    assert not failures, "\n".join(failures)
    # Every declared field of every page was tried (a guard against an empty loop).
    assert sent > 1000


def test_an_id_in_the_path_no_column_holds_is_not_found(world: World) -> None:
    ids = _seeded(world)
    client = logged_in(world.owner)
    client.raise_request_exception = False
    failures = []
    for pattern in _patterns():
        for name in re.findall(r"<int:(\w+)>", str(pattern.pattern)):
            url = _url(pattern, {**ids, name: HUGE_ID}, strict=False)
            for send in (client.get, client.post):
                status = send(url).status_code
                if status != 404 and status != 405:
                    failures.append(f"{url}: {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("url", "params", "message"),
    [
        ("/", {"period": "²"}, "period must be one of 30, 90, 180 days; showing the last 90"),
        ("/verbatims/", {"survey": "²"}, "survey: unknown survey &#x27;²&#x27;; the filter"),
        ("/verbatims/", {"stage": "٣"}, "stage: unknown stage &#x27;٣&#x27;; the filter"),
        ("/analytics/", {"stage_id": "²"}, "<strong>stage_id</strong>: must be an id"),
        ("/analytics/comments/", {"start": "²"}, "<strong>start</strong>: must be a date"),
        ("/cases/", {"page": "²"}, "page: must be a whole number; the filter was not applied."),
    ],
)
def test_a_unicode_digit_in_a_filter_answers_400_naming_it(
    world: World, url: str, params: dict[str, str], message: str
) -> None:
    """These gave a 500: `isdigit()` is true for "²", then `int("²")` raised."""
    html = page(logged_in(world.owner), url, expect=400, **params)
    assert message in html


def test_a_unicode_digit_on_a_case_page_answers_400_naming_the_field(world: World) -> None:
    case = do_open_case_for(answer(world, nps=1, text="Call me"))
    assert case is not None
    client = logged_in(world.owner)
    for path, data, message in (
        ("reassign", {"owner": "²", "reason": "x"}, "owner: choose a member of this organisation"),
        ("reason", {"reason": "²"}, "reason: choose one of the reasons"),
        ("resolve", {"root_cause": "٣"}, "root_cause: choose one of this organisation&#x27;s"),
    ):
        response = client.post(f"/cases/{case.pk}/{path}/", data)
        assert response.status_code == 400, path
        assert f"<li>{message}" in response.content.decode()
    case.refresh_from_db()
    assert (case.owner_id, case.status) == (world.stage_owner.pk, "new")


def _view_modules() -> list[ModuleType]:
    modules = {inspect.getmodule(inspect.unwrap(p.callback)) for p in _patterns()}
    return sorted((m for m in modules if m and m.__name__.startswith("beacon.web")),
                  key=lambda m: m.__name__)  # fmt: skip


def test_views_read_parameters_only_through_forms() -> None:
    """`request.GET` / `request.POST` / `request.FILES` only as the data of a form."""
    by_hand = re.compile(r"request\.(GET|POST|FILES)(?!\s*[,)])")
    found = []
    for path in sorted((WEB / "views").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if by_hand.search(line):
                found.append(f"{path.relative_to(WEB)}:{n}: {line.strip()}")
    assert not found, "read these through a form:\n" + "\n".join(found)


def test_every_form_a_view_uses_is_declared() -> None:
    """A form made in a views module is declared by a view of that module (for the test
    above that sends bad values to every declared field)."""
    made = re.compile(r"\b([A-Z]\w*Form)\(")
    missing = []
    for module in _view_modules():
        declared = {
            form.__name__
            for p in _patterns()
            if inspect.getmodule(inspect.unwrap(p.callback)) is module
            for form in _declared(p.callback)
        }
        code = [ln for ln in inspect.getsource(module).splitlines() if not ln.startswith("class ")]
        used = set(made.findall("\n".join(code)))
        missing += [f"{module.__name__}: {name}" for name in sorted(used - declared)]
    assert not missing, "declare with @reads(...):\n" + "\n".join(missing)


def test_rows_are_picked_from_the_organisation_and_numbers_read_as_ascii() -> None:
    wrong = []
    for pattern in _patterns():
        for form in _declared(pattern.callback):
            for name, field in form.base_fields.items():
                if isinstance(field, forms.ModelChoiceField) and not isinstance(
                    field, OrgChoiceField | OrgMultipleChoiceField
                ):
                    wrong.append(f"{form.__name__}.{name}: use OrgChoiceField")
                if type(field) is forms.IntegerField:
                    wrong.append(f"{form.__name__}.{name}: use WholeNumberField")
    assert not wrong, "\n".join(wrong)
