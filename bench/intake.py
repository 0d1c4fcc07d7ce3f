"""Report intake benchmark: accepted residents' reports per second and latency, on loopback.

    .venv/bin/python bench/intake.py [--seconds 10] [--concurrency 8] [--json]
    TOCSIN_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/intake.py

For each engine (SQLite in a fresh file; PostgreSQL in a fresh database when ``TOCSIN_BENCH_DATABASE_URL``
is set), starts the real web app (``create_app`` under uvicorn, one process, as ``tocsin serve`` runs it)
in a child process on 127.0.0.1, then a bounded load generator in this process (``--concurrency``
requests in flight, httpx over HTTP/1.1 keep-alive) drives, for ``--seconds`` each:

- ``reports``: ``POST /api/v1/reports`` with a JSON report (category, coordinates, time, description,
  contact, an Idempotency-Key) — validation, place lookup, clustering, the audit Event and one durable
  commit per report (SQLite ``synchronous=FULL``);
- ``bare``: ``POST /bench/bare`` on the same stack (FastAPI, uvicorn, SQLAlchemy session) doing one INSERT
  of the request body and one commit — the floor of what any endpoint that stores something costs here.

The bare endpoint runs before and after the reports phase (their mean is the baseline, so a drifting
machine shows). Prints accepted/s, p50/p99 latency and the ratio reports/bare. The rate limits are
raised for the run (one client address sends everything). Prints figures; never asserts speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------------------ the server


def serve(url: str, port: int, photo_dir: str) -> None:
    """Child process: the tocsin app plus the bare endpoint, under uvicorn."""
    import uvicorn
    from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, insert

    from tocsin.settings import Settings
    from tocsin.store.engine import make_engine, upgrade
    from tocsin.web.app import create_app

    engine = make_engine(url)
    upgrade(engine)
    meta = MetaData()
    bare = Table(
        "bench_bare",
        meta,
        Column("id", Integer, primary_key=True),
        Column("body", Text),
        Column("at", DateTime(timezone=True)),
    )
    meta.create_all(engine)
    settings = Settings(
        database_url=url,
        photo_dir=photo_dir,
        report_rate_per_ip=10**9,
        report_rate_global=10**9,
    )
    app = create_app(settings, engine=engine)
    from tocsin import places

    thread = places.warm_up()
    if thread is not None:
        thread.join()  # measure steady state, not the gazetteer's first load
    sessionmaker = app.state.sessionmaker

    @app.post("/bench/bare", status_code=201)
    def bare_insert(payload: dict) -> dict:
        with sessionmaker() as session, session.begin():
            row = session.execute(
                insert(bare).values(body=json.dumps(payload), at=datetime.now(UTC)).returning(bare.c.id)
            ).scalar_one()
        return {"id": row}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(url: str, tmp: Path) -> tuple[subprocess.Popen, str]:
    from tocsin.serve import free_port, wait_until_serving

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, "--port", str(port), "--photo-dir", str(tmp / "photos")],
        cwd=tmp,
    )
    base = f"http://127.0.0.1:{port}"
    problem = wait_until_serving(proc, base + "/api/v1/", 60)
    if problem is None:
        return proc, base
    proc.kill()
    raise SystemExit(f"the server did not start: {problem}")


# ---------------------------------------------------------------------------------------------- load


def report_body(i: int) -> dict:
    return {
        "category": ("debris", "damage", "fire", "suspicious_object", "injured", "other")[i % 6],
        "lat": 54.78 + (i % 500) * 0.003,
        "lon": 32.04 + (i % 700) * 0.003,
        "observed_at": datetime.now(UTC).isoformat(),
        "description": f"Обломки у дороги, участок {i}. Fragments by the road.",
        "contact": f"+7 900 000 {i % 10000:04d}",
        "lang": "ru",
    }


async def drive(base: str, path: str, seconds: float, concurrency: int, make: object) -> dict:
    import httpx

    latencies: list[float] = []
    errors: dict[int | str, int] = {}
    counter = 0
    deadline = 0.0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal counter
        while time.perf_counter() < deadline:
            counter += 1
            body = make(counter)  # type: ignore[operator]
            headers = {"Idempotency-Key": secrets.token_urlsafe(18)} if path != "/bench/bare" else {}
            t0 = time.perf_counter()
            try:
                response = await client.post(path, json=body, headers=headers)
                status: int | str = response.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            elapsed = time.perf_counter() - t0
            if status in (200, 201):
                latencies.append(elapsed)
            else:
                errors[status] = errors.get(status, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + 1.0  # warm-up, not counted
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        latencies.clear()
        errors.clear()
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    ordered = sorted(latencies)

    def pct(p: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {
        "accepted": len(ordered),
        "per_s": round(len(ordered) / wall, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None,
        "errors": errors,
    }


def run_engine(name: str, url: str, seconds: float, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="tocsin-intake-") as tmp:
        proc, base = start_server(url, Path(tmp))
        try:
            bare1 = asyncio.run(drive(base, "/bench/bare", seconds, concurrency, lambda i: {"n": i}))
            reports = asyncio.run(drive(base, "/api/v1/reports", seconds, concurrency, report_body))
            bare2 = asyncio.run(drive(base, "/bench/bare", seconds, concurrency, lambda i: {"n": i}))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    bare_rate = (bare1["per_s"] + bare2["per_s"]) / 2
    return {
        "engine": name,
        "reports": reports,
        "bare_before": bare1,
        "bare_after": bare2,
        "ratio_to_bare": round(reports["per_s"] / bare_rate, 3) if bare_rate else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase (default 10)")
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--photo-dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port, args.photo_dir)
        return 0

    results = []
    with tempfile.TemporaryDirectory(prefix="tocsin-intake-db-") as dbdir:
        results.append(run_engine("sqlite", f"sqlite:///{dbdir}/bench.db", args.seconds, args.concurrency))
    admin = os.environ.get("TOCSIN_BENCH_DATABASE_URL", "").strip()
    if admin:
        from sqlalchemy import text

        from tocsin.store.engine import make_engine, normalize_url

        admin_url = normalize_url(admin)
        name = f"tocsin_intake_{secrets.token_hex(4)}"
        admin_engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            results.append(run_engine("postgresql", url, args.seconds, args.concurrency))
        finally:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()

    if args.json:
        print(json.dumps({"machine": platform.machine(), "cpus": os.cpu_count(), "results": results}))
        return 0
    print(
        f"tocsin intake bench · {platform.python_implementation()} {platform.python_version()} · "
        f"{os.cpu_count()} CPUs · load {os.getloadavg()[0]:.2f} · {args.seconds:g} s per phase, "
        f"{args.concurrency} in flight"
    )
    for r in results:
        rep, b1, b2 = r["reports"], r["bare_before"], r["bare_after"]
        print(f"\n{r['engine']}:")
        for label, m in (
            ("bare INSERT (before)", b1),
            ("POST /api/v1/reports", rep),
            ("bare INSERT (after)", b2),
        ):
            err = f"  errors {m['errors']}" if m["errors"] else ""
            print(f"  {label:22} {m['per_s']:8.1f}/s  p50 {m['p50_ms']} ms  p99 {m['p99_ms']} ms{err}")
        print(f"  reports / bare           {r['ratio_to_bare']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
