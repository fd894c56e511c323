"""The one routing decision, shared by the worker and `cxloop routes test`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.router.config import RouterConfig
from services.router.learning import Detector
from services.router.policy import Decision, Scores, decide
from services.router.routing import Route, labels_for, matching_routes, owner_of
from services.router.scoring import analyse
from services.router.severity import Customer
from services.router.touchpoints import TouchpointDetector, TouchpointMatch
from shared.enums import Priority, TouchpointSource

_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class RoutingOutcome:
    """Everything decided about one response, and why."""

    response_id: str
    dissatisfied: bool
    reasons: tuple[str, ...]
    priority: Priority | None
    polarity: float
    subjectivity: float
    language: str
    analysed: bool
    evidence: tuple[str, ...]
    touchpoint: str
    touchpoint_source: TouchpointSource
    touchpoints: tuple[TouchpointMatch, ...]
    owner: str | None
    receivers: tuple[str, ...]
    routes: tuple[str, ...]
    labels: Mapping[str, str]
    explanation: str
    # Complaint sentences in a response that is not a case: material for an improvement note.
    gripes: tuple[str, ...] = ()
    # Score and comment say opposite things (policy.Disagreement), case or not.
    disagreement: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the outcome as plain JSON-ready values."""
        return {
            "response_id": self.response_id,
            "dissatisfied": self.dissatisfied,
            "reasons": list(self.reasons),
            "priority": self.priority,
            "polarity": round(self.polarity, 4),
            "subjectivity": round(self.subjectivity, 4),
            "language": self.language,
            "analysed": self.analysed,
            "evidence": list(self.evidence),
            "touchpoint": self.touchpoint,
            "touchpoint_source": self.touchpoint_source,
            "touchpoints": [
                {"name": m.name, "score": m.score, "evidence": list(m.evidence)}
                for m in self.touchpoints
            ],
            "owner": self.owner,
            "receivers": list(self.receivers),
            "routes": list(self.routes),
            "labels": dict(self.labels),
            "explanation": self.explanation,
            "gripes": list(self.gripes),
            "disagreement": self.disagreement,
        }


@lru_cache(maxsize=8)
def detector_for(config: RouterConfig) -> TouchpointDetector:
    """Return the touchpoint detector of a config, built once per loaded config."""
    return TouchpointDetector(list(config.touchpoints))


# Comments that make a decision read everything it reads for English text: the sentence
# reading, VADER and TextBlob, the sentiment model, and the word vectors for words no
# description names. Only other languages' lexicons stay lazy (each costs memory where unseen).
_WARM_UP_COMMENTS = (
    "Waited three weeks, then the refund never came and nobody answered my emails.",
    "Lovely staff, quick and friendly.",
)


def warm_up(config: RouterConfig) -> None:
    """Load what a decision reads before the worker's pool starts.

    Loaded lazily, it cost each pool process one to two seconds on its first decisions after
    every start: the first customers' alerts waited for it. Loaded in the prefork parent, the
    children inherit it from the fork, sharing the memory until either side writes to it.
    """
    detector = detector_for(config)
    for comment in _WARM_UP_COMMENTS:
        route_response(config, detector, {"comment": comment, "scores": {"nps": 5}})


def route_response(
    config: RouterConfig, detector: Detector, response: Mapping[str, Any],
    *, recent_cases: int = 0,
) -> RoutingOutcome:  # fmt: skip
    """Decide whether a response (generic form) is a case, its touchpoint and its receivers.

    `detector` is the descriptions' detector, or it blended with a learnt model (learning.py).
    recent_cases: how many other cases the same respondent had within the repeat window (the
    router service looks it up; 0 when unknown), which raises the case's priority.
    """
    comment = response.get("comment") or ""
    scores = response.get("scores") or {}
    sentiment = analyse(comment)
    decision = decide(
        Scores(scores.get("nps"), scores.get("csat"), scores.get("ces")),
        sentiment,
        config.thresholds,
        has_comment=bool(comment.strip()),
        comment=comment,
        customer=Customer(response.get("attributes") or {}, recent_cases),
        rules=config.priority,
    )
    detected = tuple(detector.detect(comment)) if comment.strip() else ()
    touchpoint, source = _choose_touchpoint(config, response.get("touchpoint"), detected)
    names = [touchpoint, *(m.name for m in detected if m.name != touchpoint)]
    labels = labels_for(response, decision, names, sentiment, thresholds=config.thresholds)
    nodes = matching_routes(config.route, labels) if decision.dissatisfied else []
    receivers = tuple(dict.fromkeys(node.receiver for node in nodes))
    return RoutingOutcome(
        response_id=str(response.get("response_id", "")),
        dissatisfied=decision.dissatisfied,
        reasons=decision.reasons,
        priority=decision.priority,
        polarity=sentiment.polarity,
        subjectivity=sentiment.subjectivity,
        language=sentiment.language,
        analysed=sentiment.analysed,
        evidence=sentiment.evidence,
        touchpoint=touchpoint,
        touchpoint_source=source,
        touchpoints=detected,
        owner=owner_of(nodes),
        receivers=receivers,
        routes=tuple(node.path for node in nodes),
        labels=labels,
        explanation=_explain(
            decision,
            touchpoint,
            source,
            detected,
            nodes,
            sentiment.language,
            sent=response.get("touchpoint"),
        )
        + _gripe_note(decision, sentiment.gripes),
        gripes=sentiment.gripes,
        disagreement=decision.disagreement,
    )


def _choose_touchpoint(
    config: RouterConfig, explicit: str | None, detected: tuple[TouchpointMatch, ...]
) -> tuple[str, TouchpointSource]:
    """A configured explicit field wins (lower-cased, _-joined); else detected; else default.

    A touchpoint the customer sent that the routing file does not configure is not taken as is
    (it would route on a label nobody chose): it maps to the default, and the explanation says so.
    """
    if explicit and explicit.strip():
        wanted = _SEPARATORS.sub("_", explicit.strip().lower())
        if wanted in config.touchpoint_names:
            return wanted, TouchpointSource.EXPLICIT
        return config.default_touchpoint, TouchpointSource.DEFAULT
    if detected:
        return detected[0].name, TouchpointSource.DETECTED
    return config.default_touchpoint, TouchpointSource.DEFAULT


def _explain(
    decision: Decision,
    touchpoint: str,
    source: TouchpointSource,
    detected: tuple[TouchpointMatch, ...],
    nodes: list[Route],
    language: str,
    sent: str | None = None,
) -> str:
    """Say in one sentence what happened, for the case timeline and `routes test`."""
    verdict = (
        f"dissatisfied ({decision.priority}): {'; '.join(decision.reasons)}"
        if decision.dissatisfied
        else f"not dissatisfied: {'; '.join(decision.reasons)}"
    )
    if source == TouchpointSource.DETECTED:
        words = ", ".join(detected[0].evidence)
        where = f"touchpoint {touchpoint} detected from {words!r}" if words else touchpoint
    else:
        where = f"touchpoint {touchpoint} ({source})"
    if source == TouchpointSource.DEFAULT and sent and sent.strip():
        where += f" (the touchpoint sent, {sent.strip()[:100]!r}, is not configured)"
    if source != TouchpointSource.EXPLICIT and language not in ("en", "und"):
        where += f" (touchpoint matching reads English only; the comment is {language!r})"
    if not decision.dissatisfied:
        return f"{verdict}. {where}; no case, nobody alerted."
    routed = ", ".join(f"{n.receiver} via {n.path}" for n in nodes)
    return f"{verdict}. {where}. Owner {owner_of(nodes)}; routed to {routed}."


def _gripe_note(decision: Decision, gripes: tuple[str, ...]) -> str:
    """Say that a happy response's gripe is worth an improvement note, not a case."""
    if decision.dissatisfied or not gripes:
        return ""
    quoted = "; ".join(repr(g) for g in gripes)
    return (
        f" A minor gripe in an otherwise positive comment ({quoted}) is worth a low-priority"
        " improvement note, not a case."
    )
