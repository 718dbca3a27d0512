"""Take the README's screenshots in headless Chromium (Debian's /usr/bin/chromium).

Serves the hub with the shipped programme from a throw-away SQLite database on loopback and
writes PNGs to docs/screenshots/.   make screenshots
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub import create_app  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.programme.importer import import_programme, read_programme_file  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SHOTS = [
    # (file, path, viewport width, height, full page)
    ("programme.png", "/?lang=en", 1200, 900, False),
    ("programme-phone.png", "/", 390, 844, False),
    ("event.png", "/events/future-of-digital-health-in-norway?lang=en", 1200, 900, True),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/shots.sqlite",
                "SECRET_KEY": "screenshots",
                "MAIL_SINK_DIR": tmp,
            }
        )
        with app.app_context():
            db.create_all()
            import_programme(db.session, read_programme_file(app.config["PROGRAMME_FILE"]))
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, path, width, height, full in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(base + path)
                page.screenshot(path=str(OUT / name), full_page=full)
                page.close()
                print(f"wrote docs/screenshots/{name}")
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
