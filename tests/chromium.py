"""Debian's Chromium driven by Playwright, for the browser tests (tests/browser, tests/amplify).

``playwright install`` cannot download browsers here, so the tests launch
``/usr/bin/chromium`` (``COGNATE_CHROMIUM`` overrides) with the flags a closed network
needs. Tests that use these fixtures are skipped with a clear reason when Chromium or
Playwright is missing on a developer's machine; CI installs both (.ci/run), and sets
``COGNATE_REQUIRE_BROWSER=1`` so that a missing browser fails instead of skipping.

Playwright's sync API runs an event loop in the test's thread; the Django ORM refuses to
run where a loop is running unless DJANGO_ALLOW_ASYNC_UNSAFE is set, which is safe here:
the loop only drives the browser, never Django code.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("COGNATE_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("COGNATE_SCREENSHOTS", Path(__file__).resolve().parent.parent / "var" / "screenshots")
)


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the session (contexts per test keep tests apart)."""
    missing = chromium_missing()
    if missing:
        if os.environ.get("COGNATE_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot for review (var/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
