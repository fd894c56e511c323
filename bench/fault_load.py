"""What bench/faults.py sends and counts: paced posts that retry like a survey tool, and a tally
of which alert reached which channel, how often, and when it was first seen."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SOURCE = "faults"
# Spread the alerts over as many teams as keeps each Slack channel and mailbox well under the
# notifier's per-target rate (Slack about 1/s), so the limiter itself is not what is measured.
ALERTS_PER_TARGET_PER_S = 0.5


def routes_yaml(teams: int) -> str:
    """A routing tree sending shard N to team N: one mailbox and one Slack channel (bot token)."""
    receivers = "".join(
        f"  - name: team-{n}\n    email: [team-{n}@example.com]\n"
        f"    slack:\n      - channel: C0TEAM{n}\n"
        for n in range(teams)
    )
    routes = "".join(
        f"    - matchers: ['shard = \"{n}\"']\n      receiver: team-{n}\n" for n in range(teams)
    )
    return (
        "touchpoints:\n  delivery:\n"
        '    description: "Delivery: couriers, parcels, late, missing or damaged deliveries"\n'
        "    keywords: [courier, parcel, tracking]\n"
        '  general:\n    description: "Anything else"\ndefault_touchpoint: general\n'
        f"receivers:\n{receivers}route:\n  receiver: team-0\n  routes:\n{routes}"
    )


def body(token: str, shard: int) -> bytes:
    """One detractor's response, its token in the comment so the alerts can be told apart."""
    return json.dumps({
        "source": SOURCE, "response_id": token, "submitted_at": "2026-01-15T10:30:00Z",
        "respondent": {"id": "c-1", "email": "ann@example.com", "name": "Ann"},
        "scores": {"nps": 1},
        "comment": f"Ref {token}: the courier was late and the parcel arrived damaged. Terrible.",
        "attributes": {"region": "north", "shard": str(shard)},
    }).encode()  # fmt: skip


@dataclass
class Poster:
    """Posts `count` responses at `rate`/s; a refused post is retried with backoff, as survey
    tools do, for at most `give_up_s` s. Runs in background threads until done."""

    base_url: str
    key: str
    tokens: list[str]
    rate: float
    teams: int
    give_up_s: float = 300.0
    threads: int = 24
    accepted: dict[str, float] = field(default_factory=dict)
    given_up: list[str] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Poster:
        """Start posting in the background."""
        start = time.monotonic() + 0.2
        indexes = iter(range(len(self.tokens)))
        for _ in range(self.threads):
            thread = threading.Thread(target=self._work, args=(start, indexes), daemon=True)
            thread.start()
            self._pool.append(thread)
        return self

    @property
    def done(self) -> bool:
        """Whether every response was accepted or given up on."""
        return not any(thread.is_alive() for thread in self._pool)

    def _work(self, start: float, indexes: object) -> None:
        netloc = urlsplit(self.base_url).netloc
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}
        conn = http.client.HTTPConnection(netloc, timeout=30)
        while True:
            with self._lock:
                index = next(indexes, None)  # type: ignore[call-overload]
            if index is None:
                break
            time.sleep(max(0.0, start + index / self.rate - time.monotonic()))
            token = self.tokens[index]
            payload = body(token, index % self.teams)
            first, delay = time.monotonic(), 0.5
            while True:
                outcome = _post(conn, payload, headers)
                if outcome == "202":
                    with self._lock:
                        self.accepted[token] = time.monotonic()
                    break
                conn.close()
                conn = http.client.HTTPConnection(netloc, timeout=30)
                with self._lock:
                    self.refusals[outcome] += 1
                if time.monotonic() - first > self.give_up_s:
                    with self._lock:
                        self.given_up.append(token)
                    break
                time.sleep(delay)
                delay = min(delay * 2, 8.0)
        conn.close()


def _post(conn: http.client.HTTPConnection, payload: bytes, headers: dict[str, str]) -> str:
    try:
        conn.request("POST", "/v1/responses", payload, headers)
        response = conn.getresponse()
        response.read()
        return str(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__


@dataclass
class Tally:
    """Alerts seen on one channel: copies per token and when each token was first seen."""

    pattern: re.Pattern[str]
    copies: Counter[str] = field(default_factory=Counter)
    first_seen: dict[str, float] = field(default_factory=dict)
    _read: int = 0

    def update(self, texts: Callable[[int], list[str]]) -> None:
        """Count the messages that arrived since the last update (`texts(n)`: from the n-th on)."""
        now = time.monotonic()
        messages = texts(self._read)
        for text in messages:
            for token in set(self.pattern.findall(text)):
                self.copies[token] += 1
                self.first_seen.setdefault(token, now)
        self._read += len(messages)

    def unique(self, expected: set[str]) -> int:
        """How many of the expected alerts arrived at least once."""
        return len(expected & set(self.copies))

    def duplicates(self, expected: set[str]) -> int:
        """Copies beyond the first, over the expected alerts."""
        return sum(n - 1 for token, n in self.copies.items() if token in expected)
