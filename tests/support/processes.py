"""Start cxloop's real processes (workers, web, beat) as subprocesses and wait until ready."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from shared.settings import Settings


class Process:
    """A cxloop process started with `python -m cxloop ARGS`, its output kept in a log file."""

    def __init__(
        self, args: list[str], settings: Settings, log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.args = args
        self.settings = settings
        self.log_path = log_path
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ready: str | None = None, timeout: float = 60.0) -> Process:
        """Start the process; if `ready` is given, wait until that text appears in its output."""
        env = {**os.environ, **self.settings.to_env(), "PYTHONUNBUFFERED": "1", **self.extra_env}
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cxloop", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        if ready:
            self.wait_for(ready, timeout)
        return self

    def output(self) -> str:
        """Everything the process printed since its last start."""
        return self.log_path.read_bytes()[self._offset :].decode(errors="replace")

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        """Wait until `text` appears in the output, failing early if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.args} exited ({self.proc.returncode}):\n{self.output()[-4000:]}"
                )
            time.sleep(0.1)
        raise AssertionError(
            f"{self.args}: {text!r} not seen in {timeout}s:\n{self.output()[-4000:]}"
        )

    def children(self) -> list[psutil.Process]:
        """The process's descendants (e.g. a Celery worker's pool children)."""
        assert self.proc is not None
        return psutil.Process(self.proc.pid).children(recursive=True)

    def kill(self) -> None:
        """SIGKILL the process and all its descendants, as a crash or OOM kill would."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), killing after a grace period."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def start_worker(service: str, settings: Settings, log_dir: Path, **kw: object) -> Process:
    """Start a real Celery worker for `service` and wait until it consumes its queue."""
    return Process(["worker", service], settings, log_dir / f"{service}-worker.log").start(
        ready="ready.",
        timeout=float(kw.get("timeout", 60.0)),  # type: ignore[arg-type]
    )
