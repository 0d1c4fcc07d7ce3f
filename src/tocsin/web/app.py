"""The web application: ``create_app(settings, engine=...)`` → a FastAPI app.

What it puts together:

- ``app.state.settings``, ``app.state.engine``, ``app.state.sessionmaker`` (the API's ``get_session`` and the
  public pages read the sessionmaker from there);
- the JSON API router (``tocsin.web.routes.api``, under ``/api/v1``) and its error handlers
  (``tocsin.web.errors``), the public HTML pages (``tocsin.web.routes.public``);
- static files: ``/static/`` (the site's own CSS and JS) and ``/static/leaflet/`` (Leaflet, served from the
  ``xstatic-leaflet`` package directory — no CDN, nothing copied into the repository);
- middleware: a request body cap (413 above ``Settings.max_body_bytes``) and security headers on every
  response (a strict Content-Security-Policy that allows no inline script or style, nosniff, a referrer
  policy, a permissions policy that turns off camera, microphone, geolocation and the rest).

The OpenAPI document is at ``/openapi.json``; FastAPI's Swagger/ReDoc pages are off (they load their
scripts from a CDN and run inline script, which the CSP forbids).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import xstatic.pkg.leaflet as xs_leaflet
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from tocsin.policy import PublicationPolicy
from tocsin.settings import Settings
from tocsin.store.engine import make_engine, make_sessionmaker
from tocsin.web import errors, security
from tocsin.web.routes import api, auth, ops, public, public_reports, reports

STATIC_DIR = Path(__file__).parent / "static"
LEAFLET_DIR = Path(xs_leaflet.BASE_DIR)
LEAFLET_VERSION = xs_leaflet.VERSION


def tile_origin(tile_url: str) -> str | None:
    """The CSP source for a tile URL template: ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` →
    ``https://*.tile.example.org``. None when there is no (usable) template."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "SUBDOMAIN"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.replace("subdomain", "*")
    if "{" in host or "}" in host:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def content_security_policy(settings: Settings) -> str:
    img = "'self' data:"
    origin = tile_origin(settings.tile_url)
    if origin:
        img += f" {origin}"
    return (
        f"default-src 'self'; img-src {img}; script-src 'self'; style-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(self), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)


class SecurityHeaders:
    """ASGI middleware: adds the security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: Any, csp: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", PERMISSIONS_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


REPORT_UPLOAD_PATHS = ("/report", "/api/v1/reports")  # residents' reports may carry photos


class BodySizeLimit:
    """ASGI middleware: refuses request bodies over ``max_bytes`` with 413 (over ``larger[path]`` for the
    paths listed there, e.g. the report form with its photos).

    A ``Content-Length`` over the cap is refused before the app runs; a body without one (chunked) is read
    up to the cap first and refused as soon as it goes over, so the app never sees a partial body.
    """

    def __init__(self, app: Any, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_max = max_bytes
        self.larger = larger or {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope.get("path", "").rstrip("/") or "/", self.default_max)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > max_bytes
            except ValueError:
                await _error(send, 400, "bad_request", "Content-Length is not a number")
                return
            if too_big:
                await _error(send, 413, "payload_too_large", f"request body over {max_bytes} bytes")
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > max_bytes:
                await _error(send, 413, "payload_too_large", f"request body over {max_bytes} bytes")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay_receive() -> dict:
            if replay:
                return replay.pop()
            return await receive()

        await self.app(scope, replay_receive, send)


async def _error(send: Any, status: int, code: str, message: str) -> None:
    body = json.dumps(errors.error_body(status, message, code)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The tocsin web app. ``engine`` (e.g. a test's) wins over ``settings.database_url``; an engine made
    here from the settings is disposed of when the app shuts down."""
    settings = settings or Settings.from_env()
    owned = engine is None
    engine = engine if engine is not None else make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            engine.dispose()

    app = FastAPI(
        title="tocsin",
        summary="Open civil-protection information: incidents, sources, region statuses",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.policy = PublicationPolicy.from_settings(settings)  # a bad policy setting fails here
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)

    errors.install_error_handlers(app)
    security.install(app)
    app.include_router(api.router)
    app.include_router(reports.api_router)
    app.include_router(public_reports.router)
    public.install(app)
    app.include_router(reports.router)
    app.include_router(auth.router)
    app.include_router(ops.router)

    app.mount("/static/leaflet", StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={path: settings.max_report_bytes for path in REPORT_UPLOAD_PATHS},
    )
    app.add_middleware(SecurityHeaders, csp=content_security_policy(settings))
    return app
