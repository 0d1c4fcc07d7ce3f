"""Open-data exports of incidents and claims, written to a text stream (CLI ``tocsin export``, web API).

``export_incidents(session, fmt, out, *, since=None, region=None)`` — ``fmt`` "jsonl", "csv" or "geojson";
``export_claims(session, fmt, out)`` — "jsonl" or "csv". Both stream: rows are read in pages of ``PAGE``
(keyset pagination) and written as they come, so memory stays flat however big the database is. Both return
the number of rows written. The columns are documented in ``docs/data.md``; in short:

- unknown is ``null`` in JSON and an **empty cell** in CSV — never 0 or false;
- times are ISO 8601 in UTC with an explicit offset (``2024-09-01T02:00:00+00:00``);
- CSV: UTF-8, a header row, the csv module's quoting; lists are joined with ``"; "``, nested structures
  (a claim's ``per_region``, ``evidence``, ``quotes``) are compact JSON; booleans are ``true``/``false``;
  a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so
  spreadsheets do not run it as a formula (text is otherwise kept verbatim — HTML is not escaped: this is
  data, and whoever renders it escapes it);
- GeoJSON: a FeatureCollection of Points at the region's administrative centre
  (``data/region_centroids.csv``, approximate, ``[lon, lat]``); national incidents ("RU", "UA") and regions
  without a centre get ``"geometry": null``. Properties are the JSONL row.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, TextIO

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tocsin.domain import AUTHORITY_RANK, Authority
from tocsin.store.models import (
    ClaimRow,
    Incident,
    IncidentClaim,
    Message,
    MessageVersion,
    Source,
    claim_version_join,
)

PAGE = 500
INCIDENT_FORMATS = ("jsonl", "csv", "geojson")
CLAIM_FORMATS = ("jsonl", "csv")

# export column → the consensus field it shows
VALUE_FIELDS = {
    "destroyed": "destroyed",
    "total_destroyed": "total_destroyed",
    "launched": "launched",
    "killed": "killed",
    "injured": "injured",
    "damage": "infrastructure_damage",
    "debris": "debris_fell",
    "fire": "fire",
    "response": "emergency_response",
    "weapon": "weapon",
    "interceptors": "interceptors",
}
LOWER_BOUND_FIELDS = ("destroyed", "total_destroyed", "launched")

INCIDENT_COLUMNS = (
    "incident_id",
    "key",
    "iso",
    "region",
    "lat",
    "lon",
    "window_start",
    "window_end",
    "time_precision",
    "geo_precision",
    "kind",
    *VALUE_FIELDS,
    *(f"{f}_lower_bound" for f in LOWER_BOUND_FIELDS),
    "sources_count",
    "sources",
    "claims_count",
    "disagreements",
    "created_at",
    "updated_at",
)

CLAIM_COLUMNS = (
    "claim_id",
    "message_id",
    "message_version",
    "source",
    "authority",
    "published",
    "url",
    "lang",
    "kind",
    "weapon",
    "total_destroyed",
    "launched",
    "per_region",
    "interceptors",
    "period_text",
    "period_start",
    "period_end",
    "killed",
    "injured",
    "infrastructure_damage",
    "debris_fell",
    "fire",
    "emergency_response",
    "speaker",
    "incident_ids",
    "evidence",
    "quotes",
    "extractor_version",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """A bad export request (unknown format …)."""


# ------------------------------------------------------------------------------------------ reference


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """ISO code → English region name (``data/regions.csv``), plus the national codes."""
    with resources.files("tocsin.data").joinpath("regions.csv").open(encoding="utf-8") as fh:
        names = {row["iso"]: row["en"] for row in csv.DictReader(fh)}
    names.setdefault("RU", "Russia")
    names.setdefault("UA", "Ukraine")
    return names


@lru_cache(maxsize=1)
def region_centroids() -> dict[str, tuple[float, float]]:
    """ISO code → (lat, lon) of its administrative centre (approximate; data/region_centroids.csv)."""
    with resources.files("tocsin.data").joinpath("region_centroids.csv").open(encoding="utf-8") as fh:
        return {row["iso"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(fh)}


# ---------------------------------------------------------------------------------------- formatting


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


def csv_cell(value: Any) -> str:
    """One CSV cell: empty for null, ``true``/``false``, lists joined with ``"; "``, dicts as JSON, and a
    leading ``'`` on text that a spreadsheet would read as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
    ):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    elif isinstance(value, list | tuple):
        text = "; ".join(csv_cell(v) for v in value)
    else:
        text = str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


class _Writer:
    def __init__(self, fmt: str, out: TextIO, columns: tuple[str, ...]) -> None:
        self.fmt, self.out, self.columns = fmt, out, columns
        self.count = 0
        if fmt == "csv":
            self.csv = csv.writer(out)
            self.csv.writerow(columns)
        elif fmt == "geojson":
            out.write('{"type":"FeatureCollection","features":[\n')

    def row(self, row: dict[str, Any], geometry: dict[str, Any] | None = None) -> None:
        if self.fmt == "csv":
            self.csv.writerow([csv_cell(row[c]) for c in self.columns])
        elif self.fmt == "jsonl":
            self.out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            feature = {"type": "Feature", "id": row["incident_id"], "geometry": geometry, "properties": row}
            self.out.write(("" if self.count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
        self.count += 1

    def close(self) -> int:
        if self.fmt == "geojson":
            self.out.write("\n]}\n")
        self.out.flush()
        return self.count


def _check(fmt: str, allowed: tuple[str, ...], what: str) -> None:
    if fmt not in allowed:
        raise ExportError(f"unknown {what} export format {fmt!r} (use one of: {', '.join(allowed)})")


# ----------------------------------------------------------------------------------------- incidents


def incident_pages(session: Session, since: datetime | None, region: str | None) -> Iterator[list[Incident]]:
    """Live incidents oldest first, in keyset pages (the exports and the ACLED writer stream these)."""
    stmt = select(Incident).where(Incident.deleted_at.is_(None))
    if since is not None:
        stmt = stmt.where(Incident.window_end >= since)
    if region is not None:
        stmt = stmt.where(Incident.iso == region)
    stmt = stmt.order_by(Incident.window_start, Incident.id).limit(PAGE)
    last: tuple[datetime, int] | None = None
    while True:
        page_stmt = stmt
        if last is not None:
            page_stmt = stmt.where(
                or_(
                    Incident.window_start > last[0],
                    and_(Incident.window_start == last[0], Incident.id > last[1]),
                )
            )
        page = list(session.scalars(page_stmt))
        if not page:
            return
        yield page
        if len(page) < PAGE:
            return
        last = (page[-1].window_start, page[-1].id)


def _sources_of(session: Session, incident_ids: list[int]) -> dict[int, list[str]]:
    stmt = (
        select(IncidentClaim.incident_id, Source.name, Source.authority)
        .join(ClaimRow, ClaimRow.id == IncidentClaim.claim_id)
        .join(Message, Message.id == ClaimRow.message_id)
        .join(Source, Source.id == Message.source_id)
        .where(IncidentClaim.incident_id.in_(incident_ids))
        .distinct()
    )
    found: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for inc_id, name, authority in session.execute(stmt):
        found[inc_id].add((AUTHORITY_RANK[Authority(authority)], name))
    return {k: [name for _, name in sorted(v)] for k, v in found.items()}


def incident_row(inc: Incident, sources: list[str]) -> dict[str, Any]:
    """One incident as an export row (the JSONL object; CSV cells are ``csv_cell`` of its values)."""
    consensus = inc.consensus or {}
    centre = region_centroids().get(inc.iso)
    row: dict[str, Any] = {
        "incident_id": inc.id,
        "key": inc.key,
        "iso": inc.iso,
        "region": region_names().get(inc.iso),
        "lat": centre[0] if centre else None,
        "lon": centre[1] if centre else None,
        "window_start": _iso(inc.window_start),
        "window_end": _iso(inc.window_end),
        "time_precision": inc.time_precision,
        "geo_precision": inc.geo_precision,
        "kind": str(inc.kind),
    }
    for column, name in VALUE_FIELDS.items():
        row[column] = (consensus.get(name) or {}).get("value")
    for name in LOWER_BOUND_FIELDS:
        row[f"{name}_lower_bound"] = bool((consensus.get(name) or {}).get("lower_bound"))
    row["sources_count"] = len(sources)
    row["sources"] = sources
    row["claims_count"] = len(inc.claims)
    row["disagreements"] = [d.get("line") for d in inc.disagreements or []]
    row["created_at"] = _iso(inc.created_at)
    row["updated_at"] = _iso(inc.updated_at)
    return row


def _geometry(iso: str) -> dict[str, Any] | None:
    centre = region_centroids().get(iso)
    return None if centre is None else {"type": "Point", "coordinates": [centre[1], centre[0]]}


def export_incidents(
    session: Session,
    fmt: str,
    out: TextIO,
    *,
    since: datetime | None = None,
    region: str | None = None,
) -> int:
    """Write the live (not deleted) incidents, oldest window first; returns how many.

    ``since``: only incidents whose window ends at or after this instant (aware datetime). ``region``: only
    this ISO code ("RU-SMO", or "RU"/"UA" for national incidents).
    """
    _check(fmt, INCIDENT_FORMATS, "incident")
    if since is not None and (since.tzinfo is None or since.utcoffset() is None):
        raise ExportError("since must be timezone-aware")
    writer = _Writer(fmt, out, INCIDENT_COLUMNS)
    for page in incident_pages(session, since, region):
        sources = _sources_of(session, [inc.id for inc in page])
        for inc in page:
            writer.row(incident_row(inc, sources.get(inc.id, [])), _geometry(inc.iso))
    return writer.close()


# -------------------------------------------------------------------------------------------- claims


def _claim_pages(session: Session) -> Iterator[list[tuple[Any, ...]]]:
    stmt = (
        select(ClaimRow, Message, Source.name, Source.authority, MessageVersion.text)
        .join(Message, Message.id == ClaimRow.message_id)
        .join(Source, Source.id == Message.source_id)
        .join(
            MessageVersion,
            claim_version_join(),
        )
        .where(ClaimRow.superseded.is_(False))
        .order_by(ClaimRow.id)
        .limit(PAGE)
    )
    last = 0
    while True:
        page = [tuple(r) for r in session.execute(stmt.where(ClaimRow.id > last))]
        if not page:
            return
        yield page
        if len(page) < PAGE:
            return
        last = page[-1][0].id


def _incidents_of(session: Session, claim_ids: list[int]) -> dict[int, list[int]]:
    stmt = (
        select(IncidentClaim.claim_id, IncidentClaim.incident_id)
        .join(Incident, Incident.id == IncidentClaim.incident_id)
        .where(IncidentClaim.claim_id.in_(claim_ids), Incident.deleted_at.is_(None))
        .order_by(IncidentClaim.incident_id)
    )
    out: dict[int, list[int]] = defaultdict(list)
    for claim_id, incident_id in session.execute(stmt):
        if incident_id not in out[claim_id]:
            out[claim_id].append(incident_id)
    return out


def claim_row(
    row: ClaimRow, message: Message, source: str, authority: Any, text: str, incident_ids: Iterable[int]
) -> dict[str, Any]:
    """One current claim as an export row."""
    evidence = {k: [[int(a), int(b)] for a, b in v] for k, v in (row.evidence or {}).items()}
    return {
        "claim_id": row.id,
        "message_id": row.message_id,
        "message_version": row.message_version,
        "source": source,
        "authority": str(authority),
        "published": _iso(message.published_at),
        "url": message.url,
        "lang": row.lang,
        "kind": str(row.kind),
        "weapon": None if row.weapon is None else str(row.weapon),
        "total_destroyed": row.total_destroyed,
        "launched": row.launched,
        "per_region": [{"iso": r.iso, "destroyed": r.destroyed} for r in row.regions],
        "interceptors": list(row.interceptors or []),
        "period_text": row.period_text,
        "period_start": _iso(row.period_start),
        "period_end": _iso(row.period_end),
        "killed": row.killed,
        "injured": row.injured,
        "infrastructure_damage": row.infrastructure_damage,
        "debris_fell": row.debris_fell,
        "fire": row.fire,
        "emergency_response": row.emergency_response,
        "speaker": row.speaker,
        "incident_ids": list(incident_ids),
        "evidence": evidence,
        "quotes": {k: [text[a:b] for a, b in spans] for k, spans in evidence.items()},
        "extractor_version": row.extractor_version,
    }


def export_claims(session: Session, fmt: str, out: TextIO) -> int:
    """Write every current (not superseded) claim, by id; returns how many."""
    _check(fmt, CLAIM_FORMATS, "claim")
    writer = _Writer(fmt, out, CLAIM_COLUMNS)
    for page in _claim_pages(session):
        incidents = _incidents_of(session, [r[0].id for r in page])
        for row, message, source, authority, text in page:
            writer.row(claim_row(row, message, source, authority, text, incidents.get(row.id, [])))
    return writer.close()
