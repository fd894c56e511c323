"""A real browser (headless Chromium) follows the one-click links of an alert email."""

from __future__ import annotations

import pytest

from shared import alert_actions as aa
from tests.desk.conftest import World
from tests.desk.factories import PASSWORD
from tests.support.browser import ARGS, BROWSER_TEST, CHROMIUM, browser_log_in

pytestmark = BROWSER_TEST


def link(base_url: str, case_id: int, action: str) -> str:
    token = aa.sign_link("test-secret", case_id=case_id, action=action, email="dora@example.com")
    return f"{base_url}/actions/{token}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_owner_acts_from_email_links_in_the_browser(base_url: str, world: World) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    case = world.delivery_case
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()

        snooze = link(base_url, case, aa.SNOOZE_TOMORROW)
        page.goto(snooze)
        expect(page.get_by_role("heading", name=f"Snooze until tomorrow 09:00: case #{case}?"))\
            .to_be_visible()  # fmt: skip
        expect(page.locator("blockquote.comment")).to_contain_text("over the fence")
        page.get_by_role("button", name="Confirm: Snooze until tomorrow 09:00").click()
        expect(page.locator(".flash.ok")).to_have_text(
            f"Done: you snoozed case #{case} until tomorrow 09:00."
        )
        response = page.goto(snooze)
        assert response is not None and response.status == 410
        expect(page.get_by_role("alert")).to_contain_text("already used")

        moved = link(base_url, case, aa.TOUCHPOINT)
        page.goto(moved)
        page.get_by_label("The right touchpoint").select_option("billing")
        page.get_by_role("button", name="Confirm: Wrong touchpoint").click()
        expect(page.locator(".flash.ok")).to_contain_text("being moved to touchpoint billing")

        page.get_by_role("link", name=f"Open case #{case} on the desk").click()
        browser_log_in(page, "dora@example.com", PASSWORD)
        expect(page.locator("dd.snoozed")).to_contain_text("2026-03-04 09:00 UTC")
        timeline = page.locator("ol.timeline")
        expect(timeline).to_contain_text(
            "Dora snoozed the case's reminders until 2026-03-04 09:00 UTC"
        )
        expect(timeline).to_contain_text("Dora corrected the touchpoint")
        page.get_by_role("link", name="Queue").click()
        expect(page.locator("table.queue tbody tr .snoozed")).to_have_text(
            "snoozed until 2026-03-04 09:00 UTC"
        )
        browser.close()
