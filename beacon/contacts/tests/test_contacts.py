from __future__ import annotations

import pytest

from beacon.contacts.actions import (
    ContactIn,
    InteractionIn,
    do_bulk_record_interactions,
    do_record_interaction,
    do_upsert_contact,
)
from beacon.contacts.models import Contact, Interaction
from beacon.core.errors import ValidationFailed
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db


def test_upsert_updates_only_what_is_given(world: World) -> None:
    do_upsert_contact(world.org, contact_in(1, attributes={"plan": "gold"}))
    contact = do_upsert_contact(world.org, ContactIn(external_id="cust-1", name="New Name"))
    assert (contact.name, contact.email, contact.attributes) == (
        "New Name",
        "customer1@example.com",
        {"plan": "gold"},
    )
    assert Contact.objects.count() == 1


def test_same_external_id_in_two_orgs_is_two_contacts(world: World, other_world: World) -> None:
    a = do_upsert_contact(world.org, contact_in(1))
    b = do_upsert_contact(other_world.org, contact_in(1))
    assert a.pk != b.pk


def test_bad_contact_names_fields(world: World, other_world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        do_upsert_contact(
            world.org, ContactIn(external_id=" ", email="nope", persona=other_world.persona)
        )
    assert exc.value.errors == {
        "external_id": "must not be empty",
        "email": "is not a valid email address",
        "persona": "belongs to another organisation",
    }


def test_interaction_is_recorded_once_per_key(world: World, other_world: World) -> None:
    data = InteractionIn(contact=contact_in(1), idempotency_key="t-1", touchpoint=world.touchpoint)
    first = do_record_interaction(world.org, data)
    again = do_record_interaction(world.org, data)
    assert first.created and not again.created and first.interaction == again.interaction
    with pytest.raises(ValidationFailed) as exc:
        do_record_interaction(
            world.org,
            InteractionIn(
                contact=contact_in(2), idempotency_key="t-2", touchpoint=other_world.touchpoint
            ),
        )
    assert exc.value.errors == {"touchpoint": "belongs to another organisation"}


def test_bulk_skips_known_keys_and_reuses_contacts(world: World) -> None:
    do_record_interaction(world.org, InteractionIn(contact=contact_in(1), idempotency_key="a"))
    created = do_bulk_record_interactions(
        world.org,
        [
            InteractionIn(contact=contact_in(1), idempotency_key="a"),
            InteractionIn(contact=contact_in(1), idempotency_key="b"),
            InteractionIn(contact=contact_in(2), idempotency_key="c"),
            InteractionIn(contact=contact_in(2), idempotency_key="c"),
        ],
    )
    assert sorted(i.idempotency_key for i in created) == ["b", "c"]
    assert Interaction.objects.count() == 3 and Contact.objects.count() == 2
