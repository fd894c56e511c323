"""Fault harness: cxloop's real processes under eight faults, counting what was lost or doubled.

    .venv/bin/python -m bench.faults [--scenarios router-kill,smtp-down] [--count 400]
        [--rate 25] [--quick] [--budget 600] [--out FILE.md] [--work DIR]

For each scenario it starts a fresh database in a PostgreSQL cluster of its own, a Redis server
of its own, an SMTP sink and a Slack stand-in (all on loopback ports, in temporary directories),
then gunicorn ingest, the router and notifier workers and beat. It posts COUNT detractors at
RATE/s, each of which should give one Slack message (bot token) and one email; once a third of
them are accepted it injects the fault, holds it for the scenario's time, ends it, and waits
until every case's deliveries are sent or failed (or the budget after the fault runs out). A
process that exits by itself is restarted, as `cxloop up` or a container runtime would.

The table gives, per scenario: responses accepted (202) and stored, cases, alerts expected and
received per channel (unique, and duplicate copies), failed deliveries, and the time from the
fault's end to the first copy of the last alert. `--quick` is a smoke run (40 responses at
10/s, short faults). Shipped timings (sweeps, leases, retries) are used throughout.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import fault_load
from bench.fault_env import PgCluster, RedisServer, SMTPSink, StormyStandin, pause, stormy_standin
from shared.db import migrate
from shared.settings import Settings
from shared.settings.secret import Secret
from tests.e2e.harness import System, free_port

KEY = "faults-ingest-key-0123456789abcdef0123456789"
PROCESSES = ("ingest", "router", "notifier", "beat")
POLL_S = 0.5
MAX_RESTARTS = 30


@dataclass
class Rig:
    """What one scenario runs on, and what its fault may break."""

    system: System
    pg: PgCluster
    redis: RedisServer
    smtp: SMTPSink
    slack: StormyStandin


@dataclass(frozen=True)
class Scenario:
    """A fault: how to inject it, how long to hold it (full and quick run), how to end it."""

    name: str
    hold_s: float
    quick_hold_s: float
    inject: Callable[[Rig], object]
    restore: Callable[[Rig], object]
    aof: bool = False


def _kill(name: str) -> Callable[[Rig], object]:
    return lambda rig: rig.system.processes[name].kill()


def _restart(name: str) -> Callable[[Rig], object]:
    return lambda rig: rig.system.start(name)


def _storm(on: bool) -> Callable[[Rig], object]:
    return lambda rig: setattr(rig.slack, "storming", on)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("router-kill", 5, 2, _kill("router"), _restart("router")),
        Scenario("notifier-kill", 5, 2, _kill("notifier"), _restart("notifier")),
        Scenario("gunicorn-kill", 5, 2, _kill("ingest"), _restart("ingest")),
        Scenario("redis-empty", 10, 5, lambda r: r.redis.crash(), lambda r: r.redis.start()),
        Scenario(
            "redis-aof", 10, 5, lambda r: r.redis.crash(), lambda r: r.redis.start(), aof=True
        ),
        Scenario("postgres-crash", 15, 5, lambda r: r.pg.crash(), lambda r: r.pg.start()),
        Scenario("smtp-down", 120, 20, lambda r: r.smtp.stop(), lambda r: r.smtp.start()),
        Scenario("slack-storm", 60, 15, _storm(True), _storm(False)),
    )
}


@dataclass
class Row:
    """One scenario's figures."""

    scenario: str
    hold_s: float
    accepted: int = 0
    given_up: int = 0
    stored: int = 0
    cases: int = 0
    expected: int = 0
    slack_unique: int = 0
    slack_dup: int = 0
    email_unique: int = 0
    email_dup: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    unfinished: int = 0
    last_attempt: int = 0
    recovery_s: float | None = None
    drained: bool = False
    refusals: Counter[str] = field(default_factory=Counter)
    restarts: Counter[str] = field(default_factory=Counter)

    @property
    def lost_responses(self) -> int:
        """Responses answered 202 but not in the database."""
        return self.accepted - self.stored


@dataclass(frozen=True)
class Options:
    """How big and how long a run is."""

    count: int = 400
    rate: float = 25.0
    quick: bool = False
    budget_s: float = 600.0
    smtp_delay_s: float = 0.0
    smtp_timeout_s: float = Settings().smtp_timeout_s
    concurrency: int = Settings().worker_concurrency


def run_scenario(scenario: Scenario, options: Options, pg: PgCluster, work: Path) -> Row:
    """Run one scenario on fresh services and return its figures."""
    run = uuid.uuid4().hex[:6]
    hold = scenario.quick_hold_s if options.quick else scenario.hold_s
    row = Row(scenario.name, hold)
    teams = max(1, math.ceil(options.rate / fault_load.ALERTS_PER_TARGET_PER_S))
    here = work / f"{scenario.name}-{run}"
    here.mkdir(parents=True)
    (here / "routes.yml").write_text(fault_load.routes_yaml(teams))
    database_url = pg.create_database(f"faults_{scenario.name.replace('-', '_')}_{run}")
    migrate(database_url)
    redis = RedisServer(aof=scenario.aof)
    smtp = SMTPSink(delay=options.smtp_delay_s)
    try:
        redis.start()
        smtp.start()
        with stormy_standin() as slack:
            port = free_port()
            settings = Settings(
                data_dir=here / "data", database_url=database_url, redis_url=redis.url,
                routes_file=here / "routes.yml", api_keys=(Secret(KEY),),
                secret_key=Secret("faults-secret-key-" + uuid.uuid4().hex),
                bind=f"127.0.0.1:{port}", public_url=f"http://127.0.0.1:{port}",
                smtp_host=smtp.recorder.host, smtp_port=smtp.recorder.port,
                smtp_timeout_s=options.smtp_timeout_s, worker_concurrency=options.concurrency,
                slack_token=Secret(slack.token), slack_api_url=slack.api_url, log_format="text",
            )  # fmt: skip
            system = System(settings, here)
            try:
                for name in PROCESSES:
                    system.start(name)
                _measure(Rig(system, pg, redis, smtp, slack), scenario, options, run, row, teams)
            finally:
                system.stop()
    finally:
        smtp.stop()
        redis.destroy()
    return row


def _measure(
    rig: Rig, scenario: Scenario, options: Options, run: str, row: Row, teams: int
) -> None:
    tokens = [f"FLT{run}-{i}" for i in range(options.count)]
    pattern = re.compile(rf"FLT{run}-\d+\b")
    slack, email = fault_load.Tally(pattern), fault_load.Tally(pattern)
    poster = fault_load.Poster(rig.system.base_url, KEY, tokens, options.rate, teams).start()
    posting_s = options.count / options.rate

    def tick() -> None:
        _supervise(rig.system, row.restarts)
        slack.update(rig.slack.texts)
        email.update(rig.smtp.texts)

    third = max(1, options.count // 3)
    _wait(lambda: len(poster.accepted) >= third, posting_s * 3 + 120, tick, "a third accepted")
    scenario.inject(rig)
    pause(row.hold_s)
    scenario.restore(rig)
    fault_end = time.monotonic()
    _wait(lambda: poster.done, poster.give_up_s + posting_s + 60, tick, "posting to end")
    row.drained = _wait(
        lambda: _finished(rig.system.settings.database_url), options.budget_s, tick, None
    )
    tick()
    expected = set(poster.accepted)
    row.accepted, row.given_up, row.refusals = len(expected), len(poster.given_up), poster.refusals
    row.expected = len(expected)
    row.slack_unique, row.slack_dup = slack.unique(expected), slack.duplicates(expected)
    row.email_unique, row.email_dup = email.unique(expected), email.duplicates(expected)
    _count_rows(rig.system.settings.database_url, sorted(expected), row)
    if row.slack_unique == row.email_unique == row.expected:
        last = max(max(t.first_seen[k] for k in expected) for t in (slack, email))
        row.recovery_s = last - fault_end


def _wait(
    probe: Callable[[], object], timeout: float, tick: Callable[[], None], what: str | None
) -> bool:
    """Poll `probe` (supervising and counting between polls) until true or `timeout` s pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tick()
        if probe():
            return True
        time.sleep(POLL_S)
    if what is not None:
        raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")
    return False


def _supervise(system: System, restarts: Counter[str]) -> None:
    """Restart a process that exited by itself, as a supervisor would (bounded in count)."""
    for name, proc in system.processes.items():
        if proc.proc is None or proc.proc.poll() is None or restarts[name] >= MAX_RESTARTS:
            continue
        restarts[name] += 1
        with suppress(AssertionError):
            system.start(name)


def _finished(database_url: str) -> bool:
    """Every stored response has its case, and every delivery is sent or failed."""
    query = """SELECT (SELECT count(*) FROM responses WHERE source = %s),
                      (SELECT count(*) FROM cases),
                      (SELECT count(*) FROM deliveries),
                      (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending'))"""
    try:
        with psycopg.connect(database_url, connect_timeout=3) as conn:
            stored, cases, deliveries, open_ = conn.execute(query, [fault_load.SOURCE]).fetchone()  # type: ignore[misc]
    except psycopg.Error:
        return False
    return stored > 0 and cases == stored and deliveries >= 2 * cases and open_ == 0


def _count_rows(database_url: str, tokens: list[str], row: Row) -> None:
    with psycopg.connect(database_url) as conn:
        row.stored, row.cases = conn.execute(
            "SELECT count(r.id), count(c.id) FROM responses r"
            " LEFT JOIN cases c ON c.response_id = r.id"
            " WHERE r.source = %s AND r.external_id = ANY(%s)",
            [fault_load.SOURCE, tokens],
        ).fetchone()  # type: ignore[misc]
        (row.last_attempt,) = conn.execute(
            "SELECT count(*) FROM deliveries WHERE status = 'sent' AND attempts > %s",
            [Settings().max_retries],
        ).fetchone()  # type: ignore[misc]
        for channel, status, n in conn.execute(
            "SELECT channel, status, count(*) FROM deliveries GROUP BY channel, status"
        ):
            if status == "failed":
                row.failed[channel] += n
            elif status in ("pending", "sending"):
                row.unfinished += n


def table(rows: list[Row]) -> str:
    """The results as a markdown table."""
    head = (
        "| scenario | fault held | accepted | stored | cases | alerts expected (each channel) "
        "| Slack unique | Slack dup | email unique | email dup | failed (Slack/email) "
        "| recovery | notes |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        recovery = f"{r.recovery_s:.0f} s" if r.recovery_s is not None else "not recovered"
        lines.append(
            f"| {r.scenario} | {r.hold_s:g} s | {r.accepted} | {r.stored} | {r.cases} "
            f"| {r.expected} | {r.slack_unique} | {r.slack_dup} | {r.email_unique} "
            f"| {r.email_dup} | {r.failed['slack']}/{r.failed['email']} | {recovery} "
            f"| {_notes(r)} |"
        )
    return head + "\n".join(lines) + "\n"


def _notes(r: Row) -> str:
    notes = []
    if r.refusals:
        kinds = ", ".join(f"{k}: {n}" for k, n in r.refusals.most_common())
        notes.append(f"posts refused then retried: {kinds}")
    if r.last_attempt:
        notes.append(f"{r.last_attempt} sent on their last allowed attempt")
    if r.given_up:
        notes.append(f"{r.given_up} never accepted")
    if r.restarts:
        notes.append("restarted: " + ", ".join(f"{k}: {n}" for k, n in r.restarts.items()))
    if not r.drained:
        notes.append(f"not finished within the budget: {r.unfinished} deliveries open")
    return "; ".join(notes) or "-"


def run(names: list[str], options: Options, work: Path) -> list[Row]:
    """Run the named scenarios in order, each on fresh services; print each row as it ends."""
    pg = PgCluster()
    rows: list[Row] = []
    try:
        pg.start()
        for name in names:
            started = time.monotonic()
            rows.append(run_scenario(SCENARIOS[name], options, pg, work))
            print(table(rows[-1:]).splitlines()[-1], f"({time.monotonic() - started:.0f} s)")
            sys.stdout.flush()
    finally:
        pg.destroy()
    return rows


def main(argv: list[str] | None = None) -> None:
    """Parse options, run the scenarios, print the table and optionally write it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--count", type=int, help="detractors per scenario (400; quick 40)")
    parser.add_argument("--rate", type=float, help="posts per second (25; quick 10)")
    parser.add_argument("--quick", action="store_true", help="small numbers, short faults")
    parser.add_argument("--budget", type=float, help="s after the fault to finish (600; quick 300)")
    parser.add_argument(
        "--smtp-delay", type=float, default=0.0, help="s the SMTP sink takes per message (0)"
    )
    parser.add_argument(
        "--smtp-timeout", type=float, help="the notifier's CXLOOP_SMTP_TIMEOUT_S (shipped: 10)"
    )
    parser.add_argument(
        "--concurrency", type=int, help="CXLOOP_WORKER_CONCURRENCY of the workers (shipped: 2)"
    )
    parser.add_argument("--out", type=Path, help="also write the table (markdown) here")
    parser.add_argument("--work", type=Path, help="keep logs here instead of a temporary dir")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    options = Options(
        count=args.count or (40 if args.quick else 400),
        rate=args.rate or (10.0 if args.quick else 25.0),
        quick=args.quick,
        budget_s=args.budget or (300.0 if args.quick else 600.0),
        smtp_delay_s=args.smtp_delay,
        smtp_timeout_s=args.smtp_timeout or Settings().smtp_timeout_s,
        concurrency=args.concurrency or Settings().worker_concurrency,
    )
    work = args.work or Path(tempfile.mkdtemp(prefix="cxloop-faults-"))
    started = datetime.now(UTC)
    try:
        rows = run(names, options, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    command = " ".join([".venv/bin/python -m bench.faults", *(argv or sys.argv[1:])])
    slow = f", SMTP sink {options.smtp_delay_s:g} s per message" if options.smtp_delay_s else ""
    if args.smtp_timeout:
        slow += f", SMTP client timeout {options.smtp_timeout_s:g} s"
    if args.concurrency:
        slow += f", worker concurrency {options.concurrency}"
    report = (
        f"Run {started:%Y-%m-%d %H:%M} UTC: `{command}` ({options.count} detractors at "
        f"{options.rate:g}/s per scenario{slow})\n\n{table(rows)}"
    )
    print("\n" + report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
