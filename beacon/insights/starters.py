"""Starter theme taxonomies an organisation can adopt and then edit."""

from __future__ import annotations

from typing import TypedDict


class StarterTheme(TypedDict):
    name: str
    description: str
    phrases: list[str]


_COMMON: list[StarterTheme] = [
    {
        "name": "Staff friendliness",
        "description": "How polite, friendly and helpful the people were",
        "phrases": ["the staff were so friendly", "rude employee", "very helpful person"],
    },
    {
        "name": "Waiting time",
        "description": "Queues, waiting, being on hold, slowness of service",
        "phrases": ["waited far too long", "on hold for an hour", "quick service"],
    },
    {
        "name": "Price and value",
        "description": "Prices, fees, costs and whether it was worth the money",
        "phrases": ["too expensive", "good value for money", "hidden fees"],
    },
]

STARTERS: dict[str, list[StarterTheme]] = {
    "retail": [
        *_COMMON,
        {
            "name": "Product availability",
            "description": "Items in stock, out of stock, empty shelves, sizes missing",
            "phrases": ["out of stock again", "could not find my size", "shelves were empty"],
        },
        {
            "name": "Delivery",
            "description": "Shipping, delivery speed, parcels, couriers and tracking",
            "phrases": ["parcel arrived late", "delivery was fast", "courier lost my package"],
        },
        {
            "name": "Returns and refunds",
            "description": "Returning goods, exchanges and getting money back",
            "phrases": ["still waiting for my refund", "easy return", "exchange was refused"],
        },
        {
            "name": "Store environment",
            "description": "Cleanliness, layout, music and atmosphere of the shop",
            "phrases": ["the store was messy", "nice clean shop", "could not find the tills"],
        },
    ],
    "telecom": [
        *_COMMON,
        {
            "name": "Network coverage",
            "description": "Signal strength, dropped calls, mobile data and coverage",
            "phrases": ["no signal at home", "calls keep dropping", "4g is really fast"],
        },
        {
            "name": "Internet speed",
            "description": "Broadband and fibre speed, outages and connection stability",
            "phrases": ["internet keeps going down", "wifi is slow", "fibre speed is great"],
        },
        {
            "name": "Billing",
            "description": "Bills, charges, direct debits and unexpected costs",
            "phrases": ["charged twice", "bill was higher than agreed", "clear invoice"],
        },
        {
            "name": "Contract and plans",
            "description": "Contracts, tariffs, upgrades, cancellations and switching",
            "phrases": ["hard to cancel my contract", "upgrade was easy", "confusing tariffs"],
        },
    ],
    "software": [
        *_COMMON,
        {
            "name": "Ease of use",
            "description": "How easy the product is to learn and use, interface and navigation",
            "phrases": ["very intuitive interface", "confusing menus", "easy to set up"],
        },
        {
            "name": "Reliability",
            "description": "Bugs, crashes, errors, downtime and performance of the product",
            "phrases": ["the app keeps crashing", "lots of bugs", "never goes down"],
        },
        {
            "name": "Features",
            "description": "Missing features, feature requests and useful functionality",
            "phrases": ["please add dark mode", "missing an export feature", "love the reports"],
        },
        {
            "name": "Support",
            "description": "Help desk, documentation, tickets and how problems were solved",
            "phrases": ["support solved it quickly", "ticket ignored for days", "docs are clear"],
        },
    ],
    "hospitality": [
        *_COMMON,
        {
            "name": "Room comfort",
            "description": "Beds, rooms, noise, temperature and sleep quality",
            "phrases": ["the bed was comfortable", "room was noisy", "air conditioning broken"],
        },
        {
            "name": "Cleanliness",
            "description": "How clean rooms, bathrooms and public areas were",
            "phrases": ["dirty bathroom", "spotless room", "stains on the sheets"],
        },
        {
            "name": "Food and drink",
            "description": "Breakfast, restaurant, bar, meals and drinks",
            "phrases": ["breakfast was delicious", "cold food", "great cocktails"],
        },
        {
            "name": "Check-in",
            "description": "Arrival, check-in and check-out, reception",
            "phrases": ["check in took ages", "smooth check-out", "reception lost our booking"],
        },
    ],
    "banking": [
        *_COMMON,
        {
            "name": "Cards",
            "description": "Debit and credit cards, card delivery, blocked or declined cards",
            "phrases": ["card was declined", "new card never arrived", "card blocked abroad"],
        },
        {
            "name": "Mobile app",
            "description": "The banking app, online banking, login and app features",
            "phrases": ["app will not let me log in", "the app is great", "online banking down"],
        },
        {
            "name": "Transfers",
            "description": "Payments, transfers, pending transactions and exchange rates",
            "phrases": ["transfer still pending", "payment went through fast", "bad rate"],
        },
        {
            "name": "Security and fraud",
            "description": "Fraud, scams, account security, verification and identity checks",
            "phrases": ["fraud on my account", "identity check failed", "felt secure"],
        },
    ],
}
