"""The KPI dashboard and its tables as CSV.

Routes join the desk pages' blueprint (log-in and CSRF checked there).
"""

from __future__ import annotations

from flask import abort, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from services.desk import context, export, kpis
from services.desk import dashboard as dashboard_content
from services.desk.access import kpi_scope
from services.desk.filters import kpi_period, load_leniently, load_strictly, query_args
from services.desk.pages import bp, html_page
from services.desk.schemas import KpiQuery
from services.desk.views import csv_response


@bp.get("/dashboard")
@html_page("KPIs with charts (bad filters are named and ignored: 422)", query=KpiQuery)
def dashboard() -> ResponseReturnValue:
    """KPIs with charts for a period, by touchpoint or owner."""
    data, notices = load_leniently(KpiQuery(), query_args(request.args))
    for notice in notices:
        flash(notice, "error")
    now = context.now()
    period = kpi_period(data, now.date())
    scope = kpi_scope(current_user, context.config())
    tables = {t.name: t for t in kpis.all_tables(context.db(), period, data["by"], now, scope)}
    return render_template(
        "desk/dashboard.html", tables=tables, period=period, by=data["by"],
        previous=period.previous(), tiles=dashboard_content.tiles(tables["headline"]),
        charts=dashboard_content.chart_set(tables, period, data["by"]),
        args={"start": period.start, "end": period.end, "by": data["by"]},
    ), (422 if notices else 200)  # fmt: skip


@bp.get("/exports/kpis/<name>.csv")
@html_page("One KPI table as CSV", query=KpiQuery, content_type="text/csv", errors=(404,),
      path={"name": {"type": "string", "enum": list(kpis.TABLES)}})  # fmt: skip
def export_kpi(name: str) -> ResponseReturnValue:
    """One KPI table as CSV."""
    if name not in kpis.TABLES:
        abort(404, f"There is no KPI table “{name}”; the tables are: {', '.join(kpis.TABLES)}.")
    data = load_strictly(KpiQuery(), query_args(request.args))
    now = context.now()
    scope = kpi_scope(current_user, context.config())
    table = kpis.TABLES[name](context.db(), kpi_period(data, now.date()), data["by"], now, scope)
    return csv_response(export.table_csv(table), f"{name}.csv")
