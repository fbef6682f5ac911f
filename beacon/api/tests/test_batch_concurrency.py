"""Two batches with the same keys in opposite orders, at once, on PostgreSQL: one stores
them, the other answers them as stored, and neither fails (no deadlock on the unique
keys, which the rows' key order prevents)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from beacon.api.tests.conftest import Api, interaction_body, response_body
from beacon.contacts.models import Interaction
from beacon.responses.models import Response
from beacon.testing import World

ITEMS = 200
ROUNDS = 2


def _race(world: World, path: str, items: list[dict[str, Any]]) -> list[list[int]]:
    """Both orders posted at the same moment; each post's statuses."""
    start = threading.Barrier(2)
    statuses: list[list[int]] = [[], []]

    def post(n: int, body: list[dict[str, Any]]) -> None:
        try:
            api = Api(world.api_secret)
            start.wait(10)
            r = api.post(path, {"items": body})
            statuses[n] = [r.status_code] + [i["status"] for i in r.json()["items"]]
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(0, items)),
               threading.Thread(target=post, args=(1, items[::-1]))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def _one_stored_one_found(statuses: list[list[int]]) -> None:
    """One post stored every item (201), the other found every item stored (200)."""
    assert sorted((s[0], len(s) - 1, sorted(set(s[1:]))) for s in statuses) == [
        (200, ITEMS, [200]), (200, ITEMS, [201])
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_opposite_orders_at_once_store_each_item_once(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the two batches cannot interleave")
    for round_ in range(ROUNDS):
        keys = [f"r{round_}-{n:04d}" for n in range(ITEMS)]
        interactions = [interaction_body(world, k, contact={"external_id": f"c-{k}"})
                        for k in keys]  # fmt: skip
        _one_stored_one_found(_race(world, "/interactions/batch", interactions))
        responses = [response_body(world, f"resp-{k}", nps=n % 11) for n, k in enumerate(keys)]
        _one_stored_one_found(_race(world, "/responses/batch", responses))
    assert Interaction.objects.count() == ITEMS * ROUNDS
    assert Response.objects.count() == ITEMS * ROUNDS
