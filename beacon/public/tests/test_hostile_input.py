"""What used to answer 500 from the public side: bodies nested thousands deep, and NUL
characters (PostgreSQL can neither store nor compare them) in JSON, forms and addresses."""

from __future__ import annotations

import pytest
from django.test import Client

from beacon.public.tests.test_channels import allow, post
from beacon.responses.models import Response
from beacon.testing import World

pytestmark = pytest.mark.django_db


def test_a_widget_body_nested_thousands_deep_is_400(world: World) -> None:
    allow(world)
    for body in (b"[" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000):
        r = post(world.survey.anonymous_token, body)
        assert r.status_code == 400
        assert r.json() == {"detail": "body is nested more than 32 levels deep"}
    assert Response.objects.count() == 0


def test_nul_in_a_widget_body_is_400_naming_the_field(world: World) -> None:
    allow(world)
    token = world.survey.anonymous_token
    text = {"key": "k-1", "answers": [{"question_id": world.comment.pk, "text": "a\x00b"}]}
    r = post(token, text)
    assert (r.status_code, r.json()) == (400, {"detail": "answers.0.text contains a NUL character"})
    user = {"key": "k-2", "user": {"id": "u\x00"},
            "answers": [{"question_id": world.nps.pk, "number": 3}]}  # fmt: skip
    assert post(token, user).json() == {"detail": "user.id contains a NUL character"}
    assert Response.objects.count() == 0


def test_nul_in_an_address_a_query_or_a_form_is_400(world: World) -> None:
    client = Client()
    for url in ("/s/a%00b/", "/s/a/a%00b/", "/s/u/a%00b/", "/s/w/x%00/"):
        r = client.get(url)
        assert r.status_code == 400, url
        assert r.content.decode() == "the address must not contain a NUL character"
    page = f"/s/a/{world.survey.anonymous_token}/"
    r = client.post(page, {"question": str(world.comment.pk), "answer": "fine\x00"})
    assert r.status_code == 400
    assert r.content.decode() == "answer must not contain a NUL character"
    assert Response.objects.count() == 0
    staff = Client()
    staff.force_login(world.owner.user)
    r = staff.get("/verbatims/", {"q": "07700\x00"})
    assert (r.status_code, r.content.decode()) == (400, "q must not contain a NUL character")
