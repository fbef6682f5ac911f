"""Sign-in, the current organisation, and what anonymous visitors get."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from beacon.orgs.actions import do_add_member
from beacon.orgs.models import Event, Organization, Role
from beacon.testing import PASSWORD, World
from beacon.web.tests.helpers import logged_in, page


def _get_urls(world: World) -> list[str]:
    return [
        "/",
        "/verbatims/",
        "/surveys/",
        f"/surveys/{world.survey.pk}/",
        "/cx/personas/",
        "/cx/journey/",
        f"/cx/personas/{world.persona.pk}/poster/",
        "/cx/story/",
        "/cases/",
        "/cases/1/",
    ]


def _post_urls(world: World) -> list[str]:
    s = world.survey.pk
    return [
        "/org/",
        "/surveys/new/",
        f"/surveys/{s}/",
        f"/surveys/{s}/questions/",
        f"/surveys/{s}/questions/{world.nps.pk}/remove/",
        "/cx/journey/stages/",
        "/cx/journey/needs/",
        "/cx/journey/owners/",
        "/cx/journey/measures/",
        "/cases/1/note/",
        "/cases/1/status/",
        "/cases/1/reassign/",
        "/cases/1/resolve/",
    ]


def test_every_page_needs_login(world: World) -> None:
    client = Client()
    for url in _get_urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/login/?next={url}"


def test_every_form_needs_login_and_writes_nothing(world: World) -> None:
    client = Client()
    events = Event.objects.count()
    for url in _post_urls(world):
        response = client.post(url, {"name": "x", "title": "y", "body": "note", "org": "1"})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next=")
    assert Event.objects.count() == events
    assert world.survey.questions.count() == 4


def test_sign_in_with_email_in_any_case_then_sign_out(world: World) -> None:
    client = Client()
    assert "Sign in" in page(client, "/login/")
    response = client.post(
        "/login/", {"login": world.owner.email.upper(), "password": PASSWORD, "next": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    html = page(client, "/")
    assert "Acme Telecom" in html and "Olive Owner" in html
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_wrong_password_says_so(world: World) -> None:
    response = Client().post("/login/", {"login": world.owner.email, "password": "nope"})
    assert response.status_code == 200
    assert "That email and password do not match an account." in response.content.decode()


def test_user_without_membership_gets_a_clear_page(db: None) -> None:
    user = get_user_model().objects.create_user("lost@example.com", "lost@example.com", PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You are not a member of any organisation" in html
    assert "lost@example.com" in html


def test_layout_has_nav_org_name_and_brand_colour(world: World) -> None:
    html = page(logged_in(world.owner), "/cases/")
    for label in ("Overview", "Verbatims", "Cases", "Surveys", "Personas", "Journey"):
        assert f">{label}</a>" in html
    assert '<a href="/cases/" aria-current="page">Cases</a>' in html
    assert "body{--brand: #0b5cad}" in html
    assert '<span class="org-name">Acme Telecom</span>' in html


def test_brand_colour_that_is_not_a_hex_colour_is_not_put_in_the_page(world: World) -> None:
    # No action edits the colour yet; the page must stay safe whatever is stored.
    Organization.objects.filter(pk=world.org.pk).update(brand_color="red;}x")
    html = page(logged_in(world.owner), "/")
    assert "body{--brand: #0b5cad}" in html
    assert "red;}x" not in html


@pytest.fixture
def two_orgs(world: World, other_world: World) -> World:
    """Olive, owner at Acme, is also a viewer at Globex."""
    do_add_member(other_world.org, world.owner.email, role=Role.VIEWER, display_name="Olive")
    return world


def test_switching_organisation(two_orgs: World, other_world: World) -> None:
    client = logged_in(two_orgs.owner)
    html = page(client, "/")
    assert '<span class="org-name">Acme Telecom</span>' in html
    assert f'<option value="{other_world.org.pk}">Globex Retail</option>' in html
    response = client.post("/org/", {"org": str(other_world.org.pk)})
    assert response.status_code == 302 and response["Location"] == "/"
    html = page(client, "/surveys/")
    assert '<span class="org-name">Globex Retail</span>' in html
    assert '<span class="role">Viewer</span>' in html
    # Ids of the organisation left behind are now another organisation's: 404.
    assert client.get(f"/surveys/{two_orgs.survey.pk}/").status_code == 404
    assert client.get(f"/surveys/{other_world.survey.pk}/").status_code == 200


def test_cannot_switch_to_an_organisation_one_is_not_in(world: World, other_world: World) -> None:
    client = logged_in(world.owner)
    assert client.post("/org/", {"org": str(other_world.org.pk)}).status_code == 404
    assert client.post("/org/", {"org": "abc"}).status_code == 404
    assert '<span class="org-name">Acme Telecom</span>' in page(client, "/")
