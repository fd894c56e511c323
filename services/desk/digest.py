"""A digest's content as plain values: figures in, titled sections of labelled lines out.

Pure: every renderer (email text and HTML, Slack blocks, the CLI preview) shows the same
`Digest`, and escapes it for its medium; nothing here is escaped or formatted for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import urlencode

from services.desk.digest_figures import Figures

AGE_LABELS = {"under_1d": "Under 1 day", "1d_to_3d": "1 to 3 days", "3d_to_7d": "3 to 7 days",
              "over_7d": "Over 7 days"}  # fmt: skip
SLA_LABELS = {"overdue": "Overdue", "due_soon": "Due soon", "on_track": "On track",
              "none": "No deadline"}  # fmt: skip
NO_THEMES = "No root cause recorded in the period that was not seen before."
RECOVERY_PENDING = "no detractor answered a follow-up in this period"


@dataclass(frozen=True)
class Line:
    """One labelled figure or item; `url` links it (a case, the queue) when set."""

    label: str
    value: str
    url: str = ""


@dataclass(frozen=True)
class Section:
    """A heading and its lines; `empty` says what it means when there are none."""

    title: str
    lines: tuple[Line, ...]
    empty: str = ""


@dataclass(frozen=True)
class Digest:
    """One digest, ready to render: a title, the span it covers, its sections and links."""

    title: str
    span: str
    summary: str  # one line: email subject, Slack notification text
    sections: tuple[Section, ...]
    desk_url: str


def local(moment: datetime, zone: tzinfo) -> str:
    """A time as the team reads it: 'Mon 30 Nov 2026, 08:30 CET'."""
    at = moment.astimezone(zone)
    return f"{at:%a} {at.day} {at:%b %Y, %H:%M} {at.tzname()}"


def queue_url(public_url: str, **filters: str) -> str:
    """The desk queue filtered like the digest (open cases, a team, an SLA state)."""
    return f"{public_url.rstrip('/')}/queue?{urlencode({'status': 'open', **filters})}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:g}%"


def compose(
    figures: Figures,
    *,
    audience: str,
    period: str,
    since: datetime,
    until: datetime,
    zone: tzinfo,
    public_url: str,
    team: str | None = None,
) -> Digest:
    """Build the digest of one audience ("team delivery", "Ann Owner") over one span."""
    base = {"team": team} if team else {}
    cases_url = f"{public_url.rstrip('/')}/cases/"
    overdue = dict(figures.open_by_sla).get("overdue", 0)
    breaches = figures.ack_breaches + figures.resolve_breaches
    open_lines = [Line(AGE_LABELS.get(name, name), str(n)) for name, n in figures.open_by_age]
    open_lines += [
        Line(SLA_LABELS.get(state, state), str(n),
             queue_url(public_url, sla=state, **base) if state == "overdue" else "")
        for state, n in figures.open_by_sla
    ]  # fmt: skip
    breach_lines = [
        Line("Acknowledge deadlines missed", str(figures.ack_breaches)),
        Line("Resolve deadlines missed", str(figures.resolve_breaches)),
    ] + [
        Line(f"Case #{b.case_id} ({b.touchpoint}, {b.priority.upper()})",
             f"{b.deadline} was due {local(b.due_at, zone)}", f"{cases_url}{b.case_id}")
        for b in figures.breaches
    ]  # fmt: skip
    themes = [Line(f"{touchpoint}: {cause.replace('_', ' ')}", f"{n} case{'s' * (n != 1)}")
              for touchpoint, cause, n in figures.new_themes]  # fmt: skip
    loop = [
        Line("Cases opened", str(figures.cases)),
        Line("Closed-loop rate (customer contacted)",
             f"{_pct(figures.closed_loop_pct)} ({figures.contacted} of {figures.cases})"),
        Line("Recovery rate (detractors who say it was fixed)",
             RECOVERY_PENDING if figures.recovery_pct is None else _pct(figures.recovery_pct)),
    ]  # fmt: skip
    title = f"{period.capitalize()} digest for {audience}"
    return Digest(
        title=title,
        span=f"{local(since, zone)} to {local(until, zone)}",
        summary=(
            f"{title}: {figures.open_total} open ({overdue} overdue), {breaches} SLA "
            f"breach{'es' * (breaches != 1)}, {len(figures.new_themes)} new "
            f"theme{'s' * (len(figures.new_themes) != 1)}"
        ),
        sections=(
            Section(f"Open cases: {figures.open_total}", tuple(open_lines)),
            Section(f"SLA breaches in the period: {breaches}", tuple(breach_lines)),
            Section("New themes", tuple(themes), NO_THEMES),
            Section("Closing the loop (cases opened in the period)", tuple(loop)),
        ),
        desk_url=queue_url(public_url, **base),
    )
