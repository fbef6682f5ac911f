"""Reads of the CX model."""

from __future__ import annotations

from beacon.cxmodel.models import Journey, Persona, Stage
from beacon.orgs.models import Organization


def journeys_with_stages(org: Organization) -> list[Journey]:
    return list(
        Journey.objects.for_org(org)
        .prefetch_related(
            "stages__owner", "stages__touchpoints", "stages__needs__owner", "stages__needs__persona"
        )
        .order_by("pk")
    )


def personas(org: Organization) -> list[Persona]:
    return list(Persona.objects.for_org(org).prefetch_related("stage_needs").order_by("name"))


def stages(org: Organization) -> list[Stage]:
    return list(
        Stage.objects.for_org(org).select_related("owner").order_by("journey_id", "position")
    )
