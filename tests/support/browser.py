"""Driving the desk in a real browser: the one way a test logs a person in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page


def browser_log_in(page: Page, email: str, password: str, *, at: str | None = None) -> None:
    """Log in on the desk's form (opening `at` first, if given) and wait until it is left.

    A signed-out visit to any desk page shows the form and returns there after the log-in;
    `/login` itself goes on to the queue.
    """
    if at is not None:
        page.goto(at)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    button = page.get_by_role("button", name="Log in")
    button.click()
    button.wait_for(state="detached")
