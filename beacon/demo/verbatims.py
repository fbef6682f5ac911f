"""Believable customer verbatims for the "Northwind Mobile" demo organisation.

Northwind Mobile is a fictional UK telecom selling mobile plans and home broadband. The
demo seeds tens of thousands of survey responses; each comment needs to read like a real
customer wrote it. Rather than a handful of canned sentences, comments are assembled from a
hand-written corpus of clause fragments:

* every fragment is tagged with a journey stage, a polarity and a theme key;
* fragments carry ``{slots}`` (city, device, wait time, country, ...) filled at random;
* a comment is a short one-liner, or one to three clauses, sometimes a mixed-opinion
  sentence ("X was great but Y was awful"), with optional openers and sign-offs;
* a little noise (all lowercase, a typo, a missing full stop) makes it look typed by people.

Only the ``rng`` passed in is used, so the same generator state always gives the same
verbatim. Generation is cheap (tens of microseconds per call).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Literal, NamedTuple

__all__ = ["STAGE_KEYS", "THEMES", "Sentiment", "Verbatim", "generate_verbatim"]

Sentiment = Literal["positive", "neutral", "negative"]

STAGE_KEYS: tuple[str, ...] = (
    "discover",
    "buy",
    "activate",
    "use",
    "billing",
    "support",
    "renew",
)

THEMES: dict[str, str] = {
    "network_coverage": "Network coverage",
    "speed": "Speed",
    "outages": "Outages & reliability",
    "billing_clarity": "Billing clarity",
    "price_value": "Price & value",
    "staff_friendliness": "Staff friendliness",
    "staff_knowledge": "Staff knowledge",
    "wait_time": "Wait time",
    "resolution": "Issue resolution",
    "app_website": "App & website",
    "delivery_installation": "Delivery & installation",
    "contract_terms": "Contract terms",
    "roaming": "Roaming",
    "porting": "Number porting",
    "cancellation": "Cancelling & leaving",
    "store_experience": "Store experience",
}


@dataclass(frozen=True)
class Verbatim:
    """One generated customer comment."""

    text: str
    themes: tuple[str, ...]  # theme keys the text talks about (1-3), all keys of THEMES
    sentiment: Sentiment  # overall


# ---------------------------------------------------------------------------------------
# Corpus
#
# Fragments are clauses: lowercase first letter (unless they start with "I", a proper noun
# or a slot), no final punctuation. The renderer capitalises and punctuates them, or joins
# two of them into one mixed sentence. "@@" marks the staff member's name.
# ---------------------------------------------------------------------------------------

_STAFF_MARK = "@@"

# fmt: off
_SLOTS: dict[str, tuple[str, ...]] = {
    "city": (
        "Leeds", "Manchester", "Bristol", "Glasgow", "Cardiff", "Birmingham", "Norwich",
        "Leicester", "Sheffield", "Newcastle", "Brighton", "Nottingham", "Reading", "Exeter",
        "York", "Southampton", "Belfast", "Edinburgh", "Derby", "Coventry", "Swansea",
        "Plymouth", "Milton Keynes", "Croydon", "Liverpool", "Hull", "Oxford", "Cambridge",
    ),
    "quick": (
        "ten minutes", "five minutes", "about 15 minutes", "under 20 mins", "no time at all",
        "a couple of minutes", "half an hour", "ten mins", "about five minutes",
    ),
    "wait": (
        "45 minutes", "over an hour", "an hour and a half", "40 mins", "nearly two hours",
        "50 minutes", "over 90 minutes", "an hour", "55 mins", "well over an hour",
    ),
    "medium_wait": ("15 minutes", "20 minutes", "a quarter of an hour", "25 minutes"),
    "days": (
        "three days", "a week", "two weeks", "ten days", "nearly a month", "five days",
        "over a fortnight", "four days", "six weeks", "eight days",
    ),
    "short_days": ("two days", "three days", "a couple of days", "four days", "48 hours"),
    "device": (
        "iPhone 15", "Galaxy S24", "Pixel 8", "iPhone 13", "Galaxy A54", "Moto G84",
        "iPhone 14 Pro", "Pixel 7a", "Xperia 10", "iPhone 16", "Galaxy Z Flip", "iPad",
    ),
    "room": (
        "the kitchen", "the back bedroom", "the garden", "the upstairs bathroom",
        "my home office", "the conservatory", "the living room", "the loft", "the spare room",
    ),
    "area": (
        "in the village", "on the train into town", "at my mum's", "at work",
        "in the town centre", "on the M6", "at the caravan", "on the high street",
        "at the football ground", "around the retail park", "at my daughter's school",
        "in the Peak District", "on the A30", "at the hospital",
    ),
    "country": (
        "Spain", "France", "Portugal", "Greece", "Italy", "Turkey", "the US", "Dubai",
        "Switzerland", "Ireland", "Croatia", "Germany", "Tenerife", "the Netherlands",
    ),
    "amount": (
        "£12", "£35", "£8.50", "£60", "£22", "£140", "£18", "£45.99", "£90", "£5", "£27",
    ),
    "plan": (
        "SIM-only deal", "unlimited plan", "fibre package", "family plan",
        "broadband and mobile bundle", "30GB plan", "Fibre 500 package", "Fibre 150 deal",
        "100GB plan", "Full Fibre 900 package",
    ),
    "old": (
        "my old provider", "my previous network", "my last provider", "the old network",
        "my old broadband company",
    ),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
    "years": (
        "three years", "five years", "over ten years", "six years", "two years",
        "eight years", "about 15 years",
    ),
    "times": ("three", "four", "five", "six", "seven", "eight"),
}
# fmt: on

# stage -> polarity -> theme -> clause templates
_CORPUS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "discover": {
        "positive": {
            "network_coverage": (
                "the coverage checker was spot on for my postcode",
                "friends on Northwind said the signal {area} was good and they were right",
                "the coverage map showed 5G on my street and it turned out to be accurate",
                "Northwind had the best coverage in our area by a mile when I compared",
            ),
            "price_value": (
                "the {plan} was the cheapest I could find for what you get",
                "prices were easy to compare with no hidden extras",
                "the deal was about {amount} a month cheaper than what I was paying",
                "it's good value compared with the big networks",
            ),
            "contract_terms": (
                "I liked that there was a 30-day rolling option",
                "the contract terms were written in plain English for once",
                "the price rises are spelled out up front, no surprises",
            ),
            "app_website": (
                "the website made it really easy to compare plans side by side",
                "the broadband checker told me exactly what speed I'd get at my address",
                "the website was clear about what's included in each plan",
            ),
            "speed": (
                "the advertised broadband speeds for my address were realistic",
                "reviews all said the 5G speeds were excellent",
                "the fibre speeds on offer beat everyone else in {city}",
            ),
        },
        "negative": {
            "network_coverage": (
                "the map says good signal but everyone I know on Northwind says it's patchy {area}",
                "I couldn't get a straight answer on whether there's 4G in my village",
                "the coverage checker is far too optimistic",
                "Northwind coverage looked the weakest of the lot for my postcode",
            ),
            "price_value": (
                "the headline price is not what you actually end up paying",
                "the prices are higher than the other big networks for the same data",
                "the {plan} looks cheap until you see the price after six months",
                "there are annual price rises on top, which are easy to miss",
            ),
            "contract_terms": (
                "the small print on price rises is buried",
                "the deal I wanted was 24 months only, no thanks",
                "the terms for leaving early are ridiculous",
            ),
            "app_website": (
                "the website kept crashing when I tried to compare plans",
                "the checker says there's no broadband at my address but my neighbours have it",
                "the website is confusing and I couldn't work out which plan included what",
                "the comparison page didn't show the set-up fee anywhere",
            ),
            "speed": (
                "the speed estimate for my address was vague",
                "the speed they quote is an 'up to' figure that nobody actually gets",
            ),
        },
        "neutral": {
            "network_coverage": (
                "coverage looks about the same as everyone else round here",
                "the coverage map was fine but hard to read on my phone",
            ),
            "price_value": (
                "prices are about average for the market",
                "the {plan} is in the middle of the pack on price",
            ),
            "contract_terms": ("the contract options are much the same as other networks",),
            "app_website": (
                "the website does the job",
                "the plan comparison was okay once I found it",
            ),
            "speed": ("the broadband speeds advertised are similar to the other providers",),
        },
    },
    "buy": {
        "positive": {
            "store_experience": (
                "the {city} store was clean, calm and not pushy",
                "I was in and out of the shop in {quick} with a new {device}",
                "I popped into the {city} shop and they had my {device} in stock",
                "the store had demo phones I could actually try",
            ),
            "staff_friendliness": (
                "the staff were friendly and didn't pressure me at all",
                "the lad in the {city} store was really helpful",
                "the sales advisor was lovely and very patient",
                "the woman on the sales line was really friendly",
            ),
            "staff_knowledge": (
                "the advisor knew the phones inside out",
                "they explained the difference between the plans really clearly",
                "they checked coverage at my address before selling me anything",
            ),
            "price_value": (
                "I got a great deal on the {plan}",
                "they matched a price I'd seen elsewhere",
                "the {plan} is excellent value",
                "I ended up paying less than I expected",
            ),
            "app_website": (
                "ordering online took {quick}",
                "the checkout on the website was quick and simple",
                "the app made it easy to pick a plan and order",
            ),
            "contract_terms": (
                "the contract was explained clearly with no surprises",
                "I liked being able to pick a 12-month contract",
            ),
            "wait_time": (
                "there was no queue in the {city} store",
                "I got through to sales straight away",
            ),
        },
        "negative": {
            "store_experience": (
                "the {city} store was understaffed and chaotic",
                "the shop didn't have the {device} in stock even though the website said it did",
                "the store felt more like a hard sell than help",
            ),
            "staff_friendliness": (
                "the sales guy could not have been less interested",
                "the advisor was rude when I said I wanted to think about it",
                "the staff were chatting among themselves while I waited",
            ),
            "staff_knowledge": (
                "the advisor couldn't answer basic questions about the contract",
                "I was told the wrong price and had to argue about it",
                "they sold me a plan that doesn't even work properly with my {device}",
            ),
            "price_value": (
                "the price went up between the website and the checkout",
                "I found the same {plan} cheaper online after buying it in store",
                "there was a hidden set-up fee of {amount} that nobody mentioned",
            ),
            "app_website": (
                "the website crashed twice at checkout",
                "the online order failed and I was charged anyway",
                "the app wouldn't accept my card so I had to ring up",
            ),
            "contract_terms": (
                "I was pushed into a 24-month contract when I asked for 12",
                "nobody told me about the annual price rise until after I'd signed",
            ),
            "wait_time": (
                "I queued for {wait} in the {city} store",
                "I waited {wait} on the sales line just to buy something",
                "the credit check took {days} to come back",
            ),
        },
        "neutral": {
            "store_experience": (
                "the {city} store was okay, a bit busy",
                "the shop was fine, nothing special",
            ),
            "staff_friendliness": ("the staff were polite enough",),
            "staff_knowledge": ("the advisor knew the basics",),
            "price_value": ("the price was about what I expected",),
            "app_website": (
                "ordering online was fine",
                "the website works, though it's a bit clunky",
            ),
            "contract_terms": ("the contract is standard stuff",),
            "wait_time": ("there was a short wait before someone could see me",),
        },
    },
    "activate": {
        "positive": {
            "delivery_installation": (
                "the SIM arrived the next day and activated straight away",
                "the phone was delivered on time and well packaged",
                "the engineer turned up on time and had the broadband running in under an hour",
                "the router was plug and play and the internet was up in {quick}",
                "the installation was neat with no trailing cables",
                "delivery was tracked and arrived when they said",
                "fibre was installed on the date promised",
            ),
            "porting": (
                "my number moved across from {old} with no issues",
                "the PAC code transfer was seamless",
                "I kept my number and was only without signal for an hour",
                "number porting was done the next working day like they said",
            ),
            "staff_friendliness": (
                "the engineer was friendly and cleaned up after himself",
                "the installer was polite and took his shoes off without being asked",
            ),
            "staff_knowledge": (
                "the engineer explained how to get the best wifi in {room}",
                "the installer checked speeds in every room before leaving",
            ),
            "wait_time": (
                "installation was booked within {short_days}",
                "activation was almost instant",
            ),
            "resolution": ("there was a hiccup with activation but it was fixed the same day",),
            "app_website": (
                "the app tracked the engineer visit so I knew exactly when to expect them",
                "activating the eSIM through the app took {quick}",
            ),
        },
        "negative": {
            "delivery_installation": (
                "the engineer never turned up and nobody called",
                "the router arrived {days} after the broadband went live",
                "the installer drilled through the wrong wall",
                "the courier left my new {device} on the doorstep",
                "they cancelled my installation appointment the day before",
                "I took a day off work for an engineer visit that didn't happen",
                "the SIM took {days} to arrive",
            ),
            "porting": (
                "my number transfer failed and I was without a phone for {days}",
                "I lost my number for {days} during the switch",
                "the PAC code was rejected {times} times",
                "porting my number from {old} has been a nightmare",
            ),
            "staff_friendliness": (
                "the engineer was rude and in a rush",
                "the installer left a mess in {room}",
            ),
            "staff_knowledge": (
                "the engineer didn't seem to know how to set up the router",
                "nobody could tell me why the SIM wouldn't activate",
            ),
            "wait_time": (
                "I had to wait {days} for an installation date",
                "activation took {days} instead of the promised 24 hours",
                "I spent {wait} on hold trying to get the SIM activated",
            ),
            "resolution": (
                "{times} calls later the SIM still isn't working",
                "every time I call about the activation I get a different story",
            ),
            "app_website": (
                "the app said my SIM was active when it wasn't",
                "the online activation page just kept timing out",
            ),
        },
        "neutral": {
            "delivery_installation": (
                "the engineer came, did the job and left",
                "delivery was fine, a day later than the estimate",
                "installation took longer than expected but it's working",
            ),
            "porting": ("the number transfer took a couple of days, which I suppose is normal",),
            "wait_time": ("the installation date was about two weeks out, which is standard",),
            "app_website": ("activating the SIM online was straightforward enough",),
            "staff_friendliness": ("the engineer was fine, didn't say much",),
        },
    },
    "use": {
        "positive": {
            "network_coverage": (
                "the signal is great everywhere I go, even {area}",
                "I get full bars {area} which I never had with {old}",
                "5G coverage in {city} is excellent",
                "calls are crystal clear and never drop",
                "I finally have signal in {room}",
            ),
            "speed": (
                "the broadband is lightning fast",
                "the fibre speeds are exactly what was promised",
                "we can stream 4K and game at the same time with no lag",
                "mobile data is really quick, even at busy times",
                "the whole house can be on video calls without a problem",
                "the wifi reaches {room} now, which it never used to",
            ),
            "outages": (
                "I can't remember the last time the internet went down",
                "the connection is rock solid",
                "we've not had a single outage in {years}",
            ),
            "app_website": (
                "the app is brilliant for keeping an eye on my data",
                "the Northwind app is simple and does everything I need",
                "I can manage everything from the app",
            ),
            "roaming": (
                "roaming in {country} just worked, no messing about",
                "I used my data in {country} at no extra cost",
                "the roaming add-on was great value in {country}",
            ),
        },
        "negative": {
            "network_coverage": (
                "there's no signal at all {area}",
                "calls keep dropping in {room}",
                "I have to stand in {room} to get one bar",
                "the signal in {city} is shocking for a major network",
                "texts arrive hours late",
                "my {device} constantly drops to 3G or no service",
            ),
            "speed": (
                "the broadband is painfully slow in the evenings",
                "I'm paying for fibre and getting less than a third of the speed",
                "mobile data is unusable {area}",
                "I can't even stream without it buffering",
                "video calls for work keep freezing",
                "the wifi doesn't reach {room}",
            ),
            "outages": (
                "the internet drops out several times a day",
                "we've had {times} outages this month alone",
                "the broadband was down for {days} and nobody told us anything",
                "the network went down and the status page said everything was fine",
                "the router keeps losing connection overnight",
            ),
            "app_website": (
                "the app constantly logs me out",
                "the app shows the wrong data usage",
                "the app is slow and half the features don't work",
            ),
            "roaming": (
                "roaming didn't work at all in {country}",
                "I had no data for the first two days in {country}",
                "the roaming signal in {country} was useless",
            ),
        },
        "neutral": {
            "network_coverage": (
                "the signal is fine in town, a bit weak at home",
                "coverage is okay, about the same as {old}",
                "the signal's decent most of the time",
            ),
            "speed": (
                "the broadband speed is alright, not the fastest",
                "speeds are okay for what we use",
            ),
            "outages": ("there's the odd dropout but nothing major",),
            "app_website": (
                "the app does the basics",
                "the app is okay, a bit clunky",
            ),
            "roaming": ("roaming worked in {country}, though it was a bit slow",),
        },
    },
    "billing": {
        "positive": {
            "billing_clarity": (
                "the bill is clear and easy to understand",
                "every charge on the bill is explained",
                "the monthly bill is always exactly what I expect",
                "I get a text before the bill goes out, which is handy",
            ),
            "price_value": (
                "the price is fair for what I get",
                "the price rise was smaller than other networks",
                "I'm paying {amount} less than I was with {old}",
                "it's still great value even after the April price rise",
            ),
            "roaming": (
                "there were no surprise roaming charges after two weeks in {country}",
                "roaming charges were exactly what the website said",
            ),
            "app_website": (
                "paying through the app takes seconds",
                "I can see my bill in the app as soon as it's ready",
                "changing my payment date online was easy",
            ),
            "resolution": (
                "they refunded an overcharge without any fuss",
                "a billing mistake was corrected straight away",
            ),
        },
        "negative": {
            "billing_clarity": (
                "the bill is impossible to understand",
                "I was charged {amount} extra with no explanation",
                "my bill changes every single month for no reason",
                "I keep getting charged for an add-on I never asked for",
                "I was charged twice this month",
            ),
            "price_value": (
                "the price rise this year is outrageous",
                "I'm paying far more than new customers for the same {plan}",
                "the bill has gone up {amount} in a year",
                "it's way too expensive for the service I get",
            ),
            "roaming": (
                "I got a {amount} roaming bill after a week in {country}",
                "I was charged for roaming in {country} when it's meant to be included",
                "there was no warning before the roaming charges kicked in",
            ),
            "app_website": (
                "the app won't let me download my bills",
                "the payment page keeps failing",
                "my direct debit details vanished from my account",
            ),
            "resolution": (
                "I've been promised a refund {times} times and still nothing",
                "it took {wait} on the phone to sort out a billing error they made",
                "they still haven't corrected the overcharge from {days} ago",
            ),
        },
        "neutral": {
            "billing_clarity": (
                "the bill is fine once you get used to the layout",
                "billing is straightforward enough",
            ),
            "price_value": (
                "the price is about average",
                "the price rise was annoying but expected",
            ),
            "roaming": ("roaming charges were what I expected for {country}",),
            "app_website": ("paying online works fine",),
            "resolution": ("a billing query took a couple of calls but got sorted",),
        },
    },
    "support": {
        "positive": {
            "staff_friendliness": (
                "the advisor was friendly and genuinely wanted to help",
                "the person I spoke to was really patient with me",
                "the lady on the phone couldn't have been nicer",
                "the chat agent was polite and quick",
            ),
            "staff_knowledge": (
                "the advisor knew exactly what the problem was",
                "they talked me through the router settings step by step",
                "the advisor explained everything clearly without jargon",
            ),
            "wait_time": (
                "I got through to someone in {quick}",
                "there was hardly any wait at all",
                "the callback came exactly when they said",
                "live chat answered within a minute",
            ),
            "resolution": (
                "the problem was fixed on the first call",
                "my issue was sorted in {quick}",
                "they sent a replacement SIM the next day",
                "they credited my account for the outage without me asking",
                "they booked an engineer and the fault was fixed within {short_days}",
            ),
            "app_website": (
                "the help pages in the app actually solved my problem",
                "live chat in the app is so much easier than ringing up",
            ),
            "store_experience": (
                "the {city} store fixed my phone settings while I waited",
                "I popped into the {city} store and they sorted it there and then",
            ),
        },
        "negative": {
            "staff_friendliness": (
                "the advisor was rude and kept talking over me",
                "the chat agent just copied and pasted answers",
                "I was made to feel like the problem was my fault",
            ),
            "staff_knowledge": (
                "the advisor had no idea what they were talking about",
                "I was told to restart the router for the fifth time",
                "every advisor tells me something different",
            ),
            "wait_time": (
                "I was on hold for {wait}",
                "I waited {wait} just to be cut off",
                "the callback I was promised never happened",
                "the live chat queue said I was number 47",
                "it took {wait} to get through to a human",
            ),
            "resolution": (
                "I've called {times} times and it still isn't fixed",
                "nobody takes ownership of the problem",
                "I was passed between {times} departments",
                "the issue has been open for {days} with no progress",
                "they closed my complaint without fixing anything",
            ),
            "app_website": (
                "the chatbot goes round in circles",
                "the help section on the website is useless",
                "the app says to call and the phone line says to use the app",
            ),
            "store_experience": (
                "the {city} store said they can't help with broadband and to ring up",
                "I queued in the {city} store for {wait} to be told to call customer services",
            ),
        },
        "neutral": {
            "staff_friendliness": ("the advisor was polite enough",),
            "staff_knowledge": ("the advisor knew the basics but had to check with a colleague",),
            "wait_time": ("the wait was about {medium_wait}, which seems normal these days",),
            "resolution": (
                "the problem is sorted for now, we'll see if it lasts",
                "it took two calls but it's fixed",
            ),
            "app_website": ("the chat was fine for a simple question",),
            "store_experience": ("the store was okay, they did what they could",),
        },
    },
    "renew": {
        "positive": {
            "contract_terms": (
                "renewing was simple and the new contract is clear",
                "I was able to switch to a SIM-only deal without any fuss",
                "I could upgrade early without paying a penalty",
            ),
            "price_value": (
                "they gave me a great loyalty discount",
                "my new {plan} is cheaper and has more data",
                "the upgrade deal on the {device} was excellent",
                "they matched a competitor's price straight away",
            ),
            "cancellation": (
                "cancelling was easy with no hard sell",
                "leaving was painless and the final bill was correct",
                "they sent my PAC code by text instantly",
            ),
            "staff_friendliness": ("the loyalty team were friendly and not pushy",),
            "wait_time": ("the upgrade was done in {quick}",),
            "app_website": (
                "I upgraded in the app in a couple of taps",
                "the app showed me exactly when I was eligible to upgrade",
            ),
        },
        "negative": {
            "contract_terms": (
                "I was moved onto a pricier tariff when my contract ended without being told",
                "the early termination fee is daylight robbery",
                "the new contract has a price rise built in every April",
                "I was told the contract ended in March when it actually ends in June",
            ),
            "price_value": (
                "new customers get far better deals than loyal ones",
                "the best they could offer after {years} was a {amount} discount",
                "the renewal price was higher than what I was already paying",
                "the upgrade prices are a rip-off",
            ),
            "cancellation": (
                "trying to cancel is like escaping a cult",
                "they kept billing me after I cancelled",
                "I had to ask for my PAC code {times} times",
                "they charged me for a month after I'd left",
                "I was transferred around for {wait} trying to cancel",
            ),
            "staff_friendliness": (
                "the retentions team were pushy and wouldn't take no for an answer",
                "the advisor was dismissive when I said I wanted to leave",
            ),
            "wait_time": (
                "I waited {wait} on hold to renew",
                "the upgrade took {days} to go through",
            ),
            "app_website": (
                "the app wouldn't let me upgrade and kept saying I wasn't eligible",
                "the renewal offer in the app was different to the one on the website",
            ),
        },
        "neutral": {
            "contract_terms": ("the renewal was fine, same sort of terms as before",),
            "price_value": (
                "the renewal price was about the same as elsewhere",
                "the loyalty discount was okay, not amazing",
            ),
            "cancellation": ("cancelling was straightforward enough, just a bit slow",),
            "staff_friendliness": ("the advisor was fine",),
            "app_website": ("upgrading online was okay",),
        },
    },
}

# Mild gripes that still fit an overall positive comment ("X was a bit slow but ...").
_MINOR: dict[str, dict[str, tuple[str, ...]]] = {
    "discover": {
        "app_website": ("the website is a bit clunky",),
        "network_coverage": ("the coverage map is a bit hard to read",),
        "contract_terms": ("the small print took some reading",),
    },
    "buy": {
        "store_experience": ("the store was a bit hectic", "the {city} shop was busy"),
        "wait_time": ("I had to wait a little while to be seen",),
        "app_website": ("the website was a bit slow",),
    },
    "activate": {
        "delivery_installation": ("the engineer was a bit late", "delivery was a day late"),
        "porting": ("the number took a day to move over",),
        "app_website": ("the activation email was a bit confusing",),
    },
    "use": {
        "network_coverage": ("the signal is a bit weak in {room}",),
        "app_website": ("the app could be better",),
        "speed": ("it slows down a little in the evenings",),
    },
    "billing": {
        "price_value": ("the price rise wasn't welcome",),
        "billing_clarity": ("the first bill was a bit confusing",),
        "app_website": ("the app takes a while to show the bill",),
    },
    "support": {
        "wait_time": (
            "it took a while to get through",
            "the hold music drove me mad",
            "I was on hold for {medium_wait}",
        ),
        "app_website": ("the chatbot was useless",),
    },
    "renew": {
        "wait_time": ("it took a while to get through to the right team",),
        "app_website": ("the app wouldn't show the upgrade offers",),
        "price_value": ("the first offer wasn't great",),
    },
}

# Staff fragments, merged with _STAFF_GENERIC for every stage listed here.
_STAFF_STAGE: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "buy": {
        "positive": {
            "store_experience": (
                "thanks to @@ at the {city} store",
                "@@ in the {city} shop made the whole thing painless",
            ),
            "staff_knowledge": (
                "@@ talked me through every plan without any pressure",
                "@@ found me a better deal than the one I came in for",
                "@@ set up my new {device} and moved all my photos across",
                "@@ really knew the phones inside out",
            ),
            "staff_friendliness": (
                "@@ on the sales line was lovely",
                "@@ was so welcoming and patient",
            ),
            "price_value": ("@@ got me an extra {amount} off",),
        },
        "negative": {
            "staff_friendliness": (
                "@@ in the {city} store kept pushing insurance I didn't want",
                "@@ seemed more interested in commission than helping me",
            ),
            "staff_knowledge": (
                "@@ gave me the wrong information about the contract length",
                "@@ told me the {device} was in stock when it wasn't",
            ),
        },
        "neutral": {"staff_friendliness": ("@@ in the {city} store was pleasant enough",)},
    },
    "activate": {
        "positive": {
            "delivery_installation": (
                "@@ the engineer was brilliant and tested every room before leaving",
                "@@ was on time, tidy and had us online in {quick}",
                "@@ put the router somewhere sensible instead of by the front door",
                "@@ rang ahead to say they were ten minutes away",
            ),
            "porting": (
                "@@ sorted the number transfer in {quick}",
                "@@ chased up my PAC code with {old} for me",
            ),
            "staff_knowledge": (
                "@@ talked me through activating the SIM over the phone",
                "@@ explained the mesh wifi setup really clearly",
            ),
        },
        "negative": {
            "delivery_installation": (
                "@@ the engineer turned up without the right kit",
                "@@ left cables all over the hallway",
                "@@ said the line was fine and left, and it still didn't work",
            ),
            "porting": ("@@ promised the number transfer would take a day, it took {days}",),
        },
        "neutral": {"delivery_installation": ("@@ the engineer was fine, in and out quickly",)},
    },
    "support": {
        "positive": {
            "resolution": (
                "@@ sorted it in {quick}",
                "@@ fixed the issue there and then",
                "@@ stayed on the line until the internet was back up",
                "@@ credited my account without me even having to ask",
                "@@ at the {city} store fixed my phone settings in no time",
            ),
            "staff_friendliness": (
                "@@ was so patient with my dad",
                "@@ actually listened, which makes a change",
                "@@ called me back exactly when they said they would",
            ),
            "staff_knowledge": (
                "@@ knew exactly what the problem was",
                "@@ on live chat went above and beyond",
            ),
        },
        "negative": {
            "resolution": (
                "@@ promised it would be fixed by {weekday} and it wasn't",
                "@@ closed my complaint without telling me",
            ),
            "wait_time": ("@@ put me on hold {times} times",),
            "staff_knowledge": ("@@ read from a script and didn't listen",),
        },
        "neutral": {"resolution": ("@@ did what they could",)},
    },
    "billing": {
        "positive": {
            "billing_clarity": (
                "@@ explained my bill line by line",
                "@@ went through the charges with me until it made sense",
            ),
            "resolution": ("@@ refunded the overcharge straight away",),
        },
        "negative": {
            "billing_clarity": ("@@ couldn't explain why my bill had doubled",),
            "resolution": ("@@ promised a refund that never appeared",),
        },
        "neutral": {"billing_clarity": ("@@ explained the bill, more or less",)},
    },
    "renew": {
        "positive": {
            "price_value": (
                "@@ matched the deal I'd found elsewhere",
                "@@ got me a much better price on my renewal",
            ),
            "cancellation": ("@@ processed my cancellation with no hard sell",),
            "staff_friendliness": ("@@ in the loyalty team was really helpful",),
        },
        "negative": {
            "staff_friendliness": (
                "@@ in retentions just kept trying to upsell me",
                "@@ made cancelling feel like an interrogation",
            ),
            "contract_terms": ("@@ told me the wrong end date for my contract",),
        },
        "neutral": {"price_value": ("@@ offered a small discount, nothing amazing",)},
    },
}

_STAFF_GENERIC: dict[str, dict[str, tuple[str, ...]]] = {
    "positive": {
        "staff_friendliness": (
            "@@ was an absolute star",
            "@@ couldn't have been more helpful",
            "huge thanks to @@",
            "@@ was lovely to deal with",
        ),
        "staff_knowledge": (
            "@@ really knew their stuff",
            "@@ explained everything clearly",
        ),
    },
    "negative": {
        "staff_friendliness": (
            "@@ was polite enough but clearly didn't care",
            "@@ was quite rude to be honest",
            "@@ sounded like they couldn't wait to get rid of me",
        ),
        "staff_knowledge": (
            "@@ didn't seem to know the answer to anything",
            "@@ gave me completely wrong information",
        ),
        "resolution": (
            "@@ promised a callback that never came",
            "@@ said it was sorted but it wasn't",
        ),
    },
    "neutral": {
        "staff_friendliness": ("@@ was friendly enough", "@@ was pleasant"),
        "staff_knowledge": ("@@ did their best", "@@ had to check most things with a supervisor"),
    },
}

# Probability that a comment names the staff member (when a name is supplied).
_STAFF_RATE: dict[str, dict[str, float]] = {
    "buy": {"positive": 0.5, "neutral": 0.3, "negative": 0.3},
    "activate": {"positive": 0.5, "neutral": 0.3, "negative": 0.3},
    "support": {"positive": 0.55, "neutral": 0.3, "negative": 0.3},
    "billing": {"positive": 0.25, "neutral": 0.15, "negative": 0.15},
    "renew": {"positive": 0.25, "neutral": 0.15, "negative": 0.15},
}

_DEFAULT_THEME: dict[str, str] = {
    "discover": "price_value",
    "buy": "staff_friendliness",
    "activate": "delivery_installation",
    "use": "network_coverage",
    "billing": "billing_clarity",
    "support": "resolution",
    "renew": "contract_terms",
}

# fmt: off
_GENERIC_SHORTS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Great service!", "Excellent.", "Very happy.", "Brilliant, thanks!", "No complaints.",
        "Spot on.", "All good!", "Couldn't be happier.", "Fab", "Really good.", "Top notch!",
        "Perfect.", "Happy with it.", "Very good", "10/10", "Great!", "Amazing service",
        "Superb.", "Faultless.", "Keep it up!",
    ),
    "negative": (
        "Terrible.", "Awful service.", "Not good enough.", "Very poor.", "Useless.",
        "Shocking.", "Rubbish.", "Really disappointed.", "Poor.", "Not happy.",
        "Absolute joke.", "Dreadful.", "Appalling", "Sort it out!", "1/10",
    ),
    "neutral": (
        "It's ok.", "Fine.", "Average.", "Nothing special.", "Does the job.",
        "Okay I guess.", "Could be better.", "Not bad, not great.", "Meh.", "Alright.",
        "Fine, nothing more to say.", "As expected.",
    ),
}
# fmt: on

# stage -> sentiment -> ((theme, text), ...)
_STAGE_SHORTS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "discover": {
        "positive": (
            ("network_coverage", "Best coverage in my area."),
            ("price_value", "Best price I could find."),
            ("contract_terms", "Clear, simple deals."),
        ),
        "negative": (
            ("network_coverage", "Coverage map is a fantasy."),
            ("price_value", "Too expensive."),
            ("app_website", "Website is confusing."),
        ),
        "neutral": (("price_value", "Prices are similar to everyone else."),),
    },
    "buy": {
        "positive": (
            ("app_website", "Quick and easy to sign up."),
            ("staff_friendliness", "Helpful staff."),
            ("price_value", "Great deal!"),
        ),
        "negative": (
            ("staff_friendliness", "Pushy sales staff."),
            ("app_website", "Website kept crashing."),
            ("price_value", "Hidden fees."),
        ),
        "neutral": (("contract_terms", "Standard sign-up."),),
    },
    "activate": {
        "positive": (
            ("delivery_installation", "Installed on time, no issues."),
            ("porting", "Smooth switch."),
            ("delivery_installation", "Arrived next day."),
        ),
        "negative": (
            ("delivery_installation", "Engineer never showed."),
            ("porting", "Lost my number for days."),
        ),
        "neutral": (("delivery_installation", "Took a while but it's working."),),
    },
    "use": {
        "positive": (
            ("network_coverage", "Great signal."),
            ("speed", "Super fast broadband!"),
            ("outages", "Never drops."),
        ),
        "negative": (
            ("network_coverage", "No signal."),
            ("outages", "Broadband keeps dropping."),
            ("speed", "So slow."),
        ),
        "neutral": (("network_coverage", "Signal's okay."),),
    },
    "billing": {
        "positive": (
            ("billing_clarity", "Clear bills."),
            ("price_value", "Good value."),
        ),
        "negative": (
            ("billing_clarity", "Overcharged again."),
            ("price_value", "Price rises every year."),
            ("price_value", "Rip off."),
        ),
        "neutral": (("billing_clarity", "Bill is what it is."),),
    },
    "support": {
        "positive": (
            ("resolution", "Sorted first time."),
            ("staff_friendliness", "Really helpful."),
            ("wait_time", "Quick response."),
        ),
        "negative": (
            ("resolution", "Still not fixed."),
            ("wait_time", "On hold forever."),
            ("staff_knowledge", "Useless advisors."),
        ),
        "neutral": (("resolution", "Got sorted eventually."),),
    },
    "renew": {
        "positive": (
            ("contract_terms", "Easy upgrade."),
            ("price_value", "Good loyalty deal."),
        ),
        "negative": (
            ("price_value", "Loyalty penalty."),
            ("cancellation", "Impossible to cancel."),
        ),
        "neutral": (("contract_terms", "Renewal was fine."),),
    },
}

# fmt: off
_OPENERS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Honestly, ", "Have to say, ", "Credit where it's due, ", "Really impressed - ",
        "So pleased, ", "Must say ", "Genuinely, ", "Just want to say ",
    ),
    "negative": (
        "Honestly, ", "To be blunt, ", "Really frustrated - ", "Where do I start. ",
        "Not happy. ", "Seriously, ", "Sorry but ", "Once again ", "As usual ",
    ),
    "neutral": (
        "To be fair, ", "Overall ", "Mixed feelings - ", "Honestly, ", "Hmm, ",
        "On balance, ",
    ),
}

_CLOSERS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Would recommend.", "Would definitely recommend to friends and family.",
        "Keep it up!", "Thank you!", "Thanks again.", "Five stars.", "Really pleased.",
        "Very impressed.", "Couldn't ask for more.", "Cheers!",
    ),
    "negative": (
        "Not impressed.", "Really disappointed.", "Sort it out.", "Would not recommend.",
        "Expected better from Northwind.", "Not good enough.", "Beyond frustrating.",
        "Absolutely fuming.",
    ),
    "neutral": (
        "It's fine I suppose.", "Could be better, could be worse.",
        "Nothing to write home about.", "Room for improvement.", "Average overall.",
    ),
}

# Sign-offs that only make sense for existing customers (not while comparing offers).
_CUSTOMER_CLOSERS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Happy customer.", "Well done Northwind.", "Will definitely be staying.",
        "Best network I've been with.",
    ),
    "negative": (
        "Looking at other providers now.", "Will be leaving when my contract is up.",
        "Been a customer for years and this is how I'm treated.",
    ),
    "neutral": ("We'll see how it goes.", "Will stick with it for now."),
}

_DISCOVER_CLOSERS: dict[str, tuple[str, ...]] = {
    "positive": ("Signed up in the end.", "Easy decision in the end."),
    "negative": ("Nearly went elsewhere because of it.", "Still undecided."),
    "neutral": ("Still weighing it up.",),
}

# positive clause, connector, negative clause
_PN_CONNECTORS: tuple[str, ...] = (
    " but ", " but ", ", but ", ", however ", ", although ", ". Only problem is ",
    ". Shame ", " - shame ", ". Unfortunately ",
)
# negative clause, connector, positive clause
_NP_CONNECTORS: tuple[str, ...] = (
    " but ", " but ", ", but ", ", though ", ", although ", ". That said, ",
    ". On the plus side, ", ". To be fair ",
)
# mild gripe, connector, positive clause
_MINOR_CONNECTORS: tuple[str, ...] = (" but ", " but ", ", but ", ". Still, ", ". Apart from that ")
# fmt: on

_MISSPELLINGS: dict[str, str] = {
    "definitely": "definately",
    "because": "becuase",
    "really": "realy",
    "don't": "dont",
    "can't": "cant",
    "couldn't": "couldnt",
    "didn't": "didnt",
    "wasn't": "wasnt",
    "isn't": "isnt",
    "I'm": "im",
    "I've": "ive",
    "it's": "its",
    "wouldn't": "wouldnt",
    "engineer": "enginer",
    "broadband": "braodband",
    "experience": "experiance",
    "until": "untill",
    "received": "recieved",
    "absolutely": "absolutley",
    "explained": "explaned",
    "advisor": "adviser",
    "minutes": "mins",
}

# fmt: off
# Words that can start a clause which still reads well after "but" (it has a subject).
_SUBJECT_STARTS = frozenset(
    {
        "the", "my", "they", "it", "it's", "we", "we've", "every", "nobody", "there",
        "there's", "our", "this", "calls", "texts", "coverage", "prices", "speeds",
        "delivery", "activation", "installation", "fibre", "roaming", "mobile", "billing",
        "number", "live", "5G",
    }
)
# fmt: on

# ---------------------------------------------------------------------------------------
# Compilation (once, at import time)
# ---------------------------------------------------------------------------------------


class _Frag(NamedTuple):
    theme: str
    text: str
    slots: tuple[str, ...]
    joinable: bool  # reads well as either half of "X but Y"


# (theme, fragments) pairs; themes are distinct within a bucket
_Bucket = tuple[tuple[str, tuple[_Frag, ...]], ...]

_FORMATTER = string.Formatter()


def _slots_of(text: str) -> tuple[str, ...]:
    names: list[str] = []
    for _literal, field, _spec, _conv in _FORMATTER.parse(text):
        if field is None:
            continue
        if field not in _SLOTS:
            raise RuntimeError(f"verbatim corpus: unknown slot {{{field}}} in {text!r}")
        if field not in names:
            names.append(field)
    return tuple(names)


def _is_joinable(text: str) -> bool:
    if " but " in text or ". " in text or "!" in text or "?" in text:
        return False
    first = text.split(" ", 1)[0]
    return (
        first in _SUBJECT_STARTS
        or first.startswith((_STAFF_MARK, "{"))
        or first[:1].isupper()
        or (first.endswith("ing") and first not in ("nothing", "thing"))
    )


def _compile(pool: dict[str, tuple[str, ...]], *, staff: bool = False) -> _Bucket:
    out: list[tuple[str, tuple[_Frag, ...]]] = []
    for theme, texts in pool.items():
        if theme not in THEMES:
            raise RuntimeError(f"verbatim corpus: unknown theme {theme!r}")
        frags: list[_Frag] = []
        for text in texts:
            if (_STAFF_MARK in text) != staff or not text or text != text.strip():
                raise RuntimeError(f"verbatim corpus: malformed fragment {text!r}")
            joinable = _is_joinable(text) and (not staff or text.startswith(_STAFF_MARK))
            frags.append(_Frag(theme, text, _slots_of(text), joinable))
        out.append((theme, tuple(frags)))
    return tuple(out)


def _joinable_only(bucket: _Bucket) -> _Bucket:
    out: list[tuple[str, tuple[_Frag, ...]]] = []
    for theme, frags in bucket:
        keep = tuple(f for f in frags if f.joinable)
        if keep:
            out.append((theme, keep))
    return tuple(out) if out else bucket


def _merge(
    a: dict[str, tuple[str, ...]], b: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    merged = dict(a)
    for theme, texts in b.items():
        merged[theme] = merged.get(theme, ()) + texts
    return merged


_POLARITIES: tuple[str, ...] = ("positive", "neutral", "negative")

# (stage, polarity) -> bucket
_POOLS: dict[tuple[str, str], _Bucket] = {}
_JOIN: dict[tuple[str, str], _Bucket] = {}
_STAFF: dict[tuple[str, str], _Bucket] = {}
_STAFF_JOIN: dict[tuple[str, str], _Bucket] = {}
_MINOR_POOLS: dict[str, _Bucket] = {}
_SHORTS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
_END_CLOSERS: dict[tuple[str, str], tuple[str, ...]] = {}

for _stage in STAGE_KEYS:
    _MINOR_POOLS[_stage] = _joinable_only(_compile(_MINOR[_stage]))
    for _pol in _POLARITIES:
        _key = (_stage, _pol)
        _POOLS[_key] = _compile(_CORPUS[_stage][_pol])
        _JOIN[_key] = _joinable_only(_POOLS[_key])
        if _stage in _STAFF_RATE:
            _staff_pool = _merge(_STAFF_STAGE[_stage][_pol], _STAFF_GENERIC[_pol])
            _STAFF[_key] = _compile(_staff_pool, staff=True)
            _STAFF_JOIN[_key] = _joinable_only(_STAFF[_key])
        _default = _DEFAULT_THEME[_stage]
        _SHORTS[_key] = (
            tuple((_default, text) for text in _GENERIC_SHORTS[_pol])
            + (_STAGE_SHORTS[_stage][_pol])
        )
        _extra = _DISCOVER_CLOSERS if _stage == "discover" else _CUSTOMER_CLOSERS
        _END_CLOSERS[_key] = _CLOSERS[_pol] + _extra[_pol]

if set(_CORPUS) != set(STAGE_KEYS) or set(_MINOR) != set(STAGE_KEYS):
    raise RuntimeError("verbatim corpus: stages do not match STAGE_KEYS")

_STAFF_THEMES: tuple[str, ...] = ("staff_friendliness", "staff_knowledge")
_SHORT_RATE: dict[str, float] = {"positive": 0.16, "neutral": 0.14, "negative": 0.08}


# ---------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------


class _Builder:
    """Accumulates clauses and the themes they cover for one comment."""

    __slots__ = ("opener_ok", "parts", "rng", "themes")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.parts: list[tuple[str, str]] = []  # (clause text, sentence ending)
        self.themes: list[str] = []
        # False when the comment opens on the opposite tone ("X was fine but ..."), where
        # an opener such as "Credit where it's due," would read oddly.
        self.opener_ok = True

    def pick(self, bucket: _Bucket, avoid: tuple[str, ...] = ()) -> _Frag | None:
        """Choose a fragment on a theme not yet used, and reserve that theme.

        Every eligible fragment is equally likely, so themes with more hand-written
        fragments (the core themes of a stage) come up more often.
        """
        used = self.themes
        options = [frags for theme, frags in bucket if theme not in used and theme not in avoid]
        if not options:
            return None
        index = self.rng.randrange(sum(len(frags) for frags in options))
        for frags in options:
            if index < len(frags):
                frag = frags[index]
                break
            index -= len(frags)
        used.append(frag.theme)
        return frag

    def fill(self, frag: _Frag) -> str:
        if not frag.slots:
            return frag.text
        choice = self.rng.choice
        return frag.text.format_map({name: choice(_SLOTS[name]) for name in frag.slots})

    def add(self, frag: _Frag | None, end: str) -> None:
        if frag is not None:
            self.parts.append((self.fill(frag), end))

    def add_mixed(
        self, first: _Frag | None, connectors: tuple[str, ...], second: _Frag | None, end: str
    ) -> None:
        if first is None or second is None:
            self.add(first or second, end)
            return
        text = self.fill(first) + self.rng.choice(connectors) + self.fill(second)
        self.parts.append((text, end))

    def add_more(self, bucket: _Bucket, count: int, tone: str, avoid: tuple[str, ...]) -> None:
        for _ in range(count):
            if len(self.themes) >= 3:
                return
            self.add(self.pick(bucket, avoid), _ending(self.rng, tone))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ending(rng: random.Random, sentiment: str) -> str:
    r = rng.random()
    if sentiment == "positive":
        return "!" if r < 0.2 else "!!" if r < 0.23 else "."
    if sentiment == "negative":
        return "!" if r < 0.1 else "!!" if r < 0.13 else "."
    return "."


def _count(rng: random.Random, p1: float, p2: float) -> int:
    """1 with probability p1, 2 with probability p2, otherwise 3."""
    r = rng.random()
    return 1 if r < p1 else 2 if r < p1 + p2 else 3


def _build_positive(b: _Builder, stage: str, staff: bool) -> None:
    rng = b.rng
    key = (stage, "positive")
    end = _ending(rng, "positive")
    if staff:
        avoid = _STAFF_THEMES
        if rng.random() < 0.2:
            staff_frag = b.pick(_STAFF_JOIN[key])
            b.add_mixed(b.pick(_MINOR_POOLS[stage]), _MINOR_CONNECTORS, staff_frag, end)
            b.opener_ok = False
            b.add_more(_POOLS[key], _count(rng, 0.6, 0.4) - 1, "positive", avoid)
            return
        staff_frag = b.pick(_STAFF[key])
        n_other = _count(rng, 0.3, 0.45) - 1
        if n_other and rng.random() < 0.4:
            b.add_more(_POOLS[key], 1, "positive", avoid)
            n_other -= 1
        b.add(staff_frag, end)
        b.add_more(_POOLS[key], n_other, "positive", avoid)
        return
    if rng.random() < 0.12:
        main = b.pick(_JOIN[key])
        b.add_mixed(b.pick(_MINOR_POOLS[stage]), _MINOR_CONNECTORS, main, end)
        b.opener_ok = False
        b.add_more(_POOLS[key], _count(rng, 0.7, 0.3) - 1, "positive", ())
        return
    b.add_more(_POOLS[key], _count(rng, 0.42, 0.4), "positive", ())


def _build_negative(b: _Builder, stage: str, staff: bool) -> None:
    rng = b.rng
    key = (stage, "negative")
    end = _ending(rng, "negative")
    if staff:
        avoid = _STAFF_THEMES
        if rng.random() < 0.5:
            kind = "positive" if rng.random() < 0.7 else "neutral"
            main = b.pick(_JOIN[key], avoid)
            b.add_mixed(b.pick(_STAFF_JOIN[(stage, kind)]), _PN_CONNECTORS, main, end)
            b.opener_ok = False
            b.add_more(_POOLS[key], _count(rng, 0.5, 0.5) - 1, "negative", avoid)
            return
        staff_frag = b.pick(_STAFF[key])
        n_other = _count(rng, 0.3, 0.4) - 1
        if n_other and rng.random() < 0.5:
            b.add_more(_POOLS[key], 1, "negative", avoid)
            n_other -= 1
        b.add(staff_frag, end)
        b.add_more(_POOLS[key], n_other, "negative", avoid)
        return
    if rng.random() < 0.25:
        kind = "positive" if rng.random() < 0.65 else "neutral"
        main = b.pick(_JOIN[key])
        b.add_mixed(b.pick(_JOIN[(stage, kind)]), _PN_CONNECTORS, main, end)
        b.opener_ok = False
        b.add_more(_POOLS[key], _count(rng, 0.55, 0.45) - 1, "negative", ())
        return
    b.add_more(_POOLS[key], _count(rng, 0.33, 0.4), "negative", ())


def _build_neutral(b: _Builder, stage: str, staff: bool) -> None:
    rng = b.rng
    pos, neu, neg = (stage, "positive"), (stage, "neutral"), (stage, "negative")
    r = rng.random()
    if staff:
        avoid = _STAFF_THEMES
        if r < 0.4:
            first = b.pick(_STAFF_JOIN[pos])
            b.add_mixed(first, _PN_CONNECTORS, b.pick(_JOIN[neg], avoid), ".")
        elif r < 0.7:
            first = b.pick(_JOIN[neg], avoid)
            b.add_mixed(first, _NP_CONNECTORS, b.pick(_STAFF_JOIN[pos]), ".")
        else:
            b.add(b.pick(_STAFF[neu]), ".")
            b.add_more(_POOLS[neu], _count(rng, 0.5, 0.5) - 1, "neutral", avoid)
        return
    if r < 0.3:
        first = b.pick(_JOIN[pos])
        b.add_mixed(first, _PN_CONNECTORS, b.pick(_JOIN[neg]), ".")
    elif r < 0.45:
        first = b.pick(_JOIN[neg])
        b.add_mixed(first, _NP_CONNECTORS, b.pick(_JOIN[pos]), ".")
    else:
        b.add_more(_POOLS[neu], _count(rng, 0.55, 0.45), "neutral", ())


_OPENER_RATE: dict[str, float] = {"positive": 0.18, "neutral": 0.12, "negative": 0.15}
_CLOSER_RATE: dict[str, float] = {"positive": 0.35, "neutral": 0.3, "negative": 0.4}


def _assemble(b: _Builder, stage: str, sentiment: str) -> str:
    rng = b.rng
    sentences: list[str] = []
    for i, (clause, end) in enumerate(b.parts):
        if i == 0 and b.opener_ok and rng.random() < _OPENER_RATE[sentiment]:
            opener = rng.choice(_OPENERS[sentiment])
            sentences.append(opener + (_cap(clause) if opener.endswith(". ") else clause) + end)
        else:
            sentences.append(_cap(clause) + end)
    if rng.random() < _CLOSER_RATE[sentiment]:
        sentences.append(rng.choice(_END_CLOSERS[(stage, sentiment)]))
    return " ".join(sentences)


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    known = [i for i, w in enumerate(words) if w.strip(".,!-") in _MISSPELLINGS]
    if known:
        i = rng.choice(known)
        core = words[i].strip(".,!-")
        words[i] = words[i].replace(core, _MISSPELLINGS[core], 1)
        return " ".join(words)
    plain = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not plain:
        return text
    i = rng.choice(plain)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _noise(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.06:
        text = text.lower()
        if rng.random() < 0.6:
            text = text.rstrip(".")
    elif r < 0.13:
        text = _typo(rng, text)
    elif r < 0.17:
        text = text.rstrip(".")
    return text or "."


def generate_verbatim(
    rng: random.Random,
    *,
    stage: str,
    sentiment: Sentiment,
    staff_name: str | None = None,
) -> Verbatim:
    """Generate one customer comment for a journey ``stage`` with the given ``sentiment``.

    ``staff_name`` (for buy, activate, support, billing and renew) is woven into a share of
    the comments, e.g. "Priya sorted it in ten minutes"; it never appears for discover or
    use, which happen outside the company. Raises ValueError for an unknown stage or
    sentiment. Only ``rng`` is used for randomness, so equal generator states give equal
    results.
    """
    if stage not in _DEFAULT_THEME:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGE_KEYS)}")
    if sentiment not in _SHORT_RATE:
        raise ValueError(f"unknown sentiment {sentiment!r}")

    use_staff = False
    if staff_name and staff_name.strip() and stage in _STAFF_RATE:
        use_staff = rng.random() < _STAFF_RATE[stage][sentiment]

    if not use_staff and rng.random() < _SHORT_RATE[sentiment]:
        theme, text = rng.choice(_SHORTS[(stage, sentiment)])
        return Verbatim(text=_noise(rng, text), themes=(theme,), sentiment=sentiment)

    b = _Builder(rng)
    if sentiment == "positive":
        _build_positive(b, stage, use_staff)
    elif sentiment == "negative":
        _build_negative(b, stage, use_staff)
    else:
        _build_neutral(b, stage, use_staff)

    text = _noise(rng, _assemble(b, stage, sentiment))
    if use_staff and staff_name is not None:
        text = text.replace(_STAFF_MARK, staff_name.strip())
    return Verbatim(text=text, themes=tuple(b.themes), sentiment=sentiment)
