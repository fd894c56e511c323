"""Measure the duplicate window left for Slack webhook targets, which we cannot look up.

A webhook answers `ok` and nothing else: no id, no history. If the notifier dies after Slack
stored the message and before `sent` is committed, the sweep sends it again. This measures that
window (from the stand-in storing the post to the notifier's commit) over real HTTP and a real
database, one delivery at a time:

    PYTHONPATH=. .venv/bin/python bench/webhook_window.py --count 300 [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from services.notifier import flows
from shared.db import make_engine, make_session_factory, migrate
from shared.settings import Settings
from shared.settings.secret import Secret
from tests.notifier.factories import create_delivery
from tests.support.slack_standin import slack_standin

VAR = "CXLOOP_SLACK_WEBHOOK_BENCH"


def main() -> None:
    """Deliver `count` webhook alerts and print the window's median, p99 and maximum."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="webhook-window-"))
    url = args.database_url or f"sqlite:///{workdir / 'cxloop.db'}"
    migrate(url)
    sessions = make_session_factory(make_engine(url))
    windows = []
    with slack_standin() as slack:
        hooks = {VAR: Secret(slack.webhook_url)}
        settings = Settings(
            data_dir=workdir, database_url=url, http_timeout_s=5.0, slack_webhooks=hooks
        )
        for _ in range(args.count):
            delivery_id = create_delivery(sessions, channel="slack", target=f"webhook:{VAR}")
            outcome = flows.deliver(sessions, settings, delivery_id, limiter=None)
            committed = time.time()
            assert outcome.status == "sent", outcome
            windows.append((committed - slack.posts[-1].at) * 1000)
    windows.sort()
    p99 = windows[min(len(windows) - 1, int(len(windows) * 0.99))]
    print(
        f"{len(windows)} webhook deliveries on {url.split(':')[0]}: stored-to-committed window "
        f"median {statistics.median(windows):.1f} ms, p99 {p99:.1f} ms, max {windows[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
