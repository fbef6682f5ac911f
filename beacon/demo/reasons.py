"""Why Northwind Mobile's customers get in touch: the demo's reasons for contact and the
notes its help channels write down for each call, chat or visit.

Each note is assembled from a reason's templates and slots, so the reason model has
varied wording to read. A note is drawn from its own seeded generator (one per
interaction), so adding notes leaves the rest of the demo's random history unchanged.
"""

from __future__ import annotations

import random

# (name, description, phrases a customer uses)
REASONS: list[tuple[str, str, list[str]]] = [
    (
        "No signal or slow data",
        "Coverage, dropped calls, slow or no mobile data, outages in an area",
        ["no signal at home", "calls keep dropping", "mobile data is really slow"],
    ),
    (
        "Broadband fault",
        "Home broadband down or slow, router problems, engineer visits for a fault",
        ["internet keeps cutting out", "router lights flashing red", "wifi is very slow"],
    ),
    (
        "Bill query",
        "A bill higher than expected, charges not understood, refunds, payment problems",
        ["my bill is higher than usual", "charged twice", "what is this charge"],
    ),
    (
        "Change or upgrade plan",
        "More data, a new phone, adding a line, moving to another plan",
        ["I want to upgrade my phone", "need more data", "add a line for my son"],
    ),
    (
        "Cancel or leave",
        "Ending the contract, moving to another provider, PAC or STAC codes",
        ["I want to cancel", "send me my PAC code", "leaving for another network"],
    ),
    (
        "SIM, activation or number transfer",
        "A new SIM not working, activation, eSIM, keeping a number from another network",
        ["my new SIM is not working", "number transfer has not happened", "activate my eSIM"],
    ),
    (
        "Roaming abroad",
        "Using the phone abroad, roaming charges, travel add-ons",
        ["roaming not working in Spain", "charged for roaming", "travel add-on"],
    ),
]

_SLOTS = {
    "city": ["Leeds", "Bristol", "Glasgow", "Cardiff", "Norwich", "York", "Brighton"],
    "day": ["Monday", "Tuesday", "the weekend", "last week", "three days"],
    "amount": ["£12.50", "£30", "£8.99", "£45", "£19"],
    "device": ["iPhone 15", "Galaxy S24", "Pixel 8", "the new phone", "the router"],
    "country": ["Spain", "France", "Portugal", "Greece", "the US", "Italy"],
}

_NOTES: dict[str, list[str]] = {
    "No signal or slow data": [
        "Customer reports no signal at home in {city} since {day}",
        "Calls dropping on the commute, asked if there is a mast fault near {city}",
        "Mobile data very slow in {city} town centre, speed test under 1 Mbps",
        "Can't make calls indoors, only one bar, wants to know if coverage will improve",
        "Outage in {city}? No 4G since {day}, checked area status with customer",
    ],
    "Broadband fault": [
        "Broadband down since {day}, router light flashing red",
        "Wifi keeps dropping every evening, customer works from home",
        "Internet speed far below what was sold, asked for an engineer",
        "Router restarted several times, connection still cutting out",
        "Engineer missed the appointment for the broadband fault",
    ],
    "Bill query": [
        "Bill is {amount} higher than last month, customer does not understand why",
        "Charged twice for the same month, asked for a refund",
        "Query about a {amount} charge for premium numbers",
        "Direct debit failed, customer wants to pay by card",
        "Price rise on the bill not expected, asked what changed",
    ],
    "Change or upgrade plan": [
        "Wants to upgrade to the {device}, asked about early upgrade",
        "Needs more data, running out every month, discussed bigger plans",
        "Add a second line for a family member",
        "Asked to move to a SIM-only plan when the contract ends",
        "Interested in adding home broadband to the mobile plan",
    ],
    "Cancel or leave": [
        "Customer wants to cancel and asked for the PAC code",
        "Moving to another network for a cheaper deal, requested STAC code",
        "Cancellation request after repeated signal problems",
        "Wants to end the broadband contract early, asked about the fee",
        "Leaving because a competitor offered more data for less",
    ],
    "SIM, activation or number transfer": [
        "New SIM not activated after {day}, no service",
        "Number transfer from old network still pending",
        "eSIM QR code not working on the {device}",
        "Replacement SIM needed, old one damaged",
        "Ported number but incoming calls still go to the old provider",
    ],
    "Roaming abroad": [
        "Phone not connecting to any network in {country}",
        "Unexpected roaming charges of {amount} after a trip to {country}",
        "Asked about the travel add-on before going to {country}",
        "Data not working abroad in {country} although roaming is on",
    ],
}

# Touchpoints where the customer got in touch with a problem or a request, and the
# reasons they usually come with (weights).
CONTACT_TOUCHPOINTS: dict[str, dict[str, int]] = {
    "Phone support": {
        "No signal or slow data": 4,
        "Broadband fault": 4,
        "Bill query": 2,
        "SIM, activation or number transfer": 2,
        "Roaming abroad": 1,
        "Change or upgrade plan": 1,
    },
    "Live chat": {
        "Bill query": 3,
        "Change or upgrade plan": 3,
        "No signal or slow data": 2,
        "Roaming abroad": 2,
        "SIM, activation or number transfer": 2,
        "Broadband fault": 1,
    },
    "Store help desk": {
        "SIM, activation or number transfer": 3,
        "Change or upgrade plan": 3,
        "No signal or slow data": 1,
        "Bill query": 1,
    },
    "Payment query call": {"Bill query": 1},
    "Cancellation request": {"Cancel or leave": 1},
    "Number transfer": {"SIM, activation or number transfer": 1},
}


def contact_note(touchpoint: str, index: int) -> tuple[str, str] | None:
    """(reason, note) for the index-th interaction at a help touchpoint; None elsewhere."""
    weights = CONTACT_TOUCHPOINTS.get(touchpoint)
    if weights is None:
        return None
    rng = random.Random(f"northwind-note-{index}")
    reason = rng.choices(list(weights), list(weights.values()))[0]
    template = rng.choice(_NOTES[reason])
    slots = {k: rng.choice(v) for k, v in _SLOTS.items()}
    return reason, template.format(**slots)
