from __future__ import annotations

import pytest

from beacon.core.errors import Conflict, ValidationFailed
from beacon.orgs.actions import (
    do_add_member,
    do_create_api_key,
    do_create_organization,
    do_create_team,
    do_revoke_api_key,
    do_update_organization,
    hash_api_key,
)
from beacon.orgs.models import ApiKey, Event, Membership, Role
from beacon.orgs.queries import authenticate_api_key, manager_of
from beacon.responses.models import Response
from beacon.testing import World

pytestmark = pytest.mark.django_db


def test_api_key_is_stored_hashed_and_authenticates_until_revoked(world: World) -> None:
    issued = do_create_api_key(world.org, "CRM")
    stored = ApiKey.objects.get(pk=issued.key.pk)
    assert issued.secret not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == hash_api_key(issued.secret)
    assert authenticate_api_key(issued.secret) == stored
    assert authenticate_api_key(issued.secret + "x") is None
    assert authenticate_api_key("not-a-key") is None
    do_revoke_api_key(stored)
    assert authenticate_api_key(issued.secret) is None


def test_every_write_records_an_event(world: World) -> None:
    team = do_create_team(world.org, "Retail")
    event = Event.objects.for_org(world.org).filter(verb="team.created").latest("pk")
    assert (event.subject_type, event.subject_id) == ("orgs.team", team.pk)


def test_tenant_manager_scopes_reads(world: World, other_world: World) -> None:
    assert set(Membership.objects.for_org(world.org)) == {
        world.owner,
        world.agent,
        world.stage_owner,
    }
    assert Response.objects.for_org(other_world.org.pk).count() == 0


def test_duplicate_slug_and_member_are_refused(world: World) -> None:
    with pytest.raises(Conflict):
        do_create_organization("Acme Telecom")
    with pytest.raises(Conflict):
        do_add_member(world.org, world.agent.email, role=Role.AGENT, display_name="Again")


def test_bad_member_input_names_each_field(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        do_add_member(world.org, "nobody", role="boss", display_name=" ")
    assert set(exc.value.errors) == {"email", "role", "display_name"}


def test_organisation_settings_are_validated(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        do_update_organization(world.org, name="", brand_color="red", min_sample_size=0)
    assert set(exc.value.errors) == {"name", "brand_color", "min_sample_size"}
    do_update_organization(world.org, brand_color="#112233", min_sample_size=5)
    world.org.refresh_from_db()
    assert (world.org.brand_color, world.org.min_sample_size) == ("#112233", 5)


def test_manager_is_the_lead_of_the_nearest_team_up(world: World) -> None:
    region = do_create_team(world.org, "North", lead=world.owner)
    store = do_create_team(world.org, "Leeds store", parent=region)
    clerk = do_add_member(world.org, "clerk@x.test", role=Role.AGENT, display_name="C", team=store)
    assert manager_of(clerk) == world.owner
    assert manager_of(world.owner) is None
