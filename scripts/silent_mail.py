"""Measure sign-up and page latency under gunicorn while the mail server never answers.

A TCP listener on the mail port accepts connections and never sends a banner; gunicorn runs
4 sync workers on a fresh SQLite database with the shipped programme; 12 sign-ups and 12
views of the event page go out at once. Prints median and maximum latency. Figures only.

    .venv/bin/python scripts/silent_mail.py [--workers 4] [--signups 12]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mail.stall import BIN, concurrent_signups, gunicorn  # noqa: E402
from tests.smtp import silent_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--signups", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, silent_server() as mail_port:
        env = {
            "FLASK_APP": "wsgi",
            "HUB_SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(workdir) / 'hub.sqlite'}",
            "HUB_SECRET_KEY": secrets.token_urlsafe(32),
            "HUB_MAIL_SERVER": "127.0.0.1",
            "HUB_MAIL_PORT": str(mail_port),
            "HUB_WTF_CSRF_ENABLED": "false",
            "HUB_RATELIMIT_ENABLED": "false",
        }
        init = [str(BIN / "flask"), "hub", "init"]
        subprocess.run(init, cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True)
        with gunicorn(env, workers=args.workers) as port:
            result = concurrent_signups(port, "fremtidens-kreftbehandling", count=args.signups)
        print(f"{args.workers} sync workers, silent mail server: {result.summary()}")
        print(f"statuses: {sorted(set(result.statuses))}")


if __name__ == "__main__":
    main()
