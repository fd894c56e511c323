"""How urgent a case is: severity points from what the response says, mapped to P1, P2 or P3.

The dissatisfaction policy decides *whether* a response is a case; this module decides how
soon someone must look at it. Points add up from five independent things a team lead would
weigh, each named in the case's reasons with what it added:

- the score band: how far below the threshold the worst score is (NPS 0-2 / 3-4 / 5-6,
  CSAT 1 / 2, CES 7 / 5-6), plus a point for each further score that agrees;
- the strength of the comment: its polarity (-1..1), strongly or mildly negative;
- the kind of complaint: a few domain-general, high-severity kinds found in the text
  (money lost or wrongly charged, safety or health, a threat to leave, legal or regulator,
  discrimination or abuse, repeated contact without an answer);
- a repeat complainer: the same respondent had another case within N days (looked up by the
  router service and passed in as a count: nothing here touches a database);
- customer value: survey attributes that routes.yml names as high-value (e.g. plan: enterprise).

Every weight and both cut points are configuration (routes.yml `priority:`); see
docs/quality.md, section "Priority", for the defaults and the P1 share they give.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from shared.enums import Priority

# Bands below the dissatisfaction thresholds; both ends inclusive.
NPS_EXTREME_MAX = 2
NPS_LOW_MAX = 4
CSAT_EXTREME = 1
CES_EXTREME = 7
RECENT_CASES_COUNTED = 100  # a respondent's other cases are counted up to this many

# The default points of each factor; routes.yml `priority.points` overrides any of them.
DEFAULT_POINTS: Mapping[str, int] = MappingProxyType(
    {
        "score_extreme": 3,  # NPS 0-2, CSAT 1, CES 7
        "score_low": 2,  # NPS 3-4, CSAT 2 (up to csat_max), CES 5-6
        "score_mild": 1,  # NPS 5 up to nps_detractor_max
        "score_agrees": 1,  # each further score past its threshold
        "comment_strong": 2,  # polarity at or under strong_polarity
        "comment_negative": 1,  # polarity under the policy's polarity_below
        "money": 2,
        "safety": 4,
        "churn": 2,
        "legal": 4,
        "abuse": 4,
        "repeat_contact": 2,
        "repeat_complainer": 2,
        "customer_value": 2,
    }
)

# The kinds of complaint, each a word pattern on the lower-cased comment (English only).
# Kept small and domain-general on purpose: a word that is common in ordinary complaints
# ("rude", "refund", "again") would make every case urgent and mean nothing.
_CONTACT = (
    r"(?:called|phoned|rang|emailed|e-mailed|contacted|written|wrote|tweeted|messaged|dm'?d"
    r"|asked|complained|chased)"
)
_KIND_PATTERNS: dict[str, str] = {
    "money": (
        r"over ?charg\w*|double[- ]charg\w*|charged (?:me |us )?(?:twice|double|again|for nothing"
        r"|the wrong|wrong\w*)|billed (?:me |us )?twice|wrongly (?:charged|billed)"
        r"|(?:took|stole|stolen|taken|lost|kept) (?:my |our |all my )?money|money back"
        r"|unauthori[sz]ed (?:charge|payment|transaction|debit)s?|hidden (?:fee|charge)s?"
        r"|still (?:no|waiting for (?:my |a |the )?"
        r"|haven't (?:got|received) (?:my |a |the )?)refund"
        r"|never (?:got|received) (?:my |a |the )?refund|scam(?:med)?\b|rip(?:ped)?[- ]off"
    ),
    "safety": (
        r"food poisoning|(?:got|get|made (?:me|us|him|her|them)|fell|became) (?:very |really )?"
        r"(?:sick|ill)\b|allergic reaction|injur(?:ed|y|ies)\b|unsafe|not safe|dangerous"
        r"|safety (?:issue|concern|hazard|risk|problem)s?|hospitali[sz]ed|emergency room"
        r"|(?:taken|rushed|went|admitted|ended up) (?:to|in) (?:the |a )?hospital\b"
        r"|bed ?bugs?|cockroach\w*|roach(?:es)?\b|\brats?\b"
        r"|\bmice\b|\bmou?ld(?:y)?\b|carbon monoxide|electric shock|gas leak"
    ),
    "churn": (
        r"cancel+(?:ing|ed)? (?:my |our |the )?(?:account|subscription|membership|contract|plan)"
        r"|clos(?:e|ing) (?:my |our )?account|never again|never (?:going|coming) back"
        r"|never (?:fly|flying|stay|staying|shop|shopping|order|ordering|buy|buying|book|booking"
        r"|use|using|eat|eating) (?:with|at|from|here|there|again|you|u|your|them)\b(?! before)"
        r"|(?:won't|will not|will never|won't ever) (?:be (?:back|returning)|return|come back"
        r"|(?:fly|stay|shop|order|buy|book|use|eat) (?:with|at|from|here|there|again|you))"
        r"|switch(?:ing|ed)? to (?:another|a different|your competitor)"
        r"|take (?:my|our) business elsewhere|(?:lost|losing) (?:a|me as a) (?:loyal )?customer"
        r"|last time (?:i|we) (?:fly|stay|use|order|shop|book|eat)"
    ),
    "legal": (
        r"lawyer|attorney|solicitor|\bsue\b|suing|lawsuit|legal action|small claims|ombudsman"
        r"|regulator|trading standards|better business bureau|\bbbb\b|consumer protection"
        r"|\bftc\b|report (?:you|this|them) to"
    ),
    "abuse": (
        r"discriminat\w*|racis[mt]\w*|sexis[mt]\w*|homophob\w*|harass\w*|assault\w*"
        r"|(?:verbally |physically )?abus(?:ed|ive)\b|threaten(?:ed|ing) (?:me|us|to)"
        r"|(?:yelled|screamed|shouted|swore|cursed) at (?:me|us|my)"
    ),
    "repeat_contact": (
        rf"{_CONTACT} (?:\w+ ){{0,3}}?(?:\d+|three|four|five|six|several|multiple|many|countless"
        r"|numerous) times|(?:third|3rd|fourth|4th|fifth|5th|umpteenth) (?:call|email|e-mail"
        r"|complaint|attempt|request|message|letter|time (?:i|we|i've|we've|i have|we have) "
        rf"(?:\w+ )?{_CONTACT})|still (?:no|haven't had an?|have not had an?|waiting for an?) "
        r"(?:answer|reply|response|call ?back)|still (?:haven't|have not) heard"
        r"|(?:no ?one|nobody) (?:has |ever )?(?:called|got|gotten|gets|came|emailed|replied"
        r"|responded)(?: me| us)? back"
        r"|(?:no|never got an?) (?:answer|reply|response) (?:to|from) (?:my|any)"
    ),
}
# A cheap filter before each pattern: it is searched only in text containing one of these
# (a regex with many alternatives costs tens of microseconds on a long review; `in` does not).
_ANCHORS: dict[str, tuple[str, ...]] = {
    "money": ("charg", "bill", "money", " fee", "refund", "scam", "rip-", "rip ", "ripped"),
    "safety": (
        "poison", "sick", " ill", "allerg", "injur", "safe", "danger", "hospital", "emergency",
        "bug", "roach", " rat", "mice", "mold", "mould", "monoxide", "shock", "gas leak",
    ),
    "churn": ("cancel", "account", "never", "won't", "will not", "switch", "elsewhere", "customer",
              "last time"),
    "legal": (
        "lawyer", "attorney", "solicitor", " sue", "suing", "legal", "claims", "ombudsman",
        "regulator", "standards", "bureau", "bbb", "consumer", "ftc", "report ",
    ),
    "abuse": (
        "discrimin", "racis", "sexis", "homophob", "harass", "assault", "abus", "threaten",
        "yelled", "screamed", "shouted", "swore", "cursed",
    ),
    "repeat_contact": (" times", "third", "3rd", "fourth", "4th", "fifth", "5th", "umpteenth",
                       "still", "no one", "noone", "nobody", "no answer", "no reply",
                       "no response", "never got"),
}  # fmt: skip
KINDS: Mapping[str, str] = MappingProxyType(
    {
        "money": "money lost or charged wrongly",
        "safety": "safety or health",
        "churn": "threat to leave or cancel",
        "legal": "legal action or a regulator",
        "abuse": "discrimination or abuse",
        "repeat_contact": "repeated contact without an answer",
    }
)
_KIND_RES = [
    (kind, _ANCHORS[kind], re.compile(rf"\b(?:{pattern})"))
    for kind, pattern in _KIND_PATTERNS.items()
]


@dataclass(frozen=True)
class PriorityRules:
    """The severity model's settings: points per factor, cut points and who counts as valuable."""

    p1_at: int = 6
    p2_at: int = 2
    strong_polarity: float = -0.5
    repeat_window_days: int = 30  # 0: no repeat-complainer lookup
    value_attributes: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    points: Mapping[str, int] = field(default_factory=lambda: DEFAULT_POINTS)

    def priority_for(self, total: int) -> Priority:
        """Map severity points to a priority with the two cut points."""
        if total >= self.p1_at:
            return Priority.P1
        return Priority.P2 if total >= self.p2_at else Priority.P3


@dataclass(frozen=True)
class Customer:
    """What is known about who answered: survey attributes and their recent cases."""

    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    recent_cases: int = 0  # other cases of the same respondent within the repeat window


@dataclass(frozen=True)
class Part:
    """One contribution to severity, in words, with its points."""

    reason: str
    points: int


@dataclass(frozen=True)
class Severity:
    """The points, the priority they give and every contribution, for the case's reasons."""

    points: int
    priority: Priority
    parts: tuple[Part, ...]

    def explain(self, rules: PriorityRules) -> str:
        """Say why the priority is what it is, e.g. 'P2: NPS 5 detractor (+1), ... = 3 points'."""
        said = ", ".join(f"{p.reason} ({p.points:+d})" for p in self.parts) or "nothing severe"
        cuts = f"P1 at {rules.p1_at}, P2 at {rules.p2_at}"
        return f"{self.priority.upper()}: {said} = {self.points} points ({cuts})"


def complaint_kinds(text: str) -> list[tuple[str, str]]:
    """Return (kind, matched words) for each high-severity kind of complaint in the text."""
    text = " " + text.lower().replace("\u2019", "'")  # so " sue" also anchors at the start
    found = []
    for kind, anchors, pattern in _KIND_RES:
        if any(anchor in text for anchor in anchors):
            hit = pattern.search(text)
            if hit:
                found.append((kind, hit.group(0)))
    return found


def score_part(
    nps: int | None, csat: int | None, ces: int | None, *, nps_max: int, csat_max: int,
    ces_min: int, points: Mapping[str, int],
) -> list[Part]:  # fmt: skip
    """Points for the worst score band, and a point for each further score that agrees."""
    bands: list[tuple[int, str]] = []
    if nps is not None and nps <= nps_max:
        band = "extreme" if nps <= NPS_EXTREME_MAX else "low" if nps <= NPS_LOW_MAX else "mild"
        bands.append((points[f"score_{band}"], f"NPS {nps} detractor"))
    if csat is not None and csat <= csat_max:
        band = "extreme" if csat == CSAT_EXTREME else "low"
        bands.append((points[f"score_{band}"], f"CSAT {csat}"))
    if ces is not None and ces >= ces_min:
        band = "extreme" if ces >= CES_EXTREME else "low"
        bands.append((points[f"score_{band}"], f"CES {ces} (high effort)"))
    if not bands:
        return []
    bands.sort(key=lambda b: -b[0])  # stable: NPS, then CSAT, then CES among equals
    first, *others = bands
    parts = [Part(first[1], first[0])]
    parts += [Part(f"{label} agrees", points["score_agrees"]) for _, label in others]
    return parts


def assess(
    *, score_parts: list[Part], polarity: float | None, polarity_below: float, comment: str,
    customer: Customer, rules: PriorityRules,
) -> Severity:  # fmt: skip
    """Add up the severity of a case; polarity is None when the comment was not analysed."""
    points = rules.points
    parts = [p for p in score_parts if p.points]
    if polarity is not None and polarity < polarity_below:
        if polarity <= rules.strong_polarity:
            parts.append(
                Part(f"comment strongly negative ({polarity:.2f})", points["comment_strong"])
            )
        else:
            parts.append(Part(f"comment negative ({polarity:.2f})", points["comment_negative"]))
    for kind, words in complaint_kinds(comment) if comment else ():
        parts.append(Part(f"{KINDS[kind]}: {words!r}", points[kind]))
    if customer.recent_cases and rules.repeat_window_days:
        parts.append(
            Part(
                f"repeat complainer: {_counted(customer.recent_cases)} other case(s) in "
                f"{rules.repeat_window_days} days",
                points["repeat_complainer"],
            )
        )
    valued = _valued(customer.attributes, rules.value_attributes)
    if valued:
        parts.append(Part(f"high-value customer ({valued})", points["customer_value"]))
    parts = [p for p in parts if p.points]
    total = sum(p.points for p in parts)
    return Severity(total, rules.priority_for(total), tuple(parts))


def _counted(recent_cases: int) -> str:
    return f"{recent_cases}+" if recent_cases >= RECENT_CASES_COUNTED else str(recent_cases)


def _valued(attributes: Mapping[str, Any], wanted: Mapping[str, tuple[str, ...]]) -> str:
    """The first attribute whose value routes.yml names as high-value, as 'key=value'."""
    for key, values in wanted.items():
        value = attributes.get(key)
        if value is not None and str(value).strip().lower() in values:
            return f"{key}={value}"
    return ""
