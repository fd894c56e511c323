"""The incident page: the group, its alerts, its cases, and a form to resolve them together.

Routes join the desk pages' blueprint (log-in and CSRF checked there).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import Conflict, Forbidden

from services.desk import context, incidents
from services.desk.access import can_change
from services.desk.forms import ResolveForm, choices
from services.desk.incident_api import incident_out
from services.desk.lifecycle import IllegalTransition, InvalidCommand
from services.desk.pages import bp, form_post, html_page


def _page(incident_id: int, form: ResolveForm | None = None, status: int = 200,
          error: str | None = None) -> ResponseReturnValue:  # fmt: skip
    session, config = context.db(), context.config()
    shown = incidents.view(session, user=current_user, incident_id=incident_id, config=config)
    form = form or ResolveForm(formdata=None)
    form.root_cause.choices = choices(incidents.root_causes(shown, config))
    writable = bool(shown.open_cases) and all(
        can_change(current_user, c, config) for c in shown.open_cases
    )
    return render_template(
        "desk/incident.html", incident=incident_out(shown), form=form, error=error,
        writable=writable and shown.incident.state == "open",
    ), status  # fmt: skip


@bp.get("/incidents/<int:incident_id>")
@html_page("The incident page: its cases and alerts", errors=(404,))
def incident_page(incident_id: int) -> ResponseReturnValue:
    """An incident with its cases, and resolving them together."""
    return _page(incident_id)


@bp.post("/incidents/<int:incident_id>/resolve")
@form_post("Resolve every open case of an incident", ResolveForm,
           errors=(400, 403, 404, 409, 422))  # fmt: skip
def resolve_incident_page(incident_id: int) -> ResponseReturnValue:
    """Resolve the incident's open cases with one root cause and note."""
    session, config = context.db(), context.config()
    form = ResolveForm()
    shown = incidents.view(session, user=current_user, incident_id=incident_id, config=config)
    form.root_cause.choices = choices(incidents.root_causes(shown, config))
    if not form.validate():
        problems = "; ".join(
            f"{k.replace('_', ' ')}: {' '.join(v)}" for k, v in form.errors.items()
        )
        return _page(incident_id, form, 422, problems)
    try:
        resolved = incidents.resolve_all(
            session, user=current_user, incident_id=incident_id,
            root_cause=form.root_cause.data or "", note=form.resolution_note.data or "",
            config=config, now=context.now(),
        )  # fmt: skip
        session.commit()
    except (InvalidCommand, IllegalTransition, Conflict, Forbidden) as exc:
        session.rollback()
        status = exc.code or 422 if isinstance(exc, (Conflict, Forbidden)) else 422
        return _page(incident_id, form, status, _said(exc))
    flash(f"Incident #{incident_id} resolved with its {len(resolved)} open case(s).", "ok")
    return redirect(url_for("desk_pages.incident_page", incident_id=incident_id), 303)


def _said(exc: Exception) -> str:
    if isinstance(exc, InvalidCommand):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
    return str(getattr(exc, "description", None) or exc)
