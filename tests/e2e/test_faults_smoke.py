"""The fault harness (bench/faults.py) in quick mode, on two cheap scenarios: a notifier SIGKILLed
mid-run and SMTP down for 20 s. Nothing accepted may be lost and every alert must arrive.

Duplicates are printed, not asserted: an email the SMTP server accepted just before the SIGKILL,
and the worker had not recorded, goes again (at least once; its fixed Message-ID lets mail
clients show it once). How many depends on where the kill lands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import faults

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.mark.timeout(900)
def test_quick_faults_lose_no_response_and_no_alert(tmp_path: Path) -> None:
    options = faults.Options(count=20, rate=5.0, quick=True, budget_s=300.0)

    rows = faults.run(["notifier-kill", "smtp-down"], options, tmp_path)

    print(faults.table(rows))
    for row in rows:
        assert row.accepted == options.count, row
        assert row.lost_responses == 0, row
        assert row.cases == row.stored, row
        assert row.slack_unique == row.expected, row
        assert row.email_unique == row.expected, row
        assert row.drained, row
