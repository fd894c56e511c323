"""Shipped groups of related customer-experience words, so a one-line description is enough.

Each group lists words a customer uses for one thing. A touchpoint whose description names any
word of a group also answers to the others. Groups are domain-general (retail, travel, telecom,
banking, hospitality), not fitted to one data set; words are matched by Snowball stem.
"""

from __future__ import annotations

GROUPS: tuple[tuple[str, ...], ...] = (
    # Contact centre and replies.
    (
        "phone",
        "call",
        "called",
        "calling",
        "hotline",
        "line",
        "dial",
        "ring",
        "voicemail",
        "ivr",
        "speak",
        "spoke",
        "talk",
    ),
    ("hold", "holding", "hung", "hang", "disconnected", "callback", "busy"),
    ("agent", "representative", "rep", "operator", "advisor", "associate", "supervisor"),
    ("reply", "replies", "response", "respond", "answer", "dm", "message", "email", "contact"),
    ("chat", "chatbot", "dm", "message", "twitter", "tweet"),
    ("complaint", "complain", "escalate", "claim", "feedback", "resolve", "resolution", "help"),
    ("service", "support", "helpdesk", "assistance", "help", "helpful", "unhelpful"),
    # Time, delay and disruption.
    (
        "delay",
        "delayed",
        "late",
        "wait",
        "waiting",
        "hours",
        "stuck",
        "postponed",
        "tarmac",
        "hrs",
        "hr",
    ),
    ("cancel", "cancelled", "canceled", "cancellation", "scrapped"),
    ("departure", "depart", "takeoff", "arrival", "arrive", "landing", "schedule", "eta"),
    ("connection", "connecting", "layover", "transfer", "missed", "miss", "stranded"),
    ("rebook", "rebooked", "rebooking", "reschedule", "standby", "alternative", "reroute"),
    ("weather", "snow", "storm", "ice", "deice", "mechanical", "maintenance"),
    # Items and deliveries.
    ("luggage", "baggage", "bag", "bags", "suitcase", "suitcases", "carousel", "belongings"),
    ("lost", "missing", "misplaced", "found", "locate", "tracking", "trace", "whereabouts"),
    ("damaged", "broken", "broke", "torn", "ripped", "smashed", "crushed", "dented", "wheel"),
    ("delivery", "courier", "parcel", "package", "shipment", "shipping", "driver", "dispatch"),
    # Buying, paying and accounts.
    ("booking", "book", "booked", "reservation", "reserve", "itinerary", "confirmation"),
    ("website", "site", "online", "web", "page", "app", "login", "password", "error", "crash"),
    ("ticket", "tickets", "fare", "fares", "price", "pricing", "cost", "fee", "fees", "upgrade"),
    (
        "payment",
        "pay",
        "paid",
        "charge",
        "charged",
        "card",
        "refund",
        "billing",
        "invoice",
        "purchase",
        "buy",
        "bought",
    ),
    ("loyalty", "points", "miles", "rewards", "member", "membership", "status", "voucher"),
    ("account", "profile", "login", "credit", "promo", "code", "checkout"),
    # People and how they treat customers.
    ("crew", "attendant", "attendants", "stewardess", "steward", "purser", "pilot", "captain"),
    ("staff", "employee", "employees", "personnel", "worker", "team", "manager", "clerk"),
    ("treat", "treated", "rude", "attitude", "behaviour", "behavior", "polite", "friendly"),
    ("rude", "unprofessional", "disrespectful", "yelled", "nasty", "condescending", "smile"),
    # On board or on premises.
    ("seat", "seats", "legroom", "row", "recline", "cramped", "aisle", "window", "middle"),
    ("food", "meal", "meals", "snack", "snacks", "drink", "drinks", "coffee", "water", "menu"),
    ("wifi", "internet", "signal", "connection", "outlet", "charger", "power", "usb"),
    ("entertainment", "tv", "movie", "movies", "screen", "headphones", "music", "video"),
    ("cleanliness", "clean", "dirty", "filthy", "smell", "toilet", "lavatory", "bathroom"),
    ("temperature", "cold", "hot", "freezing", "heat", "warm", "air", "ac", "heating"),
    ("onboard", "plane", "aircraft", "cabin", "aboard", "jet", "overhead", "bin", "flight"),
    # Premises, queues and access.
    ("queue", "queues", "line", "lines", "wait", "crowd", "counter", "desk", "kiosk"),
    ("checkin", "check", "counter", "kiosk", "desk", "drop"),
    ("security", "tsa", "screening", "precheck", "customs", "immigration", "passport"),
    ("gate", "gates", "terminal", "jetway", "jetbridge", "lounge", "concourse"),
    ("boarding", "board", "boarded", "deplane", "deplaning", "zone", "group", "pass"),
    ("airport", "terminal", "hub", "station", "store", "branch", "shop", "premises"),
)
