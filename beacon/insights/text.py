"""Text preparation shared by every model: cleaning, language detection, redaction.

Pure functions without Django, so the benchmark and the product run the same code.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Analysis looks at a bounded prefix: a 100 KB paste must not stall the pipeline, and the
# opening of a comment carries its themes.
MAX_ANALYSED_CHARS = 4000

_TAG = re.compile(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>|<[^>]{0,500}>", re.S | re.I)
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Plain words: markup and scripts dropped, entities decoded, whitespace collapsed."""
    text = text[: MAX_ANALYSED_CHARS * 4]
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()[:MAX_ANALYSED_CHARS]


def letter_count(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- language -----------------------------------------------------------------------

# Function words are the most reliable short-text language signal: they are frequent,
# closed-class and rarely shared. English also gets common feedback words, because many
# comments are a few words long ("great service", "too slow").
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """the a an and or but is are was were be been it its this that these those i me my
        we our you your he she they them their of to in on at for with from by not no very
        too so have has had do does did will would can could should just really what when
        which who how all any more most some than then there here about after before again
        great good bad slow fast staff service thanks thank love hate poor nice helpful
        excellent terrible awful friendly rude price quality waited wait never always
        only also because still"""
    ),
    "nl": _words(
        """de het een en of maar is zijn was waren niet geen heel erg te zo ik mij mijn we wij
        ons onze jij je jouw u uw hij zij ze hun van in op aan voor met bij door naar dat dit
        die deze wat wanneer wie hoe alle meer dan daar hier over na nog al ook omdat goed
        slecht bedankt lang wachten personeel"""
    ),
    "de": _words(
        """der die das ein eine einen und oder aber ist sind war waren nicht kein keine sehr zu
        so ich mich mein meine wir unser du dein sie ihr er es von im in auf an für mit bei
        durch nach dass dies diese was wann wer wie alle mehr als dort hier über noch auch
        weil gut schlecht danke lange warten personal"""
    ),
    "fr": _words(
        """le la les un une des et ou mais est sont était étaient ne pas très trop je moi mon
        ma mes nous notre vous votre il elle ils elles leur de du au aux en dans sur pour avec
        par que qui quoi quand comment tous plus bien mal merci personnel attente service
        très c'est"""
    ),
    "es": _words(
        """el la los las un una unos y o pero es son era eran no muy demasiado yo mi mis
        nosotros nuestro usted su él ella ellos de del al en con por para que qué quien como
        cuando todo más bien mal gracias personal espera servicio"""
    ),
    "it": _words(
        """il lo la i gli le un uno una e o ma è sono era erano non molto troppo io mio mia noi
        nostro voi vostro lui lei loro di del della al in con per che chi come quando tutto
        più bene male grazie personale servizio"""
    ),
    "pt": _words(
        """o a os as um uma e ou mas é são era eram não muito demais eu meu minha nós nosso
        você seu ele ela eles de do da no na em com por para que quem como quando tudo mais
        bem mal obrigado obrigada atendimento"""
    ),
}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.U)

ENGLISH = "en"
OTHER = "other"
UNDETERMINED = "und"


def _is_latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def detect_language(text: str) -> str:
    """'en', 'other', or 'und' when there is too little text to tell.

    Only 'en' is classified as English; anything that looks like another language, or
    mostly another script, is marked so that it is never silently scored as English.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return UNDETERMINED
    latin = sum(1 for ch in letters if _is_latin(ch))
    if latin < 0.6 * len(letters):
        return OTHER
    words = [w.lower() for w in _WORD.findall(text)]
    hits = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _STOPWORDS.items()}
    english = hits.pop(ENGLISH)
    best_other = max(hits.values())
    if english == 0 and best_other == 0:
        # No known word at all: accented letters point away from English, plain ASCII
        # of a couple of words is most often an English fragment ("meh", "ok").
        non_ascii = sum(1 for ch in letters if not ch.isascii())
        if non_ascii:
            return OTHER
        return ENGLISH if len(words) <= 3 else UNDETERMINED
    return ENGLISH if english > best_other else OTHER


# --- redaction ------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_CARD_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00|\()?\d[\d ()./-]{7,}\d(?!\w)")
_ZIP4 = re.compile(r"\b\d{5}-\d{4}\b")
_POSTCODES = [
    # UK: e.g. SW1A 1AA, M1 1AE, B33 8TH
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"),
    # NL: 1234 AB (letters upper-case, SA/SD/SS never issued)
    re.compile(r"\b[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}\b"),
    # US plain five digits only after a state abbreviation (ZIP+4 goes before phones)
    re.compile(r"(?<=\b[A-Z]{2} )\d{5}\b"),
    # DE: five digits followed by a capitalised town name
    re.compile(r"\b\d{5}(?= [A-ZÄÖÜ][a-zäöüß]+)"),
]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    rearranged = s[4:] + s[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def redact(text: str) -> str:
    """Mask personal data before text is shared beyond those allowed to see contacts."""
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub(lambda m: "[iban]" if iban_ok(m.group(0)) else m.group(0), text)

    def card(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "[card]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)

    text = _CARD_CANDIDATE.sub(card, text)

    def phone(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "[phone]" if 9 <= len(digits) <= 15 else m.group(0)

    text = _ZIP4.sub("[postcode]", text)
    text = _PHONE.sub(phone, text)
    for pattern in _POSTCODES:
        text = pattern.sub("[postcode]", text)
    return text
