"""Apply a source's field mapping to a vendor submission: cxloop's generic response comes out.

Explicit selectors win; with none, automatic defaults make a new source work at once:
an NPS question (or an opinion scale the vendor says runs 0-10) becomes the NPS, a 1-5 rating
the CSAT, the first long-text answer the comment, and hidden fields / embedded data become
attributes. A question is judged by its scale, never by the value given: a 4 on a 1-5 scale
is not an NPS of 4 (a detractor), and a scale whose range the vendor does not send is no NPS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.ingest.sources.base import Answer, Kind, Submission
from services.ingest.sources.config import FieldMapping, SourceConfig

DEFAULT_SELECTORS = {
    "touchpoint": ("touchpoint",),
    "respondent_id": ("customer_id", "customer", "respondent_id", "user_id"),
    "email": ("email",),
    "name": ("name",),
}
ATTRIBUTE_MAX = 100


def _match(keys: Iterable[str], selectors: tuple[str, ...]) -> bool:
    wanted = {s.casefold() for s in selectors}
    return any(k.casefold() in wanted for k in keys if k)


def _answers(submission: Submission, selectors: tuple[str, ...]) -> list[Answer]:
    return [a for a in submission.answers if _match(a.keys, selectors)]


def _field(submission: Submission, selectors: tuple[str, ...]) -> Any:
    """The first non-empty hidden field or answer named by a selector."""
    for selector in selectors:
        for key, value in submission.fields.items():
            if key.casefold() == selector.casefold() and value not in (None, ""):
                return value
    for answer in _answers(submission, selectors):
        if answer.value not in (None, ""):
            return answer.value
    return None


def _integer(value: Any) -> Any:
    """Vendors send scores as numbers or numeric strings; keep anything else for validation."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


NPS_SCALE = (0, 10)
CSAT_SCALE = (1, 5)


def is_nps_question(answer: Answer) -> bool:
    """An NPS question, or an opinion scale the vendor says runs from 0 to 10."""
    if answer.kind is Kind.NPS:
        return answer.scale in (None, NPS_SCALE)
    return answer.kind is Kind.SCALE and answer.scale == NPS_SCALE


def is_csat_question(answer: Answer) -> bool:
    """A rating (stars, smileys) of five points, or of unstated range."""
    return answer.kind is Kind.RATING and answer.scale in (None, CSAT_SCALE)


def _default_score(name: str, answers: tuple[Answer, ...], used: set[int]) -> Any:
    judge = is_nps_question if name == "nps" else is_csat_question
    low, high = NPS_SCALE if name == "nps" else CSAT_SCALE
    for index, answer in enumerate(answers):
        value = _integer(answer.value)
        if index in used or not isinstance(value, int) or not judge(answer):
            continue
        if low <= value <= high:
            used.add(index)
            return value
    return None


def _effort(value: Any, mapping: FieldMapping, adapter_scale: str) -> Any:
    """cxloop's CES is effort (1 easy .. 7 hard); convert an agreement scale ("made it easy")."""
    scale = mapping.ces_scale or adapter_scale
    if scale != "agreement" or not isinstance(value, int) or isinstance(value, bool):
        return value
    if mapping.ces_points == 5:
        return round(1 + (5 - value) * 1.5) if 1 <= value <= 5 else value
    return 8 - value if 1 <= value <= 7 else value


def _scores(submission: Submission, mapping: FieldMapping, ces_scale: str) -> dict[str, Any]:
    scores: dict[str, Any] = {}
    used: set[int] = set()
    for name in ("nps", "csat", "ces"):
        selectors: tuple[str, ...] = getattr(mapping, name)
        value = None
        if selectors:
            value = _field(submission, selectors)
            used.update(i for i, a in enumerate(submission.answers) if _match(a.keys, selectors))
        elif submission.scores.get(name) is not None:
            value = submission.scores[name]
        if value is not None:
            scores[name] = _integer(value)
    if mapping.defaults:
        for name in ("nps", "csat"):
            if name not in scores and not getattr(mapping, name):
                found = _default_score(name, submission.answers, used)
                if found is not None:
                    scores[name] = found
    if "ces" in scores:
        scores["ces"] = _effort(scores["ces"], mapping, ces_scale)
    return scores


def _comment(submission: Submission, mapping: FieldMapping) -> str:
    if mapping.comment:
        texts = [str(a.value) for a in _answers(submission, mapping.comment) if a.value]
        return "\n\n".join(t for t in texts if t.strip())
    if submission.comment:
        return submission.comment
    if mapping.defaults:
        for answer in submission.answers:
            if (
                answer.kind is Kind.LONG_TEXT
                and isinstance(answer.value, str)
                and answer.value.strip()
            ):
                return answer.value
    return ""


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _respondent(submission: Submission, mapping: FieldMapping) -> dict[str, Any]:
    respondent: dict[str, Any] = {}
    for key in ("respondent_id", "email", "name"):
        selectors = getattr(mapping, key) or (DEFAULT_SELECTORS[key] if mapping.defaults else ())
        value = _field(submission, selectors) if selectors else None
        if value is None:
            value = submission.respondent.get("id" if key == "respondent_id" else key)
        if value is None and key == "email" and mapping.defaults:
            value = next((a.value for a in submission.answers if a.kind is Kind.EMAIL), None)
        if _text(value) is not None:
            respondent["id" if key == "respondent_id" else key] = _text(value)
    return respondent


def _attributes(submission: Submission, mapping: FieldMapping) -> dict[str, str]:
    attributes: dict[str, str] = {}
    if mapping.defaults:
        claimed = {
            s.casefold()
            for key in ("touchpoint", "respondent_id", "email", "name")
            for s in (getattr(mapping, key) or DEFAULT_SELECTORS[key])
        }
        for key, value in submission.fields.items():
            text = _text(value)
            if text is not None and key.casefold() not in claimed and len(key) <= ATTRIBUTE_MAX:
                attributes[key] = text
    for name, selectors in mapping.attributes.items():
        text = _text(_field(submission, selectors))
        if text is not None:
            attributes[name] = text
    return attributes


def to_generic(
    submission: Submission, source: SourceConfig, *, ces_scale: str = "effort"
) -> dict[str, Any]:
    """Return the generic-form payload (validate it with shared.schemas before storing)."""
    mapping = source.mapping
    touchpoint_selectors = mapping.touchpoint or DEFAULT_SELECTORS["touchpoint"]
    touchpoint = _text(_field(submission, touchpoint_selectors)) or mapping.touchpoint_default
    return {
        "source": source.name,
        "response_id": submission.response_id,
        "submitted_at": submission.submitted_at.isoformat(),
        "respondent": _respondent(submission, mapping),
        "touchpoint": touchpoint,
        "scores": _scores(submission, mapping, ces_scale),
        "comment": _comment(submission, mapping),
        "attributes": _attributes(submission, mapping),
    }
