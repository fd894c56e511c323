"""The case page: its detail, the action forms and their posts, and retrying a failed alert.

Routes join the desk pages' blueprint (log-in and CSRF checked there).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from services.desk import context, flows, options, present
from services.desk.access import can_change
from services.desk.forms import (
    ACTION_FORMS,
    AssignForm,
    PlainForm,
    ResolveForm,
    TouchpointForm,
    choices,
)
from services.desk.lifecycle import IllegalTransition, InvalidCommand
from services.desk.pages import bp, form_post, html_page
from shared.deliveries import requeue_failed

DONE = {
    "touchpoint": "Touchpoint corrected: the case is being re-routed to its new owner.",
    "wait": "Waiting on the customer: the resolve clock is paused until they answer or you resume.",
    "resume": "Resumed: the resolve deadline moved on by the working time the case waited.",
    "take": "You took the case: it is assigned to you.",
    "snooze": "Snoozed: the reminders wait; the SLA deadlines stay.",
}


def _case_page(case_id: int, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    session, config = context.db(), context.config()
    case = flows.visible_case(session, user=current_user, case_id=case_id, config=config)
    detail = present.detail(
        session, case, config=config, now=context.now(), touchpoints=context.touchpoint_choices()
    )
    forms = {name: form_type(formdata=None) for name, form_type in ACTION_FORMS.items()}
    resolve, correct, assign = forms["resolve"], forms["touchpoint"], forms["assign"]
    assert isinstance(resolve, ResolveForm) and isinstance(correct, TouchpointForm)
    assert isinstance(assign, AssignForm)
    resolve.root_cause.choices = choices(detail["root_causes"])
    correct.touchpoint.choices = choices(detail["touchpoint_choices"])
    pick = options.Options.load(session, config)
    assign.assignee.choices = [("", "— keep —"), *pick.people]
    assign.team.choices = [("", "— keep —"), *((t, t) for t in pick.teams)]
    writable = can_change(current_user, case, config)
    return render_template(
        "desk/case.html", case=detail, forms=forms, writable=writable, error=error,
        retry_form=PlainForm(formdata=None),
    ), status  # fmt: skip


@bp.get("/cases/<int:case_id>")
@html_page("The case page", errors=(404,))
def case_page(case_id: int) -> ResponseReturnValue:
    """The case page: response, analysis, routing, deliveries, timeline, and actions."""
    return _case_page(case_id)


@bp.post("/cases/<int:case_id>/<action>")
@form_post("Run one action from the case page's forms", *ACTION_FORMS.values(),
           path={"action": {"type": "string", "enum": list(ACTION_FORMS)}},
           errors=(400, 403, 404, 409, 422))  # fmt: skip
def case_action(case_id: int, action: str) -> ResponseReturnValue:
    """Run one action from the case page's forms."""
    if action not in ACTION_FORMS:
        abort(404)
    form = ACTION_FORMS[action]()
    if isinstance(form, ResolveForm):
        form.root_cause.choices = choices(context.config().root_causes_for(_touchpoint(case_id)))
    if not form.validate():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return _case_page(case_id, 422, errors)
    data: dict[str, Any] = {k: v for k, v in form.data.items() if k != "csrf_token"}
    session = context.db()
    try:
        outcome = flows.perform(
            session, user=current_user, case_id=case_id, action=action, data=data,
            config=context.config(), now=context.now(), touchpoints=context.touchpoints,
        )  # fmt: skip
        session.commit()
    except IllegalTransition as exc:
        session.rollback()
        return _case_page(case_id, 409, str(exc))
    except InvalidCommand as exc:
        session.rollback()
        return _case_page(case_id, 422, str(exc))
    context.after_commit(outcome)
    session.expire_all()
    if not flows.still_visible(
        session, user=current_user, case_id=case_id, config=context.config()
    ):
        flash(f"Case #{case_id} was assigned; it is no longer in your view.", "ok")
        return redirect(url_for("desk_pages.queue"), 303)
    flash(DONE.get(action) or f"Done: {action.replace('_', ' ')}.", "ok")
    return redirect(url_for("desk_pages.case_page", case_id=case_id), 303)


@bp.post("/cases/<int:case_id>/deliveries/<int:delivery_id>/retry")
@form_post("Send a failed alert again", PlainForm, errors=(400, 403, 404))
def retry_delivery(case_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send a failed alert again, with a fresh retry budget (after its channel is fixed)."""
    session, config = context.db(), context.config()
    case = flows.visible_case(session, user=current_user, case_id=case_id, config=config)
    if not can_change(current_user, case, config):
        abort(403)
    ids = requeue_failed(
        session, now=context.now(), actor=current_user.email, delivery_ids=[delivery_id],
        case_id=case_id,
    )  # fmt: skip
    session.commit()
    context.notify(ids)
    flash("The alert will be sent again." if ids else "That alert has not failed.", "ok")
    return redirect(url_for("desk_pages.case_page", case_id=case_id), 303)


def _touchpoint(case_id: int) -> str:
    case = flows.visible_case(
        context.db(), user=current_user, case_id=case_id, config=context.config()
    )
    return case.touchpoint
