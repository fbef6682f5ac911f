"""The demo's text analytics as an organisation some months in would have them.

- A mast fault around Leeds in the last week: customers call support about no signal and
  say so in their comments, so "Network coverage" rises significantly this week (an
  emerging theme) and "No signal or slow data" leads the reasons for contact.
- A few customers leave a phone number or an email in their comment, which every shared
  view shows masked.
- Staff corrected comments the starter model read wrongly, twice, and the organisation's
  own model was trained after each round, so its quality on held-out corrections (and
  the previous model's) is on record.

Each part draws from its own seeded generator, so the rest of the demo's history stays
as it was.
"""

from __future__ import annotations

import random
import re

from beacon.insights.corrections import do_correct_theme
from beacon.insights.models import AnswerInsight, Theme, ThemeMention
from beacon.insights.registry import do_train_themes
from beacon.orgs.models import Membership, Organization
from beacon.responses.models import Answer

OUTAGE_NOTES = [
    "No signal at home in {area} since {day}, calls fail",
    "Mobile data not working around {area}, asked if there is a mast fault",
    "Customer in {area} has had no 4G since {day}",
    "Calls dropping constantly in {area} this week",
]
OUTAGE_COMMENTS = [
    "No signal at all in {area} since {day}. I pay for a service I can't use.",
    "Still no coverage at home in {area}, the mast must be down. Nobody tells us anything.",
    "Zero bars in {area} for days now, I can't even call my family.",
    "The signal in {area} has been gone since {day} and support just said wait.",
    "No network coverage in {area} this week, had to use a neighbour's wifi to work.",
    "Calls keep dropping and there's no signal in {area}. Fix the mast please.",
]
AREAS = ["Leeds", "Headingley", "Roundhay", "Chapel Allerton", "Horsforth"]
DAYS = ["Monday", "Tuesday", "the weekend", "Sunday"]
CONTACT_TAILS = [
    " Call me back on 07700 900{n:03d}.",
    " Email me at {first}.{n}@example.net with an update.",
    " My number is +44 7700 900{n:03d} if anyone cares.",
]


def outage_note(index: int) -> str:
    rng = random.Random(f"northwind-outage-note-{index}")
    return rng.choice(OUTAGE_NOTES).format(area=rng.choice(AREAS), day=rng.choice(DAYS))


def outage_comment(index: int, first_name: str) -> str:
    """One customer's words about the fault; one in four leaves contact details."""
    rng = random.Random(f"northwind-outage-comment-{index}")
    text = rng.choice(OUTAGE_COMMENTS).format(area=rng.choice(AREAS), day=rng.choice(DAYS))
    if index % 4 == 0:
        text += rng.choice(CONTACT_TAILS).format(n=index, first=first_name.lower())
    return text


# Words no comment about the theme can do without: a staff member reading a comment with
# one of them and no such theme found adds the theme.
TELLING_WORDS = {
    "Network coverage": r"\b(signal|coverage|reception|no bars|mast|4g|5g)\b",
    "Billing": r"\b(bill|billed|charged|overcharged|invoice|direct debit)\b",
    "Internet speed": r"\b(broadband|wifi|buffering|mbps|fibre|router)\b",
    "Waiting time": r"\b(on hold|queue|waited|waiting)\b",
    "Contract and plans": r"\b(contract|tariff|upgrade|cancel|plan)\b",
    "Price and value": r"\b(price|expensive|cheap|value for money|overpriced)\b",
    "Staff friendliness": r"\b(friendly|rude|polite|helpful)\b",
}


def _missed(org: Organization, theme: Theme, pattern: str, exclude: set[int]) -> list[Answer]:
    # Matched in Python: PostgreSQL's regular expressions spell a word boundary differently.
    found = ThemeMention.objects.for_org(org).filter(theme=theme).values("answer_id")
    rows = (
        Answer.objects.for_org(org)
        .filter(question__kind="text")
        .exclude(text="")
        .exclude(pk__in=found)
        .exclude(pk__in=exclude)
        .order_by("pk")
    )
    telling = re.compile(pattern, re.IGNORECASE)
    return [a for a in rows.only("pk", "text", "organization_id") if telling.search(a.text)]


def _correct(org: Organization, member: Membership, per_theme: int, done: set[int]) -> int:
    """One round: for each theme, comments that plainly talk about it but were not read so."""
    made = 0
    sentiments = dict(AnswerInsight.objects.for_org(org).values_list("answer_id", "sentiment"))
    for name, pattern in TELLING_WORDS.items():
        theme = Theme.objects.for_org(org).filter(name=name).first()
        if theme is None:
            continue
        for answer in _missed(org, theme, pattern, done)[:per_theme]:
            sentiment = sentiments.get(answer.pk, "negative")
            if sentiment not in ("positive", "negative", "neutral", "mixed"):
                sentiment = "negative"
            do_correct_theme(answer, theme, sentiment, actor=member)
            done.add(answer.pk)
            made += 1
    return made


def teach(org: Organization, member: Membership, per_theme: int = 20) -> list[int]:
    """Two rounds of corrections, a model trained after each; returns corrections per round."""
    done: set[int] = set()
    rounds = []
    for _ in range(2):
        rounds.append(_correct(org, member, per_theme, done))
        do_train_themes(org, actor=member)
    return rounds


def has_contact_details(text: str) -> bool:
    return bool(re.search(r"7700 900\d{3}|@example\.net", text))
