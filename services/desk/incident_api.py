"""The incident API: an incident with its cases, and resolving all of them together.

Routes join the desk API's blueprint (token checked there); the rules live in `incidents`.
"""

from __future__ import annotations

import logging
from typing import Any

from werkzeug.exceptions import UnprocessableEntity

from services.desk import context, incidents, present
from services.desk.escalation import view_of
from services.desk.incident_schemas import IncidentOut
from services.desk.lifecycle import IllegalTransition, InvalidCommand
from services.desk.schemas import ResolveIn
from services.desk.sla import sla_state
from services.desk.views import bp, current_user, read_body
from shared.errors import http_error
from shared.openapi import documented

log = logging.getLogger(__name__)


def incident_out(shown: incidents.IncidentView) -> dict[str, Any]:
    """The incident as the API and the page show it."""
    config, now = context.config(), context.now()
    incident = shown.incident
    return IncidentOut().dump({
        **{name: getattr(incident, name) for name in (
            "id", "state", "receiver", "route_path", "count", "first_seen_at",
            "last_seen_at", "notified_at", "flush_due_at", "resolved_at", "resolved_by")},
        "cases": [present.summary(c, c.response, sla_state(view_of(c), now, config.due_soon), None)
                  for c in shown.cases],
        "labels": dict(incident.labels.get("group", [])),
        "alerts": shown.alerts,
        "root_causes": incidents.root_causes(shown, config),
    })  # fmt: skip


@bp.get("/v1/desk/incidents/<int:incident_id>")
@documented("One incident: its group, counters, alerts and the cases you may see",
            response=IncidentOut, tag="incidents")  # fmt: skip
def incident_detail(incident_id: int) -> dict[str, Any]:
    """Show an incident with its cases."""
    shown = incidents.view(
        context.db(), user=current_user(), incident_id=incident_id, config=context.config()
    )
    return incident_out(shown)


@bp.post("/v1/incidents/<int:incident_id>/resolve")
@documented("Resolve every open case of an incident with one root cause and note",
            body=ResolveIn, response=IncidentOut, errors=(401, 403, 404, 409, 422),
            tag="incidents")  # fmt: skip
def resolve_incident(incident_id: int) -> dict[str, Any]:
    """Resolve an incident and its open cases together; any refusal changes nothing."""
    data = ResolveIn().load(read_body())
    session = context.db()
    try:
        resolved = incidents.resolve_all(
            session, user=current_user(), incident_id=incident_id, root_cause=data["root_cause"],
            note=data["resolution_note"], config=context.config(), now=context.now(),
        )  # fmt: skip
        session.commit()
    except InvalidCommand as exc:
        session.rollback()
        raise http_error(UnprocessableEntity, "the request is invalid", exc.errors) from exc
    except IllegalTransition as exc:
        session.rollback()
        raise http_error(UnprocessableEntity, str(exc)) from exc
    except Exception:
        session.rollback()
        raise
    log.info("incident resolved", extra={"incident_id": incident_id, "cases": len(resolved)})
    session.expire_all()
    return incident_detail(incident_id)
