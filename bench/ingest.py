"""Ingest benchmark: a generated Telegram export, imported end to end (parse + store + extract + merge).

    .venv/bin/python bench/ingest.py [--n 100000] [--batch-size 500] [--workers N] [--json]
    TOCSIN_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/ingest.py --n 20000

Generates an export of ``--n`` messages (``tests/ingest/exportgen.py``: ru / uk / en statements about
attack nights in ~26 regions, alerts and all-clears, non-incidents), imports it with ``tocsin.ingest.ingest``
into a fresh SQLite file — and into a fresh PostgreSQL database when ``TOCSIN_BENCH_DATABASE_URL`` (an admin
URL) is set — then imports it a second time (every message "unchanged"). Prints messages/s end to end, the
time split (parse / store / extract / merge; with workers, "extract" is the time this process spent on
extraction: waiting for the workers, or extracting the tasks they had not started), the CPU seconds of this
process and of the workers (on a shared machine wall time depends on the others' load, CPU time hardly:
compare CPU seconds, and give ``uptime``'s load with any wall-clock figure), peak RSS of this process and of
the worker processes. Prints figures; never asserts speed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from tocsin import __version__
from tocsin.ingest import SourceSpec, ingest
from tocsin.sources import read_path
from tocsin.store.engine import make_engine, normalize_url, upgrade

REPO = Path(__file__).resolve().parent.parent


def _exportgen():
    spec = importlib.util.spec_from_file_location("exportgen", REPO / "tests" / "ingest" / "exportgen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rss_mb(who: int) -> float:
    rss = resource.getrusage(who).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _cpu(who: int) -> float:
    """CPU seconds (user + system) used so far: unlike wall time, hardly moved by other load."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_one(url, export: Path, n: int, batch_size: int, workers: int) -> dict:
    engine = make_engine(url)
    upgrade(engine)
    spec = SourceSpec("bench", "telegram_export", "regional")
    try:
        t0 = time.perf_counter()
        cpu0, cpu0_workers = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        first = ingest(engine, spec, read_path(export), batch_size=batch_size, workers=workers)
        wall = time.perf_counter() - t0
        cpu = _cpu(resource.RUSAGE_SELF) - cpu0
        cpu_workers = _cpu(resource.RUSAGE_CHILDREN) - cpu0_workers
        t1 = time.perf_counter()
        again = ingest(engine, spec, read_path(export), batch_size=batch_size)
        wall_again = time.perf_counter() - t1
    finally:
        engine.dispose()
    assert first.new == n and again.unchanged == n, (first.new, again.unchanged)
    t = first.timings
    return {
        "engine": normalize_url(url).get_backend_name(),
        "messages": n,
        "seconds": round(wall, 2),
        "messages_per_s": round(n / wall, 1),
        "split_s": {
            "parse": round(t.parse, 2),
            "store": round(t.store, 2),
            "extract": round(t.extract, 2),
            "merge": round(t.merge, 2),
            "other": round(wall - t.total, 2),
        },
        "cpu_s": round(cpu, 2),
        "cpu_workers_s": round(cpu_workers, 2),
        "claims": first.claims,
        "incidents_created": first.incidents.created,
        "rejected": len(first.rejected),
        "reimport_seconds": round(wall_again, 2),
        "reimport_messages_per_s": round(n / wall_again, 1),
        "peak_rss_mb": round(rss_mb(resource.RUSAGE_SELF), 1),
        "peak_rss_workers_mb": round(rss_mb(resource.RUSAGE_CHILDREN), 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="messages in the generated export")
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument(
        "--workers",
        type=int,
        default=1 if (os.cpu_count() or 1) >= 2 else 0,
        help="extraction worker processes (default: 1 on a machine with 2+ CPUs, as `tocsin ingest`)",
    )
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args(argv)

    results = []
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp:
        export = Path(tmp) / "result.json"
        t0 = time.perf_counter()
        _exportgen().write_export(export, args.n, seed=1)
        generated = time.perf_counter() - t0
        results.append(
            run_one(f"sqlite:///{Path(tmp) / 'bench.db'}", export, args.n, args.batch_size, args.workers)
        )
        pg = os.environ.get("TOCSIN_BENCH_DATABASE_URL", "").strip()
        if pg:
            admin_url = normalize_url(pg)
            name = f"tocsin_bench_{secrets.token_hex(4)}"
            admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                results.append(
                    run_one(admin_url.set(database=name), export, args.n, args.batch_size, args.workers)
                )
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    meta = {
        "tocsin": __version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "generate_s": round(generated, 2),
        "batch_size": args.batch_size,
        "workers": args.workers,
    }
    if args.json:
        print(json.dumps({"meta": meta, "results": results}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"tocsin {__version__} ingest — {args.n:,} messages, batch {args.batch_size}, "
        f"workers {args.workers}"
    )
    table.add_column("")
    for r in results:
        table.add_column(r["engine"], justify="right")
    keys = [
        ("end to end, messages/s", lambda r: f"{r['messages_per_s']:,.0f}"),
        ("end to end, seconds", lambda r: f"{r['seconds']:.1f}"),
        ("  parse s", lambda r: f"{r['split_s']['parse']:.1f}"),
        ("  store s", lambda r: f"{r['split_s']['store']:.1f}"),
        ("  extract s (waiting)", lambda r: f"{r['split_s']['extract']:.1f}"),
        ("  merge s", lambda r: f"{r['split_s']['merge']:.1f}"),
        ("  other s", lambda r: f"{r['split_s']['other']:.1f}"),
        ("CPU s (this process)", lambda r: f"{r['cpu_s']:.1f}"),
        ("CPU s (workers)", lambda r: f"{r['cpu_workers_s']:.1f}"),
        ("claims", lambda r: f"{r['claims']:,}"),
        ("incidents created", lambda r: f"{r['incidents_created']:,}"),
        ("re-import (unchanged), messages/s", lambda r: f"{r['reimport_messages_per_s']:,.0f}"),
        ("peak RSS MB (this process)", lambda r: f"{r['peak_rss_mb']:.0f}"),
        ("peak RSS MB (workers)", lambda r: f"{r['peak_rss_workers_mb']:.0f}"),
    ]
    for label, fmt in keys:
        table.add_row(label, *(fmt(r) for r in results))
    Console().print(table)
    print(f"python {meta['python']}, {meta['cpus']} CPUs; export generated in {meta['generate_s']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
