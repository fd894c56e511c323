"""The notifier's thread pool: how many sends run at once per endpoint, sessions per thread,
and the pool each worker gets."""

from __future__ import annotations

import threading

import pytest

from cxloop.run import worker_pool
from services.notifier.channels import slack
from services.notifier.concurrency import endpoint_slot
from shared.settings import Settings


def test_no_more_than_the_limit_send_to_one_endpoint_at_once() -> None:
    limit, callers = 2, 5
    inside, most, lock = 0, 0, threading.Lock()
    entered = threading.Semaphore(0)
    release = threading.Event()

    def send() -> None:
        nonlocal inside, most
        with endpoint_slot("slack:webhook:CAP", limit):
            with lock:
                inside += 1
                most = max(most, inside)
            entered.release()
            release.wait(10)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=send) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for _ in range(limit):
        assert entered.acquire(timeout=10)
    assert not entered.acquire(timeout=0.2), "a third send got in while two held the endpoint"
    with endpoint_slot("slack:webhook:OTHER", limit):  # another endpoint is not held up
        pass
    release.set()
    for thread in threads:
        thread.join(10)
    assert most == limit


def test_each_thread_has_its_own_keep_alive_session() -> None:
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(slack._http_session(1)))
    thread.start()
    thread.join()
    assert slack._http_session(1) is slack._http_session(1)  # kept: connections are reused
    assert seen[0] is not slack._http_session(1)


def test_the_notifier_runs_on_threads_and_the_router_on_processes_by_default() -> None:
    settings = Settings()
    assert worker_pool("notifier", settings) == ("threads", settings.notifier_concurrency)
    assert worker_pool("router", settings) == ("prefork", settings.worker_concurrency)
    chosen = settings.with_(notifier_pool="prefork", notifier_concurrency=3)
    assert worker_pool("notifier", chosen) == ("prefork", 3)


@pytest.mark.parametrize(
    "changes",
    [{"notifier_pool": "gevent"}, {"router_pool": "eventlet"}, {"notifier_concurrency": 0},
     {"notifier_endpoint_concurrency": 0}],
)  # fmt: skip
def test_settings_refuse_an_unknown_pool_or_no_concurrency(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"(?i)pool|concurrency"):
        Settings(**changes)  # type: ignore[arg-type]
