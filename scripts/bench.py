"""Benchmark: requests per second of the programme page under gunicorn, beside a trivial app.

Runs everything on loopback, bounded in time: for the shipped programme (4 events) and a
synthetic one (1,500 events over 7 days in 60 venues) it starts gunicorn, drives a load tool
(wrk when installed, otherwise a small threaded Python client) for a few seconds per URL and
prints requests per second, latency and the workers' memory. Figures only; nothing asserts.

    make bench                      # or: .venv/bin/python scripts/bench.py --seconds 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, path: str = "/", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer {path} in {timeout} s")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the gunicorn master and workers)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.exists():
            match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
            total += int(match.group(1)) if match else 0
    return total / 1024


def python_load(port: int, path: str, seconds: float, connections: int) -> tuple[float, float]:
    """Fallback load: keep-alive connections in threads; returns (req/s, mean latency ms)."""
    counts = [0] * connections
    latency = [0.0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            latency[i] += time.perf_counter() - started
            counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(counts)
    return total / seconds, (sum(latency) / total * 1000 if total else 0.0)


def load(port: int, path: str, seconds: float, connections: int) -> tuple[float, float, str]:
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [wrk, "-t2", f"-c{connections}", f"-d{int(seconds)}s", f"http://127.0.0.1:{port}{path}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
        factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[lat.group(2)] if lat else 0
        errors = "non-2xx" in out or "Socket errors" in out
        return rps, float(lat.group(1)) * factor if lat else 0.0, "wrk" + (" (errors!)" if errors else "")
    rps, mean = python_load(port, path, seconds, connections)
    return rps, mean, "python"


def gunicorn(app: str, port: int, env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def prepare_database(workdir: Path, events: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HUB_SQLALCHEMY_DATABASE_URI=os.environ.get("BENCH_DATABASE_URI")
        or f"sqlite:///{workdir / f'bench-{events or 4}.sqlite'}",
        FLASK_APP="wsgi",
    )
    env.setdefault("HUB_SECRET_KEY", secrets.token_urlsafe(32))  # required beyond SQLite
    flask = str(BIN / "flask")
    subprocess.run([flask, "hub", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    if events:
        path = workdir / "synthetic.json"
        subprocess.run(
            [flask, "hub", "generate", "--events", str(events), "--out", str(path)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [flask, "hub", "import", str(path)], cwd=ROOT, env=env, check=True, capture_output=True
        )
    return env


ROWS_4 = ("/", "{event}", "/programme.ics")
ROWS_1500 = ("/?day=2023-08-16", "/?q=helse", "/programme.ics", "/programme.json", "/schedule.json")


def measure(
    env: dict[str, str], paths: tuple[str, ...], label: str, args: argparse.Namespace, seconds: float
) -> list[tuple[str, str, float, float, float, str]]:
    """Each path with the cache off (every request renders: a miss) and on (warm)."""
    rows = []
    for mode, enabled in (("cold", "false"), ("warm", "true")):
        port = free_port()
        server = gunicorn("wsgi:app", port, {**env, "HUB_CACHE_ENABLED": enabled}, args.workers, args.threads)
        try:
            wait_for(port, "/healthz")
            first = json.loads(http_get(port, "/programme.json"))["events"][0]["slug"]
            for template in paths:
                path = template.format(event=f"/events/{first}")
                http_get(port, path)  # warm: the first request fills the cache
                rps, lat, tool = load(port, path, seconds, args.connections)
                rows.append((f"{label}, {mode}", path, rps, lat, rss_mb(server.pid), tool))
        finally:
            server.terminate()
            server.wait(10)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (max 30)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    seconds = min(args.seconds, 30.0)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        trivial_port = free_port()
        trivial = gunicorn(
            "scripts.trivial_app:app", trivial_port, dict(os.environ), args.workers, args.threads
        )
        try:
            wait_for(trivial_port)
            rps, lat, tool = load(trivial_port, "/", seconds, args.connections)
            results.append(("trivial Flask endpoint", "/", rps, lat, rss_mb(trivial.pid), tool))
        finally:
            trivial.terminate()
            trivial.wait(10)
        results += measure(prepare_database(workdir, None), ROWS_4, "4 events", args, seconds)
        results += measure(prepare_database(workdir, 1500), ROWS_1500, "1,500 events", args, seconds)
    trivial_rps = results[0][2] or 1.0
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads, {args.connections} connections, "
        f"{seconds:.0f} s per row, {os.cpu_count()} cores; cold = cache off (every request renders)"
    )
    print(f"{'what':22} {'path':24} {'req/s':>9} {'share':>7} {'mean ms':>8} {'RSS MB':>7}  tool")
    for label, path, rps, lat, rss, tool in results:
        share = f"{100 * rps / trivial_rps:6.1f}%"
        print(f"{label:22} {path[:24]:24} {rps:9.1f} {share:>7} {lat:8.2f} {rss:7.1f}  {tool}")


def http_get(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    return conn.getresponse().read().decode()


if __name__ == "__main__":
    main()
