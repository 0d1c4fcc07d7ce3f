"""A report the resident was told is saved survives the server being killed.

A real ``tocsin serve`` (uvicorn, one process) on a free port receives a burst of reports from several
threads; the process is SIGKILLed in the middle of the burst. Every report that got a success response
must be in the database afterwards — read by a fresh process after the kill, with its receipt token.
Runs on SQLite (WAL, synchronous=FULL) and on PostgreSQL when ``TOCSIN_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from store.conftest import ENV, _admin, pg_url  # noqa: F401 (fixture)
from tocsin.serve import free_port, wait_until_serving
from tocsin.store.engine import make_engine
from tocsin.store.models import Report

THREADS = 8
KILL_AFTER = 150  # successes before the kill; the threads keep sending while the process dies


def _start(tmp: Path, url: str) -> tuple[subprocess.Popen, str]:
    """A ``tocsin serve`` process (its stderr goes to ``server.log`` in ``tmp``) and its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "TOCSIN_DATABASE_URL": url,
        "TOCSIN_PHOTO_DIR": str(tmp / "photos"),
        "TOCSIN_REPORT_RATE_PER_IP": "1000000",
        "TOCSIN_REPORT_RATE_GLOBAL": "1000000",
    }
    log = tmp / "server.log"
    # A file, not a pipe: nobody reads a pipe during the burst (a full one would stall the server), and a
    # pipe left open after the kill is a ResourceWarning (an error here).
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tocsin", "serve", "--no-demo", "--port", str(port)],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    problem = wait_until_serving(proc, base + "/api/v1/", 90)
    if problem is None:
        return proc, base
    proc.kill()
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise AssertionError(f"server did not start ({problem}): {tail}")


def _burst_and_kill(base: str, proc: subprocess.Popen) -> list[dict]:
    accepted: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(k: int) -> None:
        with httpx.Client(base_url=base, timeout=10) as client:
            i = 0
            while not stop.is_set():
                i += 1
                body = {
                    "category": "debris",
                    "lat": 54.7 + k * 0.01 + i * 1e-4,
                    "lon": 32.0 + i * 1e-4,
                    "observed_at": datetime.now(UTC).isoformat(),
                    "description": f"burst {k}/{i}",
                    "contact": "+7 900 000 0000",
                }
                try:
                    r = client.post("/api/v1/reports", json=body)
                except httpx.HTTPError:
                    continue  # the server is gone: no success was promised
                if r.status_code == 201:
                    with lock:
                        accepted.append(r.json())

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            if len(accepted) >= KILL_AFTER:
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)  # mid-burst: requests are in flight
    proc.wait(timeout=30)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    return accepted


def _check(url: str, accepted: list[dict]) -> None:
    assert len(accepted) >= KILL_AFTER
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = dict(conn.execute(select(Report.id, Report.token_sha256)).all())
    finally:
        engine.dispose()
    missing = [a["id"] for a in accepted if a["id"] not in rows]
    assert missing == [], f"{len(missing)} acknowledged reports lost after SIGKILL"
    for a in accepted:
        assert rows[a["id"]] == hashlib.sha256(a["token"].encode()).hexdigest()


def test_acknowledged_reports_survive_sigkill_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tocsin.db'}"
    proc, base = _start(tmp_path, url)
    try:
        accepted = _burst_and_kill(base, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    _check(url, accepted)


def test_acknowledged_reports_survive_sigkill_postgresql(tmp_path: Path, request) -> None:
    url = request.getfixturevalue("pg_url")
    if url is None:
        pytest.skip(f"PostgreSQL: {ENV} not set")
    schema = f"burst_{secrets.token_hex(6)}"
    _admin(url, f'CREATE SCHEMA "{schema}"')
    try:
        full = url.update_query_dict({"options": f"-csearch_path={schema}"})
        text_url = full.render_as_string(hide_password=False)
        proc, base = _start(tmp_path, text_url)
        try:
            accepted = _burst_and_kill(base, proc)
        finally:
            if proc.poll() is None:
                proc.kill()
        _check(text_url, accepted)
    finally:
        _admin(url, f'DROP SCHEMA "{schema}" CASCADE')
