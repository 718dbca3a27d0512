"""Browser fixtures: the test's app served on loopback, and Debian's Chromium via Playwright.

Playwright's own browser download does not work offline, so the tests drive
/usr/bin/chromium (apt-get install chromium; `make browsers` does it). Outside CI the
browser tests skip when Chromium is missing; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI: install it with `make browsers`")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where browser tests save screenshots: docs/screenshots/ with HUB_SCREENSHOTS=1
    (`make screenshots`), otherwise the test's temporary folder, so a test run leaves the
    work tree as it was."""
    if os.environ.get("HUB_SCREENSHOTS") == "1":
        folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test's app (same config and database) on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url
    # Mail goes from the background thread, as in production. (Sending when the response is
    # closed is unreliable here: werkzeug's development server skips the close when the
    # browser drops the connection first, which a loaded machine makes likely.)
    app.config["MAIL_INLINE_THREAD"] = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context per test (phone-sized unless the test resizes it)."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844}, locale="nb-NO", device_scale_factor=1
    )
    page = context.new_page()
    yield page
    context.close()
