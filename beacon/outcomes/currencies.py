"""Amounts sent in a currency's minor unit (cents, pence, fils), as Stripe and Chargebee
send them, converted to the unit itself.

The number of decimals of each currency is its "minor unit" in ISO 4217, as published by
the standard's maintenance agency in List One ("Current currency & funds code list",
column "Minor unit"; https://www.six-group.com/en/products-services/financial-information/
data-standards.html, file list-one.xml, field <CcyMnrUnts>). pycountry carries the codes
but not this column, so the exceptions to 2 are listed here. Codes whose minor unit is
"N.A." there (precious metals, SDRs, testing codes) have none, so no amount in minor units
can be read in them.
"""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 List One, minor unit 0.
NO_DECIMALS = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
# ISO 4217 List One, minor unit 3.
THREE_DECIMALS = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
# ISO 4217 List One, minor unit 4.
FOUR_DECIMALS = frozenset({"CLF", "UYW"})
# ISO 4217 List One, minor unit "N.A.".
NO_MINOR_UNIT = frozenset(
    ["XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"]
)


def exponent(code: str) -> int | None:
    """Decimals of the currency's minor unit (JPY 0, GBP 2, KWD 3), or None if it has none."""
    code = code.upper()
    if code in NO_MINOR_UNIT:
        return None
    if code in NO_DECIMALS:
        return 0
    if code in THREE_DECIMALS:
        return 3
    if code in FOUR_DECIMALS:
        return 4
    return 2


def from_minor(amount: Decimal, code: str) -> Decimal | None:
    """The amount in the currency's unit (1999 USD cents -> 19.99), or None without a minor
    unit."""
    places = exponent(code)
    return None if places is None else amount.scaleb(-places)


def with_its_decimals(amount: Decimal, code: str) -> Decimal:
    """A stored amount (kept to three decimals for KWD and the like) with its currency's
    decimals: 49.900 GBP reads 49.90, 1500.000 JPY reads 1500; decimals beyond the
    currency's are kept where the amount has them, never rounded away."""
    places = exponent(code) or 0
    shown = amount.quantize(Decimal(1).scaleb(-places))
    return shown if shown == amount else amount.normalize()
