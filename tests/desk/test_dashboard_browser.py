"""In headless Chromium: the KPI dashboard a CX lead puts on a wall, at 1366 and 390 px.

Seeds a month of cases (and the month before, for the trend), then checks what a person
reads: headline tiles with their trend, charts with axes and labels big enough to read, and
the page fitting the screen. Screenshots land in CXLOOP_SCREENSHOTS (docs/images uses them).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.desk.models import Contact
from shared.db import transaction
from shared.followups.models import FollowUp
from shared.models import Case
from tests.desk.conftest import NOW, World
from tests.desk.factories import PASSWORD, make_case, make_response
from tests.support.browser import (
    ARGS,
    BROWSER_TEST,
    CHROMIUM,
    WIDTHS,
    browser_log_in,
    overflowing,
    screenshots,
)

pytestmark = BROWSER_TEST
H = timedelta(hours=1)
CAUSES = {
    "delivery": ["carrier_delay", "damaged_in_transit", "address_issue", "lost_parcel"],
    "store": ["staff_behaviour", "stock_out", "queue_time"],
    "website": ["bug", "payment_failure", "usability"],
}
OWNERS = {"delivery": "delivery-team", "store": "stores-team", "website": "web-team"}
# The smallest text drawn in a chart, in CSS pixels as shown: what "readable" means here.
SMALLEST_TEXT = """(selector) => {
  const sizes = [...document.querySelectorAll(selector)]
    .filter((t) => t.getClientRects().length && t.textContent.trim())
    .map((t) => t.getBoundingClientRect().height);
  return sizes.length ? Math.min(...sizes) : 0;
}"""


def seed_month(sessions: sessionmaker[Session]) -> None:
    """Sixty days of cases over three touchpoints; the last thirty get better (for a trend)."""
    rng, asked = random.Random(7), random.Random(11)  # follow-ups leave the cases' draws alone
    with transaction(sessions) as s:
        for day in range(60):
            created_day = NOW - timedelta(days=59 - day)
            recent = day >= 30
            for _ in range(rng.randint(1, 4) if recent else rng.randint(2, 6)):
                touchpoint = rng.choice(list(CAUSES))
                created = created_day.replace(hour=rng.randint(0, 15))
                if created > NOW:
                    continue
                fields: dict[str, Any] = {
                    "touchpoint": touchpoint, "owner": OWNERS[touchpoint], "created_at": created,
                    "nps": rng.randint(0, 6), "csat": rng.randint(1, 3), "ces": rng.randint(4, 7),
                }  # fmt: skip
                if created < NOW - 2 * H * 24:
                    fields.update(
                        status="resolved", acknowledged_at=created + rng.randint(1, 6) * H,
                        resolved_at=created + rng.randint(10, 60) * H,
                        root_cause=rng.choice(CAUSES[touchpoint]),
                        resolution_note="Called the customer and refunded the delivery fee",
                        escalation_step=rng.choice([0, 0, 0, 1, 2]),
                    )  # fmt: skip
                case = make_case(s, **fields)
                if rng.random() < (0.8 if recent else 0.5):
                    wait = rng.randint(2, 30 if recent else 50) * H
                    s.add(Contact(case_id=case.id, channel="phone", outcome="reached",
                                  at=created + wait))  # fmt: skip
                    if case.resolved_at is not None:
                        _answered(s, case, asked)
            for _ in range(rng.randint(4, 9)):
                make_response(s, submitted_at=created_day.replace(hour=rng.randint(0, 15)),
                              nps=rng.randint(7, 10), csat=rng.randint(4, 5),
                              ces=rng.randint(1, 3))  # fmt: skip


def _answered(session: Session, case: Case, rng: random.Random) -> None:
    """Most reached customers answer "did we fix it?"; a fix of the delivery works best."""
    resolved = case.resolved_at
    assert resolved is not None
    score = rng.randint(5 if case.touchpoint == "delivery" else 2, 10)
    session.add(FollowUp(
        case_id=case.id, status="answered", detractor=True, due_at=resolved + 24 * H,
        sent_at=resolved + 24 * H, answered_at=resolved + 30 * H, score=score,
        satisfied=score >= 7,
    ))  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_dashboard_reads_at_1366_and_390(
    base_url: str,
    world: World,
    sessions: sessionmaker[Session],
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    seed_month(sessions)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            browser_log_in(page, "champ@example.com", PASSWORD, at=f"{base_url}/login")
            page.get_by_role("link", name="Dashboard").click()
            tiles = page.locator("li.tile")
            sync_api.expect(tiles).to_have_count(8)
            nps = page.locator("li.tile[data-metric=nps]")
            sync_api.expect(nps.locator(".tile-trend.better")).to_contain_text("▲ +")
            first_contact = page.locator("li.tile[data-metric=avg_first_contact_h] .tile-trend")
            sync_api.expect(first_contact).to_have_class("tile-trend better")  # faster
            sync_api.expect(first_contact).to_contain_text("▼ -")
            sync_api.expect(page.locator("li.tile[data-metric=closed_loop_pct]")).to_contain_text(
                "%"
            )
            charts = page.locator("figure svg.chart:visible")
            sync_api.expect(charts).to_have_count(9)
            names = [charts.nth(i).get_attribute("aria-label") for i in range(9)]
            assert "Root causes per touchpoint (resolved cases)" in names
            recovery = page.locator("svg[aria-label^='Recovery rate by root cause']:visible")
            sync_api.expect(recovery).to_contain_text("carrier delay")
            root_causes = page.locator("svg[aria-label^='Root causes']:visible")
            sync_api.expect(root_causes).to_contain_text("delivery: carrier delay")
            sync_api.expect(page.locator("svg[aria-label='NPS per day']:visible")).to_contain_text(
                "-100"
            )
            # Tick labels, legends and axis titles are at least 10 CSS px tall as displayed.
            assert page.evaluate(SMALLEST_TEXT, "svg.chart:not([style*=none]) text") >= 10
            assert overflowing(page) == [], f"dashboard at {width}px"
            page.locator("h1").scroll_into_view_if_needed()
            page.screenshot(path=str(screenshots() / f"dashboard-{width}.png"))
            page.locator("div.charts").screenshot(path=str(screenshots() / f"charts-{width}.png"))
            page.close()
        browser.close()
