"""HTTP exports: streamed, right content types and file names, parse back; unknown is empty/null, not 0."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tocsin import acled
from tocsin.exports import INCIDENT_COLUMNS

V1 = "/api/v1"

EXPORTS = {
    "/export/incidents.csv": ("text/csv", "tocsin-incidents.csv"),
    "/export/incidents.jsonl": ("application/x-ndjson", "tocsin-incidents.jsonl"),
    "/export/incidents.geojson": ("application/geo+json", "tocsin-incidents.geojson"),
    "/export/claims.csv": ("text/csv", "tocsin-claims.csv"),
    "/export/claims.jsonl": ("application/x-ndjson", "tocsin-claims.jsonl"),
    "/export/acled.csv": ("text/csv", "tocsin-acled.csv"),
}


def fetch(client, path: str, **params):
    r = client.get(V1 + path, params=params)
    assert r.status_code == 200, r.text
    return r


@pytest.mark.parametrize("path", list(EXPORTS))
def test_headers_and_etag(client, path):
    media, filename = EXPORTS[path]
    r = fetch(client, path)
    assert r.headers["content-type"].split(";")[0] == media
    assert r.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert r.headers["cache-control"] == "public, max-age=60"
    etag = r.headers["etag"]
    assert etag.startswith('W/"')
    again = client.get(V1 + path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # different filters, different ETag
    if "incidents" in path or "acled" in path:
        assert fetch(client, path, region="RU-SMO").headers["etag"] != etag


def incidents_api(client) -> list[dict]:
    return client.get(V1 + "/incidents", params={"limit": 500}).json()["items"]


def test_incidents_csv_parses_back_with_empty_unknowns(client):
    rows = list(csv.DictReader(io.StringIO(fetch(client, "/export/incidents.csv").text)))
    assert tuple(rows[0].keys()) == INCIDENT_COLUMNS
    api_items = {i["id"]: i for i in incidents_api(client)}
    assert {int(r["incident_id"]) for r in rows} == set(api_items)
    for row in rows:
        item = api_items[int(row["incident_id"])]
        for column, name in (("destroyed", "destroyed"), ("killed", "killed"), ("launched", "launched")):
            value = item["consensus"][name]["value"]
            assert row[column] == ("" if value is None else str(value))
    kursk = [r for r in rows if r["iso"] == "RU-KRS"]
    assert kursk and all(r["destroyed"] == "" and r["killed"] == "" for r in kursk)


def test_incidents_jsonl_and_filters(client):
    lines = fetch(client, "/export/incidents.jsonl", region="ru-smo").text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows and all(r["iso"] == "RU-SMO" for r in rows)
    assert any(r["killed"] is None for r in rows) and any(r["killed"] == 0 for r in rows)
    since = fetch(client, "/export/incidents.jsonl", since="2025-09-05T00:00:00+00:00").text.splitlines()
    assert 0 < len(since) < len(fetch(client, "/export/incidents.jsonl").text.splitlines())
    assert all(json.loads(x)["window_end"] >= "2025-09-05" for x in since)


def test_geojson_parses(client):
    data = fetch(client, "/export/incidents.geojson").json()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == len(incidents_api(client))
    for f in data["features"]:
        assert f["type"] == "Feature"
        lon, lat = f["geometry"]["coordinates"]
        assert 20 < lon < 60 and 40 < lat < 60
        props = f["properties"]
        assert props["incident_id"] == f["id"]
        if props["iso"] == "RU-KRS":
            assert props["destroyed"] is None


def test_claims_exports(client):
    rows = list(csv.DictReader(io.StringIO(fetch(client, "/export/claims.csv").text)))
    lines = [json.loads(x) for x in fetch(client, "/export/claims.jsonl").text.splitlines()]
    assert len(rows) == len(lines) > 0
    assert [int(r["claim_id"]) for r in rows] == [x["claim_id"] for x in lines]
    news = [x for x in lines if x["source"] == "wire_news"]
    assert news and all(x["total_destroyed"] is None and x["killed"] is None for x in news)
    assert all(r["total_destroyed"] == "" for r in rows if r["source"] == "wire_news")


def test_acled_columns_and_mapping(client):
    text = fetch(client, "/export/acled.csv").text
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == [
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
    ]
    rows = list(csv.DictReader(io.StringIO(text)))
    interceptions = [i for i in incidents_api(client) if i["kind"] == "interception"]
    assert len(rows) == len(interceptions)  # the alert-only evening is not an ACLED event
    for r in rows:
        assert r["event_type"] == "Explosions/Remote violence"
        assert r["sub_event_type"] == "Air/drone strike"
        assert r["time_precision"] in {"1", "2", "3"}
        assert r["geo_precision"] == "3"
        assert len(r["event_date"]) == 10
        float(r["latitude"]), float(r["longitude"])
    by_region = {r["admin1"] for r in rows}
    assert by_region == {"Smolensk Oblast", "Bryansk Oblast", "Kursk Oblast", "Kharkiv Oblast"}
    assert {r["iso"] for r in rows if r["admin1"] == "Kharkiv Oblast"} == {"804"}
    assert {r["iso"] for r in rows if r["admin1"] != "Kharkiv Oblast"} == {"643"}
    kursk = [r for r in rows if r["admin1"] == "Kursk Oblast"]
    assert all(r["fatalities"] == "" for r in kursk)  # not disclosed: empty, never 0
    assert all("killed: not disclosed" in r["notes"] for r in kursk)
    smolensk = [r for r in rows if r["admin1"] == "Smolensk Oblast"]
    assert {r["fatalities"] for r in smolensk} == {"0", ""}  # 0 only where a source says nobody died
    assert {r["source_scale"] for r in smolensk} == {"Subnational-National"}
    assert all(r["source"] == "smolensk_governor; mod_bulletin" for r in smolensk)
    assert any(
        "Sources disagree: destroyed: 4 (smolensk_governor) vs 5 (mod_bulletin)" in r["notes"]
        for r in smolensk
    )
    dates = [r["event_date"] for r in rows]
    assert dates == sorted(dates)


def test_acled_event_rule():
    from tocsin.domain import Kind
    from tocsin.store.models import Incident

    def inc(iso: str, kind: Kind, **values) -> Incident:
        return Incident(iso=iso, kind=kind, consensus={k: {"value": v} for k, v in values.items()})

    assert acled.is_event(inc("RU-SMO", Kind.INTERCEPTION))
    assert not acled.is_event(inc("RU", Kind.INTERCEPTION, total_destroyed=40))  # national totals
    assert not acled.is_event(inc("RU-SMO", Kind.ATTACK_NO_OUTCOME))  # an alert
    assert not acled.is_event(inc("RU-SMO", Kind.ATTACK_NO_OUTCOME, killed=0, injured=None))
    assert acled.is_event(inc("UA-63", Kind.ATTACK_NO_OUTCOME, injured=2))
    assert acled.is_event(inc("UA-63", Kind.ATTACK_NO_OUTCOME, fire=True))


def test_export_filters_are_validated(client):
    for params in ({"region": "XX"}, {"since": "yesterday"}, {"region": "R" * 10_000}):
        r = client.get(V1 + "/export/acled.csv", params=params)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "validation_error"
