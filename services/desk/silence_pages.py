"""The silences page: who muted what, until when and why; champions and admins add and end them.

Routes join the desk pages' blueprint (log-in and CSRF checked there).
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from services.desk import context
from services.desk.forms import PlainForm, SilenceForm
from services.desk.pages import LOGIN_REDIRECT, bp, form_post, html_page
from shared import silences
from shared.openapi import FORM, form_schema

SILENCERS = ("admin", "champion")


@bp.route("/silences", methods=["GET", "POST"])
@html_page("Silences; posting the form adds one (champions, admins)",
           body=form_schema(SilenceForm), body_type=FORM, errors=(400, 403),
           extra={**LOGIN_REDIRECT, 303: "created"})  # fmt: skip
def silences_page() -> ResponseReturnValue:
    """Silences: who muted what, until when and why; champions and admins add and expire them."""
    form = SilenceForm()
    session, now = context.db(), context.now()
    if request.method == "POST":
        if current_user.role not in SILENCERS:
            abort(403, "only champions and admins create silences")
        if form.validate():
            new = silences.NewSilence(
                matchers=tuple(line.strip() for line in (form.matchers.data or "").splitlines()
                               if line.strip()),
                ends_at=now + timedelta(hours=int(form.hours.data or 4)),
                comment=form.comment.data or "", created_by=current_user.email,
            )  # fmt: skip
            try:
                silence = silences.create(session, new, now=now)
            except silences.SilenceError as exc:
                session.rollback()
                form.form_errors.append(f"{exc.field}: {exc}")
            else:
                session.commit()
                flash(f"Silence #{silence.id} created: nobody is paged for matching cases.", "ok")
                return redirect(url_for("desk_pages.silences_page"), 303)
    shown = silences.listed(session, now=now, include_expired=True)[:200]
    return render_template(
        "desk/silences.html", form=form, silences=shown, now=now, state=silences.state,
        expire_form=PlainForm(formdata=None), may_change=current_user.role in SILENCERS,
    ), (422 if form.errors or form.form_errors else 200)  # fmt: skip


@bp.post("/silences/<int:silence_id>/expire")
@form_post("End a silence now (champions, admins)", PlainForm, errors=(400, 403, 404))
def expire_silence(silence_id: int) -> ResponseReturnValue:
    """End a silence now."""
    if current_user.role not in SILENCERS:
        abort(403, "only champions and admins expire silences")
    session = context.db()
    try:
        silences.expire(session, silence_id, by=current_user.email, now=context.now())
    except LookupError:
        abort(404, f"no silence #{silence_id}")
    session.commit()
    flash(f"Silence #{silence_id} expired: matching cases page their owners again.", "ok")
    return redirect(url_for("desk_pages.silences_page"), 303)
