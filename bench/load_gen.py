"""Load generators and probes for bench/load.py: wrk at full speed, a paced open-loop sender,
a Slack stand-in that timestamps alerts, and a resident-memory sampler."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ID_MARK = "__RESPONSE_ID__"

WRK_SCRIPT = """
local left, right, prefix = [==[%(left)s]==], [==[%(right)s]==], "%(prefix)s"
local counter, next_tid = 0, 0
function setup(thread) thread:set("tid", next_tid); next_tid = next_tid + 1 end
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer %(key)s"
end
function request()
  counter = counter + 1
  local id = prefix .. "-" .. tid .. "-" .. counter
  return wrk.format(nil, "/v1/responses", nil, left .. id .. right)
end
"""


@dataclass(frozen=True)
class Throughput:
    """A saturating run: requests per second, errors and latency percentiles in ms."""

    rps: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> Throughput:
    """Read requests/s, errors and latency percentiles from `wrk --latency` output."""
    percentile = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    return Throughput(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        requests=int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        errors=errors,
        p50_ms=_ms(percentile["50"]),
        p99_ms=_ms(percentile["99"]),
    )


def run_wrk(
    base_url: str, key: str, template: str, prefix: str, duration: float, connections: int
) -> Throughput:
    """Saturate POST /v1/responses with wrk (2 threads), each request with a unique id."""
    left, right = template.split(ID_MARK, 1)
    right = right.replace(ID_MARK, "wrk")
    script = WRK_SCRIPT % {"left": left, "right": right, "prefix": prefix, "key": key}
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        result = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
             "-s", lua.name, base_url],
            capture_output=True, text=True, check=True, timeout=duration + 60,
        )  # fmt: skip
    return parse_wrk(result.stdout)


def wrk_available() -> bool:
    """Return whether the wrk load generator is installed."""
    return shutil.which("wrk") is not None


@dataclass
class Paced:
    """An open-loop run: when each request was due, sent and answered (monotonic seconds)."""

    due: list[float] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)
    done: list[float] = field(default_factory=list)
    errors: int = 0
    late_start: float = 0.0

    def latencies_ms(self) -> list[float]:
        """Latency from when each request was due (so a lagging sender still counts the wait)."""
        return sorted((d - due) * 1000 for due, d in zip(self.due, self.done, strict=True))


def paced_post(
    base_url: str, key: str, body: Callable[[int], bytes], rate: float, duration: float,
    threads: int = 32, on_sent: Callable[[int, float], None] | None = None,
) -> Paced:  # fmt: skip
    """POST `rate` requests per second for `duration` s from a pool of keep-alive connections."""
    total = int(rate * duration)
    start = time.monotonic() + 0.2
    lock = threading.Lock()
    counter = iter(range(total))
    result = Paced()
    netloc = urlsplit(base_url).netloc
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def worker() -> None:
        conn = http.client.HTTPConnection(netloc, timeout=30)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            due = start + index / rate
            time.sleep(max(0.0, due - time.monotonic()))
            sent = time.monotonic()
            try:
                conn.request("POST", "/v1/responses", body(index), headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 202
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(netloc, timeout=30)
                ok = False
            done = time.monotonic()
            if on_sent is not None:
                on_sent(index, sent)
            with lock:
                result.due.append(due)
                result.sent.append(sent)
                result.done.append(done)
                result.errors += not ok
                result.late_start = max(result.late_start, sent - due)
        conn.close()

    run_threads(worker, threads)
    return result


def run_threads(target: Callable[[], None], count: int) -> None:
    """Run `target` in `count` threads at once and wait for them all."""
    pool = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


@dataclass
class AlertClock:
    """A Slack stand-in that records when the first alert carrying each token arrived."""

    pattern: re.Pattern[bytes]
    url: str = ""
    arrived: dict[str, float] = field(default_factory=dict)
    posts: int = 0
    posts_by_prefix: dict[str, int] = field(default_factory=dict)  # token less its "-<n>"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, raw: bytes) -> None:
        """Timestamp the token a posted message carries."""
        now = time.monotonic()
        match = self.pattern.search(raw)
        with self._lock:
            self.posts += 1
            if match:
                token = match.group(0).decode()
                self.arrived.setdefault(token, now)
                prefix = token.rpartition("-")[0]
                self.posts_by_prefix[prefix] = self.posts_by_prefix.get(prefix, 0) + 1


@contextmanager
def alert_clock(pattern: re.Pattern[bytes]) -> Iterator[AlertClock]:
    """Run the timestamping stand-in on a free port (any POST path counts as a webhook)."""
    clock = AlertClock(pattern)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            clock.record(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    clock.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield clock
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class MemorySampler:
    """Samples the resident memory of process trees every second; keeps each process's peak."""

    roots: dict[str, int]
    peaks: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        """Record the current RSS of every process in every tree."""
        for role, pid in self.roots.items():
            try:
                root = psutil.Process(pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for proc in procs:
                try:
                    rss, name = proc.memory_info().rss, " ".join(proc.cmdline()[1:5])
                except psutil.NoSuchProcess:
                    continue
                key = (role, proc.pid)
                if rss > self.peaks.get(key, ("", 0))[1]:
                    self.peaks[key] = (name, rss)

    @contextmanager
    def running(self) -> Iterator[MemorySampler]:
        """Sample in a background thread for the duration of the block."""
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()


def tail(path: Path, chars: int = 2000) -> str:
    """The end of a log file, for error messages."""
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""
