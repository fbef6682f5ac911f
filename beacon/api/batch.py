"""Batch endpoints: up to 1,000 items, each stored on its own and answered with its status.

One bad item does not reject the others: each item is checked against the schema of its
single endpoint, then stored in its own transaction, so an item is either wholly written
or not at all. Only errors of the request as a whole (no items, more than 1,000, the same
idempotency key twice) refuse everything, before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pydantic
from django.db import transaction
from ninja import Schema

from beacon.api.errors import field_errors
from beacon.api.schemas import ErrorOut, In, ValidationErrorOut
from beacon.core.errors import NotFound, ValidationFailed

MAX_BATCH = 1000

BATCH_RULES = (
    f'Send `{{"items": [...]}}` with 1 to {MAX_BATCH:,} items; the body must stay under the '
    "server's body limit (1 MB by default, else 413). The answer is 200 with one entry "
    "per item, in order: `index`, the `status` the single endpoint would have answered "
    "(201 stored, 200 already stored under that key, 404 unknown resource, 422 invalid) "
    "with its `result`, or `errors` naming the item's fields "
    "(e.g. `answers.0.number`), or `detail`. Each item is stored in its own transaction: "
    "an invalid item writes nothing and does not stop the others; retrying the whole "
    "batch is safe.\n\n"
    "The request as a whole answers 422 when `items` is empty, holds more than "
    f"{MAX_BATCH:,} items, or repeats an `idempotency_key` (`items.3.idempotency_key`: "
    "`repeats items.0`); then nothing is stored."
)


# Errors of the request as a whole; each item's own errors are inside the 200 answer.
BATCH_ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    413: ErrorOut,
    422: ValidationErrorOut,
}


class BatchIn(In):
    items: list[dict[str, Any]] = pydantic.Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH:,} items, each shaped as the single endpoint's body.",
    )


S = TypeVar("S", bound=Schema)


@dataclass
class ItemResult:
    index: int
    status: int
    result: Schema | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    detail: str = ""

    def fields(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status,
            "result": self.result,
            "errors": self.errors,
            "detail": self.detail,
        }


def _check_keys(items: list[dict[str, Any]]) -> None:
    first: dict[str, int] = {}
    errors: dict[str, str] = {}
    for i, item in enumerate(items):
        key = item.get("idempotency_key")
        if not isinstance(key, str):
            continue  # the item's own check names a missing or mistyped key
        if key in first:
            errors[f"items.{i}.idempotency_key"] = f"repeats items.{first[key]}"
        else:
            first[key] = i
    if errors:
        raise ValidationFailed(errors)


def run_batch(
    items: list[dict[str, Any]],
    schema: type[S],
    store: Callable[[S], tuple[int, Schema]],
) -> list[ItemResult]:
    _check_keys(items)
    return [_one(i, item, schema, store) for i, item in enumerate(items)]


def _one(
    index: int, item: dict[str, Any], schema: type[S], store: Callable[[S], tuple[int, Schema]]
) -> ItemResult:
    try:
        payload = schema.model_validate(item)
    except pydantic.ValidationError as e:
        errors = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
            for err in e.errors()
        ]
        return ItemResult(index, 422, errors=errors)
    try:
        with transaction.atomic():
            status, result = store(payload)
    except ValidationFailed as e:
        return ItemResult(index, 422, errors=field_errors(e.errors))
    except NotFound as e:
        return ItemResult(index, 404, detail=str(e) or "not found")
    return ItemResult(index, status, result=result)
