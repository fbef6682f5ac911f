"""POST /interactions: record once, invite to matching surveys, refuse unknown ids."""

from __future__ import annotations

import pytest
from django.conf import settings

from beacon.api.tests.conftest import Api, fields, interaction_body
from beacon.contacts.models import Contact, Interaction
from beacon.surveys.models import Invitation
from beacon.testing import World

pytestmark = pytest.mark.django_db


def test_records_interaction_and_returns_invitation_link(api: Api, world: World) -> None:
    r = api.post(
        "/interactions",
        interaction_body(world, description="Router reset", attributes={"queue": "billing"}),
    )
    assert r.status_code == 201, r.content
    interaction = Interaction.objects.get()
    invitation = Invitation.objects.get()
    assert r.json() == {
        "id": interaction.pk,
        "contact_id": interaction.contact_id,
        "created": True,
        "invitations": [{
            "id": invitation.pk,
            "survey_id": world.survey.pk,
            "token": invitation.token,
            "url": f"{settings.BASE_URL}/s/{invitation.token}/",
        }],
    }  # fmt: skip
    assert interaction.organization_id == world.org.pk
    assert (interaction.touchpoint_id, interaction.team_id, interaction.staff_id) == (
        world.touchpoint.pk, world.team.pk, world.agent.pk)  # fmt: skip
    assert interaction.description == "Router reset"
    assert interaction.attributes == {"queue": "billing"}
    assert invitation.channel == "api"
    assert invitation.contact_id == interaction.contact_id
    contact = Contact.objects.get()
    assert (contact.external_id, contact.email, contact.name) == (
        "cust-1", "customer1@example.com", "Ann")  # fmt: skip


def test_retry_with_same_key_answers_200_and_stores_one_row(api: Api, world: World) -> None:
    first = api.post("/interactions", interaction_body(world, key="same"))
    again = api.post("/interactions", interaction_body(world, key="same"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "created": False}
    assert Interaction.objects.count() == 1
    assert Invitation.objects.count() == 1
    assert Contact.objects.count() == 1


def test_without_touchpoint_no_survey_is_invited(api: Api, world: World) -> None:
    body = {"contact": {"external_id": "c-9"}, "idempotency_key": "k",
            "occurred_at": "2025-03-01T10:00:00+01:00"}  # fmt: skip
    r = api.post("/interactions", body)
    assert r.status_code == 201, r.content
    assert r.json()["invitations"] == []
    interaction = Interaction.objects.get()
    assert interaction.occurred_at.isoformat() == "2025-03-01T09:00:00+00:00"
    assert interaction.touchpoint_id is None


@pytest.mark.parametrize("field", ["touchpoint_id", "team_id", "staff_id"])
def test_unknown_id_is_422_naming_the_field(api: Api, world: World, field: str) -> None:
    body = interaction_body(world)
    body[field] = 987654
    r = api.post("/interactions", body)
    assert field in fields(r)
    assert "987654" in fields(r)[field]
    assert Interaction.objects.count() == 0 and Contact.objects.count() == 0


def test_unknown_persona_is_422_naming_contact_persona(api: Api, world: World) -> None:
    body = interaction_body(world)
    body["contact"]["persona_id"] = 987654
    assert list(fields(api.post("/interactions", body))) == ["contact.persona_id"]


def test_bad_email_is_422_naming_contact_email(api: Api, world: World) -> None:
    body = interaction_body(world)
    body["contact"]["email"] = "not-an-email"
    assert fields(api.post("/interactions", body)) == {
        "contact.email": "is not a valid email address"
    }
    assert Interaction.objects.count() == 0 and Contact.objects.count() == 0


def test_blank_external_id_is_422(api: Api, world: World) -> None:
    body = interaction_body(world)
    body["contact"]["external_id"] = "   "
    assert fields(api.post("/interactions", body)) == {"contact.external_id": "must not be empty"}


def test_missing_and_mistyped_fields_are_named(api: Api, world: World) -> None:
    r = api.post("/interactions", {"contact": {"external_id": 5}, "touchpoint_id": "x"})
    assert set(fields(r)) == {"contact.external_id", "idempotency_key", "touchpoint_id"}
    assert fields(r)["idempotency_key"] == "Field required"


def test_naive_datetime_is_refused(api: Api, world: World) -> None:
    r = api.post("/interactions", interaction_body(world, occurred_at="2025-03-01T10:00:00"))
    assert list(fields(r)) == ["occurred_at"]


def test_persona_is_set_on_contact(api: Api, world: World) -> None:
    body = interaction_body(world)
    body["contact"]["persona_id"] = world.persona.pk
    assert api.post("/interactions", body).status_code == 201
    assert Contact.objects.get().persona_id == world.persona.pk


def test_every_unknown_id_is_named_at_once(api: Api, world: World) -> None:
    body = interaction_body(world, touchpoint_id=987654, team_id=987655)
    body["contact"]["persona_id"] = 987656
    assert fields(api.post("/interactions", body)) == {
        "contact.persona_id": "no persona 987656 in this organisation",
        "touchpoint_id": "no touchpoint 987654 in this organisation",
        "team_id": "no team 987655 in this organisation",
    }
