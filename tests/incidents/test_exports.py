"""Open-data exports: every format parses back, nulls stay null, CSV is formula-safe, text stays verbatim."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tocsin.cli import main
from tocsin.domain import Authority
from tocsin.exports import (
    CLAIM_COLUMNS,
    INCIDENT_COLUMNS,
    ExportError,
    csv_cell,
    export_claims,
    export_incidents,
    region_centroids,
    region_names,
)
from tocsin.incidents import refresh
from tocsin.store.engine import make_engine, make_sessionmaker, upgrade
from tocsin.store.models import Incident

from .helpers import at, post
from .test_refresh import GOV, KURSK, MOD, WIRE

R, F, M = Authority.REGIONAL, Authority.FEDERAL, Authority.MEDIA
XSS = '<img src=x onerror=alert(1)>"quoted", semi;colon'
FORMULA = '=HYPERLINK("http://evil.example","click")'


def populate(session) -> None:
    ids = [
        post(session, "governor_smo", R, "g1", GOV, at("2025-09-06 07:15"), url="https://t.me/gov/1").id,
        post(session, FORMULA, F, "m1", MOD, at("2025-09-06 08:00")).id,
        post(session, XSS, M, "w1", WIRE, at("2025-09-06 10:30"), url="https://example.org/a?b=1&c=<2>").id,
        post(session, "governor_krs", R, "k1", KURSK, at("2025-09-10 12:00")).id,
        post(session, "-minus", R, "k2", "@kursk_news: " + KURSK, at("2025-09-10 12:30")).id,
    ]
    refresh(session, ids)
    session.commit()


def export(session, fn, fmt, **kw) -> str:
    buf = io.StringIO(newline="")
    fn(session, fmt, buf, **kw)
    return buf.getvalue()


def by_iso(rows):
    return {r["iso"]: r for r in rows}


def test_incidents_jsonl(session):
    populate(session)
    rows = [json.loads(line) for line in export(session, export_incidents, "jsonl").splitlines()]
    assert [list(r) for r in rows] == [list(INCIDENT_COLUMNS)] * len(rows)
    rows = by_iso(rows)
    assert set(rows) == {"RU-SMO", "RU-BRY", "RU-KRS"}
    smo = rows["RU-SMO"]
    assert smo["region"] == "Smolensk Oblast"
    assert smo["destroyed"] == 9 and smo["killed"] == 0 and smo["injured"] == 0
    assert smo["fire"] is None and smo["damage"] is None  # not disclosed: null, never 0/false
    assert smo["sources_count"] == 3 and smo["sources"][0] == "governor_smo"
    assert XSS in smo["sources"] and FORMULA in smo["sources"]  # verbatim, as data
    assert any(line.startswith("destroyed: 9 (governor_smo) vs 11") for line in smo["disagreements"])
    assert smo["window_start"].endswith("+00:00")
    assert datetime.fromisoformat(smo["window_start"]) < datetime.fromisoformat(smo["window_end"])
    assert smo["destroyed_lower_bound"] is False
    krs = rows["RU-KRS"]
    assert krs["killed"] is None and krs["injured"] is None and krs["destroyed"] == 2
    assert (krs["lat"], krs["lon"]) == region_centroids()["RU-KRS"]


def test_incidents_csv_nulls_formulas_and_verbatim_text(session):
    populate(session)
    text = export(session, export_incidents, "csv")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames) == INCIDENT_COLUMNS
    rows = by_iso(reader)
    smo, krs = rows["RU-SMO"], rows["RU-KRS"]
    assert smo["killed"] == "0" and smo["destroyed"] == "9"  # a stated 0 is 0
    assert smo["fire"] == "" and krs["killed"] == "" and krs["injured"] == ""  # not disclosed: empty
    assert smo["destroyed_lower_bound"] == "false"
    sources = smo["sources"].split("; ")
    assert "'" + FORMULA in smo["sources"] and XSS in smo["sources"] and sources[0] == "governor_smo"
    assert krs["sources"] == "'-minus; governor_krs"  # a cell starting with "-" is escaped
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_incidents_geojson(session):
    populate(session)
    doc = json.loads(export(session, export_incidents, "geojson"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 3
    for feature in doc["features"]:
        assert feature["type"] == "Feature" and feature["id"] == feature["properties"]["incident_id"]
        lon, lat = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "Point"
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        iso = feature["properties"]["iso"]
        assert (lat, lon) == region_centroids()[iso]
        assert feature["properties"]["killed"] is None or isinstance(feature["properties"]["killed"], int)


def test_incident_filters(session):
    populate(session)
    only = [json.loads(x) for x in export(session, export_incidents, "jsonl", region="RU-KRS").splitlines()]
    assert [r["iso"] for r in only] == ["RU-KRS"]
    since = datetime(2025, 9, 8, tzinfo=UTC)
    later = [json.loads(x) for x in export(session, export_incidents, "jsonl", since=since).splitlines()]
    assert [r["iso"] for r in later] == ["RU-KRS"]
    with pytest.raises(ExportError, match="timezone-aware"):
        export(session, export_incidents, "jsonl", since=datetime(2025, 9, 8))
    with pytest.raises(ExportError, match="unknown incident export format"):
        export(session, export_incidents, "xml")
    with pytest.raises(ExportError, match="unknown claim export format"):
        export(session, export_claims, "geojson")


def test_deleted_incidents_are_not_exported(session):
    populate(session)
    inc = session.scalars(select(Incident).where(Incident.iso == "RU-KRS")).one()
    inc.deleted_at = inc.updated_at
    session.commit()
    rows = export(session, export_incidents, "jsonl").splitlines()
    assert "RU-KRS" not in {json.loads(r)["iso"] for r in rows}


def test_empty_database_exports(session):
    assert json.loads(export(session, export_incidents, "geojson")) == {
        "type": "FeatureCollection",
        "features": [],
    }
    assert export(session, export_incidents, "csv").splitlines() == [",".join(INCIDENT_COLUMNS)]
    assert export(session, export_claims, "jsonl") == ""


def test_claims_jsonl_and_csv(session):
    populate(session)
    rows = [json.loads(x) for x in export(session, export_claims, "jsonl").splitlines()]
    assert len(rows) == 5 and [list(r) for r in rows] == [list(CLAIM_COLUMNS)] * 5
    gov = next(r for r in rows if r["source"] == "governor_smo")
    assert gov["url"] == "https://t.me/gov/1" and gov["published"] == "2025-09-06T04:15:00+00:00"
    assert gov["per_region"] == [{"iso": "RU-SMO", "destroyed": 9}] and gov["killed"] == 0
    assert gov["fire"] is None and gov["launched"] is None
    assert gov["quotes"]["total_destroyed"] == ["девять"]
    for field, spans in gov["evidence"].items():
        assert [GOV[a:b] for a, b in spans] == gov["quotes"][field]
    assert len(gov["incident_ids"]) == 1
    mod = next(r for r in rows if r["source"] == FORMULA)
    assert len(mod["incident_ids"]) == 2  # Smolensk and Bryansk
    text = export(session, export_claims, "csv")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames) == CLAIM_COLUMNS
    by_source = {r["source"]: r for r in reader}
    assert "'" + FORMULA in by_source and XSS in by_source
    assert by_source[XSS]["url"] == "https://example.org/a?b=1&c=<2>"
    g = by_source["governor_smo"]
    assert g["fire"] == "" and g["killed"] == "0"
    assert json.loads(g["per_region"]) == [{"iso": "RU-SMO", "destroyed": 9}]
    assert json.loads(g["quotes"])["total_destroyed"] == ["девять"]


def test_csv_cell():
    assert csv_cell(None) == "" and csv_cell(0) == "0" and csv_cell(False) == "false"
    assert csv_cell(["a", "b"]) == "a; b" and csv_cell([]) == ""
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)" and csv_cell("\t=1") == "'\t=1" and csv_cell("a=b") == "a=b"
    assert csv_cell({"k": "ё"}) == '{"k":"ё"}'


def test_centroids_cover_every_region():
    names, centres = region_names(), region_centroids()
    regions = {iso for iso in names if "-" in iso}
    assert set(centres) == regions and len(regions) == 110
    for iso, (lat, lon) in centres.items():
        assert 40 <= lat <= 70 and 19 <= lon <= 180, iso


def test_cli_export(tmp_path, monkeypatch, capsysbinary):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        populate(session)
    engine.dispose()
    monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
    out = tmp_path / "inc.csv"
    assert main(["export", "incidents", "--format", "csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert {r["iso"] for r in rows} == {"RU-SMO", "RU-BRY", "RU-KRS"}
    capsysbinary.readouterr()
    assert (
        main(["export", "incidents", "--format", "geojson", "--region", "ru-smo", "--since", "2025-09-01"])
        == 0
    )
    doc = json.loads(capsysbinary.readouterr().out.decode("utf-8"))
    assert [f["properties"]["iso"] for f in doc["features"]] == ["RU-SMO"]
    assert main(["export", "claims", "--format", "jsonl"]) == 0
    lines = capsysbinary.readouterr().out.decode("utf-8").splitlines()
    assert len(lines) == 5 and all(json.loads(x)["claim_id"] for x in lines)
    assert main(["export", "incidents", "--format", "csv", "--region", "XX-1"]) == 2
    assert main(["export", "claims", "--format", "geojson"]) == 2
    assert main(["export", "incidents", "--format", "csv", "-o", str(tmp_path / "no" / "dir.csv")]) == 2
