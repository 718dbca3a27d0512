"""Simulate a festival day (200 events, 40 streamed) against the fake YouTube API and print
the syncs the worker makes with its cadence and the quota units they cost.

    .venv/bin/python scripts/festival_day.py

Runs on a throwaway SQLite database and the fake API server of tests/livestream on loopback;
the clock is moved minute by minute (nothing sleeps). Takes a minute or two.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub import create_app  # noqa: E402
from hub.extensions import db  # noqa: E402
from tests.conftest import make_config  # noqa: E402
from tests.livestream.fake_youtube import API_KEY, FakeYouTube  # noqa: E402
from tests.livestream.festival_day import simulate  # noqa: E402


def main() -> int:
    youtube = FakeYouTube().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = make_config(
                Path(tmp),
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp) / 'hub.sqlite'}",
                YOUTUBE_API_KEY=API_KEY,
                YOUTUBE_API_ENDPOINT=youtube.endpoint,
                YOUTUBE_CHANNEL="@OsloCancerCluster",
            )
            app = create_app(config)
            with app.app_context():
                db.create_all()
                report = simulate(app, youtube)
                db.session.remove()
                db.engine.dispose()
    finally:
        youtube.stop()
    print("\n".join(report.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
