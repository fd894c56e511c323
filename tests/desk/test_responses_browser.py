"""In Chromium: a champion finds out why a response did not become a case."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.desk.conftest import World
from tests.desk.factories import PASSWORD
from tests.desk.test_responses_page import add_decided
from tests.support.browser import ARGS, BROWSER_TEST, CHROMIUM, browser_log_in, overflowing

pytestmark = BROWSER_TEST


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_a_champion_sees_why_a_response_was_not_a_case(
    base_url: str,
    world: World,
    sessions: sessionmaker[Session],
    width: int,
) -> None:
    add_decided(sessions)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        browser_log_in(page, "champ@example.com", PASSWORD, at=f"{base_url}/queue")
        page.get_by_role("link", name="Responses").click()
        sync_api.expect(page.get_by_role("heading", name="Responses")).to_be_visible()

        page.get_by_label("Became a case").select_option("no")
        page.get_by_label("Dissatisfied").select_option("no")
        page.get_by_role("button", name="Apply").click()
        rows = page.locator("table.responses tbody tr")
        sync_api.expect(rows).to_have_count(1)
        sync_api.expect(rows.first).to_contain_text("Not a case")
        sync_api.expect(rows.first).to_contain_text("NPS 10 is a promoter (9-10)")
        # Neither the page nor the table is wider than the screen (on a phone rows stack).
        assert overflowing(page) == [], f"responses at {width}px"

        page.get_by_label("Answered from").fill("2026-10-06")
        page.get_by_label("Answered to").fill("2026-10-01")
        page.get_by_role("button", name="Apply").click()
        sync_api.expect(page.get_by_role("alert")).to_contain_text(
            "submitted to: must not be before submitted_from"
        )
        browser.close()
