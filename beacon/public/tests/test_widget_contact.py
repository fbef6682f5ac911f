"""The widget writes its user through `pipeline.submit_response`, with the response."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from beacon.contacts.models import Contact
from beacon.orgs.models import Event
from beacon.public.tests.test_widget_identity import sign
from beacon.responses.models import Response
from beacon.testing import World

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example"


def post(world: World, body: dict[str, Any]) -> Any:
    return Client().post(
        f"/s/widget/{world.survey.anonymous_token}/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=SHOP,
    )


def body(world: World, score: int, name: str) -> dict[str, Any]:
    return {
        "key": "nonce-1",
        # Signed by the customer's server: only a signed id names a contact.
        "user": {
            "id": "u-9",
            "email": "u9@example.com",
            "name": name,
            "signature": sign(world.survey, "u-9"),
        },
        "answers": [{"question_id": world.nps.pk, "number": score}],
    }


def contact_events(world: World) -> list[str]:
    return list(
        Event.objects.filter(organization=world.org, verb__startswith="contact.")
        .order_by("pk")
        .values_list("verb", flat=True)
    )


@pytest.fixture(autouse=True)
def allow(world: World) -> None:
    world.survey.widget_origins = SHOP
    world.survey.save()


def test_a_refused_answer_leaves_no_contact_behind(world: World) -> None:
    refused = post(world, body(world, 11, "Uma"))
    assert refused.status_code == 422
    assert not Contact.objects.filter(external_id="u-9").exists()
    assert contact_events(world) == [] and not Response.objects.exists()


def test_a_retried_key_does_not_write_the_contact_again(world: World) -> None:
    assert post(world, body(world, 9, "Uma")).status_code == 201
    retry = post(world, body(world, 9, "Someone else"))
    assert retry.status_code == 200
    contact = Contact.objects.get(external_id="u-9")
    assert contact.name == "Uma" and contact_events(world) == ["contact.created"]
    assert Response.objects.get().contact_id == contact.pk
