"""The invitation table's indexes: what each written invitation pays for, and what stays
enforced (surveys migration 0006)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from beacon.contacts.actions import do_upsert_contact
from beacon.surveys.actions import do_create_invitation
from beacon.surveys.models import Invitation
from beacon.testing import World, contact_in


def _indexes_by_columns() -> dict[tuple[str, ...], list[dict[str, object]]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Invitation._meta.db_table)
    out: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for info in found.values():
        if info["index"] or info["unique"]:
            out.setdefault(tuple(info["columns"]), []).append(info)
    return out


@pytest.mark.django_db
def test_a_token_has_one_index_and_it_is_unique() -> None:
    # PostgreSQL built a second, `varchar_pattern_ops` index for `unique=True` tokens; it
    # serves only LIKE, which no query makes on tokens.
    on_token = _indexes_by_columns()[("token",)]
    assert [bool(i["unique"]) for i in on_token] == [True]


@pytest.mark.django_db
def test_a_token_already_given_is_refused(world: World) -> None:
    contact = do_upsert_contact(world.org, contact_in(1))
    first = do_create_invitation(world.survey, contact)
    second = do_create_invitation(world.survey, contact)
    assert first.token != second.token
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=second.pk).update(token=first.token)
    assert Invitation.objects.get(pk=second.pk).token == second.token
