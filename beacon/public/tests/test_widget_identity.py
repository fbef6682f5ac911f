"""A widget's user identity is a claim: only the customer's server can vouch for it.

The widget runs on the customer's page, so anyone can post any user id. Only a user id
signed with the survey's widget secret (HMAC-SHA256, computed by the customer's server)
attaches the answer to that contact, and an existing contact's email and name never change
through the widget.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from django.test import Client

from beacon.contacts.actions import do_upsert_contact
from beacon.contacts.models import Contact
from beacon.public.tests.test_channels import SHOP, allow, post
from beacon.responses.models import Response
from beacon.surveys.models import Survey
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db


def sign(survey: Survey, user_id: str) -> str:
    return hmac.new(survey.widget_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def body(world: World, user: dict[str, Any], key: str = "k-1") -> dict[str, Any]:
    return {"key": key, "user": user, "answers": [{"question_id": world.nps.pk, "number": 3}]}


def test_an_unsigned_claim_on_an_existing_contact_neither_changes_nor_joins_it(
    world: World,
) -> None:
    allow(world)
    victim = do_upsert_contact(world.org, contact_in(7))
    token = world.survey.anonymous_token
    claim = {"id": victim.external_id, "email": "attacker@evil.example", "name": "Mallory"}
    answered = post(token, body(world, claim))
    assert answered.status_code == 201
    assert answered.json() == {"response_id": Response.objects.get().pk, "identified": False}
    victim.refresh_from_db()
    assert (victim.email, victim.name) == ("customer7@example.com", "Customer 7")
    # Kept, but anonymous: the score counts, nobody's history gains an answer they never gave.
    assert Response.objects.get().contact_id is None
    assert Contact.objects.count() == 1


def test_a_signed_claim_attaches_the_answer_but_never_rewrites_the_contact(world: World) -> None:
    allow(world)
    known = do_upsert_contact(world.org, contact_in(7))
    token = world.survey.anonymous_token
    claim = {"id": known.external_id, "email": "new@example.com", "name": "Someone Else",
             "signature": sign(world.survey, known.external_id)}  # fmt: skip
    answered = post(token, body(world, claim))
    assert answered.status_code == 201 and answered.json()["identified"] is True
    assert Response.objects.get().contact_id == known.pk
    known.refresh_from_db()
    assert (known.email, known.name) == ("customer7@example.com", "Customer 7")


def test_a_signed_new_user_becomes_a_contact(world: World) -> None:
    allow(world)
    token = world.survey.anonymous_token
    claim = {"id": "u-99", "email": "U99@Example.com", "name": "Uma",
             "signature": sign(world.survey, "u-99")}  # fmt: skip
    assert post(token, body(world, claim)).status_code == 201
    contact = Contact.objects.get(external_id="u-99")
    assert (contact.email, contact.name, contact.organization_id) == (
        "u99@example.com", "Uma", world.org.pk,
    )  # fmt: skip
    assert Response.objects.get().contact_id == contact.pk


def test_a_wrong_signature_is_refused_naming_the_field(world: World, other_world: World) -> None:
    allow(world)
    known = do_upsert_contact(world.org, contact_in(7))
    token = world.survey.anonymous_token
    for wrong in (
        "0" * 64,
        "not hex",
        sign(world.survey, "cust-8"),  # another user's signature
        sign(other_world.survey, known.external_id),  # another survey's secret
    ):
        claim = {"id": known.external_id, "signature": wrong}
        refused = post(token, body(world, claim))
        assert refused.status_code == 403, wrong
        assert refused.json() == {
            "detail": [{"field": "user.signature", "message": "does not match user.id; "
                        "sign the id with this survey's widget secret (HMAC-SHA256, hex)"}]
        }  # fmt: skip
        assert refused["Access-Control-Allow-Origin"] == SHOP
    assert Response.objects.count() == 0


def test_each_survey_has_its_own_secret_and_admins_can_rotate_it(world: World) -> None:
    assert len(world.survey.widget_secret) == 64
    client = Client()
    client.force_login(world.owner.user)
    page = client.get(f"/surveys/{world.survey.pk}/distribution/")
    assert world.survey.widget_secret in page.content.decode()
    old = world.survey.widget_secret
    rotated = client.post(f"/surveys/{world.survey.pk}/distribution/widget-secret/")
    assert rotated.status_code == 302
    world.survey.refresh_from_db()
    assert world.survey.widget_secret != old and len(world.survey.widget_secret) == 64


def test_only_admins_see_and_rotate_the_secret(world: World, other_world: World) -> None:
    client = Client()
    client.force_login(world.agent.user)
    page = client.get(f"/surveys/{world.survey.pk}/distribution/")
    assert page.status_code == 200
    assert world.survey.widget_secret not in page.content.decode()
    old = world.survey.widget_secret
    assert client.post(f"/surveys/{world.survey.pk}/distribution/widget-secret/").status_code == 403
    owner = Client()
    owner.force_login(world.owner.user)
    assert (
        owner.post(f"/surveys/{other_world.survey.pk}/distribution/widget-secret/").status_code
        == 404
    )
    world.survey.refresh_from_db()
    other_world.survey.refresh_from_db()
    assert world.survey.widget_secret == old
    assert other_world.survey.widget_secret != old
