"""Group commit: concurrent requests share a transaction, and each still gets its own answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from services.ingest.group_commit import GroupCommit


class Store:
    """A commit that records each call's items and can be held open until released."""

    def __init__(self, *, bad: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.after: list[list[str]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()
        self.bad = bad

    def commit(self, items: Sequence[str]) -> list[str]:
        self.calls.append(list(items))
        self.entered.set()
        self.hold.wait(10)
        if self.bad in items:
            raise ValueError(f"cannot store {self.bad}")
        return [item.upper() for item in items]

    def group(self, max_items: int = 100) -> GroupCommit[str, str]:
        return GroupCommit(self.commit, after=self.after.append, max_items=max_items)


def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def hold_first_commit(
    store: Store, group: GroupCommit[str, str], pool: ThreadPoolExecutor, first: list[str],
    then: list[list[str]],
) -> tuple[Future[list[str]], list[Future[list[str]]]]:  # fmt: skip
    """Start a commit of `first` and hold it open until `then`'s requests are all waiting."""
    store.hold.clear()
    leader = pool.submit(group.submit, first)
    assert store.entered.wait(10)
    followers = [pool.submit(group.submit, items) for items in then]
    until(lambda: group.waiting == len(then))
    store.hold.set()
    return leader, followers


def test_an_idle_process_commits_a_request_at_once_and_routes_it() -> None:
    store = Store()
    assert store.group().submit(["a", "b"]) == ["A", "B"]
    assert store.calls == [["a", "b"]]
    assert store.after == [["A", "B"]]


def test_requests_waiting_for_a_commit_share_the_next_one() -> None:
    store = Store()
    group = store.group()
    with ThreadPoolExecutor(4) as pool:
        leader, followers = hold_first_commit(store, group, pool, ["a"], [["b"], ["c", "d"], ["e"]])
        assert leader.result(10) == ["A"]
        assert [f.result(10) for f in followers] == [["B"], ["C", "D"], ["E"]]
    assert store.calls[0] == ["a"]
    assert len(store.calls) == 2  # the three waiting requests: one transaction
    assert sorted(store.calls[1]) == ["b", "c", "d", "e"]
    assert sorted(map(sorted, store.after)) == [["A"], ["B", "C", "D", "E"]]


def test_a_group_holds_at_most_max_items_and_the_rest_go_next() -> None:
    store = Store()
    group = store.group(max_items=3)
    with ThreadPoolExecutor(4) as pool:
        _, followers = hold_first_commit(store, group, pool, ["a"], [["b", "c"], ["d", "e"], ["f"]])
        assert sorted(x for f in followers for x in f.result(10)) == ["B", "C", "D", "E", "F"]
    assert all(len(call) <= 3 for call in store.calls)
    assert sorted(x for call in store.calls for x in call) == ["a", "b", "c", "d", "e", "f"]


def test_one_bad_request_fails_alone_and_the_others_of_its_group_are_stored() -> None:
    store = Store(bad="bad")
    group = store.group()
    with ThreadPoolExecutor(4) as pool:
        _, (good, bad, other) = hold_first_commit(
            store, group, pool, ["a"], [["b"], ["bad", "c"], ["d"]]
        )
        assert good.result(10) == ["B"]
        assert other.result(10) == ["D"]
        with pytest.raises(ValueError, match="cannot store bad"):
            bad.result(10)
    # the shared attempt failed as a whole, then each request was committed on its own
    assert ["b"] in store.calls and ["d"] in store.calls and ["bad", "c"] in store.calls
    assert sorted(x for batch in store.after for x in batch) == ["A", "B", "D"]


def test_a_failed_commit_raises_in_its_request_and_the_next_one_proceeds() -> None:
    store = Store(bad="bad")
    group = store.group()
    with pytest.raises(ValueError):
        group.submit(["bad"])
    assert group.submit(["ok"]) == ["OK"]
    assert store.after == [["OK"]]
