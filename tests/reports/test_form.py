"""The residents' form without JavaScript, through the full app on SQLite and PostgreSQL: the page (fields,
safety guidance in three languages, nothing about air defence, the honeypot, attribution), the whole flow
form → receipt → status, double submits, the honeypot, errors shown next to their fields with the input
kept, and hostile input rendered escaped everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from reports.conftest import TestClient, jpeg_with_metadata, png
from tocsin.domain import LocationSource
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Report, ReportPhoto
from web.htmlcheck import find, parse, squash

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
SAFETY = {
    "en": ["Do not approach, touch or move debris or unknown objects", "call 112"],
    "ru": ["Не подходите к обломкам", "позвоните 112"],
    "uk": ["Не підходьте до уламків", "зателефонуйте 112"],
}
# Words about air defence, military sites or drones in flight: the form must not ask about or invite them.
FORBIDDEN = [
    "air defen", "air-defen", "anti-aircraft", "intercept", "shot down", "in flight", "in the sky",
    "military",
    "пво", "противовоздуш", "зенит", "перехват", "сбит", "в полёте", "в полете", "военн", "в небе",
    "ппо", "протиповітрян", "перехоп", "збит", "у польоті", "військ", "в небі",
]  # fmt: skip


def _reports(engine: Engine) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(Report))


def _hidden(html: str) -> dict[str, str]:
    els = parse(html)
    return {e.attrs["name"] or "": e.attrs.get("value") or "" for e in find(els, "input", type="hidden")}


def _form_fields(client: TestClient) -> dict[str, str]:
    r = client.get("/report")
    assert r.status_code == 200
    return _hidden(r.text)


def _token(location: str) -> str:
    m = re.fullmatch(r"/report/receipt/([A-Za-z0-9_-]{32})(\?again=1)?", location)
    assert m, location
    return m.group(1)


def test_form_page_works_without_javascript(client: TestClient) -> None:
    r = client.get("/report")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    html = r.text
    els = parse(html)
    forms = find(els, "form", method="post", action="/report")
    assert len(forms) == 1 and forms[0].attrs["enctype"] == "multipart/form-data"
    radios = find(els, "input", type="radio", name="category")
    assert {e.attrs["value"] for e in radios} == {
        "debris", "damage", "injured", "fire", "suspicious_object", "other"
    }  # fmt: skip
    assert find(els, "input", type="text", name="location_text")
    assert find(els, "input", type="datetime-local", name="observed_at")
    assert find(els, "textarea", name="description")
    photos = find(els, "input", type="file", name="photos")
    assert photos and photos[0].attrs["accept"] == "image/*" and "multiple" in photos[0].attrs
    assert find(els, "input", type="text", name="contact")
    trap = find(els, "input", name="website")
    assert trap and trap[0].attrs["autocomplete"] == "off" and trap[0].attrs["tabindex"] == "-1"
    assert 'class="hp" aria-hidden="true"' in html
    key = _hidden(html)["idempotency_key"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,128}", key)
    assert _hidden(client.get("/report").text)["idempotency_key"] != key  # one per render
    # The map and "use my location" are for JavaScript only: hidden in the page as served.
    assert "hidden" in find(els, "div", id="map-pick")[0].attrs
    # The CSP forbids inline script and style: only external files.
    assert all(e.attrs.get("src") for e in find(els, "script"))
    assert not find(els, "style") and " style=" not in html
    assert '<script src="/static/report.js" defer>' in html
    assert '<link rel="stylesheet" href="/static/leaflet/leaflet.css">' in html
    assert "GeoNames" in html and "CC BY 4.0" in html


def test_static_files_are_served(client: TestClient) -> None:
    for path in ("/static/report.js", "/static/report.css", "/static/leaflet/leaflet.js"):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("lang", ["en", "ru", "uk"])
def test_safety_guidance_and_nothing_about_air_defence(client: TestClient, lang: str) -> None:
    r = client.get(f"/report?lang={lang}")
    assert r.status_code == 200 and r.headers["content-language"] == lang
    text = squash(" ".join(e.text for e in parse(r.text) if e.tag == "main"))
    for phrase in SAFETY[lang]:
        assert phrase in text, phrase
    assert "112" in text
    page = r.text.lower()
    for word in FORBIDDEN:
        assert word not in page, word


def test_no_js_flow_end_to_end(client: TestClient, engine: Engine, settings) -> None:
    hidden = _form_fields(client)
    form = {
        **hidden,
        "category": "debris",
        "location_text": "в Вязьме, у моста",
        "observed_at": "",
        "description": "Обломки на обочине",
        "contact": "+7 900 000-00-00",
        "website": "",
    }
    r = client.post(
        "/report", data=form, files=[("photos", ("IMG_0001.jpg", jpeg_with_metadata(), "image/jpeg"))],
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    token = _token(r.headers["location"])
    receipt = client.get(r.headers["location"])
    assert receipt.status_code == 200 and receipt.headers["cache-control"] == "no-store"
    assert token in receipt.text and "Keep this code to follow your report" in receipt.text
    assert f'href="/report/status/{token}"' in receipt.text
    status = client.get(f"/report/status/{token}")
    assert status.status_code == 200 and status.headers["cache-control"] == "no-store"
    text = squash(" ".join(e.text for e in parse(status.text) if e.tag == "main"))
    assert "Received" in text and "Debris or fragments" in text and "Vyaz’ma" in text
    assert "+7 900" not in status.text and "Обломки на обочине" not in status.text
    with make_sessionmaker(engine)() as session:
        report = session.scalars(select(Report)).one()
        assert report.contact == "+7 900 000-00-00" and report.lang == "en"
        assert report.location_source is LocationSource.SETTLEMENT
        photo = session.scalars(select(ReportPhoto)).one()
    stored = next(Path(settings.photo_dir).rglob(f"{photo.sha256}.jpg")).read_bytes()
    assert b"SecretPhone" not in stored


def test_status_lookup_form(client: TestClient, engine: Engine) -> None:
    hidden = _form_fields(client)
    r = client.post(
        "/report", data={**hidden, "category": "fire", "location_text": "Смоленск"}, follow_redirects=False
    )
    token = _token(r.headers["location"])
    page = client.get("/report/status")
    assert page.status_code == 200 and find(parse(page.text), "input", name="code")
    go = client.get("/report/status", params={"code": f"  {token} "}, follow_redirects=False)
    assert go.status_code == 303 and go.headers["location"] == f"/report/status/{token}"
    assert client.get("/report/status", params={"code": "not a code"}).status_code == 404
    assert client.get("/report/status", params={"code": XSS}).status_code == 404
    assert XSS not in client.get("/report/status", params={"code": XSS}).text


def test_the_same_form_sent_twice_is_one_report(client: TestClient, engine: Engine) -> None:
    form = {**_form_fields(client), "category": "damage", "location_text": "Смоленск"}
    first = client.post("/report", data=form, follow_redirects=False)
    second = client.post("/report", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert _token(first.headers["location"]) == _token(second.headers["location"])
    assert second.headers["location"].endswith("?again=1")
    assert "This report was already received" in client.get(second.headers["location"]).text
    assert _reports(engine) == 1


def test_honeypot_looks_like_success_and_stores_nothing(client: TestClient, engine: Engine, settings) -> None:
    form = {
        **_form_fields(client),
        "category": "debris",
        "location_text": "Смоленск",
        "website": "http://spam.example",
    }
    r = client.post(
        "/report", data=form, files=[("photos", ("a.png", png(), "image/png"))], follow_redirects=False
    )
    assert r.status_code == 303
    token = _token(r.headers["location"])
    assert client.get(r.headers["location"]).status_code == 200
    assert _reports(engine) == 0
    assert not Path(settings.photo_dir).exists() or not any(
        p.is_file() for p in Path(settings.photo_dir).rglob("*")
    )
    assert client.get(f"/report/status/{token}").status_code == 404


def test_errors_are_shown_next_to_fields_with_the_input_kept(client: TestClient, engine: Engine) -> None:
    hidden = _form_fields(client)
    form = {
        **hidden,
        "category": "fire",
        "location_text": "Вязьма",
        "description": "d" * 2500,
        "contact": "+7 900 000",
        "lat": "",
        "lon": "",
    }
    r = client.post("/report?lang=en", data=form, files=[("photos", ("a.png", png(), "image/png"))])
    assert r.status_code == 400 and r.headers["cache-control"] == "no-store"
    els = parse(r.text)
    summary = find(els, "div", id="error-summary")
    assert summary and "at most 2000 characters (now 2500)" in summary[0].text
    assert find(els, "div", id="description-error") and not find(els, "div", id="category-error")
    checked = [e.attrs["value"] for e in find(els, "input", name="category") if "checked" in e.attrs]
    assert checked == ["fire"]  # the choice is kept
    assert find(els, "textarea", name="description")[0].attrs["aria-invalid"] == "true"
    assert find(els, "input", name="location_text")[0].attrs["value"] == "Вязьма"
    assert find(els, "input", name="contact")[0].attrs["value"] == "+7 900 000"
    assert find(els, "textarea", name="description")[0].text == "d" * 2500
    assert _hidden(r.text)["idempotency_key"] == hidden["idempotency_key"]  # nothing stored: same key
    assert "choose them again" in r.text
    assert _reports(engine) == 0


def test_missing_location_and_bad_time(client: TestClient) -> None:
    form = {**_form_fields(client), "category": "fire", "observed_at": "2001-01-01T00:00", "tz_offset": "180"}
    r = client.post("/report", data=form)
    assert r.status_code == 400
    els = parse(r.text)
    assert "pick the place on the map" in find(els, "div", id="location_text-error")[0].text
    assert "up to 7 days old" in find(els, "div", id="observed_at-error")[0].text


def test_local_time_with_the_offset_the_script_sends(client: TestClient, engine: Engine) -> None:
    local = datetime.now(UTC) + timedelta(hours=3) - timedelta(hours=1)
    form = {
        **_form_fields(client),
        "category": "fire",
        "location_text": "Смоленск",
        "observed_at": local.strftime("%Y-%m-%dT%H:%M"),
        "tz_offset": "180",
    }
    assert client.post("/report", data=form, follow_redirects=False).status_code == 303
    with make_sessionmaker(engine)() as session:
        observed = session.scalars(select(Report.observed_at)).one()
    assert abs(observed - (datetime.now(UTC) - timedelta(hours=1))) < timedelta(minutes=5)


def test_a_map_point_from_the_script(client: TestClient, engine: Engine) -> None:
    form = {
        **_form_fields(client),
        "category": "suspicious_object",
        "lat": "54.78",
        "lon": "32.05",
        "location_source": "device",
    }
    assert client.post("/report", data=form, follow_redirects=False).status_code == 303
    with make_sessionmaker(engine)() as session:
        report = session.scalars(select(Report)).one()
    assert (report.lat, report.lon, report.location_source) == (54.78, 32.05, LocationSource.DEVICE)
    assert report.place_name == "Smolensk" and report.iso == "RU-SMO"


def test_too_many_and_bad_photos(client: TestClient, engine: Engine) -> None:
    base = {**_form_fields(client), "category": "debris", "location_text": "Смоленск"}
    six = [("photos", (f"p{i}.png", png(), "image/png")) for i in range(6)]
    r = client.post("/report", data=base, files=six)
    assert r.status_code == 400 and "Choose at most 5 photos" in r.text
    evil = [
        ("photos", ("ok.png", png(), "image/png")),
        ("photos", (f"{XSS}.gif", b"GIF89a\x01\x00", "image/gif")),
    ]
    r = client.post("/report", data=base, files=evil)
    assert r.status_code == 400
    error = find(parse(r.text), "div", id="photos-error")[0].text
    assert "Photo 2" in error and "not accepted" in error
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text
    assert _reports(engine) == 0


def test_an_unreadable_form_gets_the_form_again(client: TestClient, engine: Engine) -> None:
    many = [("photos", (f"p{i}.png", b"x", "image/png")) for i in range(30)]
    r = client.post("/report", data={"category": "debris"}, files=many)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert find(parse(r.text), "form", action="/report")
    assert "The form could not be read" in r.text
    assert _reports(engine) == 0


def test_hostile_input_in_every_field_renders_escaped(client: TestClient, engine: Engine) -> None:
    fields = ["category", "lat", "lon", "location_source", "location_text", "observed_at", "tz_offset",
              "description", "contact", "lang", "idempotency_key"]  # fmt: skip
    r = client.post("/report", data={f: XSS for f in fields})
    assert r.status_code == 400
    assert "<script>alert(1)</script>" not in r.text and "onerror=alert(2)>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert find(parse(r.text), "input", name="location_text")[0].attrs["value"] == XSS
    assert _reports(engine) == 0

    # Accepted free text never shows up on the receipt or the status page.
    ok = {
        **_form_fields(client),
        "category": "other",
        "location_text": XSS,
        "description": XSS,
        "contact": XSS,
    }
    r = client.post("/report", data=ok, follow_redirects=False)
    assert r.status_code == 303
    for url in (r.headers["location"], f"/report/status/{_token(r.headers['location'])}"):
        page = client.get(url)
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text and "onerror" not in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/report/receipt/short",
        "/report/receipt/%3Cscript%3E",
        "/report/status/" + "A" * 32,
        "/report/status/x",
    ],
)
def test_unknown_codes_are_404_pages(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text


def test_pages_in_ukrainian(client: TestClient) -> None:
    hidden = _form_fields(client)
    r = client.post(
        "/report?lang=uk",
        data={**hidden, "category": "fire", "location_text": "у Харкові"},
        follow_redirects=False,
    )
    status = client.get(f"/report/status/{_token(r.headers['location'])}?lang=uk")
    text = squash(" ".join(e.text for e in parse(status.text) if e.tag == "main"))
    assert "Отримано" in text and "Пожежа" in text and "Kharkiv" in text
    assert "UTC+2" in text or "UTC+3" in text  # Kyiv time, winter or summer
