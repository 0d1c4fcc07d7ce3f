"""The public reports API and the home map's layer: GeoJSON, filters, caching, hostile parameters, photos
(public only when enabled and only for public reports; the bytes served are the sanitized stored ones),
the OpenAPI description, and the home page's reports legend and note in three languages."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from policy.conftest import Seeded, client_for
from policy.seed import PUBLIC, SMOLENSK
from tocsin.photos import PhotoStore
from tocsin.web.routes.public_reports import PublicReportCollection

DEFAULT_DELAY = timedelta(minutes=60)


def features(client, **params):
    r = client.get("/api/v1/public-reports", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def all_ids(client, **params) -> list[int]:
    ids, cursor = [], None
    while True:
        data = features(client, **params, **({"cursor": cursor} if cursor else {}))
        ids += [f["id"] for f in data["features"]]
        cursor = data["next_cursor"]
        if cursor is None:
            return ids


def test_geojson_shape_caching_and_policy(seeded: Seeded):
    with client_for(seeded) as client:
        r = client.get("/api/v1/public-reports", params={"limit": 500})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/geo+json")
        assert r.headers["cache-control"] == "public, max-age=60"
        data = r.json()
        PublicReportCollection.model_validate(data)
        assert data["type"] == "FeatureCollection"
        assert data["policy"] == {"precision": "settlement", "delay_minutes": 60, "photos": False}
        assert [f["id"] for f in data["features"]] == sorted(
            seeded.seed.public_ids(DEFAULT_DELAY), reverse=True
        )
        for f in data["features"]:
            p = f["properties"]
            assert f["id"] == p["id"]
            assert p["status"] in ("checked", "crew_sent", "crew_on_scene", "resolved")
            assert p["photos"] == []
            assert p["observed"].endswith(":00:00+00:00")
            if f["geometry"] is not None:
                assert f["geometry"]["coordinates"] == [p["lon"], p["lat"]]
            variant = seeded.seed.report(p["id"]).variant
            if variant in ("map+settlement", "settlement-only"):
                assert (p["lat"], p["lon"], p["precision"], p["place"]) == (
                    *SMOLENSK,
                    "settlement",
                    "Smolensk",
                )
            elif variant == "map-only":
                assert (p["lat"], p["lon"], p["precision"], p["place"]) == (
                    54.775,
                    32.025,
                    "settlement",
                    None,
                )
            else:  # text only, region UA-63: the region's centre
                assert p["precision"] == "region" and p["region"] == "UA-63" and p["place"] is None
        again = client.get(
            "/api/v1/public-reports", params={"limit": 500}, headers={"If-None-Match": r.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""


def test_statuses_never_public_and_delay(seeded: Seeded):
    seed = seeded.seed
    with client_for(seeded, publication_delay_minutes=0) as client:
        ids = set(all_ids(client, limit=3))
    assert ids == seed.public_ids(timedelta(0))
    for r in seed.reports:
        assert (r.id in ids) == (r.status in PUBLIC)
    with client_for(seeded) as client:  # 60 minutes: the reports made 10 minutes ago are not public yet
        ids = set(all_ids(client, limit=500))
    assert ids == {
        r.id for r in seed.reports if r.status in PUBLIC and r.submitted_at <= seed.now - DEFAULT_DELAY
    }


def test_region_and_since_filters(seeded: Seeded):
    seed = seeded.seed
    with client_for(seeded) as client:
        ua = all_ids(client, region="ua-63")
        assert ua and all(seed.report(i).variant == "text-only" for i in ua)
        everything = set(all_ids(client))
        assert set(all_ids(client, since=(seed.now - timedelta(days=7)).isoformat())) == everything
        assert all_ids(client, since=(seed.now + timedelta(hours=1)).isoformat()) == []
        naive = (seed.now - timedelta(days=1)).replace(tzinfo=None).isoformat()  # no offset: UTC
        assert set(all_ids(client, since=naive)) == everything


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"region": "XX-NOPE"}, 422, "validation_error"),
        ({"region": "R" * 17}, 422, "validation_error"),
        ({"region": "RU-SMO\x00"}, 422, "validation_error"),
        ({"region": "<script>"}, 422, "validation_error"),
        ({"since": "yesterday"}, 422, "validation_error"),
        ({"since": "0001-01-01T00:00:00+14:00"}, 422, "validation_error"),
        ({"since": "9999-12-31T23:59:59-14:00"}, 422, "validation_error"),
        ({"since": "9999-12-31T23:30:00+00:00"}, 200, None),
        ({"limit": "0"}, 422, "validation_error"),
        ({"limit": "501"}, 422, "validation_error"),
        ({"limit": "ten"}, 422, "validation_error"),
        ({"cursor": "!!!"}, 400, "bad_cursor"),
        ({"cursor": "WyJpbmMiLCIyMDI1LTA5LTA1VDAwOjAwOjAwKzAwOjAwIiwxXQ"}, 400, "bad_cursor"),
        ({"cursor": "x" * 513}, 422, "validation_error"),
        ({"cursor": "WyJwcmVwIiwtMV0"}, 400, "bad_cursor"),  # ["prep",-1]
    ],
)
def test_hostile_parameters_get_clear_errors(seeded: Seeded, params, status, code):
    with client_for(seeded) as client:
        r = client.get("/api/v1/public-reports", params=params)
    assert r.status_code == status, r.text
    if code is None:  # a valid but extreme value: an empty answer
        assert r.json()["features"] == []
        return
    assert r.json()["error"]["code"] == code
    assert r.headers["content-type"] == "application/json"  # echoed input is data, never HTML


def test_photos_are_not_public_by_default(seeded: Seeded):
    with client_for(seeded) as client:
        for photo_id in seeded.seed.photo_ids:
            r = client.get(f"/api/v1/public-reports/photos/{photo_id}")
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_photos_when_enabled_only_for_public_reports_and_sanitized(seeded: Seeded):
    seed = seeded.seed
    store = PhotoStore(seeded.photo_dir)
    public = seed.public_ids(DEFAULT_DELAY)
    with client_for(seeded, public_photos=True) as client:
        listed = {url for f in features(client, limit=500)["features"] for url in f["properties"]["photos"]}
        for r in seed.reports:
            for photo_id, sha in zip(r.photo_ids, r.photo_sha256, strict=True):
                url = f"/api/v1/public-reports/photos/{photo_id}"
                resp = client.get(url)
                if r.id not in public:
                    assert resp.status_code == 404 and url not in listed
                    continue
                assert url in listed
                assert resp.status_code == 200
                assert resp.headers["content-type"] == "image/jpeg"
                assert resp.content == store.read(sha, "image/jpeg")
                assert b"CANARY" not in resp.content
                img = Image.open(io.BytesIO(resp.content))
                assert not img.getexif() and "exif" not in img.info
                assert "sandbox" in resp.headers["content-security-policy"]
                again = client.get(url, headers={"If-None-Match": resp.headers["etag"]})
                assert again.status_code == 304


@pytest.mark.parametrize(
    "photo_id, status",
    [("abc", 422), ("0", 422), ("-1", 422), ("1.5", 422), (str(2**40), 422), ("987654", 404)],
)
def test_photo_ids_are_validated(seeded: Seeded, photo_id, status):
    with client_for(seeded, public_photos=True) as client:
        r = client.get(f"/api/v1/public-reports/photos/{photo_id}")
    assert r.status_code == status


def test_openapi_describes_the_routes(seeded: Seeded):
    from openapi_spec_validator import validate

    with client_for(seeded) as client:
        doc = client.get("/openapi.json").json()
        validate(doc)
        listing = doc["paths"]["/api/v1/public-reports"]["get"]
        ok = listing["responses"]["200"]["content"]["application/geo+json"]["schema"]
        assert ok["$ref"].endswith("/PublicReportCollection")
        assert "application/json" in listing["responses"]["422"]["content"]
        assert {p["name"] for p in listing["parameters"]} == {"region", "since", "cursor", "limit"}
        photo = doc["paths"]["/api/v1/public-reports/photos/{photo_id}"]["get"]
        assert set(photo["responses"]["200"]["content"]) == {"image/jpeg", "image/png", "image/webp"}
        assert "404" in photo["responses"]
        props = doc["components"]["schemas"]["PublicReportProperties"]["properties"]
        assert set(props) == {
            "id", "category", "status", "observed", "region", "place", "lat", "lon", "precision", "photos",
            "incident_id",
        }  # fmt: skip
        page = client.get("/open-data").text
        assert "/api/v1/public-reports" in page


@pytest.mark.parametrize(
    "lang, note",
    [
        ("en", "Resident reports are shown after operators have checked them"),
        ("ru", "Сообщения жителей показываются после проверки операторами"),
        ("uk", "Повідомлення мешканців показуються після перевірки операторами"),
    ],
)
def test_home_map_has_the_reports_layer_legend_and_note(seeded: Seeded, lang, note):
    with client_for(seeded) as client:
        page = client.get("/", params={"lang": lang})
        assert page.status_code == 200
        html = page.text
        assert note in html
        assert 'data-reports-src="/api/v1/public-reports"' in html
        assert "report-legend" in html and html.count("<circle") == 6
        # the CSP holds: no inline script or style
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert " style=" not in html and "<style" not in html
        labels = re.search(r"data-report-labels='([^']*)'", html).group(1)
        assert "categories" in labels and "&lt;" not in labels
        js = client.get("/static/map.js")
        assert js.status_code == 200 and "reportsSrc" in js.text


def test_a_photo_whose_file_is_missing_or_malformed_is_404(engine, tmp_path):
    import warnings
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from tocsin.domain import LocationSource, ReportStatus
    from tocsin.settings import Settings
    from tocsin.store.models import Report, ReportPhoto
    from tocsin.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    past = datetime(2025, 9, 5, tzinfo=UTC)
    with Session(engine) as s, s.begin():
        r = Report(
            token_sha256="f" * 64,
            category="debris",
            priority=3,
            status=ReportStatus.TRIAGED,
            location_source=LocationSource.TEXT,
            iso="RU-SMO",
            observed_at=past,
            submitted_at=past,
        )
        s.add(r)
        s.flush()
        s.add(
            ReportPhoto(
                report_id=r.id,
                position=0,
                sha256="a" * 64,
                media_type="image/jpeg",
                width=1,
                height=1,
                size=1,
            )
        )
        s.add(
            ReportPhoto(
                report_id=r.id,
                position=1,
                sha256="../../x",
                media_type="image/jpeg",
                width=1,
                height=1,
                size=1,
            )
        )
        s.add(
            ReportPhoto(
                report_id=r.id, position=2, sha256="b" * 64, media_type="text/html", width=1, height=1, size=1
            )
        )
    app = create_app(Settings(photo_dir=str(tmp_path), public_photos=True), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        urls = [
            u
            for f in client.get("/api/v1/public-reports").json()["features"]
            for u in f["properties"]["photos"]
        ]
        assert len(urls) == 3
        for url in urls:
            r = client.get(url)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
