"""Queue facet counts: each facet counted with every other filter, on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import load_desk_config
from services.desk.queue import QueueFilter, facet_counts, page
from services.desk.sla import sla_state
from shared.db import transaction
from shared.settings.files import EXAMPLE_DESK
from tests.desk.factories import T0, make_case

NOW = T0 + timedelta(days=1)
CONFIG = load_desk_config(EXAMPLE_DESK)


@pytest.fixture
def mixed(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Open and closed cases over touchpoints, priorities and deadlines (met, overdue, none)."""
    shapes = [
        ("new", "delivery", "p1", -2, None),
        ("new", "store", "p2", 5, None),
        ("acknowledged", "delivery", "p3", -1, NOW - timedelta(hours=30)),
        ("in_progress", "website", "p1", 10, NOW - timedelta(hours=20)),
        ("resolved", "delivery", "p2", -5, NOW - timedelta(hours=6)),
        ("closed", "store", "p3", -5, NOW - timedelta(hours=6)),
        ("new", "website", "p3", None, None),
    ]
    with transaction(sessions) as session:
        for status, touchpoint, priority, due_h, acknowledged in shapes:
            due = None if due_h is None else NOW + timedelta(hours=due_h)
            resolved = NOW - timedelta(hours=1) if status in ("resolved", "closed") else None
            make_case(
                session, status=status, touchpoint=touchpoint, priority=priority,
                acknowledged_at=acknowledged or resolved, resolved_at=resolved,
                ack_due_at=due, resolve_due_at=due,
            )  # fmt: skip
    return sessions


def expected(session: Session, f: QueueFilter, facet: str) -> dict[str, int]:
    """Count by hand: every case the filter without this facet selects, by the facet's value."""
    wider = () if facet != "status" or not f.status else ("open", *f.status)
    unnarrowed = QueueFilter(**{**f.__dict__, facet: wider, "limit": 100})
    rows = page(session, unnarrowed, now=NOW, config=CONFIG).rows
    values = Counter(
        sla_state(r.case, NOW, CONFIG.due_soon).value if facet == "sla" else getattr(r.case, facet)
        for r in rows
    )
    return dict(sorted((str(k), n) for k, n in values.items()))


@pytest.mark.parametrize(
    "f",
    [
        QueueFilter(),
        QueueFilter(status=()),
        QueueFilter(touchpoint=("delivery",)),
        QueueFilter(priority=("p1", "p3"), touchpoint=("delivery", "website")),
        QueueFilter(sla=("overdue",)),
        QueueFilter(status=("open", "resolved"), sla=("met", "overdue")),
        QueueFilter(status=("closed",)),
        QueueFilter(q="parcel", nps_max=3),
    ],
)
def test_each_facet_counts_what_the_other_filters_select(
    mixed: sessionmaker[Session], f: QueueFilter
) -> None:
    with mixed() as session:
        counts = facet_counts(session, f, now=NOW, config=CONFIG)
        for facet in ("status", "touchpoint", "priority", "sla"):
            assert counts[facet] == expected(session, f, facet), facet
