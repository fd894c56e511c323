"""Shipped word tables for complaint cues, praise, intensity and emoji, keyed by Snowball stem."""

from __future__ import annotations

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
    **dict.fromkeys(("unskipp", "bounc", "nonexist", "delet"), -0.3),
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
}

# Phrases that hold a cue's word but are no cue: a product's feature ("noise cancelling").
NOT_CUES = frozenset(("nois cancel",))

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
}

PRAISE_PHRASES: dict[str, float] = {
    "on time": 0.3,
    "no problem": 0.3,
    "no worri": 0.3,
    "no issu": 0.3,
    "well done": 0.4,
    "good job": 0.4,
    "great job": 0.4,
}

# Idioms: phrases whose meaning is not the sum of their words, so every word-by-word scorer
# misreads them ("could not be better" reads as negated praise, "can't fault it" as a negated
# complaint, "problem was sorted out" as a problem). Each is a regular expression over a sentence
# (apostrophes straightened, case ignored) and the plain words that mean the same, which
# TextBlob, VADER and the cues then read instead. The explanation names both.
_CANNOT = r"(?:can'?t|cannot|can not|couldn'?t|could not)"
_COULD_NOT = r"(?:couldn'?t|could not)"
_TROUBLE_NOUN = (
    r"(?:problems?|issues?|query|queries|complaints?|faults?|errors?|mistakes?|bugs?|glitch(?:es)?|"
    r"leaks?|crash(?:es)?)"
)
_RESOLVED = r"(?:resolved|sorted(?: out)?|fixed|solved|rectified|dealt with|refunded)"
_BETTER = (
    r"(?:better|happier|easier|nicer|friendlier|kinder|quicker|faster|smoother|simpler|"
    r"more (?:pleased|satisfied|happy|impressed|helpful|friendly|professional|efficient|"
    r"accommodating|attentive|polite|courteous|kind|pleasant))"
)
_WORSE = r"(?:worse|slower|ruder|more (?:unhelpful|rude|useless|frustrating|difficult|stressful))"
# What a resolved problem reads as; it also turns its sentence, as "but" does (scoring.py).
RESOLVED = "resolved well"
IDIOMS: tuple[tuple[str, str], ...] = (
    (_COULD_NOT + r" (?:have )?(?:be|been|get|gotten|got) (?:any |much )?" + _BETTER, "excellent"),
    (
        r"(?:nobody|no one|no-one|noone|nothing) (?:could|would) (?:have )?(?:be|been) "
        r"(?:any |much )?" + _BETTER,
        "excellent",
    ),
    (_COULD_NOT + r" (?:have )?(?:be|been|get|gotten|got) (?:any |much )?" + _WORSE, "terrible"),
    (
        _CANNOT + r" (?:have )?(?:ask|asked|wish|wished|hope|hoped) for (?:any(?:thing|one) )?"
        r"(?:more|better)",
        "perfect",
    ),
    (_CANNOT + r" (?:really )?fault(?: (?:it|them|him|her|you|anything))?", "faultless"),
    (r"(?:nothing|not a thing|not one thing) to fault", "faultless"),
    (
        r"nothing (?:was|is|seemed|seems|ever seems) (?:ever )?too much (?:trouble|bother)",
        "very helpful",
    ),
    (r"(?:never|not once) (?:ever )?(?:been |once been )?let (?:me |us )?down", "excellent"),
    (r"never lets? (?:me|us) down", "excellent"),
    (
        r"(?:haven'?t|have not|hasn'?t|has not|hadn'?t|had not|never|didn'?t|did not) (?:ever )?"
        r"(?:had|have|experienced|encountered|hit) (?:a single|any|one|a|even one) "
        + _TROUBLE_NOUN,
        "no problems",
    ),
    (
        r"not (?:a single|one|once had a|one single) (?:complaint|problem|issue|fault|hiccup)",
        "no problems",
    ),
    (r"(?:nobody|no one|no-one|noone) does (?:\w+ ){0,5}?(?:like|better than) ", "excellent"),
    (r"second to none|above and beyond", "excellent"),
    (
        r"(?:wasn'?t|was not|weren'?t|were not|didn'?t|did not|never|hadn'?t|had not) (?:been )?"
        r"expect(?:ing|ed)?(?: (?:it|them|him|her) to be)? (?:such|so)",
        "surprisingly",
    ),
    (_CANNOT + r" recommend (?:\w+ ){0,3}?(?:highly |strongly )?enough", "highly recommend"),
    (
        _CANNOT + r" (?:speak|say|praise) (?:\w+ ){0,4}?(?:highly|good things|well) (?:\w+ ){0,3}?"
        r"enough|" + _CANNOT + r" thank (?:\w+ ){0,3}?enough",
        "highly recommend",
    ),
    (r"nothing (?:at all |really )?to complain about", "faultless"),
    (r"(?:nobody|no one|no-one|noone) (?:has |had |ever |even )*complained", "no complaints"),
    (_CANNOT + r" (?:really )?beat (?:it|that|this|them|the price|the value)", "excellent value"),
    (
        _CANNOT + r" believe (?:i|we) (?:ever )?(?:lived|managed|coped|survived) without",
        "love it",
    ),
    # Not a bare "without asking": "They moved me to a new plan without asking" is the complaint.
    (
        r"without (?:me |us )?even (?:having to )?(?:ask|asking)|"
        r"without (?:me |us )?(?:having|needing) to ask",
        "proactively",
    ),
    (r"while (?:i|we|you) (?:wait|waited|were waiting|was waiting)", "on the spot"),
    (
        r"saves? (?:me |us |you )?(?:so much |a lot of |loads of |lots of |hours of |a ton of )"
        r"time",
        "very useful",
    ),
    (
        r"(?:wouldn'?t|would not) (?:go|shop|fly|bank|stay|buy) any ?(?:where|one) else",
        "very happy",
    ),
    (r"not bad at all", "good"),
    # A star taken off says the rest pleased ("Lose a star because ...", "Would be 5 stars if
    # ..."): what follows is a gripe, not the verdict. ("The only downside was ..." is left as it
    # is: alone, such a sentence is the complaint, and in a happy review the rest outweighs it.)
    (
        r"only reason (?:for (?:4|four) stars?|(?:it'?s |it is )?not (?:5|five)(?: stars?)?)|"
        r"(?:lose|loses|losing|lost|minus|docked|knock(?:ed|ing)?(?: off)?|took off|taking off|"
        r"dropp?(?:ed|ing)?) (?:a|one|1) star|"
        r"(?:4|four) stars? (?:because|as|since|for|instead of 5|not 5)|"
        r"would (?:be|have been|give(?: it)?) (?:5|five) stars? (?:if|but|except)",
        "otherwise excellent, one small downside",
    ),
    (r"(?:5|five) stars? (?:isn'?t|is not|aren'?t|are not) enough", "excellent"),
    # Praise in the past is a decline now ("Used to love this app", "Was great until the update").
    (
        r"used to (?:really |absolutely )?(?:love|like|enjoy|be (?:great|good|excellent|"
        r"amazing|brilliant|reliable|my (?:favou?rite|go[- ]?to)))|"
        r"(?:was|were|used to be) (?:really |so )?(?:great|good|fine|perfect|amazing|excellent|"
        r"brilliant) until",
        "worse now",
    ),
    (r"\bat best", "disappointingly"),
    (r"does (?:exactly )?what it says on the tin", "good"),
    (
        r"could (?:have )?(?:be|been|do|have done) (?:a (?:lot|bit|little) |much |far |way )?"
        r"better",
        "disappointing",
    ),
    (
        r"(?:always |some |plenty of |lots of )?room for improvement|"
        r"(?:needs?|requires?) (?:some |a lot of |lots of |more )?improvement|"
        r"leaves? (?:a lot|much|a great deal) to be desired|not up to (?:standard|scratch|par)",
        "disappointing",
    ),
    (
        r"(?:nobody|no one|no-one|noone) (?:seems? to |seemed to |really |actually )?cared?s?",
        "careless",
    ),
    (
        _TROUBLE_NOUN + r" (?:was|were|got|has been|have been|had been|is|are) (?:all )?"
        r"(?:quickly |promptly |swiftly |soon |easily |immediately |finally )?" + _RESOLVED,
        RESOLVED,
    ),
    (
        r"(?:it|this|that|they|everything) (?:was|were|got|has been|have been|had been) (?:all )?"
        r"(?:quickly |promptly |swiftly |soon |easily |immediately |finally )?" + _RESOLVED,
        RESOLVED,
    ),
    (_RESOLVED + r" (?:it|them|this|that|everything)", RESOLVED),
    (r"(?:got|had) (?:it|them|this|that|everything) (?:all )?" + _RESOLVED, RESOLVED),
    (
        r"(?:the |my |all |those |these )?(?:" + _TROUBLE_NOUN[3:-1] + r"|crash(?:es)?|lag) "
        r"(?:[\w']+ ){0,8}?(?:are|is|have|has) "
        r"(?:now |all |completely |finally )?(?:been )?(?:gone|disappeared|vanished)",
        RESOLVED,
    ),
    (
        _RESOLVED + r" (?:my|the|our|this|that|all|every|any|a|an) (?:\w+ )?" + _TROUBLE_NOUN,
        RESOLVED,
    ),
)
# Every idiom above contains one of these words (letters only: "can't" gives "can"), so a sentence
# without any of them skips the idioms' regular expression (it costs a fifth of a tweet's reading).
IDIOM_WORDS = frozenset(
    (
        *("could", "couldn", "can", "cannot", "fault", "faults", "much", "let", "lets"),
        *("problem", "problems", "issue", "issues", "query", "queries", "complaint"),
        *("complaints", "second", "beyond", "enough", "else", "bad", "tin", "improvement"),
        *("desired", "standard", "scratch", "par", "care", "cares", "cared", "resolved"),
        *("sorted", "fixed", "solved", "rectified", "dealt", "error", "errors", "mistake"),
        *("mistakes", "bug", "bugs", "glitch", "glitches", "leak", "leaks"),
        *("expect", "expecting", "expected", "reason", "star", "stars", "used", "until"),
        *("best", "gone", "disappeared", "vanished", "crash", "crashes", "lag", "complain"),
        *("save", "saves", "refunded", "while", "complained", "beat", "believe", "ask", "asking"),
        *("hiccup", "does"),
    )
)
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

# Words that turn the next cue around ("not delayed", "never late" is praise, not a complaint).
NEGATORS = frozenset(
    ("not", "no", "never", "n't", "dont", "didnt", "isnt", "wasnt", "without", "cannot", "cant")
)

# An idiom with a negator, or one of these, among the three words before it is left as it is
# ("never resolved my issue", "still not sorted out", "nobody fixed it": the problem stands).
IDIOM_NEGATORS = NEGATORS | {"nobody", "nothing", "still", "yet"}

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
    **{"issue": -1.2, "issues": -1.2, "hassle": -1.5, "hassles": -1.5},
    # In feedback a "joke" is what the service was ("Absolute joke"), not a laugh.
    "joke": -1.5,
    # What breaks in products and apps, valued as its "faulty" (-1.3): without them "no
    # overheating" and "no clutter" read as complaints (the bare "no" again).
    **dict.fromkeys(("overheating", "overheats", "overheated", "clutter", "cluttered"), -1.3),
    **dict.fromkeys(("laggy", "buggy", "glitchy", "glitch", "glitches", "flimsy"), -1.3),
    **dict.fromkeys(("crash", "crashes", "crashing", "crashed", "peeling", "unreliable"), -1.3),
    **dict.fromkeys(("unresponsive", "overpriced", "soggy", "bland", "stale", "lukewarm"), -1.3),
}

# Emoji and emoticons: a short shipped table, no network at run time.
EMOJI: dict[str, float] = {
    **dict.fromkeys("😡😠🤬😤👎💩😒🙄😞😩😫😖😣😢😭😔😕🤦😑😐", -0.4),
    **dict.fromkeys("😊😀😁😃😄😍🥰😘❤💕💙💜👍👏🙌🎉😎✈🤗💯⭐🌟😻☺", 0.35),
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
