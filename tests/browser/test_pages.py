"""The public site in a real browser: the map, quote highlighting, the language switch, a phone screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Site, Watch

PHONE = {"width": 390, "height": 844}
UK_WORDS = ("Регіони", "Джерела", "Головна")  # nav / crumbs in Ukrainian
RU_WORDS = ("Регионы", "Источники", "Главная")


def _seed_incident(site: Site) -> dict[str, Any]:
    """The newest Smolensk incident: the seed night (nine UAVs, governor and defence ministry agree)."""
    items = site.api("/api/v1/incidents?region=RU-SMO&kind=interception&limit=5")["items"]
    assert items, "no Smolensk incident in the demo data"
    return items[0]


def _mapped_regions(site: Site) -> list[dict[str, Any]]:
    data = site.api("/api/v1/regions")
    items = data["items"] if isinstance(data, dict) else data
    return [
        r for r in items if isinstance(r.get("lat"), int | float) and isinstance(r.get("lon"), int | float)
    ]


def test_home_map_has_region_markers(page: Any, watch: Watch, site: Site, shots: Path) -> None:
    page.goto(site.url("/"))
    page.wait_for_selector("#map.leaflet-container")
    page.wait_for_selector("#map[data-loaded]")
    markers = page.locator("#map path.region-marker")
    expected = _mapped_regions(site)
    assert len(expected) >= 10
    assert markers.count() == len(expected)
    active = [r for r in expected if (r.get("incidents_7d") or 0) > 0]
    assert len(active) >= 10  # the demo's dozen regions have incidents this week
    # the 7-day button redraws the same markers
    page.click(".map-window button[data-window='7d']")
    assert page.get_attribute(".map-window button[data-window='7d']", "aria-pressed") == "true"
    assert markers.count() == len(expected)
    assert page.locator("#map").bounding_box()["height"] > 200
    # residents' reports checked by the demo's operators, coarsened by the publication policy
    assert page.locator("#map path.report-marker").count() >= 1
    page.screenshot(path=str(shots / "home-desktop.png"), full_page=True)
    watch.assert_clean()


def test_click_on_a_value_highlights_its_quote(page: Any, watch: Watch, site: Site, shots: Path) -> None:
    incident = _seed_incident(site)
    page.goto(site.url(f"/incidents/{incident['id']}"))
    assert page.locator("blockquote.message").count() >= 2  # governor and defence ministry at least
    assert "уничтожены девять БПЛА" in page.inner_text("main")
    assert page.locator("mark.ev.hl").count() == 0
    links = page.locator("a.ev-link")
    assert links.count() >= 3
    for i in range(links.count()):
        link = links.nth(i)
        group = link.get_attribute("data-ev")
        link.click()
        lit = page.locator("mark.ev.hl")
        assert lit.count() >= 1, f"value {link.inner_text()!r} highlighted nothing"
        first = lit.first
        first.wait_for(state="visible")
        assert first.is_visible()
        assert group in (first.get_attribute("data-ev") or "").split()
        assert first.inner_text().strip()
        assert link.get_attribute("aria-current") == "true"
        if i == 0:
            page.screenshot(path=str(shots / "incident-highlight.png"), full_page=False)
    # the nine of the seed statement: the destroyed value's quote is the word "девять" or its region
    nine = page.locator("a.ev-link", has_text="9").first
    nine.click()
    quotes = [t.strip() for t in page.locator("mark.ev.hl").all_inner_texts()]
    assert any(q in ("девять", "9") for q in quotes), quotes
    # the highlight is styled: the computed background differs from an ordinary mark's
    lit_bg = page.locator("mark.ev.hl").first.evaluate("m => getComputedStyle(m).backgroundColor")
    plain = page.locator("mark.ev:not(.hl)")
    if plain.count():
        assert plain.first.evaluate("m => getComputedStyle(m).backgroundColor") != lit_bg
    watch.assert_clean()


@pytest.mark.parametrize(("code", "words"), [("uk", UK_WORDS), ("ru", RU_WORDS)])
def test_language_switch(page: Any, watch: Watch, site: Site, shots: Path, code: str, words: tuple) -> None:
    page.goto(site.url("/"))
    assert page.get_attribute("html", "lang") == "en"
    page.click(f"nav.lang a[hreflang='{code}']")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == code
    text = page.inner_text("body")
    assert any(w in text for w in words), f"no {code} words {words} on the page after the switch"
    assert "Regions" not in page.inner_text("nav.main-nav")
    if code == "uk":
        page.screenshot(path=str(shots / "home-uk.png"), full_page=False)
    # the choice sticks: the next page is in the same language
    page.click("nav.main-nav a[href^='/regions']")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == code
    watch.assert_clean()


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner + 1, f"{page.url}: content {width}px wide on a {inner}px screen"


def test_phone_sized_screen(browser: Any, site: Site, shots: Path) -> None:
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="uk-UA"
    )
    watch = Watch(origin=site.base)
    try:
        page = watch.attach(ctx.new_page())
        incident = _seed_incident(site)
        for path, name in (
            ("/", "home"),
            (f"/incidents/{incident['id']}", "incident"),
            ("/regions/RU-SMO", "region"),
            ("/regions", "regions"),
            ("/sources", "sources"),
            ("/method", "method"),
        ):
            page.goto(site.url(path))
            page.wait_for_load_state("load")
            if path == "/":
                page.wait_for_selector("#map[data-loaded]")
            _no_horizontal_scroll(page)
            page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=(name != "home"))
        # the navigation fits the screen and works with a tap
        page.goto(site.url("/"))
        links = page.locator("nav.main-nav a")
        assert links.count() >= 3
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box is not None and box["width"] > 0
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, links.nth(i).inner_text()
            assert box["height"] >= 24  # a finger-sized target
        target = page.locator("nav.main-nav a[href^='/sources']")
        target.tap()
        page.wait_for_url("**/sources**")
        _no_horizontal_scroll(page)
        # the language switch is reachable on a phone too
        assert page.locator("nav.lang a").first.is_visible()
        watch.assert_clean()
    finally:
        ctx.close()
