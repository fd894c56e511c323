"""In headless Chromium: an admin manages people on the Users page, at 1366 and 390 px; the
person they disable is logged out at once in their own browser."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_admin_adds_disables_and_re_roles_people_in_the_browser(
    base_url: str,
    world: World,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        viewer = browser.new_context().new_page()
        browser_log_in(viewer, "vic@example.com", PASSWORD, at=f"{base_url}/login")
        expect(viewer.get_by_role("link", name="Users")).to_have_count(0)

        for width in WIDTHS:
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            browser_log_in(page, "admin@example.com", PASSWORD, at=f"{base_url}/login")
            page.get_by_role("link", name="Users").click()
            expect(page.get_by_role("heading", name="Users")).to_be_visible()
            expect(page.locator("table.people tbody tr")).to_have_count(5 + WIDTHS.index(width))
            assert overflowing(page) == [], f"users page at {width}px"
            page.screenshot(path=str(screenshots() / f"users-{width}.png"))

            email = f"nia{width}@example.com"
            page.get_by_label("Email").fill(email)
            page.get_by_label("Role").select_option("owner")
            page.get_by_label("Team").select_option("stores")
            page.get_by_label("First password").fill("first password here")
            page.get_by_role("button", name="Add user").click()
            expect(page.locator(".flash")).to_contain_text(f"Added {email} (owner)")
            page.get_by_label("Role").select_option("champion")
            page.get_by_role("button", name="Change role").click()
            expect(page.locator(".flash")).to_contain_text("role is now champion")
            expect(page.locator("section[aria-labelledby=h-history]")).to_contain_text(
                "admin@example.com: set role (owner → champion)"
            )
            assert overflowing(page) == [], f"user page at {width}px"
            page.screenshot(path=str(screenshots() / f"user-{width}.png"), full_page=True)
            page.close()

        page = browser.new_page(viewport={"width": 1366, "height": 900})
        browser_log_in(page, "admin@example.com", PASSWORD, at=f"{base_url}/login")
        page.goto(f"{base_url}/admin/users")
        page.get_by_role("link", name="vic@example.com").click()
        page.get_by_role("button", name="Disable").click()
        expect(page.locator(".flash")).to_contain_text("disabled; their sessions ended")
        expect(page.get_by_role("button", name="Enable")).to_be_visible()
        # The viewer's next click lands on the log-in page.
        viewer.get_by_role("link", name="Dashboard").click()
        expect(viewer.get_by_role("button", name="Log in")).to_be_visible()
        browser.close()
