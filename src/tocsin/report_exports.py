"""Residents' reports as open data: the public view of ``tocsin.policy``, as rows, GeoJSON features and files.

``export_reports(session, policy, fmt, out, *, now, region=None, since=None)`` writes every report the
publication policy makes public at ``now`` — ``fmt`` "jsonl", "csv" or "geojson" — oldest first, streamed in
keyset pages of ``PAGE`` (memory stays flat), and returns how many. The export is public open data, so it
goes through the policy like every page and endpoint: nothing private can reach a file.

Columns (``REPORT_COLUMNS``, documented in ``docs/publication-policy.md``): ``id``, ``category``,
``status`` (checked, crew_sent, crew_on_scene, resolved), ``observed`` (rounded down to the hour, to the
minute at exact precision), ``region``, ``place``, ``lat``, ``lon``, ``precision`` (of that point),
``photos`` (URLs, only when the policy makes photos public), ``incident_id``. Unknown is ``null`` in JSON
and an empty cell in CSV; CSV cells follow ``tocsin.exports.csv_cell`` (formula-safe). GeoJSON: a
FeatureCollection of Points ``[lon, lat]`` (``null`` geometry when the report has no public location), the
row as properties.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy.orm import Session

from tocsin.exports import ExportError, csv_cell
from tocsin.policy import PublicationPolicy, public_report, public_select
from tocsin.store.models import Report

PAGE = 500
REPORT_FORMATS = ("jsonl", "csv", "geojson")
REPORT_COLUMNS = (
    "id",
    "category",
    "status",
    "observed",
    "region",
    "place",
    "lat",
    "lon",
    "precision",
    "photos",
    "incident_id",
)


def report_row(public: dict[str, Any]) -> dict[str, Any]:
    """A public report (``policy.public_report``) as a flat row: the location as lat, lon, precision."""
    location = public.get("location") or {}
    return {
        "id": public["id"],
        "category": public["category"],
        "status": public["status"],
        "observed": public["observed"],
        "region": public["region"],
        "place": public["place"],
        "lat": location.get("lat"),
        "lon": location.get("lon"),
        "precision": location.get("precision"),
        "photos": list(public["photos"]),
        "incident_id": public["incident_id"],
    }


def report_feature(public: dict[str, Any]) -> dict[str, Any]:
    """A public report as a GeoJSON Feature (a Point at its public location, or a null geometry)."""
    row = report_row(public)
    geometry = None
    if row["lat"] is not None and row["lon"] is not None:
        geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
    return {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": row}


def export_reports(
    session: Session,
    policy: PublicationPolicy,
    fmt: str,
    out: TextIO,
    *,
    now: datetime,
    region: str | None = None,
    since: datetime | None = None,
) -> int:
    """Write the reports public at ``now`` (oldest first); returns how many.

    ``region``: one ISO code; ``since``: reports whose public observation time is at or after this aware
    instant. ``ExportError`` for an unknown format, a naive ``since`` or an unknown region.
    """
    from tocsin.queries import QueryError

    if fmt not in REPORT_FORMATS:
        raise ExportError(f"unknown report export format {fmt!r} (use one of: {', '.join(REPORT_FORMATS)})")
    try:
        stmt = public_select(policy, now=now, region=region, since=since)
    except QueryError as exc:
        raise ExportError(str(exc)) from None
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(REPORT_COLUMNS)
    elif fmt == "geojson":
        meta = json.dumps(policy.describe(), separators=(",", ":"))
        out.write('{"type":"FeatureCollection","policy":' + meta + ',"features":[\n')
    count = 0
    last = 0
    while True:
        page = list(session.scalars(stmt.where(Report.id > last).order_by(Report.id).limit(PAGE)))
        for report in page:
            public = public_report(report, policy, now=now)
            if public is None:  # pragma: no cover - public_select already filtered it out
                continue
            if writer is not None:
                row = report_row(public)
                writer.writerow([csv_cell(row[c]) for c in REPORT_COLUMNS])
            elif fmt == "jsonl":
                out.write(json.dumps(report_row(public), ensure_ascii=False) + "\n")
            else:
                feature = json.dumps(report_feature(public), ensure_ascii=False)
                out.write(("" if count == 0 else ",\n") + feature)
            count += 1
        if len(page) < PAGE:
            break
        last = page[-1].id
        session.expunge_all()  # keep memory flat over a large export
    if fmt == "geojson":
        out.write("\n]}\n")
    out.flush()
    return count
