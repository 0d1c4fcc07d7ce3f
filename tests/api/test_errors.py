"""One JSON error shape for every error; hostile input never gives a 500; OpenAPI is valid; ETag / 304."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi import HTTPException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.conftest import TestClient, make_app
from tocsin.web.errors import error_body
from tocsin.web.routes import api

V1 = "/api/v1"
ERROR_KEYS = {"status", "code", "message", "details"}


def assert_error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == ERROR_KEYS
    assert err["status"] == status
    assert err["code"] == code
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], list)
    api.ErrorResponse.model_validate(body)
    return err


def test_error_shape_is_pinned():
    assert error_body(404, "incident 7 not found") == {
        "error": {"status": 404, "code": "not_found", "message": "incident 7 not found", "details": []}
    }
    assert error_body(400, "x", "bad_cursor", [{"loc": ["query", "cursor"], "msg": "m", "type": "t"}]) == {
        "error": {
            "status": 400,
            "code": "bad_cursor",
            "message": "x",
            "details": [{"loc": ["query", "cursor"], "msg": "m", "type": "t"}],
        }
    }


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "code"),
    [
        ("GET", "/nowhere", {}, 404, "not_found"),
        ("GET", "/incidents/999999", {}, 404, "not_found"),
        ("GET", "/incidents/-1", {}, 404, "not_found"),
        ("GET", "/messages/0", {}, 404, "not_found"),
        ("GET", "/regions/RU-XXX", {}, 404, "not_found"),
        ("GET", "/incidents/abc", {}, 422, "validation_error"),
        ("GET", "/incidents", {"limit": 0}, 422, "validation_error"),
        ("GET", "/incidents", {"limit": 501}, 422, "validation_error"),
        ("GET", "/incidents", {"limit": "ten"}, 422, "validation_error"),
        ("GET", "/incidents", {"region": "Smolensk"}, 422, "validation_error"),
        ("GET", "/incidents", {"region": "XX-YY"}, 422, "validation_error"),
        ("GET", "/incidents", {"kind": "nuclear"}, 422, "validation_error"),
        ("GET", "/incidents", {"start": "2025-13-45"}, 422, "validation_error"),
        ("GET", "/incidents", {"updated_since": "last tuesday"}, 422, "validation_error"),
        ("GET", "/incidents", {"start": "0001-01-01T00:00:00+05:00"}, 422, "validation_error"),
        ("GET", "/regions/RU-SMO", {"start": "2025-09-10", "end": "2025-09-01"}, 422, "validation_error"),
        ("GET", "/regions/RU-SMO", {"start": "1900-01-01", "end": "2025-09-01"}, 422, "validation_error"),
        ("GET", "/regions/RU-SMO", {"end": "0001-01-01"}, 422, "validation_error"),
        ("GET", "/incidents", {"cursor": "not-a-cursor"}, 400, "bad_cursor"),
        ("GET", "/incidents", {"cursor": "WyJpbmMiLCJ4Il0"}, 400, "bad_cursor"),  # ["inc","x"]
        ("GET", "/claims", {"cursor": "!!!"}, 400, "bad_cursor"),
        ("POST", "/incidents", {}, 405, "method_not_allowed"),
        ("DELETE", "/incidents/1", {}, 405, "method_not_allowed"),
        ("PUT", "/export/acled.csv", {}, 405, "method_not_allowed"),
    ],
)
def test_error_responses(client, method, path, params, status, code):
    err = assert_error(client.request(method, V1 + path, params=params), status, code)
    if status == 422:
        assert err["details"], err
        assert all(set(d) == {"loc", "msg", "type"} for d in err["details"])


def test_validation_error_names_the_parameter(client):
    err = assert_error(client.get(V1 + "/incidents", params={"limit": 0}), 422, "validation_error")
    assert err["details"][0]["loc"] == ["query", "limit"]
    assert "limit" in err["message"]


@pytest.fixture(scope="module")
def raising_client(seeded):
    app = make_app(seeded.sessionmaker)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret database password in a traceback")

    @app.get("/big")
    def big():
        raise HTTPException(413, "request body larger than 1048576 bytes")

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_500_does_not_leak(raising_client):
    r = raising_client.get("/boom")
    err = assert_error(r, 500, "internal_error")
    assert "secret" not in r.text and "Traceback" not in r.text
    assert err["message"] == "internal server error"


def test_413_shape(raising_client):
    assert_error(raising_client.get("/big"), 413, "payload_too_large")


HOSTILE = [
    "' OR 1=1 --",
    "1; DROP TABLE incident; --",
    "RU-SMO' UNION SELECT * FROM event --",
    "%00",
    "\x00",
    "Смоленск",
    "🛰️🚀",
    "<script>alert(1)</script>",
    "9" * 400,
    "-9" + "9" * 40,
    "1e309",
    "NaN",
    "x" * 10_000,
    "../../etc/passwd",
    "{{7*7}}",
]
PARAMS = ["region", "kind", "start", "end", "updated_since", "cursor", "limit", "source", "active", "since"]
PATHS = [
    "/incidents",
    "/claims",
    "/messages",
    "/statuses",
    "/regions",
    "/sources",
    "/regions/RU-SMO",
    "/export/acled.csv",
    "/export/incidents.jsonl",
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_query_params_never_500(client, value):
    for path in PATHS:
        for name in PARAMS:
            r = client.get(V1 + path, params={name: value})
            assert r.status_code in (200, 400, 404, 422), (path, name, r.status_code, r.text[:200])
            if r.status_code != 200:
                assert_error(r, r.status_code, r.json()["error"]["code"])


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_path_params_never_500(client, value):
    for prefix in ("/incidents/", "/messages/", "/regions/"):
        r = client.get(V1 + prefix + quote(value, safe=""))
        assert r.status_code in (200, 404, 422), (prefix, r.status_code, r.text[:200])
        assert_error(r, r.status_code, r.json()["error"]["code"]) if r.status_code != 200 else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(PARAMS), value=st.text(max_size=60), path=st.sampled_from(PATHS[:5]))
def test_random_text_params_never_500(client, name, value, path):
    r = client.get(V1 + path, params={name: value})
    assert r.status_code in (200, 400, 404, 422), r.text[:200]


def test_huge_ids_and_numbers(client):
    assert_error(client.get(V1 + "/incidents/" + "9" * 30), 404, "not_found")
    assert_error(client.get(V1 + "/incidents", params={"limit": "9" * 30}), 422, "validation_error")
    r = client.get(V1 + "/incidents", params={"start": "99999999999999999999"})
    assert r.status_code in (200, 422)


def test_etag_and_304(client):
    r = client.get(V1 + "/incidents", params={"limit": 5})
    etag = r.headers["etag"]
    assert etag.startswith('W/"') and r.headers["cache-control"] == "public, max-age=60"
    same = client.get(V1 + "/incidents", params={"limit": 5}, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == etag
    strong = etag.removeprefix("W/")
    assert (
        client.get(V1 + "/incidents", params={"limit": 5}, headers={"If-None-Match": strong}).status_code
        == 304
    )
    listed = client.get(V1 + "/incidents", params={"limit": 5}, headers={"If-None-Match": f'"x", {etag}'})
    assert listed.status_code == 304
    other = client.get(V1 + "/incidents", params={"limit": 6}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    assert (
        client.get(V1 + "/incidents", params={"limit": 5}, headers={"If-None-Match": '"nope"'}).status_code
        == 200
    )
    for path in ("/regions", "/regions/RU-SMO", "/sources", "/statuses", "/claims", "/messages"):
        tag = client.get(V1 + path).headers["etag"]
        assert client.get(V1 + path, headers={"If-None-Match": tag}).status_code == 304


def test_errors_are_not_cached(client):
    r = client.get(V1 + "/incidents/999999")
    assert "etag" not in r.headers
    assert r.headers.get("cache-control") is None


def test_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    doc = client.get("/openapi.json").json()
    validate(doc)
    paths = doc["paths"]
    for path in (
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/claims",
        "/api/v1/messages",
        "/api/v1/regions",
        "/api/v1/regions/{iso}",
        "/api/v1/statuses",
        "/api/v1/sources",
        "/api/v1/export/incidents.csv",
        "/api/v1/export/incidents.jsonl",
        "/api/v1/export/incidents.geojson",
        "/api/v1/export/claims.csv",
        "/api/v1/export/claims.jsonl",
        "/api/v1/export/acled.csv",
    ):
        assert "get" in paths[path], path
    incidents = paths["/api/v1/incidents"]["get"]
    schema = incidents["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/IncidentPage")
    assert incidents["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )
    names = {p["name"] for p in incidents["parameters"]}
    assert {"region", "kind", "start", "end", "updated_since", "cursor", "limit"} <= names
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert "text/csv" in paths["/api/v1/export/acled.csv"]["get"]["responses"]["200"]["content"]
