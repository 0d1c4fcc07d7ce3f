"""``POST /api/v1/reports`` and the status endpoint through the full app (``create_app``), on SQLite and
PostgreSQL: JSON and multipart, idempotency, and malformed, oversized, wrongly encoded and hostile input —
every error in the API's one JSON shape."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, func, select

from reports.conftest import TestClient, jpeg_with_metadata, png
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Report, ReportPhoto

REPORT = {"category": "debris", "lat": 54.78, "lon": 32.05}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'


def _reports(engine: Engine) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(Report))


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()["error"]
    assert body["status"] == status and body["code"] == code and body["message"]
    return body


def _locs(body: dict) -> list[list[str]]:
    return [d["loc"] for d in body["details"]]


def test_json_report(client: TestClient, engine: Engine) -> None:
    r = client.post("/api/v1/reports", json={**REPORT, "description": "обломки", "contact": "+7 900"})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"id", "token", "status_url"}
    assert r.headers["cache-control"] == "no-store"
    assert body["status_url"].endswith(f"/api/v1/reports/status/{body['token']}")
    status = client.get(body["status_url"])
    assert status.status_code == 200 and status.headers["cache-control"] == "no-store"
    view = status.json()
    assert set(view) == {"category", "status", "submitted_at", "updated_at", "place_name", "crew_sent"}
    assert view["category"] == "debris" and view["status"] == "new" and view["crew_sent"] is False
    assert "+7 900" not in status.text
    assert _reports(engine) == 1


def test_idempotency_key_header(client: TestClient, engine: Engine) -> None:
    headers = {"Idempotency-Key": "hdr-" + "k" * 30}
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    again = client.post("/api/v1/reports", json={**REPORT, "category": "fire"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    # the header wins over a key in the body
    third = client.post(
        "/api/v1/reports", json={**REPORT, "idempotency_key": "other-key-1234567890"}, headers=headers
    )
    assert third.status_code == 200 and third.json() == first.json()
    assert _reports(engine) == 1


def test_idempotency_key_in_the_body(client: TestClient, engine: Engine) -> None:
    data = {**REPORT, "idempotency_key": "body-key-" + "b" * 20}
    a, b = client.post("/api/v1/reports", json=data), client.post("/api/v1/reports", json=data)
    assert (a.status_code, b.status_code) == (201, 200) and a.json() == b.json()
    assert _reports(engine) == 1


@pytest.mark.parametrize("key", ["short", "x" * 129, "spaces are not allowed here", "ключ" * 5])
def test_bad_idempotency_key(client: TestClient, key: str) -> None:
    r = client.post("/api/v1/reports", json=REPORT, headers={"Idempotency-Key": key.encode()})
    body = _error(r, 422, "validation_error")
    assert ["body", "idempotency_key"] in _locs(body)


def test_multipart_report_with_photos(client: TestClient, engine: Engine, settings) -> None:
    r = client.post(
        "/api/v1/reports",
        data={"category": "damage", "location_text": "у Харкові", "description": "Пошкоджено дах"},
        files=[
            ("photos", ("a.jpg", jpeg_with_metadata(), "image/jpeg")),
            ("photos", ("b.png", png(), "image/png")),
        ],
    )
    assert r.status_code == 201, r.text
    with make_sessionmaker(engine)() as session:
        report = session.scalars(select(Report)).one()
        assert (report.place_name, report.iso) == ("Kharkiv", "UA-63")
        photos = session.scalars(select(ReportPhoto).order_by(ReportPhoto.position)).all()
    assert len(photos) == 2
    stored = next(Path(settings.photo_dir).rglob(f"{photos[0].sha256}.jpg")).read_bytes()
    assert b"SecretPhone" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert not img.getexif()


def test_json_photos_as_base64(client: TestClient, engine: Engine) -> None:
    jpeg = base64.b64encode(jpeg_with_metadata()).decode()
    r = client.post(
        "/api/v1/reports",
        json={**REPORT, "photos": [jpeg, f"data:image/png;base64,{base64.b64encode(png()).decode()}"]},
    )
    assert r.status_code == 201, r.text
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(ReportPhoto)) == 2


@pytest.mark.parametrize(
    ("photos", "loc", "code"),
    [
        (["@@@ not base64 @@@"], ["body", "photos", "0"], "invalid_base64"),
        ([base64.b64encode(png()).decode(), "A"], ["body", "photos", "1"], "invalid_base64"),
        ([base64.b64encode(b"just some text").decode()], ["body", "photos", "0"], "not_an_image"),
        ([base64.b64encode(png()[:40]).decode()], ["body", "photos", "0"], "truncated"),
        (
            [{"data": base64.b64encode(png()).decode(), "content_type": "image/jpeg"}],
            ["body", "photos", "0"],
            "type_mismatch",
        ),
        ([base64.b64encode(png()).decode()] * 6, ["body", "photos"], "too_many"),
        ("not a list", ["body", "photos"], "invalid_type"),
    ],
)
def test_bad_photos(client: TestClient, engine: Engine, photos, loc: list[str], code: str) -> None:
    body = _error(client.post("/api/v1/reports", json={**REPORT, "photos": photos}), 422, "validation_error")
    assert {"loc": loc, "msg": body["details"][0]["msg"], "type": code} in body["details"]
    assert _reports(engine) == 0


def test_oversize_body_is_413(make_client, engine: Engine) -> None:
    client = make_client(max_report_bytes=20_000)
    r = client.post("/api/v1/reports", json={**REPORT, "description": "x" * 30_000})
    _error(r, 413, "payload_too_large")
    r = client.post("/report", data={"category": "debris", "description": "x" * 30_000})
    assert r.status_code == 413
    assert _reports(engine) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
        "",
    ],
)
def test_other_content_types_are_415(client: TestClient, engine: Engine, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/api/v1/reports", content=json.dumps(REPORT).encode(), headers=headers)
    _error(r, 415, "unsupported_media_type")
    assert _reports(engine) == 0


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"category": "debris",}', b"", b"\x00\x01\x02", b'{"category": "debris"} trailing', b"NaN]"],
)
def test_malformed_json_is_400(client: TestClient, body: bytes) -> None:
    r = client.post("/api/v1/reports", content=body, headers={"content-type": "application/json"})
    _error(r, 400, "invalid_json")


@pytest.mark.parametrize("body", [b"[]", b"null", b'"debris"', b"42"])
def test_json_that_is_not_an_object_is_422(client: TestClient, body: bytes) -> None:
    _error(
        client.post("/api/v1/reports", content=body, headers={"content-type": "application/json"}),
        422,
        "validation_error",
    )


def test_wrongly_encoded_body_is_400(client: TestClient, engine: Engine) -> None:
    latin1 = json.dumps({**REPORT, "description": "débris près du café"}, ensure_ascii=False).encode(
        "latin-1"
    )
    r = client.post(
        "/api/v1/reports", content=latin1, headers={"content-type": "application/json; charset=utf-8"}
    )
    _error(r, 400, "bad_encoding")
    assert _reports(engine) == 0


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("description", "nul \u0000 byte", "control_chars"),
        ("contact", "nul\u0000", "control_chars"),
        ("location_text", "Вязьма\u0000", "control_chars"),
        ("description", "x" * 10_000, "too_long"),
        ("contact", "x" * 10_000, "too_long"),
        ("location_text", "x" * 10_000, "too_long"),
        ("observed_at", "x" * 10_000, "invalid"),
        ("category", "x" * 10_000, "invalid_choice"),
        ("lat", "9" * 10_000, "invalid"),
        ("lang", "x" * 10_000, "invalid_choice"),
        ("description", "\ud800 lone surrogate", "invalid_text"),
        ("description", ["not", "text"], "invalid_type"),
    ],
)
def test_hostile_field_values_are_422(
    client: TestClient, engine: Engine, field: str, value, code: str
) -> None:
    data = {**REPORT, field: value}
    raw = json.dumps(data)  # \ud800 and \u0000 travel as JSON escapes, as a hostile client would send them
    r = client.post("/api/v1/reports", content=raw.encode(), headers={"content-type": "application/json"})
    body = _error(r, 422, "validation_error")
    assert any(d["loc"] == ["body", field] and d["type"] == code for d in body["details"]), body
    assert len(r.text) < 2000  # the error never echoes the 10,000 characters back
    assert _reports(engine) == 0


def test_nan_coordinates_are_refused(client: TestClient) -> None:
    r = client.post(
        "/api/v1/reports",
        content=b'{"category": "fire", "lat": NaN, "lon": 1}',
        headers={"content-type": "application/json"},
    )
    body = _error(r, 422, "validation_error")
    assert ["body", "lat"] in _locs(body)


def test_hostile_text_is_stored_verbatim_and_not_echoed(client: TestClient, engine: Engine) -> None:
    data = {**REPORT, "description": XSS, "contact": XSS, "location_text": XSS, "unknown_field": XSS}
    r = client.post("/api/v1/reports", json=data)
    assert r.status_code == 201 and "<script>" not in r.text
    status = client.get(r.json()["status_url"])
    assert "<script>" not in status.text
    with make_sessionmaker(engine)() as session:
        report = session.scalars(select(Report)).one()
        assert report.description == report.contact == report.location_text == XSS.strip()


def test_missing_fields_are_all_named(client: TestClient) -> None:
    body = _error(client.post("/api/v1/reports", json={}), 422, "validation_error")
    assert ["body", "category"] in _locs(body) and ["body", "location"] in _locs(body)


@pytest.mark.parametrize("token", ["A" * 32, "short", "x" * 300, "%3Cscript%3E"])
def test_unknown_token_is_404(client: TestClient, token: str) -> None:
    r = client.get(f"/api/v1/reports/status/{token}")
    _error(r, 404, "not_found")
    assert r.headers["cache-control"] == "no-store"


def test_place_lookups(client: TestClient) -> None:
    near = client.get("/api/v1/reports/places/nearest", params={"lat": 54.78, "lon": 32.05}).json()
    assert near["place"]["name"] == "Smolensk" and near["place"]["iso"] == "RU-SMO"
    assert 0 <= near["place"]["distance_m"] < 2000
    assert client.get("/api/v1/reports/places/nearest", params={"lat": 0, "lon": 0}).json() == {"place": None}
    found = client.get("/api/v1/reports/places/resolve", params={"q": "у Харкові"}).json()
    assert found["place"]["name"] == "Kharkiv"
    assert client.get("/api/v1/reports/places/resolve", params={"q": XSS}).json() == {"place": None}
    _error(
        client.get("/api/v1/reports/places/nearest", params={"lat": 91, "lon": 0}), 422, "validation_error"
    )
    _error(client.get("/api/v1/reports/places/resolve", params={"q": "x" * 5000}), 422, "validation_error")


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/reports"]
    assert "/api/v1/reports/status/{token}" in paths
