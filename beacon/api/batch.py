"""Batch endpoints: up to 1,000 items, each stored on its own and answered with its status.

One bad item does not reject the others: each item is checked against the schema of its
single endpoint and against the data as its single endpoint checks it; the good items are
then written together (set-based, a few statements per batch), so an item is either
wholly written or not at all. Only errors of the request as a whole (no items, more than
1,000, the same idempotency key twice) refuse everything, before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pydantic
from django.db import transaction
from django.http import HttpResponse
from ninja import Schema

from beacon.api.errors import field_errors
from beacon.api.schemas import ErrorOut, In, ValidationErrorOut
from beacon.core.errors import NotFound, ValidationFailed
from beacon.core.memory import collector_paused

MAX_BATCH = 1000

BATCH_RULES = (
    f'Send `{{"items": [...]}}` with 1 to {MAX_BATCH:,} items; the body must stay under the '
    "server's body limit (1 MB by default, else 413). The answer is 200 with one entry "
    "per item, in order: `index`, the `status` the single endpoint would have answered "
    "(201 stored, 200 already stored under that key, 404 unknown resource, 422 invalid) "
    "with its `result`, or `errors` naming the item's fields "
    "(e.g. `answers.0.number`), or `detail`. An invalid item writes nothing and does "
    "not stop the others; retrying the whole batch is safe.\n\n"
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
    # The single endpoint's answer as JSON-ready data (see `answer`).
    result: dict[str, Any] | None = None
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


def answer(results: list[ItemResult]) -> HttpResponse:
    """The 200 answer, written directly: building and then validating 1,000 response
    schemas cost more than storing the items. Its shape is the operation's declared
    schema (`ResponseBatchOut`, `InteractionBatchOut`), which the API tests check."""
    # Built here, so it holds no cycle to look for (a third of the encoding's time).
    body = json.dumps(
        {"items": [r.fields() for r in results]}, separators=(",", ":"), check_circular=False
    )
    return HttpResponse(body, content_type="application/json")


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
    store: Callable[[list[tuple[int, S]]], list[ItemResult]],
) -> list[ItemResult]:
    """Each item checked against `schema`; `store` takes the well-formed ones together
    (index, payload) and answers each of them."""
    _check_keys(items)
    with collector_paused():
        return _run(items, schema, store)


def _run(
    items: list[dict[str, Any]],
    schema: type[S],
    store: Callable[[list[tuple[int, S]]], list[ItemResult]],
) -> list[ItemResult]:
    results: list[ItemResult | None] = [None] * len(items)
    parsed: list[tuple[int, S]] = []
    for i, item in enumerate(items):
        try:
            parsed.append((i, schema.model_validate(item)))
        except pydantic.ValidationError as e:
            errors = [
                {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
                for err in e.errors()
            ]
            results[i] = ItemResult(i, 422, errors=errors)
    for result in store(parsed):
        results[result.index] = result
    assert all(r is not None for r in results), "every item answered"
    return results  # type: ignore[return-value]


def store_one(index: int, payload: S, store: Callable[[S], tuple[int, Schema]]) -> ItemResult:
    """An item stored by its single endpoint's path, in its own transaction."""
    try:
        with transaction.atomic():
            status, result = store(payload)
    except ValidationFailed as e:
        return ItemResult(index, 422, errors=field_errors(e.errors))
    except NotFound as e:
        return ItemResult(index, 404, detail=str(e) or "not found")
    return ItemResult(index, status, result=result.model_dump(mode="json"))
