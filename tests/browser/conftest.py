"""Browser tests: Playwright (sync API) driving Debian's Chromium against a real ``tocsin serve``.

- ``site``: one server for the session — ``python -m tocsin serve`` on a free 127.0.0.1 port, in a fresh
  temporary directory with its own SQLite database, so the README's first command is exercised as it is:
  schema created, demo data loaded, uvicorn serving ``create_app()``.
- ``browser``: Chromium from ``TOCSIN_CHROMIUM`` (default ``/usr/bin/chromium``, Debian's package; Playwright
  never downloads a browser here). When it is missing the tests are **skipped** locally and **fail** when
  ``CI`` is set (``.ci/run`` sets it; ``scripts/test`` installs the package when run as root).
- ``watch(page)``: records console errors, uncaught exceptions, CSP violations (the browser's
  ``securitypolicyviolation`` events) and any request leaving the site (aborted: nothing may come from a
  CDN or the internet). ``watch.assert_clean()`` fails the test on any of them.
- screenshots go to one session folder under pytest's temporary directory; its path is printed at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tocsin.serve import free_port, wait_until_serving

CHROMIUM = os.environ.get("TOCSIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SERVER_START_S = 90
_SHOTS: list[Path] = []


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(
            f"browser tests cannot run: {reason}. CI must run them: install Debian's Chromium "
            "(apt-get install -y chromium; ./scripts/test does it when run as root) or set TOCSIN_CHROMIUM.",
            pytrace=False,
        )
    pytest.skip(f"browser tests skipped: {reason} (they fail instead when CI is set)")


@dataclass
class Site:
    base: str
    tmp: Path

    def url(self, path: str) -> str:
        return self.base + path

    def api(self, path: str) -> Any:
        response = httpx.get(self.base + path, timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("site")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    env["TOCSIN_DATABASE_URL"] = f"sqlite:///{tmp / 'site.db'}"
    log = (tmp / "serve.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tocsin", "serve", "--port", str(port)],
        cwd=tmp,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        problem = wait_until_serving(proc, base + "/", SERVER_START_S)
        if problem is not None:
            pytest.fail(f"tocsin serve {problem}:\n{(tmp / 'serve.log').read_text()}")
        yield Site(base, tmp)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        _unavailable(f"the playwright package is not installed ({exc})")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:
            _unavailable(f"Chromium at {CHROMIUM} does not start: {exc}")
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    _SHOTS.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for folder in _SHOTS:
        files = sorted(p.name for p in folder.glob("*.png"))
        if files:
            terminalreporter.write_line(f"browser screenshots ({len(files)}): {folder}")


CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') +
                              ':' + (e.lineNumber || ''));
});
"""


@dataclass
class Watch:
    """What went wrong in a page: console errors, exceptions, CSP violations, requests off the site."""

    origin: str
    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    pages: list[Any] = field(default_factory=list)

    def attach(self, page: Any) -> Any:
        page.add_init_script(CSP_LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.exceptions.append(str(exc)))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)
        page.route("**/*", self._route)
        self.pages.append(page)
        return page

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if where.endswith("/favicon.ico"):  # asked for by the browser itself, not by the page
            return
        self.console.append(f"{message.text} ({where})")

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
            return
        self.external.append(url)
        route.abort()

    def _request_failed(self, request: Any) -> None:
        if request.url.startswith(self.origin):
            if request.url.endswith("/static/favicon.svg") and "ERR_ABORTED" in str(request.failure):
                return  # the browser drops its favicon fetch when the test navigates on at once
            self.failed.append(f"{request.url}: {request.failure}")

    def _response(self, response: Any) -> None:
        if (
            response.url.startswith(self.origin)
            and response.status >= 400
            and "/favicon.ico" not in response.url
        ):
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def csp(self) -> list[str]:
        out: list[str] = []
        for page in self.pages:
            if not page.is_closed():
                out += page.evaluate("window.__cspViolations || []")
        return out

    def assert_clean(self) -> None:
        problems = {
            "console errors": self.console,
            "uncaught exceptions": self.exceptions,
            "CSP violations": self.csp(),
            "requests that left the site": self.external,
            "failed requests": self.failed,
        }
        bad = {k: v for k, v in problems.items() if v}
        assert not bad, bad


@pytest.fixture
def context(browser: Any, site: Site) -> Iterator[Any]:
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def watch(site: Site) -> Watch:
    return Watch(origin=site.base)


@pytest.fixture
def page(context: Any, watch: Watch) -> Any:
    return watch.attach(context.new_page())
