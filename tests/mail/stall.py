"""Sign-ups under gunicorn while the mail server stalls: request latencies, measured.

Used by tests/mail/test_inline_delivery.py and by ``scripts/silent_mail.py`` (which prints
the figures). gunicorn runs with sync workers, as in production: a worker that waits for
the mail server after a response serves nobody else meanwhile.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 4) -> Iterator[int]:
    """gunicorn with ``workers`` sync workers on a free loopback port, until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_up(port, process, workers)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            process.kill()
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen[bytes], workers: int) -> None:
    """Until every worker has answered /healthz once (each loads the app on its own)."""
    deadline = time.monotonic() + 60
    answered = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"gunicorn exited: {stderr[-2000:]}")
        try:
            status, _seconds = request(port, "GET", "/healthz")
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            answered += 1
            if answered >= workers * 2:
                return
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def request(port: int, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, float]:
    """One request on a fresh connection; (status, seconds until the whole response was read)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = urlencode(form) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


@dataclass
class Latencies:
    signups: list[float]
    pages: list[float]
    statuses: list[int]

    @staticmethod
    def line(name: str, values: list[float]) -> str:
        return f"{name}: n={len(values)} median {statistics.median(values):.3f} s, max {max(values):.3f} s"

    def summary(self) -> str:
        return f"{self.line('sign-ups', self.signups)}; {self.line('event page', self.pages)}"


def warm_up(port: int, slug: str, workers: int = 4) -> None:
    """Each worker renders the event page and a refused sign-up once (templates compiled),
    without queueing any mail."""
    threads = [
        threading.Thread(target=request, args=(port, "GET", f"/events/{slug}")) for _ in range(workers * 2)
    ]
    threads += [
        threading.Thread(target=request, args=(port, "POST", f"/events/{slug}/register", {"name": "x"}))
        for _ in range(workers * 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def concurrent_signups(
    port: int, slug: str, count: int = 12, pages: int = 12, tag: str = "person"
) -> Latencies:
    """``count`` sign-ups with distinct addresses (``<tag><n>@example.org``) and ``pages``
    event-page views, all at once."""
    warm_up(port, slug)
    signups: list[float] = []
    views: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(count + pages)

    def sign_up(index: int) -> None:
        form = {
            "name": f"Person {index}",
            "email": f"{tag}{index}@example.org",
            "attendance": "in_person",
            "consent": "y",
        }
        start.wait()
        status, seconds = request(port, "POST", f"/events/{slug}/register", form)
        with lock:
            signups.append(seconds)
            statuses.append(status)

    def view() -> None:
        start.wait()
        time.sleep(0.05)  # just after the sign-ups: pages that send no mail
        status, seconds = request(port, "GET", f"/events/{slug}")
        with lock:
            views.append(seconds)
            statuses.append(status)

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(count)]
    threads += [threading.Thread(target=view) for _ in range(pages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Latencies(signups=signups, pages=views, statuses=statuses)
