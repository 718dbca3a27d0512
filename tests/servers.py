"""Real gunicorn instances of the hub for tests that need several processes.

Each instance is started from this checkout with the given ``HUB_*`` settings, listens on a
free port on 127.0.0.1, and is stopped when the ``with`` block ends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_url(db: int = 0) -> str | None:
    """The local Redis server's URL, or None when none answers on 127.0.0.1:6379."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return f"redis://127.0.0.1:6379/{db}"
    except OSError:
        pass
    return None


@contextmanager
def gunicorn(settings: dict[str, str], *, workers: int = 1, log: Path | None = None) -> Iterator[str]:
    """One gunicorn instance of ``wsgi:app``; yields its base URL once it answers /healthz."""
    port = free_port()
    env = {**os.environ, **{f"HUB_{key}": value for key, value in settings.items()}}
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=out,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start (exit {process.poll()}); see {log}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def gunicorns(settings: dict[str, str], count: int, *, log: Path | None = None) -> Iterator[list[str]]:
    """``count`` separate instances sharing the same settings (database, secret, Redis)."""
    with ExitStack() as stack:
        yield [stack.enter_context(gunicorn(settings, log=log)) for _ in range(count)]
