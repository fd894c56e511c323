"""What the end-to-end tests share: the process commands (also the containers'), and helpers."""

from __future__ import annotations

import importlib.util
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from cxloop.run import PROCESS_ARGS
from shared.settings import Settings
from tests.support.processes import Process
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]

# What a process prints once it does its job (the web process is probed over HTTP instead).
READY_TEXT = {"router": "ready.", "notifier": "ready.", "beat": "beat: Starting..."}

T = TypeVar("T")


def container_command(service: str) -> list[str]:
    """The command a container of `service` runs: the same module entry point the tests run."""
    return ["python", "-m", "cxloop", *PROCESS_ARGS[service]]


def healthcheck() -> ModuleType:
    """The container health probe, deploy/healthcheck.py (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(
    method: str, url: str, body: Any = None, key: str | None = None, timeout: float = 10.0
) -> tuple[int, Any]:
    """Send one JSON request; return the status and the decoded JSON body (or text)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def answers(url: str) -> bool:
    """Return whether an HTTP server answers 200 at `url`."""
    try:
        return http("GET", url, timeout=2)[0] == 200
    except OSError:
        return False


def dissatisfied(response_id: str, comment: str | None = None, **extra: Any) -> dict[str, Any]:
    """A generic-form response from an unhappy customer about a late, damaged delivery."""
    return {
        "source": "e2e",
        "response_id": response_id,
        "submitted_at": "2026-01-15T10:30:00Z",
        "respondent": {"id": "c-42", "email": "ann@example.com", "name": "Ann Example"},
        "scores": {"nps": 1},
        "comment": comment
        or "The courier was three days late and the parcel arrived damaged. Terrible.",
        "attributes": {"region": "north"},
        **extra,
    }


@dataclass
class System:
    """cxloop's processes (web, workers, beat) started for one test, stopped at its end."""

    settings: Settings
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """Where the ingest service answers."""
        return f"http://{self.settings.bind}"

    def start(self, name: str, timeout: float = 60.0) -> Process:
        """Start (or restart) one process and wait until it is ready."""
        proc = self.processes.get(name) or Process(
            list(PROCESS_ARGS[name]), self.settings, self.log_dir / f"{name}.log", self.env
        )
        self.processes[name] = proc
        if name == "ingest":
            proc.start()
            wait_until(
                lambda: _alive(proc) and answers(self.base_url + "/healthz"),
                timeout,
                "the ingest service to answer /healthz",
            )
        else:
            proc.start(ready=READY_TEXT.get(name), timeout=timeout)
        return proc

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after a grace period)."""
        for proc in self.processes.values():
            proc.stop()

    def logs(self, tail: int | None = 3000) -> str:
        """Every process's log (by default only its tail, for failure messages)."""
        return "\n".join(
            f"--- {name} ---\n{proc.output()[-tail if tail else 0 :]}"
            for name, proc in self.processes.items()
        )


def _alive(proc: Process) -> bool:
    if proc.proc is not None and proc.proc.poll() is not None:
        code = proc.proc.returncode
        raise AssertionError(f"{proc.args} exited ({code}):\n{proc.output()[-4000:]}")
    return True


@contextmanager
def running(
    settings: Settings, log_dir: Path, *names: str, env: dict[str, str] | None = None
) -> Iterator[System]:
    """Start the named processes in order; stop them all afterwards, whatever happened."""
    system = System(settings, log_dir, env or {})
    try:
        for name in names:
            system.start(name)
        yield system
    finally:
        system.stop()
