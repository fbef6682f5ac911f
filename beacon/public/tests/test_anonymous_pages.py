"""The anonymous survey link: one response per browser, continued across reloads."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client

from beacon.public.tests.helpers import answer, html, stored
from beacon.public.views import ANON_COOKIE, ANON_SALT
from beacon.responses.models import Response
from beacon.surveys.actions import do_create_survey, do_update_survey
from beacon.surveys.models import SurveyStatus
from beacon.testing import World


def _sign(value: str) -> str:
    response = HttpResponse()
    response.set_signed_cookie(ANON_COOKIE, value, salt=ANON_SALT)
    return response.cookies[ANON_COOKIE].value


def _unsign(value: str) -> str:
    request = HttpRequest()
    request.COOKIES[ANON_COOKIE] = value
    return str(request.get_signed_cookie(ANON_COOKIE, salt=ANON_SALT))


def _prefix(world: World) -> str:
    return f"/s/a/{world.survey.anonymous_token}/"


@pytest.mark.django_db
def test_reload_continues_the_same_response(world: World) -> None:
    s = _prefix(world)
    client = Client()
    first = client.get(s)
    assert first.status_code == 200 and "Question 1 of 4" in html(first)
    assert len(first.content) < 25_000
    cookie = first.cookies[ANON_COOKIE]
    assert cookie["path"] == s and cookie["httponly"] and cookie["samesite"] == "Lax"
    key = _unsign(cookie.value)
    prefix, survey_id, nonce = key.split(":")
    assert (prefix, survey_id) == ("anon", str(world.survey.pk))
    assert len(nonce) == 32 and int(nonce, 16) >= 0

    assert answer(client, s, 1, world.nps, "8")["Location"] == f"{s}2/"
    response = Response.objects.get()
    assert response.idempotency_key == key and response.contact_id is None
    assert response.invitation_id is None and response.completed_at is None

    reloaded = client.get(s)
    assert ANON_COOKIE not in reloaded.cookies
    assert 'value="8" checked' in html(reloaded)

    answer(client, s, 2, world.csat, "5")
    assert Response.objects.count() == 1
    assert stored(response=response) == {world.nps.pk: (8, "", []), world.csat.pk: (5, "", [])}

    answer(client, s, 3, world.ces)
    done = answer(client, s, 4, world.comment, "Great")
    assert done["Location"] == f"{s}thanks/"
    thanks = client.get(f"{s}thanks/")
    assert thanks.status_code == 200 and "your answer goes straight to the team" in html(thanks)
    # Coming back after finishing shows the thanks again rather than a fresh survey.
    assert client.get(s)["Location"] == f"{s}thanks/"
    assert client.get(f"{s}2/")["Location"] == f"{s}thanks/"
    response.refresh_from_db()
    assert response.completed_at is not None
    assert Response.objects.count() == 1


@pytest.mark.django_db
def test_two_browsers_make_two_responses(world: World) -> None:
    s = _prefix(world)
    alice, bob = Client(), Client()
    alice.get(s)
    bob.get(s)
    answer(alice, s, 1, world.nps, "10")
    answer(bob, s, 1, world.nps, "2")
    answer(alice, s, 2, world.csat, "5")
    responses = list(Response.objects.order_by("pk"))
    assert len(responses) == 2
    assert responses[0].idempotency_key != responses[1].idempotency_key
    assert stored(response=responses[0]) == {world.nps.pk: (10, "", []), world.csat.pk: (5, "", [])}
    assert stored(response=responses[1]) == {world.nps.pk: (2, "", [])}


@pytest.mark.django_db
def test_post_without_a_cookie_starts_a_response_and_sets_the_cookie(world: World) -> None:
    s = _prefix(world)
    client = Client()
    page = answer(client, s, 1, world.nps, "6")
    assert page.status_code == 302 and ANON_COOKIE in page.cookies
    answer(client, s, 2, world.csat, "3")
    assert Response.objects.count() == 1


@pytest.mark.django_db
def test_forged_or_foreign_cookie_is_replaced(world: World) -> None:
    s = _prefix(world)
    client = Client()
    client.cookies[ANON_COOKIE] = "anon:1:forged"
    page = client.get(s)
    assert ANON_COOKIE in page.cookies and page.cookies[ANON_COOKIE].value != "anon:1:forged"

    # A validly signed key for another survey is not reused here.
    other = do_create_survey(world.org, "Other", "Other?", status=SurveyStatus.ACTIVE)
    client = Client()
    client.cookies[ANON_COOKIE] = _sign(f"anon:{other.pk}:{'ab' * 16}")
    answer(client, s, 1, world.nps, "9")
    assert Response.objects.get().idempotency_key.startswith(f"anon:{world.survey.pk}:")


@pytest.mark.django_db
def test_tampered_anonymous_answer_saves_nothing(world: World, other_world: World) -> None:
    s = _prefix(world)
    client = Client()
    page = answer(client, s, 1, world.nps, "11")
    assert page.status_code == 400 and "Your answer must be between 0 and 10." in html(page)
    page = answer(client, s, 1, other_world.nps, "9")
    assert page.status_code == 400 and "meant for a different question" in html(page)
    assert Response.objects.count() == 0


@pytest.mark.django_db
def test_inactive_and_unknown_anonymous_links(world: World) -> None:
    draft = do_create_survey(world.org, "Draft", "Not yet")
    page = Client().get(f"/s/a/{draft.anonymous_token}/")
    assert page.status_code == 404 and "This survey is not open" in html(page)
    assert "Acme Telecom" in html(page) and ANON_COOKIE not in page.cookies

    do_update_survey(world.survey, name=world.survey.name, title=world.survey.title, intro="",
                     thank_you="", status=SurveyStatus.CLOSED, touchpoints=[])  # fmt: skip
    s = _prefix(world)
    for page in (Client().get(s), answer(Client(), s, 1, world.nps, "9")):
        assert page.status_code == 410 and "This survey is closed" in html(page)
    assert Client().get(f"{s}thanks/").status_code == 410
    assert Response.objects.count() == 0

    unknown = Client().get("/s/a/no-such-survey/")
    assert unknown.status_code == 404 and "We can&#x27;t find this survey" in html(unknown)


@pytest.mark.django_db
def test_active_survey_without_questions_is_not_open(world: World) -> None:
    empty = do_create_survey(world.org, "Empty", "Empty?", status=SurveyStatus.ACTIVE)
    page = Client().get(f"/s/a/{empty.anonymous_token}/")
    assert page.status_code == 404 and "This survey is not open" in html(page)


@pytest.mark.django_db
def test_respondent_pages_name_their_icon_and_favicon_ico_answers(world: World) -> None:
    client = Client()
    page = html(client.get(_prefix(world)))
    assert '<link rel="icon" href="/static/beacon/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon["Location"]) == (301, "/static/beacon/favicon.svg")
