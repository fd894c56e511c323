"""The embedded default: `cxloop up` with no URLs runs the whole loop on one machine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.e2e.harness import answers, dissatisfied, free_port, http, wait_until

pytestmark = pytest.mark.slow


def scrubbed_env(data_dir: Path, bind: str) -> dict[str, str]:
    """This environment without any database, Redis or other cxloop setting."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CXLOOP_") and name not in ("DATABASE_URL", "REDIS_URL")
    }
    return {**env, "CXLOOP_DATA_DIR": str(data_dir), "CXLOOP_BIND": bind,
            "CXLOOP_LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1"}  # fmt: skip


def test_up_with_no_urls_takes_a_response_to_an_alert_in_the_outbox(tmp_path: Path) -> None:
    data_dir, bind = tmp_path / "data", f"127.0.0.1:{free_port()}"
    base = f"http://{bind}"
    with open(tmp_path / "up.log", "wb") as log:
        up = subprocess.Popen(
            [sys.executable, "-m", "cxloop", "up"], env=scrubbed_env(data_dir, bind),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(lambda: up.poll() is None and answers(base + "/healthz"), 90, "ingest")
        key_file = data_dir / "api-key"
        key = wait_until(lambda: key_file.exists() and key_file.read_text().strip(), 30, "key")

        assert http("POST", base + "/v1/responses", dissatisfied("emb-1"))[0] == 401
        status, body = http("POST", base + "/v1/responses", dissatisfied("emb-1"), key=key)
        assert status == 202, body

        outbox = data_dir / "outbox"
        files = wait_until(lambda: sorted(outbox.glob("case-*.json")), 90, "an outbox alert")
        alert = json.loads(files[0].read_text())
        assert "parcel arrived damaged" in alert["text"]
        assert (data_dir / "cxloop.db").exists()
        assert (data_dir / "redis" / "redis.sock").exists()
        children = psutil.Process(up.pid).children(recursive=True)
        assert len(children) >= 5  # redis-server, gunicorn, two workers, beat (and their pools)
    except BaseException:
        os.killpg(up.pid, signal.SIGKILL)
        up.wait()
        print((tmp_path / "up.log").read_text()[-6000:])
        raise

    up.send_signal(signal.SIGTERM)
    assert up.wait(timeout=60) == 0
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, f"still running after `up` stopped: {[p.pid for p in alive]}"
