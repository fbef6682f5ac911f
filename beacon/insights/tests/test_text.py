from __future__ import annotations

import pytest

from beacon.insights.text import clean, detect_language, iban_ok, luhn_ok, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me at jane.doe+cx@example.co.uk please", "Mail me at [email] please"),
        ("Card 4111 1111 1111 1111 was charged", "Card [card] was charged"),
        ("IBAN NL91 ABNA 0417 1643 00 please refund", "IBAN [iban] please refund"),
        ("IBAN DE89370400440532013000", "IBAN [iban]"),
        ("Call me on +44 20 7946 0958 tomorrow", "Call me on [phone] tomorrow"),
        ("ring (555) 123-4567", "ring [phone]"),
        ("I live at SW1A 1AA in London", "I live at [postcode] in London"),
        ("Postcode 1012 AB Amsterdam", "Postcode [postcode] Amsterdam"),
        ("Springfield, IL 62704", "Springfield, IL [postcode]"),
        ("10115 Berlin is where I live", "[postcode] Berlin is where I live"),
        ("Order 12345-6789 shipped", "Order [postcode] shipped"),
    ],
)
def test_redact_masks_personal_data(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_keeps_numbers_that_are_not_personal_data() -> None:
    # Fails the Luhn check: an order number, not a card.
    assert redact("Order 4111 1111 1111 1112 arrived") == "Order 4111 1111 1111 1112 arrived"
    # Wrong IBAN checksum.
    assert redact("ref NL91ABNA0417164301") == "ref NL91ABNA0417164301"
    assert redact("I waited 45 minutes for 2 coffees") == "I waited 45 minutes for 2 coffees"


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The staff were very friendly and the food was great", "en"),
        ("Great service", "en"),
        ("meh", "en"),
        ("Het personeel was erg vriendelijk maar ik moest lang wachten", "other"),
        ("Das Personal war sehr freundlich, aber ich musste lange warten", "other"),
        ("Le personnel était très aimable mais l'attente était trop longue", "other"),
        ("El servicio fue muy lento y nadie me ayudó", "other"),
        ("スタッフはとても親切でした", "other"),
        ("Обслуживание было ужасным", "other"),
        ("Très bien", "other"),
        ("😀😀😀", "und"),
        ("", "und"),
    ],
)
def test_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_clean_drops_markup_and_bounds_length() -> None:
    assert clean("<script>alert('x')</script><b>Slow</b> &amp; rude") == "Slow & rude"
    assert len(clean("word " * 30_000)) == 4000
