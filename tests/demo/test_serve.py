"""``tocsin serve`` and ``tocsin demo``: database preparation, the commands, a real server process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tocsin import demo, serve
from tocsin.cli import main
from tocsin.store.engine import make_engine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_prepare_loads_the_demo_once(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    said: list[str] = []
    try:
        assert serve.prepare(engine, say=said.append) is True
        assert not demo.is_empty(engine)
        assert serve.prepare(engine, say=said.append) is False  # not empty any more: nothing added
        assert len(said) == 2 and "demo data loaded" in said[1]
    finally:
        engine.dispose()


def test_prepare_without_demo_only_creates_the_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        assert serve.prepare(engine, demo=False) is False
        assert demo.is_empty(engine)  # the tables exist (the query works) and hold nothing
    finally:
        engine.dispose()


def test_port_check_and_url() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        problem = serve._check_port("127.0.0.1", port)
        assert problem and "already in use" in problem and f"--port {port + 1}" in problem
    assert serve._check_port("127.0.0.1", _free_port()) is None
    assert serve.site_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert serve.site_url("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert serve.site_url("::1", 8080) == "http://[::1]:8080/"


def test_demo_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    assert main(["demo", "--days", "3", "--seed", "2"]) == 0
    assert "demo data loaded" in capsys.readouterr().err
    assert main(["demo", "--days", "3"]) == 2  # refuses to mix demo data into a non-empty database
    assert "already holds messages" in capsys.readouterr().err
    assert main(["demo", "--days", "0"]) == 2


def test_demo_jsonl_reads_back_through_extract(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    assert main(["demo", "--days", "2", "--jsonl", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines and {"id", "text", "published", "lang", "source", "authority", "url"} <= set(lines[0])
    pred = tmp_path / "pred.jsonl"
    assert main(["extract", "--jsonl", str(out), "-o", str(pred)]) == 0
    assert len(pred.read_text(encoding="utf-8").splitlines()) == len(lines)


def test_serve_on_a_fresh_directory(tmp_path: Path) -> None:
    """The README's first command: a fresh directory → a database with demo data → a site that answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tocsin", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = None
        deadline = started + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert proc.poll() is None, proc.stdout.read()
        assert status == 200
        api = httpx.get(f"http://127.0.0.1:{port}/api/v1/incidents?limit=5", timeout=10)
        assert api.status_code == 200 and api.json()["items"]
    finally:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert (tmp_path / "tocsin.db").exists()
    assert "demo data loaded" in output and f"http://127.0.0.1:{port}/" in output
