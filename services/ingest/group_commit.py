"""Group commit: requests that arrive while a commit is in flight share the next transaction.

Under load, what storing a response costs is mostly its transaction (round trips, the log flush
at commit) and its routing message, not its INSERT. Each request thread hands its items to the
process's `GroupCommit`. If no commit is in flight, the thread commits at once: an idle service
waits for nothing. Otherwise its items wait, and when the commit in flight ends, the first
waiting thread commits every waiting request's items in one transaction (the leader), then
publishes for all of them once the others have been released. No request is answered before
the transaction holding its items committed. If a group's transaction fails, each of its
requests is retried alone, so one request's bad data fails only that request.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Entry(Generic[T, R]):
    """One request's items, and what their commit gave them."""

    __slots__ = ("done", "error", "items", "results")

    def __init__(self, items: list[T]) -> None:
        self.items = items
        self.results: list[R] | None = None
        self.error: BaseException | None = None
        self.done = False


class GroupCommit(Generic[T, R]):
    """Commit concurrent requests' items together, one transaction in flight per process.

    `commit` stores items in one transaction and returns one result per item, in order.
    `after` gets every result of a committed group; the leader calls it after releasing the
    group's other requests (the routing messages: their loss only delays routing, see
    `services.ingest.enqueue`). A group holds at most `max_items` items, the leader's own
    request always.
    """

    def __init__(
        self,
        commit: Callable[[Sequence[T]], list[R]],
        *,
        after: Callable[[list[R]], None],
        max_items: int,
    ) -> None:
        self._commit = commit
        self._after = after
        self._max_items = max_items
        self._lock = threading.Condition()
        self._waiting: deque[_Entry[T, R]] = deque()
        self._busy = False

    @property
    def waiting(self) -> int:
        """Requests waiting for the commit in flight to end."""
        with self._lock:
            return len(self._waiting)

    def submit(self, items: Sequence[T]) -> list[R]:
        """Store `items` (in a group, if others are waiting); return their results or raise."""
        entry: _Entry[T, R] = _Entry(list(items))
        with self._lock:
            self._waiting.append(entry)
            while self._busy and not entry.done:
                self._lock.wait()
            if entry.done:  # a leader committed it
                return self._outcome(entry)
            self._busy = True
            group = self._take(entry)
        try:
            self._run(group)
        finally:
            with self._lock:
                self._busy = False
                for member in group:
                    if member.results is None and member.error is None:  # interrupted
                        member.error = RuntimeError("group commit interrupted")
                    member.done = True
                self._lock.notify_all()
        committed = [r for member in group if member.results is not None for r in member.results]
        if committed:
            self._after(committed)
        return self._outcome(entry)

    def _take(self, leader: _Entry[T, R]) -> list[_Entry[T, R]]:
        """The leader's entry, then waiting ones in arrival order while they fit."""
        self._waiting.remove(leader)
        group, size = [leader], len(leader.items)
        while self._waiting and size + len(self._waiting[0].items) <= self._max_items:
            member = self._waiting.popleft()
            group.append(member)
            size += len(member.items)
        return group

    def _run(self, group: list[_Entry[T, R]]) -> None:
        try:
            results = self._commit([item for member in group for item in member.items])
        except Exception as exc:  # noqa: BLE001 (raised in the requests it belongs to)
            if len(group) == 1:
                group[0].error = exc
                return
            for member in group:  # each alone: only a request whose own commit fails fails
                try:
                    member.results = self._commit(member.items)
                except Exception as alone:  # noqa: BLE001 (as above)
                    member.error = alone
            return
        start = 0
        for member in group:
            member.results = results[start : start + len(member.items)]
            start += len(member.items)

    @staticmethod
    def _outcome(entry: _Entry[T, R]) -> list[R]:
        if entry.error is not None:
            raise entry.error
        assert entry.results is not None
        return entry.results
