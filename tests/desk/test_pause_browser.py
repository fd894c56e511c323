"""A real browser (headless Chromium): an owner waits on the customer, then resumes the case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from flask import Flask

from tests.desk.conftest import World
from tests.desk.factories import PASSWORD
from tests.support.browser import ARGS, BROWSER_TEST, CHROMIUM, browser_log_in

pytestmark = BROWSER_TEST
LATER = datetime(2026, 3, 4, 12, tzinfo=UTC)  # 20h after the desk's NOW, 5 of them working


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_owner_waits_on_the_customer_and_resumes(
    app: Flask, base_url: str, world: World
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        browser_log_in(
            page, "dora@example.com", PASSWORD, at=f"{base_url}/cases/{world.delivery_case}"
        )
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_role("button", name="Resume (stop waiting)")).to_have_count(0)

        page.get_by_label("What the customer was asked (optional)").fill("A photo of the box")
        page.get_by_role("button", name="Wait on customer").click()
        expect(page.locator(".flash.ok")).to_contain_text("the resolve clock is paused")
        expect(page.locator("h1 .status")).to_have_text("waiting on customer")
        expect(page.locator("h1 .badge")).to_have_text("paused")
        expect(page.locator("dd.paused")).to_contain_text("the resolve clock is paused")
        expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
        expect(page.locator("ol.timeline")).to_contain_text(
            "Dora put the case on waiting for the customer"
        )
        expect(page.locator("ol.timeline")).to_contain_text("A photo of the box")

        page.goto(f"{base_url}/queue?status=waiting_on_customer")
        expect(page.locator("table.queue tbody tr .badge.paused")).to_have_count(1)
        page.get_by_role("link", name=f"#{world.delivery_case}").click()

        app.extensions["desk"] = replace(app.extensions["desk"], clock=lambda: LATER)
        page.get_by_role("button", name="Resume (stop waiting)").click()
        expect(page.locator(".flash.ok")).to_contain_text("Resumed")
        expect(page.locator("h1 .status")).to_have_text("in progress")
        expect(page.locator("dd.paused")).to_have_count(0)
        expect(page.locator("ol.timeline")).to_contain_text(
            "Dora resumed the case after it waited 20h on the customer; the resolve deadline "
            "moved on by 5h of working time"
        )
        browser.close()
