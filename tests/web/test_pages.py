"""The public pages through the whole app (``create_app``), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from web.conftest import Site
from web.htmlcheck import find, parse, squash
from web.seed import XSS_NAME

LANGS = ("ru", "uk", "en")
NOT_DISCLOSED = {"ru": "не раскрыто", "uk": "не розкрито", "en": "not disclosed"}
NAV_REGIONS = {"ru": "Регионы", "uk": "Регіони", "en": "Regions"}
SAFETY = {"ru": "звоните 112", "uk": "телефонуйте 112", "en": "call 112"}


def pages(site: Site) -> list[str]:
    i = site.info
    return [
        "/",
        f"/incidents/{i.smolensk}",
        f"/incidents/{i.kharkiv}",
        f"/incidents/{i.older}",
        "/regions",
        "/regions/RU-SMO",
        "/regions/UA-63",
        "/regions/RU-BRY",  # a region with nothing recorded
        "/sources",
        "/method",
        "/open-data",
    ]


def get(site: Site, path: str, lang: str | None = None, **headers: str):
    if lang:
        path += ("&" if "?" in path else "?") + f"lang={lang}"
    return site.client.get(path, headers={"accept": "text/html", **headers})


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_renders_in_every_language(site: Site, lang: str) -> None:
    for path in pages(site):
        r = get(site, path, lang)
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["content-language"] == lang
        assert f'<html lang="{lang}">' in r.text
        nav = find(parse(r.text), "nav", class_="main-nav")[0]
        assert NAV_REGIONS[lang] in nav.text, path
        for other in set(LANGS) - {lang}:
            assert NAV_REGIONS[other] not in nav.text


@pytest.mark.parametrize("lang", LANGS)
def test_home_shows_safety_note_timeline_and_statuses(site: Site, lang: str) -> None:
    r = get(site, "/", lang)
    assert SAFETY[lang] in r.text
    els = parse(r.text)
    links = {a.attrs["href"] for a in find(els, "a", class_="tl-link")}
    assert {
        f"/incidents/{site.info.smolensk}",
        f"/incidents/{site.info.kharkiv}",
        f"/incidents/{site.info.older}",
    } <= links
    statuses = find(els, "ul", class_="status-list")[0]
    assert {"ru": "Угроза", "uk": "Загроза", "en": "Danger"}[lang] in statuses.text
    assert {"ru": "Отбой", "uk": "Відбій", "en": "All clear"}[lang] in statuses.text
    # the Kharkiv incident has no count: shown as not disclosed, never 0
    kh = next(
        a for a in find(els, "a", class_="tl-link") if a.attrs["href"].endswith(f"/{site.info.kharkiv}")
    )
    assert {"ru": "число не раскрыто", "uk": "число не розкрито", "en": "count not disclosed"}[
        lang
    ] in kh.text
    assert not re.search(
        r"\b0\b", squash(find([*kh.children[0].children, *kh.children], "span", class_="tl-figure")[0].text)
    )
    # the map: a container fed by the API, with Leaflet served by this site
    assert find(els, "div", id="map")[0].attrs["data-src"] == "/api/v1/regions"
    srcs = [s.attrs.get("src") for s in find(els, "script")]
    assert "/static/leaflet/leaflet.js" in srcs and "/static/map.js" in srcs


@pytest.mark.parametrize("lang", LANGS)
def test_null_values_read_not_disclosed_never_zero(site: Site, lang: str) -> None:
    r = get(site, f"/incidents/{site.info.kharkiv}", lang)
    rows = find(parse(r.text), "tr")
    values = {squash(tr.children[0].text): squash(tr.children[1].text) for tr in rows if len(tr.children) >= 2
              and tr.children[1].attrs.get("class") == "value"}  # fmt: skip
    assert len(values) >= 10
    killed = {"ru": "Погибли", "uk": "Загинули", "en": "Killed"}[lang]
    launched = {"ru": "Запущено", "uk": "Запущено", "en": "Launched"}[lang]
    assert values[killed] == NOT_DISCLOSED[lang]
    assert values[launched] == NOT_DISCLOSED[lang]
    for label, value in values.items():
        assert value != "0", label
    # a stated zero stays a zero (the governor said nobody was hurt)
    r = get(site, f"/incidents/{site.info.smolensk}", lang)
    rows = find(parse(r.text), "td", class_="value")
    assert any(squash(td.text) == "0" for td in rows)


@pytest.mark.parametrize("lang", LANGS)
def test_lower_bound_reads_at_least(site: Site, lang: str) -> None:
    r = get(site, f"/incidents/{site.info.older}", lang)
    at_least = {"ru": "не менее 4", "uk": "щонайменше 4", "en": "at least 4"}[lang]
    assert at_least in squash(" ".join(td.text for td in find(parse(r.text), "td", class_="value")))


def test_every_value_links_to_its_quote(site: Site) -> None:
    r = get(site, f"/incidents/{site.info.smolensk}", "en")
    els = parse(r.text)
    marks = {m.attrs["id"]: m for m in find(els, "mark")}
    links = find(els, "a", class_="ev-link")
    assert len(links) >= 8
    for a in links:
        target = a.attrs["href"].removeprefix("#")
        assert target in marks, target
        assert a.attrs["data-ev"] in marks[target].attrs["data-ev"].split()
    # the destroyed figure points at the words it was read from
    destroyed = next(a for a in links if a.attrs["data-ev"].endswith("-destroyed"))
    assert squash(destroyed.text) == "9"
    group = destroyed.attrs["data-ev"]
    quoted = " ".join(m.text for m in marks.values() if group in m.attrs["data-ev"].split())
    assert "уничтожены 9 БПЛА" in quoted
    # the killed value links to "Пострадавших нет"
    killed = next(a for a in links if a.attrs["data-ev"].endswith("-killed"))
    assert marks[killed.attrs["href"][1:]].text.strip() in ("", "Пострадавших нет")
    group = killed.attrs["data-ev"]
    assert any(m.text == "Пострадавших нет" for m in marks.values() if group in m.attrs["data-ev"].split())


def test_sources_and_disagreements_on_incident_page(site: Site) -> None:
    r = get(site, f"/incidents/{site.info.smolensk}", "en")
    els = parse(r.text)
    cards = find(els, "article", class_="source-card")
    assert len(cards) == 3
    assert {c.attrs["id"] for c in cards} == {
        f"claim-{i}" for i in (site.info.gov_claim, site.info.mod_claim, site.info.media_claim)
    }
    assert "https://t.me/smolensk_gov/101" in [a.attrs.get("href") for a in find(els, "a")]
    table = find(els, "table", class_="disagreements")[0]
    assert "Минобороны России" in table.text and "10" in table.text
    assert "Time precision" in r.text and "a district is named" in r.text


def test_xss_payloads_are_escaped(site: Site) -> None:
    for path in (f"/incidents/{site.info.smolensk}", "/sources"):
        r = get(site, path, "en")
        assert "<script>alert" not in r.text
        assert "<img src=x" not in r.text
        assert "&lt;script&gt;alert" in r.text
        els = parse(r.text)
        for el in els:
            for name, value in el.attrs.items():
                assert not name.startswith("on"), (el.tag, name)
                if name in ("href", "src"):
                    assert not (value or "").lower().startswith("javascript:"), (path, el.tag, value)
        assert XSS_NAME in " ".join(el.text for el in els if el.tag in ("h3", "th"))
    r = get(site, "/sources", "en")
    assert "<b>Service Unavailable</b>" not in r.text  # a source's last error is text, not markup


def test_security_headers(site: Site) -> None:
    for path in [*pages(site), "/api/v1/regions", "/static/site.css"]:
        r = get(site, path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "base-uri 'self'" in csp and "form-action 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"]
        assert "camera=()" in r.headers["permissions-policy"]


def test_no_inline_script_or_style(site: Site) -> None:
    for lang in LANGS:
        for path in pages(site):
            els = parse(get(site, path, lang).text)
            scripts = find(els, "script")
            assert scripts, path
            for s in scripts:
                assert s.attrs.get("src"), (path, s.text[:80])
                assert not s.text.strip(), path
            assert not find(els, "style"), path
            for el in els:
                assert "style" not in el.attrs, (path, el.tag)
                assert not any(k.startswith("on") for k in el.attrs), (path, el.tag)


def test_every_page_names_its_json_twin(site: Site) -> None:
    for path in pages(site):
        els = parse(get(site, path).text)
        twins = [link.attrs["href"] for link in find(els, "link", rel="alternate", type="application/json")]
        assert twins, path
        for href in twins:
            r = site.client.get(href)
            assert r.status_code == 200, href
            assert r.headers["content-type"].startswith("application/json")


def test_viewport_and_lang_switch_links(site: Site) -> None:
    els = parse(get(site, "/regions/RU-SMO", "en").text)
    meta = find(els, "meta", name="viewport")
    assert meta and "width=device-width" in meta[0].attrs["content"]
    switch = find(els, "nav", class_="lang")[0]
    hrefs = [a.attrs["href"] for a in switch.children[0].children[0].children if a.tag == "a"]
    hrefs = [a.attrs["href"] for a in find(els, "a") if a.attrs.get("hreflang")]
    assert "/regions/RU-SMO?lang=ru" in hrefs and "/regions/RU-SMO?lang=uk" in hrefs


def test_language_cookie_and_negotiation(site: Site) -> None:
    c = site.client
    r = c.get("/?lang=uk")
    assert r.headers["content-language"] == "uk"
    assert "lang=uk" in r.headers["set-cookie"]
    assert r.headers["cache-control"].startswith("private")
    # the cookie now picks the language (TestClient keeps cookies)
    r = c.get("/sources")
    assert r.headers["content-language"] == "uk" and "Джерела" in r.text
    assert "set-cookie" not in r.headers
    c.cookies.clear()
    assert (
        c.get("/", headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.8"}).headers["content-language"] == "ru"
    )
    assert (
        c.get("/", headers={"accept-language": "de, uk;q=0.5, ru;q=0.4"}).headers["content-language"] == "uk"
    )
    assert c.get("/", headers={"accept-language": "de-DE"}).headers["content-language"] == "en"  # default
    assert c.get("/?lang=xx").headers["content-language"] == "en"
    assert "set-cookie" not in c.get("/?lang=xx").headers
    c.cookies.set("lang", "zz")
    assert c.get("/").headers["content-language"] == "en"
    c.cookies.clear()


def test_not_found_pages(site: Site) -> None:
    for path, text in (
        ("/incidents/999999", "no such incident"),
        ("/incidents/abc", "no such incident"),
        ("/incidents/99999999999999999999999", "no such incident"),
        ("/regions/XX-YY", "no such region"),
        ("/regions/" + "A" * 40, "no such region"),
        ("/no/such/page", "no page at this address"),
    ):
        r = get(site, path, "en")
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert text in r.text, path
        assert "<html" in r.text
    r = get(site, "/incidents/999999", "uk")
    assert r.status_code == 404 and "Такого інциденту немає" in r.text
    # the API keeps its JSON errors
    r = site.client.get("/api/v1/incidents/999999", headers={"accept": "text/html"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = site.client.get("/no/such/page", headers={"accept": "application/json"})
    assert r.status_code == 404 and r.json()["error"]["status"] == 404


def test_etag_and_304(site: Site) -> None:
    site.client.cookies.clear()
    paths = (
        "/",
        f"/incidents/{site.info.smolensk}",
        "/regions/RU-SMO",
        "/regions/RU-SMO/chart-incidents-day.svg",
    )
    for path in paths:
        r = get(site, path, **{"accept-language": "en"})
        etag = r.headers["etag"]
        assert r.headers["cache-control"].startswith("public")
        assert "Accept-Language" in r.headers["vary"] and "Cookie" in r.headers["vary"]
        again = get(site, path, **{"accept-language": "en", "if-none-match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert get(site, path, **{"accept-language": "en", "if-none-match": '"other"'}).status_code == 200
        assert (
            get(site, path, **{"accept-language": "ru"}).headers["etag"] != etag
        )  # other language, other bytes


def test_head_requests(site: Site) -> None:
    r = site.client.head("/")
    assert r.status_code == 200 and r.content == b""


def test_request_body_limit(site: Site) -> None:
    r = site.client.post(
        "/api/v1/incidents", content=b"x" * 5000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"

    def chunks():
        for _ in range(10):
            yield b"y" * 500

    r = site.client.post("/", content=chunks())
    assert r.status_code == 413
    r = site.client.post("/", content=b"small")
    assert r.status_code == 405


def test_region_charts_are_svg_without_script(site: Site) -> None:
    for what in ("incidents", "destroyed"):
        for period in ("day", "week"):
            r = get(site, f"/regions/UA-63/chart-{what}-{period}.svg", "uk")
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("image/svg+xml")
            assert "<script" not in r.text and "kozea.github.io" not in r.text
            assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none' covers it
            assert r.headers["content-security-policy"].startswith("default-src 'none'")
    # Kharkiv's incident has no stated count: it is drawn as "not disclosed", not as a zero bar
    svg = get(site, "/regions/UA-63/chart-incidents-day.svg", "en").text
    assert "count not disclosed" in svg
    assert get(site, "/regions/RU-SMO/chart-incidents-day.svg", "ru").text.count("Инциденты") >= 1
    assert get(site, "/regions/RU-SMO/chart-bogus-day.svg").status_code == 404
    els = parse(get(site, "/regions/RU-SMO", "en").text)
    imgs = [i for i in find(els, "img") if "chart-" in i.attrs["src"]]
    assert len(imgs) == 4 and all(i.attrs.get("alt") for i in imgs)


def test_region_page_history_and_statuses(site: Site) -> None:
    els = parse(get(site, "/regions/RU-SMO", "en").text)
    hist = {a.attrs["href"] for a in find(els, "a", class_="tl-link")}
    assert hist == {f"/incidents/{site.info.smolensk}", f"/incidents/{site.info.older}"}
    statuses = find(els, "table", class_="statuses")[0]
    assert "Danger" in statuses.text and "still in force" in statuses.text
    # the numbers behind the charts: the undisclosed count is its own column, never folded into 0
    els = parse(get(site, "/regions/UA-63", "en").text)
    table = find(els, "table", class_="buckets")[0]
    row = [tr for tr in find([*table.children, *[c for t in table.children for c in t.children]], "tr")][-1]
    cells = [squash(c.text) for c in row.children]
    assert cells[1:] == ["1", "1", "not disclosed"]


def test_regions_page_lists_all_regions(site: Site) -> None:
    r = get(site, "/regions", "uk")
    els = parse(r.text)
    hrefs = {a.attrs["href"] for a in find(els, "a") if a.attrs.get("href", "").startswith("/regions/")}
    assert len(hrefs) >= 100
    assert "Смоленська область" in r.text and "Харківська область" in r.text


def test_sources_page(site: Site) -> None:
    r = get(site, "/sources", "ru")
    els = parse(r.text)
    rows = find(els, "tr")
    assert len(rows) == 5  # header + 4 sources
    text = squash(r.text)
    assert "Минобороны России" in text and "федеральное ведомство" in text
    assert "HTTP 503" in text  # last error
    assert "импортирован из файла" in text  # a file source is not "never fetched"
    assert "/srv/imports" not in r.text  # a file path on the server is not public


def test_method_page_figures_match_extraction_docs(site: Site) -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "extraction.md").read_text(encoding="utf-8")
    r = get(site, "/method", "en")
    for figure in ("1.000", "0.998", "0.985", "0.919"):
        assert figure in docs, figure
        assert figure in r.text, figure
    assert "not zero" in r.text and "precision" in r.text.lower()
    assert "air defence" in r.text  # the scope boundary is stated


def test_open_data_page_lists_the_api(site: Site) -> None:
    r = get(site, "/open-data", "en")
    assert "/api/v1/incidents" in r.text and "/openapi.json" in r.text
