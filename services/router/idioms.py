"""Idioms: phrases whose meaning is not the sum of their words, and the plain words they mean.

`scoring` puts them into plain words before any scorer reads a sentence.
"""

from __future__ import annotations

import re

from services.router import lexicon

# Every word-by-word scorer misreads them ("could not be better" reads as negated praise, "can't
# fault it" as a negated complaint, "problem was sorted out" as a problem). Each is a regular
# expression over a sentence (apostrophes straightened, case ignored) and the plain words that
# mean the same, which TextBlob, VADER and the cues then read instead. The explanation names both.
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
_NOT_CLASS = (
    r"(?! (?:hotels?|resorts?|propert(?:y|ies)|establishments?|accommodation|ratings?|reviews?"
    r"|off))"
)
# A rating only wished for, or left behind, is no verdict ("I would change my review to 5 stars
# if ...", "went from 5 stars to 2").
_NOT_WISHED = "".join(
    f"(?<!{w} )"
    for w in ("to", "from", "give", "give it", "be", "been", "rate it", "make it", "deserve")
)
# "on 1/10", "since 5/5": a date, not a rating.
_NOT_DATE = "".join(
    f"(?<!{w} )" for w in ("on", "since", "by", "from", "until", "till", "before", "after")
)
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
    (_CANNOT + r" recommend (?:\w+ ){0,5}?(?:highly |strongly )?enough", "highly recommend"),
    (
        _CANNOT + r" (?:speak|say|praise) (?:\w+ ){0,4}?(?:highly|good things|well) (?:\w+ ){0,3}?"
        r"enough|" + _CANNOT + r" (?:thank|praise) (?:\w+ ){0,4}?enough",
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
        r"time|saves? (?:me |us |you )(?:probably |about |around |at least |over |easily )?"
        r"(?:\d+|an?|one|two|three|four|five|ten|several|a few|hours|days) ?"
        r"(?:hours?|minutes?|days?|weeks?)?(?: (?:a|per|every) (?:day|week|month))?",
        "very useful",
    ),
    (
        r"(?:wouldn'?t|would not) (?:go|shop|fly|bank|stay|buy) any ?(?:where|one) else",
        "very happy",
    ),
    (r"not bad at all", "good"),
    # Coming back is the verdict ("Would book again", "We'll be back"); "again" alone is a
    # complaint cue ("cancelled again").
    (
        r"(?:would|will|'d|'ll) (?:definitely |certainly |absolutely |happily |gladly |surely )?"
        r"(?:book|buy|order|fly|stay|visit|use|come|go|shop|eat|purchase|choose|travel|recommend)"
        r"(?: (?:here|there|them|it|this|with (?:them|you|her|him)|from (?:them|here)|back))? "
        r"again|(?:would|will|'d|'ll) (?:definitely |certainly |absolutely |surely )?be back",
        "happy to return",
    ),
    # So is staying on ("Will be renewing", "I'll stick with them"; not "won't be renewing").
    (
        r"(?:will|'ll|shall) (?:definitely |certainly |absolutely |happily |gladly |surely )?"
        r"(?:be renewing|renew|keep using|continue (?:to use|using)|be sticking with|"
        r"stick with (?:them|you|it|this|her|him))|(?:i|we|i'll|we'll|i'd|we'd) keep coming back|"
        r"(?:keeps?|kept) (?:me|us) coming back",
        "happy to return",
    ),
    (
        r"no regrets?(?! (?:about |over |in )?(?:leaving|switching|moving|cancell?ing|going))",
        "glad",
    ),
    (
        r"without (?:a (?:word|murmur|hint|trace) of |any )?(?:complaint|complaining|grumbling)",
        "gladly",
    ),
    (r"(?:wouldn'?t|would not) change (?:a|one) (?:single )?thing", "perfect"),
    (_CANNOT + r" put (?:it|this|them) down", "love it"),
    (r"(?:no|nae) bother(?: at all)?", "easy"),
    (r"(?:daylight|highway) robbery", "overpriced"),
    (r"worth (?:its|their|his|her) weight in gold", "excellent"),
    # "Oh great, another ...": a sigh, not delight.
    (
        r"(?:oh|ah) (?:great|good|brilliant|lovely|wonderful|fantastic|joy|perfect|super|"
        r"marvellous)(?=,)|(?:oh|ah) (?:great|good|brilliant|lovely|wonderful|fantastic|joy|"
        r"perfect|super|marvellous|wow)(?=,? (?:yet )?another\b)",
        "ugh",
    ),
    # Asking for the reason of something is calling it unjustified.
    (
        r"(?:could|can|would) (?:someone|somebody|anyone|you) (?:please )?(?:explain|tell me) why|"
        r"is there (?:a|any) (?:good )?reason (?:why )?(?!to\b)(?=\w)",
        "annoyed that",
    ),
    (r"nothing (?:went|goes|has gone|had gone|ever went|ever goes) wrong", "faultless"),
    (
        r"(?:never|not once|haven'?t|have not|hasn'?t|has not) (?:ever )?(?:had|given (?:me|us)|"
        r"found) (?:a |any |one )?(?:single )?(?:reason|cause) to (?:leave|complain|switch|move|"
        r"look elsewhere|go elsewhere)",
        "very happy",
    ),
    (_CANNOT + r" imagine (?:[\w']+ ){0,4}?without (?:it|them|this|you|her|him)", "love it"),
    # A star taken off says the rest pleased ("Lose a star because ...", "Would be 5 stars if
    # ..."): what follows is a gripe, not the verdict. ("The only downside was ..." is left as it
    # is: alone, such a sentence is the complaint, and in a happy review the rest outweighs it.)
    (
        r"only reason (?:for (?:4|four) stars?|(?:it'?s |it is )?not (?:5|five)(?: stars?)?)|"
        r"(?:lose|loses|losing|lost|minus|docked|knock(?:ed|ing)?(?: off)?|took off|taking off|"
        r"took|take|taking|"
        r"dropp?(?:ed|ing)?) (?:a|one|1) star|"
        r"(?:4|four) stars? (?:because|as|since|for|instead of 5|not 5)|"
        r"would (?:be|have been|give(?: it)?) (?:5|five) stars? (?:if|but|except)",
        "otherwise excellent, one small downside",
    ),
    (r"(?:5|five) stars? (?:isn'?t|is not|aren'?t|are not) enough", "excellent"),
    # A rating written out is the customer's verdict ("That alone earns 5 stars", "Zero stars if
    # I could"); a hotel's class is not ("a 5 star hotel").
    (
        _NOT_WISHED + r"(?:5|five|10|ten) stars?" + _NOT_CLASS + r"|(?:5|five) out of (?:5|five)|"
        r"(?:10|ten) out of (?:10|ten)|" + _NOT_DATE + r"(?:5/5|10/10)(?![/\d])",
        "excellent",
    ),
    (
        _NOT_WISHED + r"(?:4|four) stars?" + _NOT_CLASS + r"|(?:4|four) out of (?:5|five)|"
        r"(?:8|9|eight|nine) out of (?:10|ten)",
        "very good",
    ),
    (
        _NOT_WISHED + r"(?:0|zero|1|one|no|half a) stars?" + _NOT_CLASS + r"|"
        r"(?:0|zero|1|one|2|two) out of (?:5|five|10|ten)|"
        + _NOT_DATE
        + r"(?:[01]/5|[0-2]/10)(?![/\d])",
        "terrible",
    ),
    (_NOT_WISHED + r"(?:2|two) stars?" + _NOT_CLASS, "poor"),
    (
        r"(?:never|not once) (?:ever )?(?:had|tasted|eaten|seen|experienced|received|found|"
        r"stayed (?:in|at)|been (?:to|at)) (?:a |an )?(?:\w+ )?" + _BETTER,
        "the best",
    ),
    (
        r"(?:never|not once) (?:ever )?(?:had|tasted|eaten|seen|experienced|received|found|"
        r"stayed (?:in|at)|been (?:to|at)) (?:a |an )?(?:\w+ )?" + _WORSE,
        "the worst",
    ),
    # Praise in the past is a decline now ("Used to love this app", "Was great until the update").
    (
        r"used to (?:really |absolutely )?(?:love|like|enjoy|be (?:great|good|excellent|"
        r"amazing|brilliant|reliable|my (?:favou?rite|go[- ]?to)))|"
        r"(?:was|were|used to be) (?:really |so )?(?:great|good|fine|perfect|amazing|excellent|"
        r"brilliant) until",
        "worse now",
    ),
    (r"\bat best", "disappointingly"),
    # Expectations let down ("For $45 I expected better", "Not what I expected"); "better than
    # expected" is the praise, in the other order.
    (
        r"(?:i|we) (?:had |honestly |really )?expected (?:much |far |a lot |a bit |a little |way )?"
        r"(?:better|more)(?! than)|not what (?:i|we) (?:had )?(?:expected|paid for)",
        "disappointing",
    ),
    (r"(?:a )?customers? for life", "very happy"),
    # A brush-off ("Dealer says it's not their problem"), not a negated problem.
    (r"not (?:my|their|our|his|her|its|your) (?:problem|issue|fault|responsibility)", "dismissive"),
    (r"(?:felt|feel|feels|treated|treat (?:you|us|me)) like (?:just |only )?a number", "careless"),
    # Describing oneself, not the service ("I am 78 and not good with computers").
    (
        r"(?:not|never been) (?:very |that |too |so |really )?(?:good|great|confident) with "
        r"(?:computers|technology|tech|phones|the internet|apps|gadgets)",
        "new to technology",
    ),
    (
        r"that'?s (?:how|the way) (?:(?:it|things|customer service|service) (?:should|is supposed "
        r"to|ought to) be(?: done)?|you (?:keep|treat|do|run)|to (?:do|run|treat|keep))",
        "excellent",
    ),
    (r"game ?changer|life ?saver", "excellent"),
    (r"counts? for nothing|(?:means|meant) nothing to (?:you|them)", "worthless"),
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
    (r"^(?:the )?" + _TROUBLE_NOUN + r" " + _RESOLVED, RESOLVED),
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
    (r"(?:got|had) (?:it|them|this|that|everything|me|us) (?:all )?" + _RESOLVED, RESOLVED),
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
# Delight at a complaint is sarcasm ("Love waiting 3 hours on the tarmac", "Really enjoyed the 40
# minutes of adverts", "Great if you like waiting an hour for a table"): the opener takes a
# clause or an activity as its object, and that object holds a complaint cue.
# "Loved the food" takes neither, and "Love that they fixed my broken screen" is a resolution.
SARCASM = re.compile(
    r"^\W*(?:(?:i|we) )?(?:just |really |absolutely |so |truly |totally )?"
    r"(?P<verb>lov(?:e|ed|ing)|enjoy(?:ed|ing)?|ador(?:e|ed|ing))"
    r" (?=how\b|that\b|the fact\b|the way\b|it when\b|when\b|[a-z]+ing\b|"
    r"the (?:\d+|two|three|four|five|ten|twenty|forty) (?:minutes|hours|days|weeks)\b)"
    r"|^\W*(?P<if>(?:great|perfect|ideal|brilliant|fantastic|wonderful|lovely),? if you "
    r"(?:like|love|enjoy))\b",
    re.IGNORECASE,
)
# What was put right: delight at it is no sarcasm ("Love that they fixed my broken screen").
RESOLUTION = re.compile(rf"\b(?:{_RESOLVED}|replaced|repaired)\b", re.IGNORECASE)

_LETTERS = re.compile(r"[a-z]+")
# Every idiom above but the written ratings ("10/10") contains one of these words (letters only:
# "can't" gives "can"), so a sentence without any of them skips the idioms' regular expression
# (it costs a fifth of a tweet's reading).
WORDS = frozenset(
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
        *("hiccup", "does", "life", "count", "counts", "means", "meant", "my", "their"),
        *("our", "his", "her", "its", "your", "number", "with", "way", "how", "changer"),
        *("game", "gamechanger", "saver", "lifesaver", "saved", "again", "back", "wrong"),
        *("out", "never", "once", "reason", "cause", "imagine", "renewing", "renew", "keep"),
        *("continue", "sticking", "regret", "regrets", "without", "change", "put", "bother"),
        *("robbery", "oh", "ah", "explain", "tell", "weight"),
    )
)


def may_hold(clean: str) -> bool:
    """Tell whether a sentence can hold an idiom: it has one of WORDS, or a rating such as
    "10/10" (no letters), so that the others skip the idioms' regular expression."""
    return "/" in clean or not WORDS.isdisjoint(_LETTERS.findall(clean.lower()))


# An idiom with a negator, or one of these, among the three words before it is left as it is
# ("never resolved my issue", "still not sorted out", "nobody fixed it": the problem stands).
NEGATORS = lexicon.NEGATORS | {"nobody", "nothing", "still", "yet"}

PATTERN = re.compile(
    "|".join(rf"\b(?P<idiom{n}>{pattern})\b" for n, (pattern, _) in enumerate(IDIOMS)),
    re.IGNORECASE,
)
MEANING = {f"idiom{n}": meaning for n, (_, meaning) in enumerate(IDIOMS)}
