"""Single interactions through the ingest edge over a real uvicorn server, beside the
Django path: stored in groups by the batch code before the answer, with the same answer,
rows, invitations and events as the Django path gives (docs/adr/0010, amendment)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings

from beacon.api.tests.conftest import Api, interaction_body
from beacon.contacts.models import Contact, Interaction
from beacon.core.asgi import BeaconASGIHandler
from beacon.core.server import H11Protocol
from beacon.ingest.edge import IngestEdge
from beacon.ingest.models import IngestLog
from beacon.ingest.tests.test_edge import Reply, call
from beacon.orgs.models import Event
from beacon.surveys.models import ContactBudget, Invitation
from beacon.testing import World, live_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def edge() -> Iterator[tuple[str, IngestEdge]]:
    app = IngestEdge(BeaconASGIHandler(threads=2))
    try:
        with live_server(app, http=H11Protocol) as (_, port):
            yield f"http://127.0.0.1:{port}/api/v1", app
    finally:
        app.close()


class Counting:
    """Counts the groups the edge stores (the real store function, wrapped)."""

    def __init__(self, app: IngestEdge) -> None:
        self.sizes: list[int] = []
        writer = app.interactions
        store = writer._write_group

        def counted(items: list[Any]) -> Any:
            self.sizes.append(len(items))
            return store(items)

        writer._write_group = counted


def _stored(interaction_id: int) -> dict[str, Any]:
    """What the Django path and the edge must both leave behind for one interaction,
    without the ids and stamps that differ between two interactions."""
    interaction = Interaction.objects.get(pk=interaction_id)
    contact = interaction.contact
    invitations = list(Invitation.objects.filter(interaction=interaction))
    budget = ContactBudget.objects.get(contact=contact)
    return {
        "interaction": (interaction.organization_id, interaction.touchpoint_id,
                        interaction.team_id, interaction.staff_id, interaction.description,
                        interaction.attributes),
        "contact": (contact.organization_id, contact.email, contact.name, contact.attributes),
        "invitations": [(i.survey_id, i.contact_id == contact.pk, i.channel, i.rule_id,
                         i.stage_id, i.send_at, i.language, len(i.token),
                         i.expires_at - i.created_at)
                        for i in invitations],
        "budget": budget.last_invited_at is not None,
        "events": sorted(
            Event.objects.filter(subject_type="contacts.interaction", subject_id=interaction.pk)
            .values_list("verb", flat=True)
        ) + sorted(
            Event.objects.filter(subject_type="surveys.invitation",
                                 subject_id__in=[i.pk for i in invitations])
            .values_list("verb", flat=True)
        ),
    }  # fmt: skip


def test_an_interaction_stored_by_the_edge_is_stored_as_the_django_path_stores_it(
    edge: tuple[str, IngestEdge], world: World
) -> None:
    url, _ = edge
    body = interaction_body(world, key="edge-1", description="Router reset",
                            attributes={"queue": "billing"})  # fmt: skip
    status, out = call(f"{url}/interactions", world.api_secret, body)
    assert status == 201, out
    interaction = Interaction.objects.get()
    invitation = Invitation.objects.get()
    assert (out["id"], out["contact_id"]) == (interaction.pk, interaction.contact_id)
    link = f"{settings.BASE_URL}/s/{invitation.token}/"
    assert out["invitations"] == [{"id": invitation.pk, "survey_id": world.survey.pk,
                                   "token": invitation.token, "url": link}]  # fmt: skip
    # The body is the Django path's: it answers a retry with it (created aside).
    retry = Api(world.api_secret).post("/interactions", body)
    assert (retry.status_code, retry.json()) == (200, {**out, "created": False})
    assert out["created"] is True
    assert IngestLog.objects.count() == 0  # stored, not logged
    other = {**body, "idempotency_key": "django-1",
             "contact": {**body["contact"], "external_id": "cust-2"}}  # fmt: skip
    django = Api(world.api_secret).post("/interactions", other)
    assert django.status_code == 201, django.content
    assert set(django.json()) == set(out)
    assert _stored(out["id"]) == _stored(django.json()["id"])
    assert _stored(out["id"])["invitations"][0][:4] == (world.survey.pk, True, "api", None)
    assert _stored(out["id"])["events"] == ["interaction.recorded", "invitation.created"]
    assert Contact.objects.get(pk=out["contact_id"]).external_id == "cust-1"


def test_a_retry_answers_200_with_the_same_interaction_on_either_path(
    edge: tuple[str, IngestEdge], world: World
) -> None:
    url, _ = edge
    first = call(f"{url}/interactions", world.api_secret, interaction_body(world, key="same"))
    again = call(f"{url}/interactions", world.api_secret, interaction_body(world, key="same"))
    assert (first[0], again[0]) == (201, 200)
    assert again[1] == {**first[1], "created": False}
    # The Django path answers the same retry alike, and the other way round.
    django = Api(world.api_secret).post("/interactions", interaction_body(world, key="same"))
    assert (django.status_code, django.json()) == (200, again[1])
    stored = Api(world.api_secret).post("/interactions", interaction_body(world, key="dj"))
    assert stored.status_code == 201
    at_edge = call(f"{url}/interactions", world.api_secret, interaction_body(world, key="dj"))
    assert at_edge == (200, {**stored.json(), "created": False})
    # Two interactions of one contact, each invited once (the world sets no budget).
    assert (Interaction.objects.count(), Invitation.objects.count()) == (2, 2)
    assert Contact.objects.count() == 1


def test_posts_at_the_same_time_are_stored_in_one_group_each_with_its_own_answer(
    edge: tuple[str, IngestEdge], world: World
) -> None:
    url, app = edge
    counting = Counting(app)
    bodies = [
        {**interaction_body(world, key=f"k-{n}"),
         "contact": {"external_id": f"cust-{n}", "email": f"c{n}@example.com"}}
        for n in range(8)
    ]  # fmt: skip
    # The same key twice at once: one interaction, both answers name it.
    bodies.append(bodies[0])
    with ThreadPoolExecutor(len(bodies)) as pool:
        replies: list[Reply] = list(
            pool.map(lambda b: call(f"{url}/interactions", world.api_secret, b), bodies)
        )
    statuses = Counter(status for status, _ in replies)
    assert statuses == Counter({201: 8, 200: 1})
    assert replies[0][1]["id"] == replies[8][1]["id"]
    assert replies[0][1]["invitations"] == replies[8][1]["invitations"]
    assert Interaction.objects.count() == 8 and Invitation.objects.count() == 8
    for (_, out), body in zip(replies, bodies, strict=True):
        interaction = Interaction.objects.get(pk=out["id"])
        assert interaction.idempotency_key == body["idempotency_key"]
        assert interaction.contact.external_id == body["contact"]["external_id"]
        assert out["contact_id"] == interaction.contact_id
        assert [i["id"] for i in out["invitations"]] == list(
            Invitation.objects.filter(interaction=interaction).values_list("pk", flat=True)
        )
    # Grouped: fewer groups than posts (every post of the run went through the edge).
    assert sum(counting.sizes) == len(bodies)
    assert len(counting.sizes) < len(bodies)


@pytest.mark.parametrize(
    "change",
    [
        {"touchpoint_id": 987654},
        {"team_id": 987654},
        {"staff_id": 987654},
        {"contact": {"external_id": "cust-1", "persona_id": 987654}},
        {"contact": {"external_id": "cust-1", "email": "not an email"}},
        {"contact": {"external_id": "   "}},
        {"contact": {"email": "a@example.com"}},
        {"occurred_at": "2025-03-01T10:00:00"},
        {"idempotency_key": ""},
        # No input may hold NUL (PostgreSQL cannot store it): the schema refuses it.
        {"idempotency_key": "k\x00"},
        {"attributes": {"queue": "bil\x00ling"}},
        {"contact": {"external_id": "cust\x001", "attributes": {"k\x00": 1}}},
        {"description": "\x00"},
    ],
)
def test_a_refused_post_gets_the_django_paths_answer_and_stores_nothing(
    edge: tuple[str, IngestEdge], world: World, change: dict[str, Any]
) -> None:
    url, _ = edge
    body = {**interaction_body(world, key="bad"), **change}
    at_edge = call(f"{url}/interactions", world.api_secret, body)
    django = Api(world.api_secret).post("/interactions", body)
    assert at_edge == (django.status_code, django.json())
    assert at_edge[0] in (404, 422)
    assert (Interaction.objects.count(), Contact.objects.count()) == (0, 0)


def test_keys_the_edge_cannot_vouch_for_get_the_django_paths_answer(
    edge: tuple[str, IngestEdge], world: World
) -> None:
    url, _ = edge
    body = interaction_body(world)
    assert call(f"{url}/interactions", "", body) == (
        401, {"detail": "send an API key: Authorization: Bearer <key>"})  # fmt: skip
    assert call(f"{url}/interactions", "bk_unknown_secret", body) == (
        401, {"detail": "unknown or revoked API key"})  # fmt: skip
    assert Interaction.objects.count() == 0


def test_another_organisations_ids_are_refused_as_the_django_path_refuses_them(
    edge: tuple[str, IngestEdge], world: World, other_world: World
) -> None:
    """A write key of one organisation naming another's touchpoint, team, staff member or
    persona stores nothing in either organisation, and gets the Django path's answer."""
    url, _ = edge
    for change in (
        {"touchpoint_id": other_world.touchpoint.pk},
        {"team_id": other_world.team.pk},
        {"staff_id": other_world.agent.pk},
        {"contact": {"external_id": "cust-1", "persona_id": other_world.persona.pk}},
    ):
        body = {**interaction_body(world, key="foreign"), **change}
        at_edge = call(f"{url}/interactions", world.api_secret, body)
        django = Api(world.api_secret).post("/interactions", body)
        assert at_edge == (django.status_code, django.json())
        assert at_edge[0] in (404, 422)
    assert (Interaction.objects.count(), Contact.objects.count()) == (0, 0)
