"""Shipped word tables for complaint cues, praise, intensity and emoji, keyed by Snowball stem."""

from __future__ import annotations

import re

# Weights are in TextBlob polarity units (-1..1); they are added to TextBlob's own score.
# Keys are Snowball stems, so "waiting", "waited" and "waits" all hit "wait".

# What customers say when something went wrong, in any industry: the event, not the emotion.
COMPLAINT_TERMS: dict[str, float] = {
    **dict.fromkeys(("wait", "delay", "cancel", "stuck", "strand", "lost", "lose"), -0.3),
    **dict.fromkeys(("miss", "missing", "broke", "broken", "damag", "crash", "fail"), -0.3),
    **dict.fromkeys(("refund", "overbook", "bump", "divert", "leak", "spill", "dirti"), -0.25),
    **dict.fromkeys(("late", "later", "overcharg", "complaint", "complain", "compens"), -0.25),
    **dict.fromkeys(("unhelp", "unprofession", "unaccept", "incompet", "ignor", "error"), -0.35),
    **dict.fromkeys(("uninterest", "disinterest"), -0.3),
    **dict.fromkeys(("problem", "issu", "hassl", "mess", "chao", "nightmar", "joke"), -0.25),
    **dict.fromkeys(("faff", "jargon", "upsel"), -0.25),
    **dict.fromkeys(("crook", "cowboy", "thiev", "dismiss"), -0.35),
    **dict.fromkeys(("rude", "worst", "useless", "pathet", "ridicul", "disgust"), -0.35),
    **dict.fromkeys(("frustrat", "annoy", "upset", "angri", "furious", "disappoint"), -0.35),
    **dict.fromkeys(("hate", "suck", "fed", "scam", "shame", "lie", "liar", "never"), -0.3),
    **dict.fromkeys(("wtf", "smh", "ugh", "seriously", "unreal", "appal", "horribl"), -0.3),
    **dict.fromkeys(("still", "again", "anymor", "unabl", "disconnect"), -0.2),
    **dict.fromkeys(("nobodi", "noth", "noon", "excus"), -0.2),
    **dict.fromkeys(("hour", "hrs"), -0.1),
    # Products, apps and accounts: what breaks, what is refused, what is taken.
    **dict.fromkeys(("defect", "faulti", "malfunct", "glitch", "bug", "freez", "uninstal"), -0.3),
    **dict.fromkeys(("wast", "overpr", "unauthor", "fraud", "deni", "declin", "refus"), -0.3),
    # What goes wrong with service, food, rooms and apps that neither TextBlob nor VADER scores.
    **dict.fromkeys(("laggi", "buggi", "sluggish", "unreli", "unrespons", "inconveni"), -0.3),
    **dict.fromkeys(("bland", "stale", "tasteless", "overcook", "undercook", "soggi"), -0.3),
    **dict.fromkeys(("greasi", "lukewarm", "mouldi", "moldi", "smelli", "cramp", "pricey"), -0.3),
    **dict.fromkeys(("overh", "overheat", "clutter", "flimsi", "peel", "shrank", "shrunk"), -0.3),
    **dict.fromkeys(("unskipp", "bounc", "nonexist", "delet", "lag", "fuss", "overcrowd"), -0.3),
    **dict.fromkeys(("imposs", "missold", "rubbish", "drama", "wobbl", "trash"), -0.3),
    **dict.fromkeys(("shambl", "shambol"), -0.35),
    **dict.fromkeys(("outag", "buffer", "dropout"), -0.3),
}

# Multi-word complaint cues, matched on stems joined by spaces.
COMPLAINT_PHRASES: dict[str, float] = {
    "on hold": -0.35,
    "do better": -0.5,
    "could have": -0.2,
    "how can you": -0.3,
    "how could you": -0.3,
    "not allow": -0.3,
    "not find": -0.3,
    "not abl": -0.3,
    "hang up": -0.35,
    "without ani": -0.3,
    "no way": -0.3,
    "too long": -0.3,
    "get through": -0.2,
    "hold time": -0.35,
    "yet to": -0.3,
    "where is our": -0.25,
    "never fli": -0.4,
    "never book": -0.4,
    "no one": -0.3,
    "no answer": -0.3,
    "no respons": -0.3,
    "no repli": -0.3,
    "no help": -0.3,
    "no call": -0.25,
    "no inform": -0.25,
    "not work": -0.3,
    "not receiv": -0.3,
    "never arriv": -0.4,
    "never receiv": -0.4,
    "charg twice": -0.4,
    "doubl charg": -0.4,
    "hung up": -0.35,
    "had to chase": -0.35,
    "have to chase": -0.35,
    "how long": -0.25,
    "what is go on": -0.25,
    "where is my": -0.25,
    "when will": -0.15,
    "want my money": -0.4,
    "never again": -0.5,
    "thank for noth": -0.6,
    "custom servic": -0.1,
    "stop work": -0.4,
    "not worth": -0.35,
    "out of stock": -0.3,
    "gone downhil": -0.4,
    "go downhil": -0.4,
    "went downhil": -0.4,
    "took forev": -0.35,
    "take forev": -0.35,
    "taken forev": -0.35,
    "load forev": -0.35,
    "drain my batteri": -0.35,
    "drain the batteri": -0.35,
    "batteri drain": -0.35,
    "not turn on": -0.35,
    "money back": -0.35,
    "sent it back": -0.3,
    "return it": -0.3,
    "drop out": -0.3,
    "was told": -0.2,
    "not respond": -0.3,
    "not disclos": -0.3,
    "keep break": -0.35,
    "drop everi": -0.3,
    "snap off": -0.35,
    "hidden fee": -0.35,
    "hidden charg": -0.35,
    "hidden cost": -0.35,
    "non exist": -0.35,
    "were told": -0.2,
    "keep drop": -0.3,
    "mis sold": -0.35,
    "stay away": -0.5,
    "felt rush": -0.3,
    "feel rush": -0.3,
    "steer clear": -0.5,
    **dict.fromkeys(("price hike", "price increas", "put the price up", "put my bill up"), -0.35),
    **{
        f"{verb} {whose} {what}": -0.35
        for verb in ("increas", "rais")
        for whose in ("my", "the")
        for what in ("price", "bill")
    },
    # What keeps happening is the complaint ("keeps logging me out", "kept crashing").
    **{
        f"{keep} {verb}": -0.3
        for keep in ("keep", "kept")
        for verb in ("crash", "freez", "log", "ask", "charg", "cancel", "disconnect", "fail")
    },
    # ... and what keeps rising ("the service fee keeps going up"; not "keeps me going").
    **dict.fromkeys(("keep go up", "kept go up"), -0.35),
    # Having to say it all again ("asked for the same documents", "I had to repeat myself").
    **dict.fromkeys(("repeat myself", "all over again", "same document", "same detail"), -0.3),
    **dict.fromkeys(("same question", "same inform"), -0.3),
    "than it should": -0.3,  # "took longer than it should have"
    "onli after": -0.3,  # "resolved, but only after I chased them three times"
    # A question why something is so asks it to be justified ("Why does the shuttle stop at
    # 11pm when flights land until 1am?"); "that's why we come back" is no question.
    **{f"whi {aux}": -0.3 for aux in ("do", "doe", "did", "is", "are", "was", "were", "must")},
    **{f"whi {aux}": -0.3 for aux in ("has", "have", "would", "should", "on earth")},
}

# Phrases that hold a cue's word but are no cue: a product's feature ("noise cancelling"), jet lag.
NOT_CUES = frozenset(("nois cancel", "jet lag"))

# A span of time is how long something took ("waited 3 hours", "took three weeks", "takes a week to
# reply"): a complaint cue, unless it says how fast it was ("within two days", "in under 5
# minutes", "in about 10 minutes") or is the length of what was bought ("a 13 hour flight", "the 7
# day free trial", "2 day delivery").
_LENGTH_OF = (
    r"(?:flight|trip|drive|journey|shift|day|layover|stopover|trial|delivery|walk|ride|course|"
    r"stay|warranty|guarantee|return|window|period|plan|pass|free|service|support|access|cover)"
)
TIME_SPAN = re.compile(
    r"(?<!within )(?<!under )(?<!than )(?<!just )(?<!only )(?<!\bin )"
    # how long something lasts is endurance, not a wait ("the battery lasts two days")
    r"(?<!last )(?<!lasts )(?<!lasted )(?<!lasting )(?<!lasts me )(?<!lasted me )"
    r"(?<!lasts about )(?<!lasts over )(?<!lasts up to )(?<!lasted about )(?<!lasted over )"
    r"(?<!in about )(?<!in around )(?<!in roughly )(?<!every )"
    r"\b(?:\d+(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|several)\s*\+?\s*"
    r"(?:(?:hours|hrs|h|minutes|mins|days|weeks)\b|"
    r"(?:hour|hr|minute|min|day|week)\b(?![ -]+" + _LENGTH_OF + r"\b))"
    # time in hand is no wait ("made it with 15 minutes to spare", "landed 20 minutes early")
    r"(?! (?:to spare|early|ahead of))"
    r"|\b(?:took|takes|taking|take|taken) (?:over |more than |almost |nearly )?(?:a|an|one) "
    r"(?:week|month|year)s?\b"
    r"|\b(?:took|takes|taking|take|taken) (?:over|more than) (?:a|an) (?:hour|day)\b"
)

# "Too" before a word says there is too much of something ("too expensive", "too slow", "far too
# noisy"): a complaint, unless the word is one of these ("me too, I love it", "you're too kind").
EXCESS = -0.25
NOT_EXCESS = frozenset(
    (
        *("and", "but", "or", "so", "as", "i", "we", "you", "they", "it", "the", "a", "is"),
        *("was", "are", "were", "am", "be", "kind", "good", "lol", "haha", "thank", "thx"),
    )
)

# Questions that demand action rather than ask for information.
DEMAND_WORDS: dict[str, float] = {"whi": -0.2}

# Praise that TextBlob's lexicon does not score.
PRAISE_TERMS: dict[str, float] = {
    **dict.fromkeys(("thank", "thx", "thnx", "ty", "kudo", "appreci", "grate"), 0.35),
    **dict.fromkeys(("love", "luv", "awesom", "amaz", "excel", "fantast", "outstand"), 0.3),
    **dict.fromkeys(("smooth", "friend", "pleasant", "comfort", "recommend"), 0.2),
    **dict.fromkeys(("enjoy", "impress", "glad", "happi", "yay", "woohoo", "rock"), 0.25),
    # Qualities of service, food, rooms and apps that neither TextBlob nor VADER scores.
    **dict.fromkeys(("attent", "cozi", "cosi", "courteous", "effici", "reliabl", "intuit"), 0.2),
    **dict.fromkeys(("seamless", "knowledg", "punctual", "profession", "polit"), 0.2),
    **dict.fromkeys(("spotless", "tasti", "thorough", "accommod", "conveni"), 0.2),
    **dict.fromkeys(("legend", "gem"), 0.3),
}

PRAISE_PHRASES: dict[str, float] = {
    "on time": 0.3,
    "no problem": 0.3,
    "no worri": 0.3,
    "no issu": 0.3,
    "well done": 0.4,
    "good job": 0.4,
    "great job": 0.4,
    # Someone waited for the customer: a kindness, not the customer's wait.
    "wait for me": 0.2,
    "wait for us": 0.2,
}

# Words TextBlob scores that say nothing about satisfaction in feedback ("more", "first", "fly").
TEXTBLOB_NEUTRAL = frozenset(
    [
        "more",
        "most",
        "first",
        "last",
        "next",
        "few",
        "many",
        "much",
        "able",
        "available",
        "direct",
        "fly",
        "left",
        "back",
        "behind",
        "common",
        "open",
        "due",
        "early",
        "long",
        "little",
        "big",
        "real",
        "sure",
        "total",
        "certain",
        "new",
        "old",
        "whole",
        "full",
        "high",
        "low",
        "other",
        "only",
        "same",
        "own",
        "several",
        "final",
        "least",
        "less",
        "right",
        "straight",
        "public",
        "general",
    ]
)

# Common misspellings of words that carry a customer's verdict, put right before any scorer reads
# the text (every lexicon misses "dissapointed", "never recieved", "rediculous").
MISSPELLINGS = {
    r"dis{1,2}ap{1,2}oint": "disappoint",
    r"recie?ve": "receive",
    r"ter+ib+le|terrable": "terrible",
    r"hor+ible|horrable": "horrible",
    r"aweful": "awful",
    r"red[ie]cul[ou]+s|ridiculus": "ridiculous",
    r"ex[c]?el+ent": "excellent",
    r"rec+om+end": "recommend",
    r"unprofesional": "unprofessional",
}

# Words that turn the next cue around ("not delayed", "never late" is praise, not a complaint).
NEGATORS = frozenset(
    ("not", "no", "never", "n't", "dont", "didnt", "isnt", "wasnt", "without", "cannot", "cant")
)

# The answers a survey's open question gets when there is nothing to report ("What could we
# improve?" "Nothing."): regular expressions over the lower-cased opening of a comment, before
# punctuation or its end. Lexicons misread them ("nothing" negates what follows for VADER, and is
# a complaint cue of its own: "nothing works").
NULL_ANSWERS = (
    r"no|none|nope|nil|nada|n/?a|not really|not much|not at the moment|can'?t think of anything",
    r"no (?:complaints?|comments?|suggestions?|issues?|problems?)( at all)?",
    r"nothing(?: really| else| at all| in particular| at (?:the|this) (?:moment|time)| for now)?",
    r"nothing (?:comes|springs) to mind",
    r"(?:nothing|not much|not a lot)(?: much| else| really)?(?: that)?"
    r"(?: i(?:'d| would| could| can))? (?:to )?"
    r"(?:add|improve|change|report|say|complain about|mention|suggest|share)",
)

# Complaint cues a negator does not turn into praise: remedies asked for and demands ("no refund",
# "no excuse", "don't know why"). Other negated complaints are mild praise ("no delays").
NOT_TURNED_BY_NEGATION = frozenset(("refund", "compens", "excus", "whi"))

# Words VADER's lexicon (built from social media) lacks that customers use for what went wrong,
# valued as its "problem" (-1.7) and "trouble" (-1.7) are, a little milder. Without them VADER
# reads "No issues so far" and "No hassle" as negative: "no" keeps its own -1.2 when the next
# word is not in the lexicon. The baselines use VADER as published.
VADER_ADDED: dict[str, float] = {
    **{"issue": -1.2, "issues": -1.2, "hassle": -1.5, "hassles": -1.5, "faff": -1.5},
    **dict.fromkeys(("upsell", "upselling", "upsold"), -1.2),
    # In feedback a "joke" is what the service was ("Absolute joke"), not a laugh.
    "joke": -1.5,
    # What breaks in products and apps, valued as its "faulty" (-1.3): without them "no
    # overheating" and "no clutter" read as complaints (the bare "no" again).
    **dict.fromkeys(("overheating", "overheats", "overheated", "clutter", "cluttered"), -1.3),
    **dict.fromkeys(("laggy", "buggy", "glitchy", "glitch", "glitches", "flimsy"), -1.3),
    **dict.fromkeys(("crash", "crashes", "crashing", "crashed", "peeling", "unreliable"), -1.3),
    **dict.fromkeys(("unresponsive", "overpriced", "soggy", "bland", "stale", "lukewarm"), -1.3),
    # British and Australian complaint words VADER does not know ("rubbish" as "crap" is -1.6);
    # without "fuss" and "drama" the bare "no" made "no fuss" and "no dramas" complaints.
    **dict.fromkeys(("rubbish", "trash", "trashy"), -1.6),
    **dict.fromkeys(("shambles", "shambolic"), -1.9),
    # What fails in a line or a stream, valued as "crash": "no dropouts" is praise.
    **dict.fromkeys(("outage", "outages", "buffering", "dropout", "dropouts"), -1.3),
    **dict.fromkeys(("fuss", "drama", "dramas", "wobbly", "wobbles", "wobbling"), -1.3),
}

# Emoji and emoticons: a short shipped table, no network at run time.
EMOJI: dict[str, float] = {
    **dict.fromkeys("😡😠🤬😤👎💩😒🙄😞😩😫😖😣😢😭😔😕🤦😑😐🙃", -0.4),
    **dict.fromkeys("😊😀😁😃😄😍🥰😘❤💕💙💜👍👏🙌🎉😎✈🤗💯⭐🌟😻☺🙏", 0.35),
}
EMOTICONS: dict[str, float] = {
    ":)": 0.35,
    ":-)": 0.35,
    ":D": 0.35,
    "<3": 0.35,
    ";)": 0.25,
    ":(": -0.4,
    ":-(": -0.4,
    ":/": -0.3,
    ">:(": -0.5,
}
