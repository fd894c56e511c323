"""The routing tree, in the manner of Prometheus Alertmanager: labels in, receivers out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from services.router.grouping import Grouping
from services.router.policy import Decision, Thresholds, ces_band, csat_band, nps_category
from services.router.scoring import Sentiment
from shared.matchers import Matcher, Op

# With this many children or more a node indexes them by an equality matcher (see `candidates`).
_INDEXED_FROM = 8


@dataclass(frozen=True)
class Route:
    """A node of the tree: matchers, the receiver (inherited from the parent), children."""

    receiver: str
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    routes: tuple[Route, ...] = ()
    path: str = "route"
    grouping: Grouping | None = None  # set: cases alike in grouping.by become one incident

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Return whether every matcher of this node holds."""
        return all(m.matches(labels) for m in self.matchers)

    def candidates(self, labels: Mapping[str, str]) -> Sequence[Route]:
        """The children that may take the labels, in order.

        A tree with a route per team, store or region would otherwise try every child for every
        response. With many children, those that require a value of the label most of them match
        on are looked up by the response's value; the others are always tried.
        """
        index = self._index
        if index is None:
            return self.routes
        name, by_value, always = index
        picked = by_value.get(labels.get(name, ""), ())
        return [self.routes[i] for i in (sorted((*picked, *always)) if always else picked)]

    @cached_property
    def _index(self) -> tuple[str, dict[str, tuple[int, ...]], tuple[int, ...]] | None:
        if len(self.routes) < _INDEXED_FROM:
            return None
        equal = [
            {m.name: m.value for m in child.matchers if m.op is Op.EQ} for child in self.routes
        ]
        names = Counter(name for found in equal for name in found)
        if not names:
            return None
        name = names.most_common(1)[0][0]
        by_value: dict[str, list[int]] = {}
        always = []
        for i, found in enumerate(equal):
            if name in found:
                by_value.setdefault(found[name], []).append(i)
            else:
                always.append(i)
        return name, {v: tuple(ids) for v, ids in by_value.items()}, tuple(always)

    def walk(self) -> list[Route]:
        """Return this node and all its descendants, depth first."""
        return [self, *(node for child in self.routes for node in child.walk())]


def matching_routes(route: Route, labels: Mapping[str, str]) -> list[Route]:
    """Return the nodes that take the labels, exactly as Alertmanager's Route.Match does.

    Depth first: the first matching child wins unless it has `continue`, in which case the
    search goes on to its siblings; a node none of whose children match is itself the match.
    """
    if not route.matches(labels):
        return []
    found: list[Route] = []
    for child in route.candidates(labels):
        matches = matching_routes(child, labels)
        found.extend(matches)
        if matches and not child.continue_:
            break
    return found or [route]


def owner_of(nodes: Sequence[Route]) -> str | None:
    """Return the owning receiver among matched nodes: the first that ended the search.

    A node with `continue` is a copy sent on the way (e.g. champions hearing of every p1), so
    the owner is the first matched node without it; if every match continued, the last one.
    """
    for node in nodes:
        if not node.continue_:
            return node.receiver
    return nodes[-1].receiver if nodes else None


def match(route: Route, labels: Mapping[str, str]) -> list[str]:
    """Return the receivers the labels go to, in tree order, each once."""
    return list(dict.fromkeys(node.receiver for node in matching_routes(route, labels)))


def labels_for(
    response: Mapping[str, Any],
    decision: Decision,
    touchpoints: Sequence[str],
    sentiment: Sentiment,
    *,
    thresholds: Thresholds | None = None,
) -> dict[str, str]:
    """Build the routing labels of a response in generic form (`touchpoints`: chosen first).

    Attributes come first so that a survey attribute can never override a computed label.
    """
    t = thresholds or Thresholds()
    scores = response.get("scores") or {}
    labels = {str(k): str(v) for k, v in (response.get("attributes") or {}).items()}
    computed = {
        "touchpoint": touchpoints[0] if touchpoints else "",
        "touchpoints": ",".join(touchpoints),
        "nps_category": nps_category(scores.get("nps"), t),
        "csat_band": csat_band(scores.get("csat"), t),
        "ces_band": ces_band(scores.get("ces"), t),
        "sentiment": _sentiment_label(sentiment, t) if response.get("comment", "").strip() else "",
        "priority": decision.priority or "",
        "dissatisfied": "true" if decision.dissatisfied else "false",
        "disagreement": decision.disagreement or "",
        "language": sentiment.language if sentiment.analysed else "",
        "source": response.get("source") or "",
    }
    labels.update({k: str(v) for k, v in computed.items() if v is not None})
    return {k: v for k, v in labels.items() if v != ""}


def _sentiment_label(sentiment: Sentiment, t: Thresholds) -> str:
    if not sentiment.analysed:
        return ""
    if sentiment.polarity < t.polarity_below:
        return "negative"
    return "positive" if sentiment.polarity > -t.polarity_below else "neutral"


# Labels the router computes; every other label is a survey attribute of the customer.
COMPUTED_LABELS = frozenset(
    {"touchpoint", "touchpoints", "nps_category", "csat_band", "ces_band", "sentiment",
     "priority", "dissatisfied", "language", "source"}
)  # fmt: skip

# Values a matcher may compare computed labels with; config validation uses these.
LABEL_VALUES: dict[str, tuple[str, ...]] = {
    "nps_category": ("detractor", "passive", "promoter"),
    "csat_band": ("dissatisfied", "neutral", "satisfied"),
    "ces_band": ("easy", "neutral", "hard"),
    "sentiment": ("negative", "neutral", "positive"),
    "priority": ("p1", "p2", "p3"),
    "dissatisfied": ("true", "false"),
}
