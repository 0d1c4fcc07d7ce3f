"""Nothing lost, nothing doubled: ``tocsin ingest`` killed with SIGKILL midway, then run again.

The import runs in a subprocess against a file SQLite database (``python -m tocsin ingest …``). The test
waits until the first batches are committed, kills the process with SIGKILL (no cleanup of any kind runs),
runs the same command again and checks that every message is stored exactly once, with exactly one current
claim. The subprocess replaces the incident merge by a no-op (it runs in the batch's transaction like every
other write, and is tested on its own) so that the 20,000 messages fit the suite's time budget; everything
else is the real command.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from .exportgen import write_export

N = 20_000
BATCH = 200

RUNNER = """
import runpy, sys
from tocsin import incidents
incidents.refresh = lambda session, claim_ids, **options: incidents.RefreshResult()
sys.argv = ["tocsin", *sys.argv[1:]]
runpy.run_module("tocsin", run_name="__main__", alter_sys=True)
"""


def _count(db, sql: str) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_midway_then_rerun_stores_every_message_once(tmp_path):
    export = write_export(tmp_path / "result.json", N, seed=21)
    db = tmp_path / "kill.db"
    env = {**os.environ, "TOCSIN_DATABASE_URL": f"sqlite:///{db}"}
    cmd = [
        sys.executable,
        "-c",
        RUNNER,
        "ingest",
        str(export),
        "--source",
        "governor",
        "--authority",
        "regional",
        "--batch-size",
        str(BATCH),
        "--workers",
        "1",
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    committed = 0
    deadline = time.monotonic() + 120
    try:
        while committed < 3 * BATCH:
            assert proc.poll() is None, f"the import ended before it was killed: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "no batch was committed in time"
            time.sleep(0.05)
            if db.exists():
                try:
                    committed = _count(db, "SELECT count(*) FROM message")
                except sqlite3.OperationalError:  # schema not created yet
                    committed = 0
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    at_kill = _count(db, "SELECT count(*) FROM message")
    assert 3 * BATCH <= at_kill < N
    assert at_kill % BATCH == 0  # whole batches only: the open one was rolled back
    # the extraction worker notices its parent is gone and exits
    _gone, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, f"worker processes outlived the killed import: {alive}"

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert _count(db, "SELECT count(*) FROM message") == N
    assert _count(db, "SELECT count(DISTINCT source_id || '/' || external_id) FROM message") == N
    assert _count(db, "SELECT count(*) FROM message_version") == N
    assert _count(db, "SELECT count(*) FROM source") == 1
    # every message has exactly one current (non-superseded) claim, and no claim is superseded
    assert _count(db, "SELECT count(*) FROM claim WHERE superseded = 0") == N
    assert _count(db, "SELECT count(*) FROM claim") == N
    assert (
        _count(
            db,
            "SELECT count(*) FROM message m WHERE (SELECT count(*) FROM claim c "
            "WHERE c.message_id = m.id AND c.superseded = 0) != 1",
        )
        == 0
    )
    out = " ".join(rerun.stdout.split())
    assert f"new messages │ {N - at_kill} │" in out
    assert f"unchanged │ {at_kill} │" in out
