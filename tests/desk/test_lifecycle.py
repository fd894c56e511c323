"""The lifecycle rules: legal paths, illegal transitions, required input, audit detail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.desk import lifecycle
from services.desk.lifecycle import CaseSnapshot, IllegalTransition, InvalidCommand

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CAUSES = ("carrier_delay", "other")


def case(status: str = "new", **kw: object) -> CaseSnapshot:
    return CaseSnapshot(status=status, touchpoint="delivery", **kw)  # type: ignore[arg-type]


def test_acknowledge_records_the_time_and_before_after() -> None:
    change = lifecycle.acknowledge(case(), now=NOW)
    assert change.updates == {"status": "acknowledged", "acknowledged_at": NOW}
    assert change.detail == {
        "before": {"status": "new", "acknowledged_at": None},
        "after": {"status": "acknowledged", "acknowledged_at": NOW.isoformat()},
    }


def test_start_from_new_also_acknowledges_but_keeps_an_earlier_acknowledgement() -> None:
    assert lifecycle.start(case(), now=NOW).updates["acknowledged_at"] == NOW
    earlier = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    change = lifecycle.start(case("acknowledged", acknowledged_at=earlier), now=NOW)
    assert "acknowledged_at" not in change.updates


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("acknowledge", "acknowledged"),
        ("acknowledge", "resolved"),
        ("start", "in_progress"),
        ("start", "closed"),
        ("resolve", "new"),
        ("resolve", "closed"),
        ("close", "new"),
        ("close", "in_progress"),
        ("reopen", "new"),
        ("reopen", "in_progress"),
        ("assign", "closed"),
    ],
)
def test_illegal_transitions_are_refused_with_the_allowed_states(action: str, status: str) -> None:
    calls = {
        "acknowledge": lambda c: lifecycle.acknowledge(c, now=NOW),
        "start": lambda c: lifecycle.start(c, now=NOW),
        "resolve": lambda c: lifecycle.resolve(
            c, now=NOW, root_cause="other", note="done", allowed=CAUSES
        ),
        "close": lambda c: lifecycle.close(c, now=NOW),
        "reopen": lambda c: lifecycle.reopen(c, to="acknowledged", reason="customer wrote again"),
        "assign": lambda c: lifecycle.assign(c, assignee_id=1, team=None),
    }
    with pytest.raises(IllegalTransition, match=f"cannot {action} a case that is {status}"):
        calls[action](case(status))


def test_resolve_needs_a_listed_root_cause_and_a_note() -> None:
    with pytest.raises(InvalidCommand) as info:
        lifecycle.resolve(case("in_progress"), now=NOW, root_cause="bad", note=" ", allowed=CAUSES)
    assert set(info.value.errors) == {"root_cause", "resolution_note"}
    change = lifecycle.resolve(
        case("in_progress"), now=NOW, root_cause="carrier_delay", note="refunded", allowed=CAUSES
    )
    assert change.updates["status"] == "resolved"
    assert change.updates["root_cause"] == "carrier_delay"


def test_reopen_clears_the_resolution_and_keeps_it_in_the_audit() -> None:
    resolved = case(
        "closed", resolved_at=NOW, closed_at=NOW, root_cause="other", resolution_note="fixed"
    )
    change = lifecycle.reopen(resolved, to="in_progress", reason="it broke again")
    assert change.updates["status"] == "in_progress"
    assert change.detail["before"]["root_cause"] == "other"
    assert change.detail["after"]["root_cause"] is None
    assert change.detail["reason"] == "it broke again"
    with pytest.raises(InvalidCommand):
        lifecycle.reopen(resolved, to="new", reason="x")


def test_assign_needs_someone_and_audits_only_what_changed() -> None:
    with pytest.raises(InvalidCommand):
        lifecycle.assign(case(), assignee_id=None, team=None)
    change = lifecycle.assign(case(team="delivery"), assignee_id=7, team="delivery")
    assert change.detail == {"before": {"assignee_id": None}, "after": {"assignee_id": 7}}


def test_notes_must_not_be_empty() -> None:
    with pytest.raises(InvalidCommand):
        lifecycle.note("   ")


def test_waiting_on_the_customer_pauses_from_acknowledged_or_in_progress_only() -> None:
    change = lifecycle.wait(case("in_progress"), now=NOW, note="  asked for the order number ")
    assert change.updates == {"status": "waiting_on_customer", "paused_at": NOW}
    assert change.detail["note"] == "asked for the order number"
    assert lifecycle.available("waiting_on_customer") == (
        "assign", "notes", "contacts", "take", "resume",
    )  # fmt: skip
    for status in ("new", "waiting_on_customer", "resolved", "closed"):
        with pytest.raises(IllegalTransition, match="cannot put on waiting for the customer"):
            lifecycle.wait(case(status), now=NOW, note="")
    with pytest.raises(IllegalTransition, match="cannot resume a case that is acknowledged"):
        lifecycle.resume(case("acknowledged"), now=NOW, hours=None)


def test_resuming_goes_back_to_work_with_the_deadline_moved_on_by_the_wait() -> None:
    waiting = case(
        "waiting_on_customer", paused_at=NOW - timedelta(hours=3), paused_seconds=60,
        resolve_due_at=NOW + timedelta(hours=1),
    )  # fmt: skip
    change = lifecycle.resume(waiting, now=NOW, hours=None)
    assert change.updates == {
        "status": "in_progress", "paused_at": None, "paused_seconds": 60 + 3 * 3600,
        "resolve_due_at": NOW + timedelta(hours=4),
    }  # fmt: skip
    assert change.detail["waited"] == "3h" and change.detail["deadline_moved_by"] == "3h"
    assert change.detail["before"]["status"] == "waiting_on_customer"
