"""Driving the desk in a real browser: which Chromium and how it runs, the widths and where the
screenshots go, the one way a test logs a person in, and the one way it measures what overflows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# A browser test is slow, and needs the machine's Chromium (`.ci/run` installs it).
BROWSER_TEST = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt: chromium)"),
]
WIDTHS = (1366, 390)  # a laptop and a phone


def screenshots() -> Path:
    """Where screenshots go (CXLOOP_SCREENSHOTS, else a temporary directory)."""
    path = Path(os.environ.get("CXLOOP_SCREENSHOTS", "/tmp/cxloop-desk-shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


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


# Every table's box, and the page itself, must not be wider than what holds it.
OVERFLOW = """() => {
  const out = [];
  const page = document.documentElement;
  const wide = (el) => el.scrollWidth > el.clientWidth + 1;
  if (wide(page)) out.push(`page ${page.scrollWidth}>${page.clientWidth}`);
  for (const table of document.querySelectorAll('table')) {
    const box = table.closest('.table-wrap') || table.parentElement;
    const past = table.getBoundingClientRect().right > page.clientWidth + 1;
    if (wide(box) || past) out.push(`${table.className} ${box.scrollWidth}>${box.clientWidth}`);
  }
  return out;
}"""


def overflowing(page: Page) -> list[str]:
    """What is wider than its container, measured once the page's stylesheets have loaded.

    A click's navigation is over when the new document commits; layout read before its
    stylesheet arrives (slow on a busy machine) is the unstyled page's.
    """
    page.wait_for_load_state("load")
    result: list[str] = page.evaluate(OVERFLOW)
    return result
