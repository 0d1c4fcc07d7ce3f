"""ACLED-compatible CSV of incidents: ``write_acled(session, out, *, since=None, region=None)``.

One row per live incident that is an event in ACLED's sense (see ``is_event``), in the column names of
ACLED's export so tools written for ACLED data read it. The mapping of each column is documented in
``docs/api.md`` ("ACLED-compatible CSV"); in short:

- ``event_date``: the local date (region's time zone) of the middle of the incident's window, YYYY-MM-DD;
- ``time_precision``: the incident's code (1 day known, 2 within a week, 3 about a month) — ACLED's scale;
- ``event_type`` / ``sub_event_type``: always "Explosions/Remote violence" / "Air/drone strike";
- ``admin1``: the region's English name; ``iso``: ISO 3166-1 numeric country code (643 Russia, 804 Ukraine);
- ``latitude`` / ``longitude``: the region's administrative centre (approximate); ``geo_precision``: 3
  ("larger region, centroid") because the coordinates are the region's centre — except a city-region
  (Moscow, St Petersburg, Kyiv, Sevastopol), whose centre is the city: its own code (1);
- ``source``: the sources' names, regional authorities first, joined with "; "; ``source_scale``: their
  scales (regional → Subnational, federal → National, media → National, other → Other) joined with "-";
- ``notes``: one English sentence per figure ("not disclosed" where no source states it) and the
  disagreements;
- ``fatalities``: the consensus ``killed`` value — an **empty cell when no source discloses it, never 0**
  (0 only where a source says nobody was killed).
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain import AUTHORITY_RANK, Authority, Kind
from tocsin.exports import csv_cell, incident_pages, region_centroids, region_names
from tocsin.merge import CITY_REGIONS, local_zone
from tocsin.store.models import ClaimRow, Incident, IncidentClaim, Message, Source

COLUMNS = (
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "admin1",
    "iso",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
)
EVENT_TYPE = "Explosions/Remote violence"
SUB_EVENT_TYPE = "Air/drone strike"
COUNTRY_NUMERIC = {"RU": 643, "UA": 804}  # ISO 3166-1 numeric, as ACLED's ``iso`` column
SCALE = {
    Authority.REGIONAL: "Subnational",
    Authority.FEDERAL: "National",
    Authority.MEDIA: "National",
    Authority.OTHER: "Other",
}
_NOTE_FIELDS = (
    ("destroyed", "destroyed over the region"),
    ("total_destroyed", "destroyed in total (the statement's own total)"),
    ("launched", "launched"),
    ("killed", "killed"),
    ("injured", "injured"),
    ("infrastructure_damage", "infrastructure damage"),
    ("debris_fell", "debris fell"),
    ("fire", "fire"),
    ("emergency_response", "emergency services responded"),
)


def is_event(inc: Incident) -> bool:
    """ACLED records strikes, not alerts: an interception, or an attack with a stated consequence
    (casualties above 0, damage, debris or fire). National incidents ("RU"/"UA", a country-wide total over
    unnamed regions) are left out: their events are the regional incidents."""
    if inc.iso in COUNTRY_NUMERIC:
        return False
    if inc.kind == Kind.INTERCEPTION:
        return True
    c = inc.consensus or {}

    def value(name: str) -> Any:
        return (c.get(name) or {}).get("value")

    return any(
        isinstance(value(n), int) and not isinstance(value(n), bool) and value(n) > 0
        for n in ("killed", "injured")
    ) or any(value(n) is True for n in ("infrastructure_damage", "debris_fell", "fire"))


def _sources(session: Session, ids: list[int]) -> dict[int, list[tuple[str, Authority]]]:
    stmt = (
        select(IncidentClaim.incident_id, Source.name, Source.authority)
        .join(ClaimRow, ClaimRow.id == IncidentClaim.claim_id)
        .join(Message, Message.id == ClaimRow.message_id)
        .join(Source, Source.id == Message.source_id)
        .where(IncidentClaim.incident_id.in_(ids))
        .distinct()
    )
    out: dict[int, set[tuple[str, Authority]]] = {}
    for inc_id, name, authority in session.execute(stmt):
        out.setdefault(inc_id, set()).add((name, Authority(authority)))
    return {k: sorted(v, key=lambda s: (AUTHORITY_RANK[s[1]], s[0])) for k, v in out.items()}


def _fmt(value: Any) -> str:
    if value is None:
        return "not disclosed"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def notes(inc: Incident, region: str) -> str:
    """The notes cell: what the incident says, figure by figure, "not disclosed" where nobody says."""
    c = inc.consensus or {}
    weapon = (c.get("weapon") or {}).get("value")
    what = {"uav": "Drone", "missile": "Missile", "mixed": "Drone and missile"}.get(weapon or "", "Air")
    head = f"{what} attack on {region}"
    if inc.kind == Kind.INTERCEPTION:
        head += ", interception reported"
    head += f" (window {inc.window_start.isoformat()} to {inc.window_end.isoformat()})."
    parts = []
    for name, label in _NOTE_FIELDS:
        if name == "total_destroyed" and (c.get(name) or {}).get("value") is None:
            continue  # a region's incident often has no statement-wide total: say nothing
        entry = c.get(name) or {}
        text = f"{label}: {_fmt(entry.get('value'))}"
        if entry.get("lower_bound"):
            text += " (at least)"
        parts.append(text)
    out = head + " " + "; ".join(parts) + "."
    lines = [d.get("line") for d in inc.disagreements or [] if d.get("line")]
    if lines:
        out += " Sources disagree: " + "; ".join(lines) + "."
    return out


def acled_row(inc: Incident, sources: list[tuple[str, Authority]]) -> dict[str, Any]:
    """One incident as an ACLED row (None where not disclosed; the CSV writes it as an empty cell)."""
    tz = local_zone(inc.iso)
    middle = inc.window_start + (inc.window_end - inc.window_start) / 2
    region = region_names().get(inc.iso, inc.iso)
    centre = region_centroids().get(inc.iso)
    killed = ((inc.consensus or {}).get("killed") or {}).get("value")
    scales: list[str] = []
    for _, authority in sources:
        if SCALE[authority] not in scales:
            scales.append(SCALE[authority])
    return {
        "event_date": middle.astimezone(tz).date().isoformat(),
        "time_precision": inc.time_precision,
        "event_type": EVENT_TYPE,
        "sub_event_type": SUB_EVENT_TYPE,
        "admin1": region,
        "iso": COUNTRY_NUMERIC[inc.iso[:2]],
        "latitude": None if centre is None else round(centre[0], 4),
        "longitude": None if centre is None else round(centre[1], 4),
        "geo_precision": inc.geo_precision if inc.iso in CITY_REGIONS else 3,
        "source": "; ".join(name for name, _ in sources) or None,
        "source_scale": "-".join(scales) or None,
        "notes": notes(inc, region),
        "fatalities": killed if isinstance(killed, int) and not isinstance(killed, bool) else None,
    }


def write_acled(
    session: Session, out: TextIO, *, since: datetime | None = None, region: str | None = None
) -> int:
    """Write the header and one row per ACLED event (oldest window first); returns the number of rows.

    ``since``: only incidents whose window ends at or after it; ``region``: one ISO 3166-2 code.
    """
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    n = 0
    for page in incident_pages(session, since, region):
        events = [inc for inc in page if is_event(inc)]
        if not events:
            continue
        sources = _sources(session, [inc.id for inc in events])
        for inc in events:
            row = acled_row(inc, sources.get(inc.id, []))
            writer.writerow([csv_cell(row[c]) for c in COLUMNS])
            n += 1
    out.flush()
    return n
