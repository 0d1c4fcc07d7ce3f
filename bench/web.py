"""Web latency with a big database: p50/p95 of the home page, the incident list API and the GeoJSON export.

    .venv/bin/python bench/web.py                      # 100,000 incidents on SQLite
    .venv/bin/python bench/web.py --incidents 20000 --requests 50
    TOCSIN_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/web.py
    .venv/bin/python bench/web.py --json               # machine-readable figures

What it does, per database (SQLite always; PostgreSQL too when ``TOCSIN_BENCH_DATABASE_URL`` is set — an
admin URL: a database ``tocsin_bench_<random>`` is created through it and dropped afterwards):

1. creates the schema (``tocsin.store.engine.upgrade``) and fills it with plausible rows by bulk core inserts
   (no extraction, no merge — that is what ``bench/extract.py`` and the ingest benchmarks measure): one
   night after another, backwards from today, each of ~110 regions is active with its own probability; the
   country's federal bulletin lists every active region (one message, one claim, one claim_region row per
   region), about 40 % of active regions also get their governor's post (one more claim, sometimes a figure
   that differs by one → a disagreement); every (region, night) is an incident linked to its claims, with
   the consensus and disagreements in the merge's shape; ~10 % of active regions get a danger interval.
   So claims are ~0.45 per incident and sources ~110, as in a real deployment;
2. starts the real app (``uvicorn --factory tocsin.web.app:create_app``) in a subprocess on 127.0.0.1 and
   times sequential requests from one client over loopback (bounded loops, a few warm-up requests first):
   the home page, ``/api/v1/incidents?limit=100`` (the first page and the following pages by cursor),
   the same filtered to one region, the full GeoJSON export (every incident) and one region's GeoJSON;
3. prints p50 / p95 / max per endpoint. Target (issue 4): p95 ≤ 100 ms for an API page of 100 incidents
   with 100,000 in the database.

Conditional requests are not used (no If-None-Match): every request is answered in full, and bodies are read
in 1 MiB pieces. The index on ``incident (window_start, id)`` that the newest-first listing needs comes with
migration 0002.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.engine import make_url

from tocsin.store.engine import make_engine, normalize_url, upgrade
from tocsin.store.models import (
    ClaimRegion,
    ClaimRow,
    Incident,
    IncidentClaim,
    Message,
    MessageVersion,
    RegionStatus,
    Source,
)
from tocsin.store.repo import text_sha256

CHUNK = 5_000
FIELDS_NULL = ("launched", "fire")
TARGET_P95_MS = 100.0


# ------------------------------------------------------------------------------------------------ fill


def _regions() -> list[dict[str, str]]:
    names = {}
    with resources.files("tocsin.data").joinpath("regions.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names[row["iso"]] = row["ru"]
    out = []
    with resources.files("tocsin.data").joinpath("region_centroids.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["iso"][:3] in ("RU-", "UA-"):
                out.append({"iso": row["iso"], "ru": names.get(row["iso"], row["iso"])})
    return out


def _entry(value: Any, source: str | None, claim_id: int | None, lower: bool = False) -> dict[str, Any]:
    return {"value": value, "source": source, "claim_id": claim_id, "lower_bound": lower}


class Filler:
    """Builds the rows in memory chunk by chunk and writes them with executemany core inserts."""

    def __init__(self, engine: Engine, n_incidents: int, seed: int) -> None:
        self.engine = engine
        self.n = n_incidents
        self.rng = random.Random(seed)
        self.regions = _regions()
        self.rows: dict[Any, list[dict[str, Any]]] = {
            t: []
            for t in (Message, MessageVersion, ClaimRow, ClaimRegion, Incident, IncidentClaim, RegionStatus)
        }
        self.ids = {"message": 0, "claim": 0, "incident": 0, "status": 0}
        self.counts: dict[str, int] = {}

    def _next(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    def run(self) -> dict[str, int]:
        rng = self.rng
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        sources = [
            {"id": 1, "name": "Минобороны России [bench]", "kind": "telegram_web", "authority": "federal"},
            {"id": 2, "name": "Повітряні сили ЗСУ [bench]", "kind": "telegram_web", "authority": "federal"},
            {"id": 3, "name": "Newswire [bench]", "kind": "feed", "authority": "media"},
        ]
        governor: dict[str, int] = {}
        for k, region in enumerate(self.regions):
            governor[region["iso"]] = 4 + k
            sources.append(
                {
                    "id": 4 + k,
                    "name": f"Администрация {region['iso']} [bench]",
                    "kind": "telegram_web",
                    "authority": "regional",
                }
            )
        with self.engine.begin() as conn:
            conn.execute(
                insert(Source),
                [
                    {**s, "url": f"https://example.org/bench/{s['id']}", "enabled": True, "created_at": now}
                    for s in sources
                ],
            )
        names = {s["id"]: s["name"] for s in sources}
        # each region's activity: a few busy border regions, a long tail of quiet ones (mean ~68 a night)
        weights = {r["iso"]: min(0.95, rng.lognormvariate(-1.2, 0.9)) for r in self.regions}
        scale = 68 / sum(weights.values())
        p_active = {iso: min(0.95, w * scale) for iso, w in weights.items()}
        made = 0
        night = 0
        while made < self.n:
            end = now - timedelta(days=night, hours=now.hour) + timedelta(hours=5)  # 08:00 Moscow
            start = end - timedelta(hours=13)  # 18:00 Moscow the evening before
            active: dict[str, list[str]] = {"RU": [], "UA": []}
            for region in self.regions:
                if rng.random() < p_active[region["iso"]]:
                    active[region["iso"][:2]].append(region["iso"])
            for country, isos in active.items():
                isos = isos[: self.n - made]
                if not isos:
                    continue
                counts = {iso: rng.randint(1, 20) for iso in isos}
                fed_source = 1 if country == "RU" else 2
                fed_claim, _ = self._claim(fed_source, end, counts, country)
                for iso in isos:
                    members = [(fed_claim, fed_source, counts[iso])]
                    if rng.random() < 0.4:
                        own = counts[iso] + (rng.choice((-1, 1)) if rng.random() < 0.1 else 0)
                        own = max(own, 1)
                        gov_claim, _ = self._claim(
                            governor[iso], end - timedelta(minutes=rng.randint(5, 120)), {iso: own}, country
                        )
                        members.insert(0, (gov_claim, governor[iso], own))
                    self._incident(iso, start, end, members, names)
                    if rng.random() < 0.1:
                        self.rows[RegionStatus].append(
                            {
                                "id": self._next("status"),
                                "iso": iso,
                                "status": "danger",
                                "weapon": "uav",
                                "started_at": start + timedelta(hours=rng.randint(2, 6)),
                                "ended_at": end - timedelta(hours=rng.randint(1, 4)),
                                "message_id": self.ids["message"],
                            }
                        )
                made += len(isos)
            night += 1
            if sum(len(v) for v in self.rows.values()) > CHUNK * 4:
                self._flush()
        self._flush()
        self._fix_sequences()
        if self.engine.dialect.name == "postgresql":  # the statistics autovacuum would gather in production
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        self.counts["nights"] = night
        return self.counts

    def _claim(
        self, source_id: int, published: datetime, counts: dict[str, int], country: str
    ) -> tuple[int, str]:
        message_id, claim_id = self._next("message"), self._next("claim")
        total = sum(counts.values())
        if len(counts) == 1:
            ((iso, n),) = counts.items()
            body = f"За прошедшую ночь над территорией {iso} уничтожены {n} БПЛА. Пострадавших нет."
        else:
            lines = ",\n".join(f"{n} – над территорией {iso}" for iso, n in counts.items())
            body = f"За прошедшую ночь дежурными средствами ПВО уничтожены {total} БПЛА:\n{lines}."
        at = body.index(str(total))
        self.rows[Message].append(
            {
                "id": message_id,
                "source_id": source_id,
                "external_id": f"bench/{message_id}",
                "url": f"https://example.org/bench/{source_id}/{message_id}",
                "author": None,
                "lang": "ru" if country == "RU" else "uk",
                "first_seen_at": published,
                "published_at": published,
                "current_version": 1,
            }
        )
        self.rows[MessageVersion].append(
            {
                "message_id": message_id,
                "version": 1,
                "text": body,
                "edited_at": None,
                "fetched_at": published,
                "text_sha256": text_sha256(body),
            }
        )
        self.rows[ClaimRow].append(
            {
                "id": claim_id,
                "message_id": message_id,
                "message_version": 1,
                "extracted_at": published,
                "extractor_version": "bench",
                "kind": "interception",
                "weapon": "uav",
                "total_destroyed": total,
                "launched": None,
                "killed": 0 if len(counts) == 1 else None,
                "injured": 0 if len(counts) == 1 else None,
                "infrastructure_damage": None,
                "debris_fell": None,
                "fire": None,
                "emergency_response": None,
                "period_text": "За прошедшую ночь",
                "period_start": None,
                "period_end": None,
                "speaker": None,
                "lang": "ru",
                "interceptors": ["air_defense"],
                "evidence": {"total_destroyed": [[at, at + len(str(total))]], "period": [[0, 17]]},
                "superseded": False,
            }
        )
        for position, (iso, n) in enumerate(counts.items()):
            self.rows[ClaimRegion].append(
                {"claim_id": claim_id, "position": position, "iso": iso, "destroyed": n}
            )
        return claim_id, body

    def _incident(
        self,
        iso: str,
        start: datetime,
        end: datetime,
        members: list[tuple[int, int, int]],
        names: dict[int, str],
    ) -> None:
        incident_id = self._next("incident")
        claim_id, source_id, value = members[0]
        src = names[source_id]
        consensus = {
            "destroyed": _entry(value, src, claim_id),
            "total_destroyed": _entry(value, src, claim_id, lower=len(members) > 1),
            "launched": _entry(None, None, None),
            "killed": _entry(
                0 if len(members) > 1 else None,
                src if len(members) > 1 else None,
                claim_id if len(members) > 1 else None,
            ),
            "injured": _entry(
                0 if len(members) > 1 else None,
                src if len(members) > 1 else None,
                claim_id if len(members) > 1 else None,
            ),
            "infrastructure_damage": _entry(None, None, None),
            "debris_fell": _entry(None, None, None),
            "fire": _entry(None, None, None),
            "emergency_response": _entry(None, None, None),
            "weapon": _entry("uav", src, claim_id),
            "interceptors": _entry(["air_defense"], src, claim_id),
            "period": _entry({"text": "За прошедшую ночь", "start": None, "end": None}, src, claim_id),
        }
        disagreements = []
        values = {names[s]: (c, v) for c, s, v in members}
        if len({v for _, v in values.values()}) > 1:
            disagreements.append(
                {
                    "field": "destroyed",
                    "values": [{"value": v, "source": s, "claim_id": c} for s, (c, v) in values.items()],
                    "line": "destroyed: " + " vs ".join(f"{v} ({s})" for s, (_, v) in values.items()),
                }
            )
        local = start + timedelta(hours=3)
        self.rows[Incident].append(
            {
                "id": incident_id,
                "key": f"{iso}:{local:%Y-%m-%dT%H}",
                "iso": iso,
                "window_start": start,
                "window_end": end,
                "time_precision": 1,
                "geo_precision": 3,
                "kind": "interception",
                "consensus": consensus,
                "disagreements": disagreements,
                "created_at": end,
                "updated_at": end,
                "deleted_at": None,
            }
        )
        for c, _, _ in members:
            self.rows[IncidentClaim].append({"incident_id": incident_id, "claim_id": c, "iso": iso})

    def _flush(self) -> None:
        with self.engine.begin() as conn:
            for table, rows in self.rows.items():
                for lo in range(0, len(rows), CHUNK):
                    conn.execute(insert(table), rows[lo : lo + CHUNK])
                self.counts[table.__tablename__] = self.counts.get(table.__tablename__, 0) + len(rows)
                rows.clear()

    def _fix_sequences(self) -> None:
        """PostgreSQL: explicit ids leave the sequences at 1; move them past the rows written."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as conn:
            for table in ("source", "message", "message_version", "claim", "incident", "region_status"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )


# ----------------------------------------------------------------------------------------------- serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(url: str) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "TOCSIN_DATABASE_URL": url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "tocsin.web.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with status {proc.returncode}")
            try:
                httpx.get(base + "/api/v1/", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not answer within 60 s") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def measure(client: httpx.Client, name: str, paths: Iterator[str], n: int, warmup: int = 3) -> dict[str, Any]:
    times: list[float] = []
    sizes: list[int] = []
    for i in range(warmup + n):
        path = next(paths)
        size = 0
        head = b""
        t0 = time.perf_counter()
        # read the body in 1 MiB pieces: httpx's .content on a 90 MB chunked body is several times slower
        # than the server (measured: 132 s against curl's 20 s), which would time the client, not the app
        with client.stream("GET", path) as response:
            for piece in response.iter_raw(1 << 20):
                size += len(piece)
                head = head or piece[:300]
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{name}: GET {path} → {response.status_code}: {head!r}")
        if i >= warmup:
            times.append(elapsed)
            sizes.append(size)
    return {
        "endpoint": name,
        "n": n,
        "p50_ms": round(_pct(times, 0.5), 1),
        "p95_ms": round(_pct(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "mean_kb": round(statistics.mean(sizes) / 1024, 1),
    }


def cycle(*paths: str) -> Iterator[str]:
    while True:
        yield from paths


def api_pages(client: httpx.Client, base_query: str, pages: int) -> list[str]:
    """The first ``pages`` pages of a listing, following next_cursor (the paths, fetched once here)."""
    out = [f"/api/v1/incidents?{base_query}"]
    while len(out) < pages:
        data = client.get(out[-1]).json()
        if not data.get("next_cursor"):
            break
        out.append(f"/api/v1/incidents?{base_query}&cursor={data['next_cursor']}")
    return out


def run_one(label: str, url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        upgrade(engine)
        counts = Filler(engine, args.incidents, args.seed).run()
        fill_s = time.perf_counter() - t0
        with engine.connect() as conn:
            live = conn.scalar(select(func.count()).select_from(Incident))
            busiest = conn.execute(
                select(Incident.iso, func.count())
                .group_by(Incident.iso)
                .order_by(func.count().desc())
                .limit(1)
            ).one()[0]
    finally:
        engine.dispose()
    rows_total = sum(v for k, v in counts.items() if k != "nights")
    print(
        f"\n== {label}: {live:,} incidents over {counts['nights']:,} nights; {counts['claim']:,} claims, "
        f"{counts['message']:,} messages, {rows_total:,} rows in {fill_s:.1f} s "
        f"({rows_total / fill_s:,.0f} rows/s)",
        file=sys.stderr,
        flush=True,
    )
    results = []
    n = args.requests
    with server(url) as base, httpx.Client(base_url=base, timeout=120) as client:
        results.append(measure(client, "GET / (home page)", cycle("/"), n))
        pages = api_pages(client, "limit=100", 10)
        results.append(
            measure(
                client, f"GET /api/v1/incidents?limit=100 ({len(pages)} pages by cursor)", cycle(*pages), n
            )
        )
        region_pages = api_pages(client, f"limit=100&region={busiest}", 5)
        results.append(
            measure(
                client,
                f"GET /api/v1/incidents?limit=100&region={busiest} ({len(region_pages)} pages)",
                cycle(*region_pages),
                n,
            )
        )
        results.append(
            measure(
                client,
                f"GET /api/v1/export/incidents.geojson?region={busiest}",
                cycle(f"/api/v1/export/incidents.geojson?region={busiest}"),
                max(5, n // 10),
            )
        )
        results.append(
            measure(
                client,
                f"GET /api/v1/export/incidents.geojson (all {live:,})",
                cycle("/api/v1/export/incidents.geojson"),
                args.export_requests,
                warmup=0,
            )
        )
    for r in results:
        r["database"] = label
        r["incidents"] = live
    return results


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    admin = normalize_url(admin_url)
    name = f"tocsin_bench_{secrets.token_hex(4)}"
    engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000, help="incidents to create (default 100000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint (default 200)")
    parser.add_argument(
        "--export-requests", type=int, default=3, help="timed requests of the full GeoJSON export (default 3)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-sqlite", action="store_true", help="only PostgreSQL (TOCSIN_BENCH_DATABASE_URL)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the SQLite database in DIR (default: a temp dir, removed)"
    )
    args = parser.parse_args()

    results: list[dict[str, Any]] = []
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tocsin-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        if not args.no_sqlite:
            results += run_one("sqlite", f"sqlite:///{tmp / 'bench.db'}", args)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    pg = os.environ.get("TOCSIN_BENCH_DATABASE_URL", "").strip()
    if pg:
        with postgres_database(pg) as url:
            results += run_one(f"postgresql ({make_url(url).host})", url, args)

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    width = max(len(r["endpoint"]) for r in results)
    print(
        f"\n{'database':<30} {'endpoint':<{width}} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'KiB':>9}"
    )
    for r in results:
        print(
            f"{r['database']:<30} {r['endpoint']:<{width}} {r['n']:>4} {r['p50_ms']:>8} {r['p95_ms']:>8} "
            f"{r['max_ms']:>8} {r['mean_kb']:>9}"
        )
    for r in results:
        if r["endpoint"].startswith("GET /api/v1/incidents?limit=100 ("):
            verdict = "meets" if r["p95_ms"] <= TARGET_P95_MS else "MISSES"
            print(
                f"{r['database']}: API page p95 {r['p95_ms']} ms {verdict} the target "
                f"(≤ {TARGET_P95_MS:.0f} ms)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
