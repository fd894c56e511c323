"""What an alert says: built from a delivery with its case and response, and the desk or router
event behind it (a move, an assignment). Channels only render what this builds."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.notifier.message import Alert, IncidentNote, Move, Score
from shared import alert_actions
from shared.enums import DeliveryKind
from shared.models import CaseEvent, Delivery, Response


def move_of(session: Session, delivery: Delivery) -> Move | None:
    """Return the re-routing behind a delivery, if a touchpoint correction caused it.

    The router gives such deliveries the id of its `rerouted` event as their step; other
    assignments have step 0 (routing) or the id of a desk event of another kind.
    """
    if delivery.kind not in (DeliveryKind.ASSIGNMENT, DeliveryKind.REROUTED) or not delivery.step:
        return None
    event = session.get(CaseEvent, delivery.step)
    if event is None or event.case_id != delivery.case_id or event.action != "rerouted":
        return None
    before, after = event.detail.get("before", {}), event.detail.get("after", {})
    return Move(
        from_touchpoint=str(before.get("touchpoint", "")),
        to_touchpoint=str(after.get("touchpoint", "")),
        from_owner=str(before.get("owner", "")),
        to_owner=str(after.get("owner", "")),
        by=str(event.detail.get("by", "someone")),
    )


def assignment_of(session: Session, delivery: Delivery) -> tuple[str, str]:
    """Return who assigned the case and, when it went to a team alone, the team (else "").

    Deliveries of kind ASSIGNED carry the id of the desk's `assign` event as their step.
    """
    if delivery.kind != DeliveryKind.ASSIGNED or not delivery.step:
        return "", ""
    event = session.get(CaseEvent, delivery.step)
    if event is None or event.case_id != delivery.case_id or event.action != "assign":
        return "", ""
    team = (
        "" if event.detail.get("assignee") else str(event.detail.get("after", {}).get("team", ""))
    )
    return str(event.detail.get("by") or event.actor), team


def build_alert(
    delivery: Delivery,
    *,
    public_url: str,
    move: Move | None = None,
    assignment: tuple[str, str] = ("", ""),
    touchpoints: tuple[str, ...] = (),
    link_secret: str = "",
    incident: IncidentNote | None = None,
) -> Alert:
    """Build the channel-neutral alert for a delivery from its case and response.

    An email alert gets signed one-click links for the case's actions when `link_secret` is
    given (the desk's secret key, which verifies them). An incident alert links to the incident
    and offers no per-case actions: they would act on one case of many.
    """
    case = delivery.case
    response = case.response
    private = is_private(delivery, case.owner, case.analysis)
    scores = tuple(
        Score(name, value, scale)
        for name, value, scale in (
            ("NPS", response.nps, "/10"),
            ("CSAT", response.csat, "/5"),
            ("CES", response.ces, "/7"),
        )
        if value is not None
    )
    return Alert(
        delivery_id=delivery.id,
        case_id=case.id,
        kind=delivery.kind,
        step=delivery.step,
        receiver=delivery.receiver,
        channel=delivery.channel,
        touchpoint=case.touchpoint,
        priority=case.priority,
        scores=scores,
        comment="" if private else response.comment or "",
        reasons=reasons_of(case.reasons),
        respondent_name="" if private else response.respondent_name or "",
        respondent_email="" if private else response.respondent_email or "",
        source=response.source,
        case_url=(
            f"{public_url.rstrip('/')}/incidents/{incident.incident_id}"
            if incident is not None
            else f"{public_url.rstrip('/')}/cases/{case.id}"
        ),
        created_at=case.created_at,
        polarity=case.polarity,
        move=move,
        ack_due_at=case.ack_due_at,
        resolve_due_at=case.resolve_due_at,
        submitted_at=response.submitted_at,
        customer=() if private else customer_of(response, case.analysis),
        assigned_by=assignment[0],
        assigned_team=assignment[1],
        private=private,
        status="" if incident is not None else case.status,
        touchpoints=touchpoints,
        links=()
        if incident is not None
        else action_links(delivery, public_url, link_secret, touchpoints),
        incident=incident,
    )


def is_private(delivery: Delivery, owner: str, analysis: Any) -> bool:
    """Whether this alert goes to a receiver that takes no personal data.

    The router stores those receivers' names with the case (routes.yml `personal_data: false`);
    an escalation to the owner follows the owner's setting.
    """
    names = analysis.get("private_receivers") if isinstance(analysis, dict) else None
    private = set(names or ())
    if delivery.kind == DeliveryKind.ESCALATION and delivery.receiver == "owner":
        return owner in private
    return delivery.receiver in private


def action_links(
    delivery: Delivery, public_url: str, secret: str, touchpoints: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """Signed links for the actions an email alert offers its addressee (none for a move away)."""
    case = delivery.case
    if not secret or delivery.channel != "email" or delivery.kind == DeliveryKind.REROUTED:
        return ()
    base = public_url.rstrip("/") + "/actions/"
    return tuple(
        (alert_actions.LABELS[action], base + alert_actions.sign_link(
            secret, case_id=case.id, action=action, email=delivery.target))
        for action in alert_actions.ACTIONS
        if alert_actions.offered(action, case.status)
        and (action != alert_actions.TOUCHPOINT or len(touchpoints) > 1)
    )  # fmt: skip


def customer_of(response: Response, analysis: Any) -> tuple[tuple[str, str], ...]:
    """The customer's id and the attributes the routes file names, as (label, value) pairs.

    The router stores the names with the case (routes.yml `alert_attributes`), so the notifier
    needs neither the routes file nor router code.
    """
    names = analysis.get("alert_attributes") if isinstance(analysis, dict) else None
    attributes = response.attributes if isinstance(response.attributes, dict) else {}
    pairs = [("customer id", response.respondent_id)] if response.respondent_id else []
    pairs += [
        (str(name), str(attributes[name]))
        for name in names or ()
        if attributes.get(name) not in (None, "")
    ]
    return tuple(pairs)


def reasons_of(stored: Any) -> tuple[str, ...]:
    """Read the human-readable reasons a case was stored with (a list, or {"reasons": [...]})."""
    if isinstance(stored, dict):
        stored = stored.get("reasons", [])
    if not isinstance(stored, list):
        return ()
    return tuple(
        str(r.get("text") or r.get("reason") or r) if isinstance(r, dict) else str(r)
        for r in stored
    )
