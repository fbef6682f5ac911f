"""The organisation's money settings: currency, exchange rates, cost per contact."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms

from beacon.web.forms.common import WholeNumberField


def _pairs(text: str, what: str) -> dict[str, Decimal]:
    """`EUR=0.85, USD=0.79` -> {"EUR": Decimal("0.85"), ...}."""
    out: dict[str, Decimal] = {}
    for part in (p.strip() for p in text.replace("\n", ",").split(",")):
        if not part:
            continue
        key, sep, number = part.partition("=")
        try:
            value = Decimal(number.strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not sep or not key.strip() or not value.is_finite():
            raise forms.ValidationError(f"write each {what} as NAME=NUMBER, e.g. phone=6.00")
        out[key.strip()] = value
    return out


class OutcomeSettingsForm(forms.Form):
    currency = forms.CharField(min_length=3, max_length=3, help_text="ISO 4217, e.g. GBP")
    exchange_rates = forms.CharField(
        required=False, help_text="One unit of another currency in yours: EUR=0.85, USD=0.79"
    )
    cost_per_contact = forms.CharField(
        required=False, help_text="Cost of one service contact per channel: phone=6, chat=2.5"
    )
    observation_days = WholeNumberField(required=True, min_value=30, max_value=1095)
    create_unknown_contacts = forms.BooleanField(required=False)
    viewers_see_money = forms.BooleanField(required=False)

    def clean_exchange_rates(self) -> dict[str, Decimal]:
        return {
            k.upper(): v for k, v in _pairs(self.cleaned_data["exchange_rates"], "rate").items()
        }

    def clean_cost_per_contact(self) -> dict[str, Decimal]:
        return {
            k.lower(): v for k, v in _pairs(self.cleaned_data["cost_per_contact"], "cost").items()
        }
