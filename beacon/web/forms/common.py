"""The pieces every staff form shares: typed fields that never raise past the form, forms
bound to one organisation, and the field messages the templates show."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from beacon.core.errors import ValidationFailed
from beacon.core.ids import is_id
from beacon.orgs.models import Organization

# Only ASCII digits (see beacon.core.ids): int() also reads "٣", and "²" makes it raise.
_WHOLE = re.compile(r"-?[0-9]{1,18}")
# The largest value of an INTEGER column on PostgreSQL; anything above would fail the write.
MAX_INTEGER = 2_147_483_647


class WholeNumberField(forms.IntegerField):
    """A whole number written in ASCII digits, within the column's range."""

    default_error_messages = {
        "invalid": "must be a whole number",
        "min_value": "must be at least %(limit_value)s",
        "max_value": "must be at most %(limit_value)s",
    }

    def __init__(self, *, max_value: int = MAX_INTEGER, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(max_value=max_value, **kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values or str(value).strip() == "":
            return None
        if not _WHOLE.fullmatch(str(value).strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(str(value).strip())


class OrgChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """One of the organisation's own rows, picked by id (the form sets the queryset).

    An id of another organisation is "not found" like an id that exists nowhere, so nobody
    learns which ids exist elsewhere. Something that is not an id at all gets the same
    message unless the form gives a "not_an_id" one.
    """

    def __init__(
        self,
        model: type[models.Model],
        message: str,
        *,
        scoped: bool = True,
        only: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("required", False)
        self.model = model
        # Unscoped: the form chooses the rows itself (e.g. the organisations of a user).
        self.scoped = scoped
        # Narrower still, e.g. {"active": True}: a switched-off row is neither offered nor taken.
        self.only = only or {}
        errors = {"invalid_choice": message, "required": message, "not_an_id": message}
        errors.update(kwargs.pop("error_messages", {}))
        super().__init__(queryset=model._default_manager.none(), error_messages=errors, **kwargs)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values or str(value).strip() == "":
            return None
        if not is_id(str(value).strip()):
            raise ValidationError(self.error_messages["not_an_id"], code="not_an_id")
        return super().to_python(str(value).strip())


class OrgMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Several of the organisation's own rows, picked by id; one unknown id refuses them all."""

    def __init__(self, model: type[models.Model], message: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        self.model = model
        self.scoped = True
        self.only: dict[str, Any] = {}
        errors = {"invalid_choice": message, "invalid_pk_value": message, "invalid_list": message}
        super().__init__(queryset=model._default_manager.none(), error_messages=errors, **kwargs)

    def clean(self, value: Any) -> Any:
        if not isinstance(value, list | tuple) or not all(is_id(str(v).strip()) for v in value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().clean([str(v).strip() for v in value])


class OrgForm(forms.Form):
    """A form whose row choices are the organisation's own rows, and nobody else's."""

    def __init__(self, org: Organization | int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = org
        for field in self.fields.values():
            if isinstance(field, OrgChoiceField | OrgMultipleChoiceField) and field.scoped:
                rows = field.model.objects.for_org(org)  # type: ignore[attr-defined]
                field.queryset = rows.filter(**field.only)

    def checked(self) -> dict[str, Any]:
        """The typed values, or ValidationFailed naming each field that could not be read."""
        if not self.is_valid():
            raise ValidationFailed(errors_of(self))
        return self.cleaned_data


class QueryForm(OrgForm):
    """Read from the query string (a page's filters)."""

    method = "GET"


class PostForm(OrgForm):
    """Read from a posted form."""

    method = "POST"


def text(max_length: int | None = None, **kwargs: Any) -> forms.CharField:
    """Text as typed (not stripped: actions decide what surrounding spaces mean)."""
    kwargs.setdefault("required", False)
    return forms.CharField(max_length=max_length, strip=False, **kwargs)


class TextListField(forms.Field):
    """Every value sent under one name (ticked boxes, repeated inputs), as typed."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in value or []]


def flag() -> forms.ChoiceField:
    """A tick box: "1" when ticked, absent when not."""
    return forms.ChoiceField(
        choices=[("1", "yes")],
        required=False,
        error_messages={"invalid_choice": "must be 1 or left out"},
    )


def errors_of(form: forms.Form) -> dict[str, str]:
    """The first message per field, as the pages list them ("field: message")."""
    return {name: str(errors[0]) for name, errors in form.errors.items()}


def values(form: forms.Form) -> dict[str, str]:
    """What was sent, to show in the form again."""
    return {name: str(form.data.get(name, "")) for name in form.fields}


V = TypeVar("V", bound=Callable[..., Any])


def reads(*form_classes: type[forms.Form]) -> Callable[[V], V]:
    """Declares the forms a view reads (for the test that sends junk to every field)."""

    def mark(view: V) -> V:
        view.forms = form_classes  # type: ignore[attr-defined]
        return view

    return mark
