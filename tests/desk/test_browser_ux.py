"""In headless Chromium: the case page and the queue fit a laptop and a phone, say things in
words, offer only valid actions, pick filters from the configuration and survive bad ones."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.models import Case, Delivery
from tests.desk.conftest import World
from tests.desk.factories import PASSWORD
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
LONG = "customer-experience-escalations-distribution-list-for-europe@very-long-example.com"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_case_page_and_queue_fit_1366_and_390_and_speak_in_words(
    base_url: str,
    world: World,
    sessions: sessionmaker[Session],
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with transaction(sessions) as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None
        case.analysis = {"evidence": ["Courier threw the parcel over the fence"]}
        case.receivers = {"receivers": ["delivery-team"], "routes": ["route.routes[0]"]}
        for n, channel in enumerate(("email", "slack")):
            s.add(Delivery(case_id=case.id, kind="escalation", step=n + 1, receiver="champion",
                           channel=channel, target=f"{LONG}?n={n}", status="failed",
                           last_error="gave up after 6 attempts: " + "x" * 90))  # fmt: skip
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            browser_log_in(page, "champ@example.com", PASSWORD, at=f"{base_url}/login")
            page.get_by_label("Touchpoint").select_option("delivery")
            page.get_by_role("button", name="Apply").click()
            sync_api.expect(page.locator("table.queue tbody tr")).to_have_count(1)
            page.screenshot(path=str(screenshots() / f"queue-{width}.png"), full_page=True)
            assert overflowing(page) == [], f"queue at {width}px"

            page.get_by_role("link", name=f"#{world.delivery_case}").click()
            page.get_by_role("button", name="Acknowledge").click()
            sync_api.expect(page.locator("ol.timeline")).to_contain_text(
                "Champ acknowledged the case"
            )
            why = page.locator("section[aria-labelledby=h-why]")
            sync_api.expect(why).to_contain_text("Which sentences carried it")
            sync_api.expect(why.locator("ul.why-sentences")).to_contain_text("over the fence")
            sync_api.expect(why.locator("ul.why-alerted")).to_contain_text("delivery-team")
            sync_api.expect(page.locator("table.deliveries")).to_contain_text(LONG)
            page.screenshot(path=str(screenshots() / f"case-{width}.png"), full_page=True)
            assert overflowing(page) == [], f"case page at {width}px"
            assert "\\u0027" not in page.content()
            page.close()
            with transaction(sessions) as s:  # back to new for the next width
                row = s.get(Case, world.delivery_case)
                assert row is not None
                row.status, row.acknowledged_at = "new", None
        browser.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_valid_actions_bad_filters_and_reassigning_away_in_the_browser(
    base_url: str,
    world: World,
    sessions: sessionmaker[Session],
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with transaction(sessions) as s:
        closed = s.get(Case, world.store_case)
        assert closed is not None
        closed.status = "closed"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 900})
        browser_log_in(page, "champ@example.com", PASSWORD, at=f"{base_url}/login")
        page.goto(f"{base_url}/cases/{world.store_case}")
        buttons = page.locator("section.actions button")
        sync_api.expect(buttons).to_have_text(["Reopen"])

        page.goto(f"{base_url}/queue?nps_max=11&status=all")
        sync_api.expect(page.locator(".notice")).to_have_count(2)
        sync_api.expect(page.locator(".notice").first).to_contain_text("was ignored")
        sync_api.expect(page.get_by_role("heading", name="Queue")).to_be_visible()
        sync_api.expect(page.locator("body")).not_to_contain_text("Error 422")
        page.screenshot(path=str(screenshots() / "queue-bad-filter-390.png"), full_page=True)
        teams = page.get_by_label("Team").locator("option").all_inner_texts()
        assert {"delivery", "stores", "billing"} <= set(teams)
        page.close()

        owner = browser.new_page(viewport={"width": 1366, "height": 900})
        browser_log_in(owner, "dora@example.com", PASSWORD, at=f"{base_url}/login")
        owner.goto(f"{base_url}/cases/{world.delivery_case}")
        owner.get_by_label("Team", exact=True).select_option("stores")
        owner.get_by_role("button", name="Assign").click()
        sync_api.expect(owner.get_by_role("heading", name="Queue")).to_be_visible()
        sync_api.expect(owner.locator(".flash")).to_contain_text("no longer in your view")
        browser.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_owner_takes_and_snoozes_a_case_from_its_page(
    base_url: str,
    world: World,
    sessions: sessionmaker[Session],
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 900})
        browser_log_in(page, "dora@example.com", PASSWORD, at=f"{base_url}/login")
        page.goto(f"{base_url}/cases/{world.delivery_case}")
        buttons = page.locator("section.actions .buttons button")
        sync_api.expect(buttons).to_have_text(
            ["Acknowledge", "Take it", "Start work", "Snooze 1 hour", "Snooze until tomorrow 09:00"]
        )
        assert overflowing(page) == [], "case page actions at 390px"
        page.get_by_role("button", name="Take it").click()
        sync_api.expect(page.locator(".flash")).to_contain_text("You took the case")
        sync_api.expect(buttons).to_have_text(
            ["Start work", "Snooze 1 hour", "Snooze until tomorrow 09:00"]
        )
        page.get_by_role("button", name="Snooze 1 hour").click()
        sync_api.expect(page.locator(".flash")).to_contain_text("Snoozed")
        sync_api.expect(page.locator("dd.snoozed")).to_contain_text("reminders wait")
        sync_api.expect(page.locator("ol.timeline")).to_contain_text("Dora took the case")
        page.screenshot(path=str(screenshots() / "case-take-snooze-390.png"), full_page=True)
        browser.close()
    with transaction(sessions) as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None and case.status == "acknowledged" and case.snoozed_until
