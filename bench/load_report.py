"""The benchmark's verdict: figures against the targets, as a table and in docs/benchmarks.md."""

from __future__ import annotations

import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
MB = 1024 * 1024
RATIO_TARGET, HALF_P99_TARGET_MS, E2E_P95_TARGET_MS, RSS_TARGET_MB = 0.6, 50.0, 1000.0, 200.0
ROUTER_RSS_TARGET_MB = 400.0  # the router may hold a touchpoint model


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (nan when there are none)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {mem_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        memory = ""
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; PostgreSQL and Redis on the same machine"
    )


def cpu_text(cpu_ms: dict[str, float]) -> str:
    """CPU per response by process kind, and their sum (PostgreSQL not included)."""
    kinds = [k for k in ("web", "router", "notifier", "beat") if k in cpu_ms]
    parts = " + ".join(f"{k} {cpu_ms[k]:.1f}" for k in kinds)
    return f"{parts} = {sum(cpu_ms.values()):.1f}"


def verdict(ok: bool, measured: float, target: float, lower_is_better: bool = True) -> str:
    """'met' or 'missed by N%' for one figure against its target."""
    if ok:
        return "met"
    if math.isnan(measured):
        return "not measured"
    miss = (measured / target - 1) if lower_is_better else (1 - measured / target)
    return f"MISSED by {abs(miss) * 100:.0f}%"


@dataclass
class Report:
    """The results of one run of bench/load.py and how they compare to the targets."""

    results: dict[str, dict[str, Any]]
    command: str

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(measure, figure, target, verdict) for every reported figure of the phases run."""
        return self._ingest_rows() + self._e2e_rows() + self._rss_rows()

    def _ingest_rows(self) -> list[tuple[str, str, str, str]]:
        rows = []
        if "ceiling" in self.results:
            ceiling = self.results["ceiling"]["throughput"]
            rows.append(
                ("(a) ceiling: bare Flask + Redis push", f"{ceiling.rps:,.0f} req/s", "", "")
            )
        if "ingest" not in self.results:
            return rows
        ingest = self.results["ingest"]["throughput"]
        half = self.results["ingest"]["half"]
        half_lat = half.latencies_ms()
        half_p99 = percentile(half_lat, 99)
        cost = self.results["ingest"]["per_request"]
        rows.append(("(b) cxloop ingest, saturated", f"{ingest.rps:,.0f} req/s", "", ""))
        if "ceiling" in self.results:
            ratio = ingest.rps / ceiling.rps if ceiling.rps else math.nan
            rows.append(("(b)/(a) throughput ratio", f"{ratio:.2f}", f">= {RATIO_TARGET}",
                         verdict(ratio >= RATIO_TARGET, ratio, RATIO_TARGET,
                                 lower_is_better=False)))  # fmt: skip
        rows += [
            ("(b) latency when saturated, p50 / p99",
             f"{ingest.p50_ms:.1f} / {ingest.p99_ms:.1f} ms", "", ""),
            ("(b) per request when saturated: CPU of the web / of PostgreSQL; transactions",
             f"{1000 * cost['web_s']:.2f} / {1000 * cost['postgres_s']:.2f} ms; "
             f"{cost['commits']:.2f}", "", ""),
            (f"(b) p99 at half load ({self.results['ingest']['half_rate']:.0f} req/s, "
             f"{len(half_lat)} requests, p50 {percentile(half_lat, 50):.1f} ms)",
             f"{half_p99:.1f} ms", f"< {HALF_P99_TARGET_MS:.0f} ms",
             verdict(half_p99 < HALF_P99_TARGET_MS, half_p99, HALF_P99_TARGET_MS)),
        ]  # fmt: skip
        if "ceiling" in self.results:
            errors = (ceiling.errors, ingest.errors, half.errors)
            rows.append(("errors (non-202, socket) in (a) / (b) / half load",
                         " / ".join(str(e) for e in errors), "0",
                         "met" if sum(errors) == 0 else "MISSED"))  # fmt: skip
        return rows

    def _e2e_rows(self) -> list[tuple[str, str, str, str]]:
        if "e2e" not in self.results:
            return []
        e2e = self.results["e2e"]
        e2e_p95 = percentile(e2e["latencies"], 95)
        missing = e2e["sent"] - e2e["alerts"]
        rows = [
            (f"(c) end to end at {e2e['rate']:.0f}/s for {e2e['duration']:.0f} s, "
             f"{e2e['targets']} Slack channels, {e2e.get('broker', 'redis')} as the broker: "
             "alerts received",
             f"{e2e['alerts']} of {e2e['sent']} ({e2e['posts']} posts)", "all, once each",
             "met" if missing == 0 and e2e["posts"] == e2e["alerts"] else
             f"MISSED: {missing} not received in time, {e2e['posts'] - e2e['alerts']} duplicates"),
            ("(c) POST to alert latency, p50 / p95 / p99 / max",
             " / ".join(f"{percentile(e2e['latencies'], p):.0f}" for p in (50, 95, 99, 100))
             + " ms", f"p95 < {E2E_P95_TARGET_MS:.0f} ms",
             verdict(e2e_p95 < E2E_P95_TARGET_MS, e2e_p95, E2E_P95_TARGET_MS)),
        ]  # fmt: skip
        if warm := e2e.get("warm_up"):
            rows.append((f"(c) cold start: the {len(warm)} responses posted first (at 10/s, each "
                         "alert awaited before the run), POST to alert, p50 / max",
                         f"{percentile(warm, 50):.0f} / {max(warm):.0f} ms", "", ""))  # fmt: skip
        for stage, values in e2e["stages"].items():
            rows.append((f"(c) {stage}, p50 / p95", " / ".join(
                f"{percentile(values, p):.0f}" for p in (50, 95)) + " ms", "", ""))  # fmt: skip
        return rows

    def _rss_rows(self) -> list[tuple[str, str, str, str]]:
        rows = []
        for role, (name, rss) in self._peak_rss().items():
            rss_mb = rss / MB
            target = ROUTER_RSS_TARGET_MB if role.startswith("router") else RSS_TARGET_MB
            ok = verdict(rss_mb < target, rss_mb, target)
            figure = f"{rss_mb:.0f} MB"
            rows.append((f"peak RSS, {role} ({name})", figure, f"< {target:.0f} MB", ok))
        return rows

    def _peak_rss(self) -> dict[str, tuple[str, int]]:
        """The highest RSS of any one process per role (router-2 counts as router)."""
        phases = [p for p in ("ingest", "e2e", "curve") if p in self.results]
        samplers = [self.results[p]["memory"] for p in phases]
        samplers += [row["memory"] for row in self.results.get("scale", [])]
        peaks: dict[str, tuple[str, int]] = {}
        for sampler in samplers:
            for (role, _pid), (name, rss) in sampler.peaks.items():
                role = role.split("-")[0]
                if rss > peaks.get(role, ("", 0))[1]:
                    peaks[role] = (name, rss)
        return dict(sorted(peaks.items()))

    def curve_table(self) -> list[str]:
        """Latency against offered load: a table and a Mermaid chart of p50 and p95."""
        points = self.results.get("curve", {}).get("points", [])
        if not points:
            return []
        lines = [
            "", "### Latency against offered load (POST to Slack stand-in)", "",
            "| Offered | Posted | Alerts (posts) | p50 | p95 | p99 | Alerts/s | CPU ms/response |",
            "|---|---|---|---|---|---|---|---|",
        ]  # fmt: skip
        for pt in points:
            lat = pt.latencies
            lines.append(
                f"| {pt.rate:.0f}/s for {pt.duration:.0f} s | {pt.sent} at {pt.posted_rate:.0f}/s "
                f"| {pt.alerts} ({pt.posts}) | {percentile(lat, 50):,.0f} ms "
                f"| {percentile(lat, 95):,.0f} ms | {percentile(lat, 99):,.0f} ms "
                f"| {pt.throughput:.0f} | {cpu_text(pt.cpu_ms)} |"
            )
        xs = ", ".join(f"{pt.rate:.0f}" for pt in points)
        p95 = ", ".join(f"{percentile(pt.latencies, 95) / 1000:.2f}" for pt in points)
        p50 = ", ".join(f"{percentile(pt.latencies, 50) / 1000:.2f}" for pt in points)
        lines += [
            "", "```mermaid", "xychart-beta",
            '  title "POST to alert latency (s) against offered load: p95 (upper), p50"',
            f'  x-axis "offered responses/s" [{xs}]', '  y-axis "seconds"',
            f"  line [{p95}]", f"  line [{p50}]", "```",
        ]  # fmt: skip
        return lines

    def scale_table(self) -> list[str]:
        """Saturated throughput per broker and number of worker processes per service."""
        rows = self.results.get("scale", [])
        if not rows:
            return []
        lines = [
            "", "### Scale-out: saturated loop with N router and N notifier worker processes", "",
            "| Broker | Workers per service | Offered | Posted | Alerts (posts) | Alerts/s "
            "| vs 1 worker | p95 | CPU ms/response | Load avg |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]  # fmt: skip
        base: dict[str, float] = {}
        for row in rows:
            res = row["result"]
            base.setdefault(row["broker"], res.throughput)
            lines.append(
                f"| {row['broker']} | {row['workers']} | {res.rate:.0f}/s for {res.duration:.0f} s "
                f"| {res.sent} at {res.posted_rate:.0f}/s | {res.alerts} ({res.posts}) "
                f"| {res.throughput:.0f} | {res.throughput / base[row['broker']]:.2f} "
                f"| {percentile(res.latencies, 95):,.0f} ms | {cpu_text(res.cpu_ms)} "
                f"| {row['load']:.1f} |"
            )
        return lines

    def table(self) -> str:
        """The rows as a Markdown table."""
        lines = ["| Measure | Figure | Target | Verdict |", "|---|---|---|---|"]
        lines += [f"| {' | '.join(row)} |" for row in self.rows()]
        return "\n".join(lines)

    def markdown(self) -> str:
        """The generated section of docs/benchmarks.md."""
        return "\n".join([
            START,
            f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {machine()}.",
            "",
            f"Command: `{self.command}`",
            "",
            "Load average when the run started: "
            + " / ".join(f"{x:.1f}" for x in self.results.get("load", ())),
            "",
            self.table(),
            *self.curve_table(),
            *self.scale_table(),
            END,
        ])  # fmt: skip

    def write(self, path: Path) -> None:
        """Replace the generated section of `path`, keeping the hand-written analysis around it."""
        text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        path.write_text(head + self.markdown() + tail)
