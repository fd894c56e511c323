"""A real browser (headless Chromium) walks through the desk the way a champion would."""

from __future__ import annotations

import pytest

from tests.desk.conftest import World
from tests.desk.factories import PASSWORD
from tests.support.browser import ARGS, BROWSER_TEST, CHROMIUM, browser_log_in

pytestmark = BROWSER_TEST


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_champion_works_a_case_in_the_browser(base_url: str, world: World) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        browser_log_in(page, "champ@example.com", PASSWORD, at=f"{base_url}/queue")
        sync_api.expect(page.get_by_role("heading", name="Queue")).to_be_visible()

        page.get_by_label("Touchpoint").select_option("delivery")
        page.get_by_role("button", name="Apply").click()
        rows = page.locator("table.queue tbody tr")
        sync_api.expect(rows).to_have_count(1)
        page.get_by_role("link", name=f"#{world.delivery_case}").click()
        sync_api.expect(page.locator("blockquote.comment")).to_contain_text("over the fence")

        page.get_by_role("button", name="Acknowledge").click()
        sync_api.expect(page.locator(".flash")).to_contain_text("acknowledge")
        page.get_by_label("Note", exact=True).fill("Asked the courier for photos")
        page.get_by_role("button", name="Add note").click()
        page.get_by_label("Root cause").select_option("carrier_delay")
        page.get_by_label("Resolution note").fill("Refund issued and courier briefed")
        page.get_by_role("button", name="Resolve").click()

        timeline = page.locator("ol.timeline")
        sync_api.expect(timeline).to_contain_text("Champ acknowledged the case")
        sync_api.expect(timeline).to_contain_text("Champ added an internal note")
        sync_api.expect(timeline).to_contain_text(
            "Champ resolved the case (root cause: carrier delay)"
        )
        sync_api.expect(page.locator("h1 .status")).to_have_text("resolved")
        sync_api.expect(page.locator("ul.notes").first).to_contain_text(
            "Asked the courier for photos"
        )

        page.get_by_role("link", name="Dashboard").click()
        page.get_by_label("From", exact=True).fill("2026-03-01")
        page.get_by_label("To", exact=True).fill("2026-03-07")
        page.get_by_role("button", name="Show").click()
        sync_api.expect(page.locator("svg.chart:visible")).to_have_count(9)  # one width shown
        sync_api.expect(page.locator("li.tile[data-metric=cases] .tile-value")).to_have_text("2")
        sync_api.expect(
            page.get_by_role("heading", name="Time to acknowledge and resolve (hours)")
        ).to_be_visible()
        sync_api.expect(page.locator("#t-response_times ~ div table")).to_contain_text("all")
        browser.close()
