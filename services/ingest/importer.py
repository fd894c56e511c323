"""`cxloop import FILE.csv --source NAME`: load an export of past responses.

Columns are mapped like a webhook source's questions: `--map nps=Q1 --map comment="Why?"`
(or the source's own mapping, or columns named nps, csat, ces, comment, touchpoint,
customer_id, email, name). Every row is validated; bad rows go to a reject file naming the
line and the reason, and the command exits with status 3 so a script notices. Rows are stored
once per (source, response id), so re-running the same import creates nothing twice. New
responses are sent for routing, or left to the sweep if the broker is down.

`--no-alerts` imports history: responses are stored and routed like any other, so KPIs and
trends include them, but the router opens their cases already closed, dated when the customer
answered, with no deadline and no delivery. `--since DATE` skips rows answered before DATE.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from marshmallow import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.enqueue import send_routing
from services.ingest.service import load_storable, store_response
from services.ingest.sources.base import Answer, Kind, Submission
from services.ingest.sources.config import SELECTOR_KEYS, ConfigError, SourceConfig, load_sources
from services.ingest.sources.mapping import to_generic
from shared.celery_app import create_celery
from shared.db import transaction
from shared.errors import flatten_messages
from shared.runtime import runtime
from shared.settings import Settings

ID_COLUMNS = ("response_id", "Response ID", "ResponseId", "id", "token", "Token")
TIME_COLUMNS = (
    "submitted_at",
    "Submitted At",
    "Submit Date (UTC)",
    "RecordedDate",
    "EndDate",
    "created_at",
    "date",
)
KINDS = {"nps": Kind.NPS, "csat": Kind.RATING, "comment": Kind.LONG_TEXT}
BATCH = 200
EXIT_REJECTED = 3  # imported, but some rows were rejected: see the reject file


@dataclass
class Summary:
    """What an import did."""

    imported: int = 0
    duplicate: int = 0
    rejected: int = 0
    skipped: int = 0  # answered before --since


class RowError(ValueError):
    """Why one CSV row cannot be imported."""


def _first(row: dict[str, str], names: Iterable[str]) -> str | None:
    by_folded = {k.casefold(): k for k in row if k}
    for name in names:
        key = by_folded.get(name.casefold())
        if key is not None and row[key].strip():
            return row[key].strip()
    return None


def _time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise RowError(f"submitted time {text!r} is not ISO-8601") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # exports are UTC


def row_submission(
    row: dict[str, str],
    source: SourceConfig,
    id_columns: tuple[str, ...],
    time_columns: tuple[str, ...],
) -> Submission:
    """Read one CSV row as a submission; raise RowError if it lacks an id or a time."""
    response_id = _first(row, id_columns)
    if response_id is None:
        raise RowError(f"no response id (looked for columns {', '.join(id_columns)})")
    stamp = _first(row, time_columns)
    if stamp is None:
        raise RowError(f"no submitted time (looked for columns {', '.join(time_columns)})")
    mapping = source.mapping
    answer_selectors = {
        s.casefold()
        for key in ("nps", "csat", "ces", "comment")
        for s in (getattr(mapping, key) or (key,))
    }
    skip = {c.casefold() for c in (*id_columns, *time_columns)} | answer_selectors
    answers = tuple(
        Answer(keys=(k,), kind=KINDS.get(k.casefold(), Kind.TEXT), value=v)
        for k, v in row.items()
        if k and v.strip()
    )
    fields = {k: v for k, v in row.items() if k and v.strip() and k.casefold() not in skip}
    return Submission(
        response_id=response_id, submitted_at=_time(stamp), answers=answers, fields=fields
    )


def import_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    source: SourceConfig,
    sessions: sessionmaker[Session],
    id_columns: tuple[str, ...] = ID_COLUMNS,
    time_columns: tuple[str, ...] = TIME_COLUMNS,
    since: datetime | None = None,
    historical: bool = False,
) -> tuple[Summary, list[tuple[int, str, dict[str, str]]], list[int]]:
    """Validate and store rows; return the summary, the rejects and the ids to route.

    Rows answered before `since` are skipped; `historical` rows become closed cases, unalerted.
    """
    summary, rejects, created_ids = Summary(), [], []
    batch: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for line, row in rows:
        try:
            submission = row_submission(row, source, id_columns, time_columns)
            data = load_storable(to_generic(submission, source))
        except RowError as exc:
            rejects.append((line, str(exc), row))
            continue
        except ValidationError as exc:
            reason = "; ".join(
                f"{k}: {' '.join(v)}" for k, v in flatten_messages(exc.messages).items()
            )
            rejects.append((line, reason, row))
            continue
        if since is not None and submission.submitted_at < since:
            summary.skipped += 1
            continue
        raw = {"source_type": "csv_import", "line": line, "row": row}
        batch.append((data, raw | {"historical": True} if historical else raw))
        if len(batch) >= BATCH:
            created_ids += _store(sessions, batch, summary)
            batch = []
    if batch:
        created_ids += _store(sessions, batch, summary)
    summary.rejected = len(rejects)
    return summary, rejects, created_ids


def _store(
    sessions: sessionmaker[Session],
    batch: list[tuple[dict[str, Any], dict[str, Any]]],
    summary: Summary,
) -> list[int]:
    created = []
    with transaction(sessions) as session:
        for data, raw in batch:
            row, is_new = store_response(session, data=data, raw=raw)
            if is_new:
                created.append(row.id)
            else:
                summary.duplicate += 1
    summary.imported += len(created)
    return created


def write_rejects(path: Path, rejects: list[tuple[int, str, dict[str, str]]]) -> None:
    """Write one line per bad row: its line number, why, then the row as it was."""
    columns = list(dict.fromkeys(k for _, _, row in rejects for k in row if k))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason", *columns])
        for line, reason, row in rejects:
            writer.writerow([line, reason, *(row.get(c, "") for c in columns)])


def _with_overrides(source: SourceConfig, overrides: tuple[str, ...]) -> SourceConfig:
    changes: dict[str, Any] = {}
    for item in overrides:
        key, sep, column = item.partition("=")
        if not sep or key not in SELECTOR_KEYS or not column:
            raise click.BadParameter(
                f"{item!r}: expected KEY=COLUMN with KEY one of {', '.join(SELECTOR_KEYS)}",
                param_hint="--map",
            )
        changes[key] = (*changes.get(key, ()), column)
    return replace(source, mapping=replace(source.mapping, **changes))


def _numbered(reader: Iterator[dict[str, str]]) -> Iterator[tuple[int, dict[str, str]]]:
    for row in reader:
        yield reader.line_num, {k: v or "" for k, v in row.items() if isinstance(k, str)}  # type: ignore[attr-defined]


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_name", required=True, help="A source from the sources file.")
@click.option(
    "--map",
    "overrides",
    multiple=True,
    metavar="KEY=COLUMN",
    help=f"Map a column: KEY is one of {', '.join(SELECTOR_KEYS)}. Repeatable.",
)
@click.option("--id-column", multiple=True, help="Column holding the response id.")
@click.option("--time-column", multiple=True, help="Column holding the submitted time.")
@click.option(
    "--reject-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where bad rows go (default FILE.rejects.csv).",
)
@click.option(
    "--no-alerts",
    is_flag=True,
    help="History: cases are created closed, dated when answered; nobody is alerted.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Skip rows answered before this date (UTC), e.g. 2026-01-01.",
)
def command(
    file: Path,
    source_name: str,
    overrides: tuple[str, ...],
    id_column: tuple[str, ...],
    time_column: tuple[str, ...],
    reject_file: Path | None,
    no_alerts: bool,
    since: datetime | None,
) -> None:
    """Import a CSV export of past responses for a configured source.

    Exits with status 3 when rows were rejected (the others are imported).
    """
    settings = Settings.from_env()
    try:
        sources = load_sources(settings.sources_file, os.environ)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    source = sources.get(source_name)
    if source is None:
        raise click.ClickException(f"no source named {source_name!r} in {settings.sources_file}")
    source = _with_overrides(source, overrides)
    sessions = runtime(settings).sessions
    with file.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(_numbered(csv.DictReader(handle)))
    with click.progressbar(rows, label=f"importing {file.name}") as bar:
        summary, rejects, created = import_rows(
            bar,
            source=source,
            sessions=sessions,
            id_columns=id_column or ID_COLUMNS,
            time_columns=time_column or TIME_COLUMNS,
            since=since.replace(tzinfo=UTC) if since is not None else None,
            historical=no_alerts,
        )
    if created:
        celery = create_celery(settings)
        try:
            send_routing(celery, sessions, created)
        finally:
            celery.close()
    line = (
        f"imported {summary.imported}, duplicate {summary.duplicate}, rejected {summary.rejected}"
    )
    if since is not None:
        line += f", skipped {summary.skipped} answered before {since:%Y-%m-%d}"
    if no_alerts:
        line += " (history: cases closed, nobody alerted)"
    click.echo(line)
    if rejects:
        path = reject_file or file.with_name(file.stem + ".rejects.csv")
        write_rejects(path, rejects)
        click.echo(f"rejected rows and reasons: {path}")
        raise click.exceptions.Exit(EXIT_REJECTED)
