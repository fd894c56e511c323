"""A real browser (headless Chromium) answers "did we fix it?" from the email's link.

The page as a phone shows it lands in CXLOOP_SCREENSHOTS (docs/images uses it).
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared.followups import links
from shared.followups.models import FollowUp, FollowUpCustomer
from tests.desk.conftest import World
from tests.desk.test_follow_up_answers import SECRET, sent_follow_up
from tests.support.browser import ARGS, BROWSER_TEST, CHROMIUM, screenshots

pytestmark = BROWSER_TEST


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_customer_answers_once_and_opts_out_in_the_browser(
    base_url: str, world: World, sessions: sessionmaker[Session]
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    follow_up_id = sent_follow_up(sessions)
    token = links.sign(SECRET, follow_up_id=follow_up_id, kind=links.ANSWER)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        page.goto(f"{base_url}/follow-up/{token}?score=8")  # the "8" in the email
        expect(page.get_by_role("heading", name="Did we fix it?")).to_be_visible()
        expect(page.get_by_role("button", name="8", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        page.screenshot(path=str(screenshots() / "follow-up-390.png"))
        with sessions() as s:
            assert s.get(FollowUp, follow_up_id).status == "sent"  # type: ignore[union-attr]
        page.get_by_role("button", name="9", exact=True).click()  # changed their mind
        expect(page.get_by_role("status")).to_have_text("Thank you: your answer was recorded.")
        with sessions() as s:
            follow_up = s.get(FollowUp, follow_up_id)
            assert follow_up is not None and (follow_up.status, follow_up.score) == ("answered", 9)

        response = page.goto(f"{base_url}/follow-up/{token}")
        assert response is not None and response.status == 410
        expect(page.get_by_role("alert")).to_contain_text("already answered")

        opt_out = links.sign(SECRET, follow_up_id=follow_up_id, kind=links.OPT_OUT)
        page.goto(f"{base_url}/follow-up/{opt_out}/opt-out")
        page.get_by_role("button", name="Stop asking me").click()
        expect(page.get_by_role("status")).to_contain_text("we will not ask you")
        with sessions() as s:
            assert s.get(FollowUpCustomer, "email:ann@example.com").opted_out_at  # type: ignore[union-attr]
        browser.close()
