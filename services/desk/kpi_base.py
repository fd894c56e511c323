"""What every KPI shares: the period, the result table, groups and scopes, and portable SQL bits.

Every KPI covers cases created (or responses submitted) in a period [start, end), optionally
split by touchpoint or owner, and only the cases a `scope` condition selects (an owner's KPIs
cover their own cases; None means every case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, case, func, literal, literal_column
from sqlalchemy.orm import Session

from shared.models import Case

GROUPS = ("all", "touchpoint", "owner")
# A case is opened after its response arrives and contacted after it is opened: a day of slack
# on such bounds covers clocks that disagree (a survey tool's, the desk's and the router's).
CLOCK_SLACK = timedelta(days=1)

Scope = ColumnElement[Any] | None


class Span(Protocol):
    """A stretch of time [since, until): a Period of whole UTC days, or a digest's local day."""

    @property
    def since(self) -> datetime: ...  # the first instant
    @property
    def until(self) -> datetime: ...  # the first instant after


@dataclass(frozen=True)
class Period:
    """Days from `start` up to and including `end` (UTC)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        """First instant of the period."""
        return datetime.combine(self.start, time.min, UTC)

    @property
    def until(self) -> datetime:
        """First instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)

    @property
    def days(self) -> list[str]:
        """Every day of the period as YYYY-MM-DD, so charts keep days without data."""
        return [
            (self.start + timedelta(days=n)).isoformat()
            for n in range((self.end - self.start).days + 1)
        ]

    def previous(self) -> Period:
        """The period of the same length just before this one: what a trend compares with."""
        length = self.end - self.start + timedelta(days=1)
        return Period(self.start - length, self.end - length)


@dataclass(frozen=True)
class Table:
    """One KPI table: a name for URLs and CSV files, a title, columns and rows."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def is_postgres(session: Session) -> bool:
    """Whether the session talks to PostgreSQL (which has percentile_disc and date_part)."""
    return session.get_bind().dialect.name == "postgresql"


def seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    """SQL for the seconds from `earlier` to `later`, as a float on both databases."""
    if is_postgres(session):
        # date_part is double precision: averaging and sorting it is several times cheaper
        # than extract's numeric at tens of thousands of cases.
        return func.date_part("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def resolution_seconds(session: Session) -> ColumnElement[Any]:
    """Creation to resolution, less the time spent waiting on the customer."""
    return seconds_between(session, Case.resolved_at, Case.created_at) - Case.paused_seconds


def utc_day(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC day of a timestamp; `iso_day` makes it the same YYYY-MM-DD text on both databases.

    On PostgreSQL it is a date, grouped by hash thanks to the day statistics of migration 0014
    (the expression must stay exactly theirs); to_char's text cost twice as much per case.
    """
    if is_postgres(session):
        return func.date(func.timezone(literal_column("'UTC'"), column))
    return func.strftime("%Y-%m-%d", column)


def iso_day(day: Any) -> str:
    """A day from `utc_day` as YYYY-MM-DD."""
    return day.isoformat() if isinstance(day, date) else str(day)


def group_column(by: str) -> ColumnElement[Any]:
    """The column a KPI is split by; ValueError for a group that does not exist."""
    if by not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}")
    return literal("all") if by == "all" else getattr(Case, by)


def created_in(period: Span, scope: Scope = None) -> Any:
    """The condition on cases created in the period (and selected by the scope)."""
    inside = and_(Case.created_at >= period.since, Case.created_at < period.until)
    return inside if scope is None else and_(inside, scope)


def count_value(condition: Any) -> ColumnElement[int]:
    """1 where the condition holds, else 0."""
    return case((condition, 1), else_=0)


def count_if(condition: Any) -> ColumnElement[int]:
    """The number of rows where the condition holds (portable COUNT ... FILTER)."""
    return func.sum(count_value(condition))


def hours(seconds: float | None) -> float | None:
    """Seconds as hours, two decimals."""
    return None if seconds is None else round(float(seconds) / 3600, 2)


def pct(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None of nothing."""
    return round(100.0 * part / whole, 1) if whole else None


def rounded(value: Any) -> float | None:
    """A number rounded to two decimals; None stays None."""
    return None if value is None else round(float(value), 2)


def mean(total: int, count: int) -> float | None:
    """An average with two decimals; None of nothing."""
    return round(total / count, 2) if count else None
