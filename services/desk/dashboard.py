"""The KPI dashboard's content: headline tiles with their trend, and the charts of the tables.

Pure functions of the KPI tables (the same the JSON API returns), so the page and the API
can never disagree on a figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from services.desk import charts
from services.desk.kpis import Period, Table


@dataclass(frozen=True)
class Tile:
    """One headline figure: its value, the previous period's, and whether the change is good."""

    key: str
    label: str
    value: str
    previous: str
    change: str
    trend: str  # "better", "worse", "same" or "" (no comparison): the colour
    arrow: str  # which way the figure moved: "▲", "▼" or ""


# metric -> label, unit, whether a higher value is better
TILES: dict[str, tuple[str, str, bool]] = {
    "nps": ("NPS", "", True),
    "csat_avg": ("CSAT (1-5)", "", True),
    "ces_avg": ("CES (1-7, lower is easier)", "", False),
    "closed_loop_pct": ("Closed-loop rate", "%", True),
    "avg_first_contact_h": ("Time to first contact", " h", False),
    "avg_resolve_h": ("Time to resolve", " h", False),
    "escalation_pct": ("Escalation rate", "%", False),
    "cases": ("Cases opened", "", False),
}


def _show(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    return f"{round(value, 1):g}{unit}" if isinstance(value, float) else f"{value}{unit}"


def tiles(headline: Table) -> list[Tile]:
    """The headline table as tiles, in the order a CX lead reads them."""
    rows = {metric: (now, before, change) for metric, now, before, change in headline.rows}
    out = []
    for key, (label, unit, higher_better) in TILES.items():
        now, before, change = rows[key]
        arrow = "" if not change else ("▲" if change > 0 else "▼")
        if change is None:
            trend, shown = "", "no earlier data"
        else:
            better = change > 0 if higher_better else change < 0
            trend = "same" if change == 0 else ("better" if better else "worse")
            shown = f"{'+' if change > 0 else ''}{round(change, 1):g}{unit}"
        out.append(Tile(key, label, _show(now, unit), _show(before, unit), shown, trend, arrow))
    return out


def _by_day(rows: list[tuple[Any, ...]], days: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    grouped: dict[str, list[tuple[Any, ...]]] = {d: [] for d in days}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return grouped


def _weighted(rows: list[tuple[Any, ...]], index: int) -> float | None:
    """A daily figure over every group of the day, weighted by the groups' responses."""
    known = [(r[2], r[index]) for r in rows if r[index] is not None]
    weight = sum(n for n, _ in known)
    return round(sum(n * v for n, v in known) / weight, 1) if weight else None


def chart_set(tables: dict[str, Table], period: Period, by: str) -> dict[str, Markup]:
    """Every dashboard chart, at laptop and phone width."""
    days = period.days
    per_day = _by_day(tables["complaints_per_day"].rows, days)
    scores = _by_day(tables["score_trends"].rows, days)
    group_name = {"all": "All cases", "touchpoint": "Touchpoint", "owner": "Owner"}[by]
    times = tables["response_times"].rows
    loop = {r[0]: r for r in tables["closed_loop"].rows}
    groups = [str(r[0]) for r in times]
    shown = ["All cases" if g == "all" and by == "all" else g for g in groups]
    backlog = [0, 0, 0, 0]
    for _group, *buckets, _total in tables["backlog_by_age"].rows:
        backlog = [a + b for a, b in zip(backlog, buckets, strict=True)]
    causes = tables["root_causes"].rows[:12]
    recovered = tables["recovery"].rows
    by_cause = [row for row in tables["recovery_by_root_cause"].rows if row[3]][:12]
    r = charts.responsive
    return {
        "complaints": r(
            charts.column_chart, "Complaints per day", days,
            [("Cases opened", [sum(row[2] for row in per_day[d]) for d in days])],
            y_label="cases",
        ),
        "nps": r(
            charts.line_chart, "NPS per day", days,
            [("NPS", [_weighted(scores[d], 3) for d in days])],
            y_label="NPS", y_range=(-100, 100),
        ),
        "csat_ces": r(
            charts.line_chart, "CSAT and CES per day (averages)", days,
            [("CSAT (1-5)", [_weighted(scores[d], 4) for d in days]),
             ("CES (1-7)", [_weighted(scores[d], 5) for d in days])],
            y_label="average score", y_range=(1, 7),
        ),
        "times": r(
            charts.bar_chart, f"Average hours to first contact, acknowledge and resolve, by "
            f"{group_name.lower()}", shown,
            [("First contact", [loop[g][6] if g in loop else None for g in groups]),
             ("Acknowledge", [row[3] for row in times]),
             ("Resolve", [row[6] for row in times])],
            x_label="hours (average)", unit=" h",
        ),
        "closed_loop": r(
            charts.bar_chart, f"Closed-loop rate by {group_name.lower()}", shown,
            [("Contacted", [loop[g][4] if g in loop else None for g in groups])],
            x_label="% of cases where the customer was contacted", unit="%", x_max=100,
        ),
        "root_causes": r(
            charts.bar_chart, "Root causes per touchpoint (resolved cases)",
            [f"{t}: {c.replace('_', ' ')}" for t, c, _n, _s in causes],
            [("Cases", [n for _t, _c, n, _s in causes])],
            x_label="resolved cases",
        ),
        "recovery": r(
            charts.bar_chart, f"Recovery rate by {group_name.lower()} (detractors who say "
            "we fixed it)", ["All cases" if row[0] == "all" and by == "all" else str(row[0])
                             for row in recovered],
            [("Recovered", [row[5] for row in recovered])],
            x_label="% of detractors' follow-up answers that are satisfied", unit="%", x_max=100,
        ),
        "recovery_causes": r(
            charts.bar_chart, "Recovery rate by root cause",
            [str(row[0]).replace("_", " ") for row in by_cause],
            [("Recovered", [row[5] for row in by_cause])],
            x_label="% of detractors' follow-up answers that are satisfied", unit="%", x_max=100,
        ),
        "backlog": r(
            charts.column_chart, "Open backlog by age (now)",
            ["< 1 day", "1-3 days", "3-7 days", "> 7 days"], [("Open cases", backlog)],
            y_label="open cases",
        ),
    }  # fmt: skip
