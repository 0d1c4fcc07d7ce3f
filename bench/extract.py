"""Extractor benchmark: throughput, per-statement latency and peak memory on one core.

    .venv/bin/python bench/extract.py [STATEMENTS.jsonl] [--n 10000] [--json]

Reads the development statements (default ``../shared/devset/statements.jsonl`` next to the repository),
repeats them to at least ``--n`` statements, warms up, then extracts them one by one in this single
process, pinned to one CPU where the OS allows it. A baseline pass over the same texts — one
compiled-regex tokenisation, ``re.compile(r"\\w+").findall`` — shows what the extractor costs relative to
merely reading the words. Prints figures; never asserts speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import sys
import time
from pathlib import Path

from tocsin import __version__
from tocsin.extract import extract

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SET = REPO.parent / "shared" / "devset" / "statements.jsonl"


def load(path: Path) -> list[tuple[str, str | None, str | None]]:
    rows = []
    with path.open(encoding="utf-8-sig") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                rows.append((rec["text"], rec.get("published"), rec.get("id")))
    return rows


def pin_one_cpu() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this OS)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile of a sorted list, in µs."""
    idx = min(len(sorted_ns) - 1, max(0, round(q / 100 * len(sorted_ns)) - 1))
    return sorted_ns[idx] / 1000


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def run(path: Path, n: int) -> dict:
    rows = load(path)
    if not rows:
        raise SystemExit(f"bench: no statements in {path}")
    work = (rows * (n // len(rows) + 1))[: max(n, len(rows))]
    pinning = pin_one_cpu()

    for text, published, _ in rows:  # warm-up: dictionaries, caches, lazily compiled patterns
        extract(text, published=published)

    lat = []
    perf = time.perf_counter_ns
    t0 = perf()
    for text, published, _ in work:
        s = perf()
        extract(text, published=published)
        lat.append(perf() - s)
    total_ns = perf() - t0
    lat.sort()

    findall = re.compile(r"\w+").findall
    for text, _, _ in rows:
        findall(text)
    b0 = perf()
    for text, _, _ in work:
        findall(text)
    base_ns = perf() - b0

    chars = sum(len(t) for t, _, _ in work)
    ext_rate = len(work) / (total_ns / 1e9)
    base_rate = len(work) / (base_ns / 1e9)
    return {
        "tocsin": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu": pinning,
        "dataset": str(path),
        "distinct_statements": len(rows),
        "statements": len(work),
        "mean_chars": round(chars / len(work), 1),
        "extract_per_s": round(ext_rate, 1),
        "extract_mb_per_s": round(chars / (total_ns / 1e9) / 1e6, 3),
        "p50_us": round(percentile(lat, 50), 1),
        "p99_us": round(percentile(lat, 99), 1),
        "max_us": round(lat[-1] / 1000, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "baseline": r're.compile(r"\w+").findall',
        "baseline_per_s": round(base_rate, 1),
        "ratio_extract_to_baseline": round(ext_rate / base_rate, 5),
    }


def show(r: dict) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text is fine too
        for k, v in r.items():
            print(f"{k:28} {v}")
        return
    t = Table(title=f"tocsin {r['tocsin']} extractor — {r['statements']:,} statements", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    rows = [
        ("dataset", f"{r['dataset']} ({r['distinct_statements']} distinct, {r['mean_chars']} chars avg)"),
        ("python / cpu", f"{r['python']} {r['machine']}, one process, {r['cpu']}"),
        ("throughput", f"{r['extract_per_s']:,.1f} statements/s ({r['extract_mb_per_s']} MB/s)"),
        ("latency p50", f"{r['p50_us']:,.1f} µs"),
        ("latency p99", f"{r['p99_us']:,.1f} µs"),
        ("latency max", f"{r['max_us']:,.1f} µs"),
        ("peak RSS", f"{r['peak_rss_mb']:,.1f} MB"),
        ("baseline", f"{r['baseline']}: {r['baseline_per_s']:,.1f} statements/s"),
        (
            "extractor / baseline",
            f"{r['ratio_extract_to_baseline']:.4g} (throughput ratio; < 1 means slower than the baseline)",
        ),
    ]
    for k, v in rows:
        t.add_row(k, v)
    Console().print(t)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("statements", nargs="?", type=Path, default=DEFAULT_SET, help="JSONL with a text field")
    p.add_argument("--n", type=int, default=10_000, help="statements to extract (default 10000)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = p.parse_args(argv)
    if not args.statements.is_file():
        p.error(f"no such file: {args.statements}")
    result = run(args.statements, args.n)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        show(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
