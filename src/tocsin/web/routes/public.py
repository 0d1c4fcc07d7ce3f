"""The public HTML pages: home, regions, a region, an incident, sources, method, open data.

Every page is server-rendered (Jinja2, autoescaped, one environment per language with its gettext catalog),
works without JavaScript except the map, and names its JSON twin under ``/api/v1`` in a
``<link rel="alternate" type="application/json">``. Responses carry an ETag (a hash of the body) and
``Cache-Control``; a matching ``If-None-Match`` gets 304. The page language comes from ``?lang=`` (which also
sets the ``lang`` cookie), the cookie, Accept-Language, then ``Settings.default_lang``.

Unknown is never 0: a value no source states is shown as "not disclosed"; a lower bound as "at least N".
"""

from __future__ import annotations

import hashlib
import heapq
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from tocsin import __version__, queries
from tocsin.extract.regions import all_regions, region_name
from tocsin.merge import local_zone
from tocsin.store.models import Incident
from tocsin.web import charts
from tocsin.web.i18n import COOKIE, LANG_NAMES, LANGS, Formatter, load_translations, pick_lang

router = APIRouter(include_in_schema=False)

SITE_NAME = "tocsin"
CACHE_CONTROL = "public, max-age=60"
COOKIE_MAX_AGE = 365 * 24 * 3600
TIMELINE_LIMIT = 60  # incidents read for the home timeline (all of the last 24 h up to this)
EARLIER_LIMIT = 12  # of which shown from earlier in the week
REGION_HISTORY_LIMIT = 200
DAYS_IN_CHART = 30
WEEKS_IN_CHART = 26
NATIONAL = ("RU", "UA")


def N_(message: str) -> str:
    """Marks a string for the catalogs; translated where it is shown (``t()`` in templates)."""
    return message


# ----------------------------------------------------------------------------------------- vocabulary

FIELD_LABELS = {
    "destroyed": N_("Destroyed over this region"),
    "total_destroyed": N_("Destroyed in total (whole statement)"),
    "launched": N_("Launched"),
    "killed": N_("Killed"),
    "injured": N_("Injured"),
    "weapon": N_("Weapon"),
    "interceptors": N_("Intercepted by"),
    "debris_fell": N_("Debris fell"),
    "infrastructure_damage": N_("Damage to infrastructure"),
    "fire": N_("Fire"),
    "emergency_response": N_("Emergency services at the scene"),
    "period": N_("Time stated"),
}
FIELD_ORDER = tuple(FIELD_LABELS)
COUNT_FIELDS = ("destroyed", "total_destroyed", "launched", "killed", "injured")
BOOL_FIELDS = ("debris_fell", "infrastructure_damage", "fire", "emergency_response")

WEAPONS = {"uav": N_("drones (UAV)"), "missile": N_("missiles"), "mixed": N_("drones and missiles")}
INTERCEPTORS = {
    "air_defense": N_("air defence"),
    "aviation": N_("aviation"),
    "electronic_warfare": N_("electronic warfare"),
    "mobile_fire_groups": N_("mobile fire groups"),
    "other": N_("other means"),
}
KINDS = {
    "interception": N_("Drones or missiles destroyed"),
    "attack_no_outcome": N_("Attack or alert, no outcome stated"),
    "not_incident": N_("Not an incident"),
}
AUTHORITIES = {
    "regional": N_("regional authority"),
    "federal": N_("federal authority"),
    "media": N_("news media"),
    "other": N_("other"),
}
SOURCE_KINDS = {
    "telegram_export": N_("Telegram (export file)"),
    "telegram_web": N_("Telegram channel"),
    "feed": N_("RSS / Atom feed"),
    "text": N_("text file"),
    "jsonl": N_("JSON Lines file"),
}
STATUSES = {"danger": N_("Danger"), "clear": N_("All clear")}
TIME_PRECISION = {
    1: N_("the day is known"),
    2: N_("within about a week, or the day is ambiguous"),
    3: N_("within about a month"),
}
GEO_PRECISION = {
    1: N_("a town or settlement is named"),
    2: N_("a district is named"),
    3: N_("only the region is named"),
}
NATIONAL_NAMES = {"RU": N_("Russia (national figures)"), "UA": N_("Ukraine (national figures)")}
NAV = (
    ("home", "/", N_("Home")),
    ("regions", "/regions", N_("Regions")),
    ("sources", "/sources", N_("Sources")),
    ("method", "/method", N_("Method")),
    ("open_data", "/open-data", N_("API / Open data")),
    ("report", "/report", N_("Report debris")),
)


# ------------------------------------------------------------------------------------------ templates


class Pages:
    """One Jinja2 environment per language, each with that language's catalog installed."""

    def __init__(self) -> None:
        self.envs: dict[str, Environment] = {}
        for lang in LANGS:
            env = Environment(
                loader=PackageLoader("tocsin.web", "templates"),
                autoescape=select_autoescape(default=True, default_for_string=True),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.policies["ext.i18n.trimmed"] = True
            env.install_gettext_translations(load_translations(lang), newstyle=True)  # type: ignore[attr-defined]
            self.envs[lang] = env

    def render(self, lang: str, name: str, context: dict[str, Any]) -> str:
        return self.envs[lang].get_template(name).render(context)


@cache
def _known_regions() -> frozenset[str]:
    return frozenset(r.iso for r in all_regions())


def place_name(iso: str, lang: str) -> str:
    if iso in NATIONAL:
        return load_translations(lang).gettext(NATIONAL_NAMES[iso])
    return region_name(iso, lang)


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock else datetime.now(UTC)


@dataclass
class PageContext:
    """What every page needs: language, translation, formatting, the current URL's language links."""

    request: Request
    lang: str
    set_cookie: bool
    alternates: list[tuple[str, str]] = field(default_factory=list)  # (href, title)

    @property
    def t(self) -> Callable[[str], str]:
        return load_translations(self.lang).gettext

    def as_dict(self) -> dict[str, Any]:
        settings = self.request.app.state.settings
        query = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        path = self.request.url.path
        switch = [(code, LANG_NAMES[code], f"{path}?{urlencode({**query, 'lang': code})}") for code in LANGS]
        tile_attribution = settings.tile_attribution
        if settings.tile_url and not tile_attribution and "openstreetmap.org" in settings.tile_url:
            tile_attribution = "© OpenStreetMap contributors"
        return {
            "lang": self.lang,
            "t": self.t,
            "fmt": Formatter(self.lang),
            "place": lambda iso: place_name(iso, self.lang),
            "site_name": SITE_NAME,
            "version": __version__,
            "nav": NAV,
            "lang_switch": switch,
            "path": path,
            "alternates": self.alternates,
            "tile_url": settings.tile_url,
            "tile_attribution": tile_attribution,
            "zone": local_zone,
            "labels": {
                "fields": FIELD_LABELS,
                "weapons": WEAPONS,
                "interceptors": INTERCEPTORS,
                "kinds": KINDS,
                "authorities": AUTHORITIES,
                "source_kinds": SOURCE_KINDS,
                "statuses": STATUSES,
                "time_precision": TIME_PRECISION,
                "geo_precision": GEO_PRECISION,
            },
        }


def _context(request: Request) -> PageContext:
    settings = request.app.state.settings
    query_lang = request.query_params.get("lang")
    lang = pick_lang(
        query_lang, request.cookies.get(COOKIE), request.headers.get("accept-language"), settings.default_lang
    )
    return PageContext(request=request, lang=lang, set_cookie=query_lang is not None and query_lang == lang)


def _respond(
    pc: PageContext,
    template: str,
    data: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    """Render, then answer 304 when the client already has these bytes (ETag), else the page."""
    pages: Pages = pc.request.app.state.pages
    body = pages.render(pc.lang, template, {**pc.as_dict(), **data}).encode("utf-8")
    return _cached(pc, body, "text/html; charset=utf-8", status=status)


def _cached(pc: PageContext, body: bytes, media_type: str, *, status: int = 200) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL if status == 200 else "no-cache",
        "Vary": "Accept-Language, Cookie",
        "Content-Language": pc.lang,
    }
    if pc.set_cookie:
        headers["Cache-Control"] = "private, no-cache"
    inm = pc.request.headers.get("if-none-match")
    if status == 200 and inm and _etag_matches(inm, etag):
        response: Response = Response(status_code=304, headers=headers)
    else:
        response = Response(content=body, status_code=status, media_type=media_type, headers=headers)
    if pc.set_cookie:
        response.set_cookie(COOKIE, pc.lang, max_age=COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True)
    return response


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags


def not_found_page(request: Request, what: str | None = None) -> Response:
    """The HTML 404 page (the API's own 404s stay JSON)."""
    pc = _context(request)
    return _respond(pc, "not_found.html", {"what": what, "page": "not_found"}, status=404)


def _session(request: Request) -> Session:
    return request.app.state.sessionmaker()


# ---------------------------------------------------------------------------------------- data access
# The pages read through ``tocsin.queries`` (the same functions as the API); the helpers below only turn
# its JSON-ready dicts into what the templates need (datetimes, chart buckets, marked-up texts).


def _dt(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _headline(item: dict[str, Any]) -> dict[str, Any]:
    """The one figure a timeline row shows: destroyed over the region (national incidents: the total)."""
    consensus = item.get("consensus") or {}
    name = "total_destroyed" if item["iso"] in NATIONAL else "destroyed"
    entry = consensus.get(name) or {}
    weapon = (consensus.get("weapon") or {}).get("value")
    return {"value": entry.get("value"), "lower_bound": bool(entry.get("lower_bound")), "weapon": weapon}


def _incident_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "iso": item["iso"],
        "kind": item["kind"],
        "window_start": _dt(item["window_start"]),
        "window_end": _dt(item["window_end"]),
        "time_precision": item.get("time_precision"),
        "headline": _headline(item),
        "sources": item.get("source_count", 0),
    }


def _status(region: dict[str, Any]) -> dict[str, Any] | None:
    if not region.get("status"):
        return None
    return {"status": region["status"], "since": _dt(region.get("status_since"))}


def _regions_overview(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every region with its incident counts (24 h, 7 days) and current status, busiest first."""
    rows = [
        {
            "iso": r["iso"],
            "country": r.get("country") or r["iso"][:2],
            "n24": r.get("incidents_24h", 0),
            "n7": r.get("incidents_7d", 0),
            "status": _status(r),
        }
        for r in queries.list_regions(session, now=now)
    ]
    rows.sort(key=lambda r: (-r["n24"], -r["n7"], r["iso"]))
    return rows


def _region_total(session: Session, iso: str) -> int:
    """Live incidents of a region ever recorded. (Not in ``queries.region_detail`` yet.)"""
    stmt = (
        select(func.count()).select_from(Incident).where(Incident.deleted_at.is_(None), Incident.iso == iso)
    )
    return int(session.scalar(stmt) or 0)


# -------------------------------------------------------------------------------------- incident page


def _evidence_keys(name: str, claim: dict[str, Any]) -> list[str]:
    """Which evidence keys of a claim back a consensus field ("destroyed" is the region's own figure:
    the region's words, and the number itself when the statement names one region only)."""
    if name == "destroyed":
        if len(claim.get("per_region") or []) == 1:
            return ["total_destroyed", "per_region"]
        return ["per_region"]
    return [name]


@dataclass
class Mark:
    start: int
    end: int
    id: str
    groups: list[str]
    children: list[Mark] = field(default_factory=list)


def mark_text(text: str, spans: Iterable[tuple[str, str, int, int]]) -> Markup:
    """The message text, escaped, with each evidence span wrapped in ``<mark id=… data-ev=…>``.

    ``spans`` are ``(mark id, group, start, end)``. Nested spans nest. A span that crosses the end of an
    enclosing one is split there: its first part (with the id) nests, the rest continues as an id-less
    mark of the same group, so every word stays highlighted and the marks stay well-formed. The same words
    backing several fields give one mark in several groups (plus an empty anchor for each extra id). Spans
    outside the text are dropped.
    """
    heap = [(s, -e, mid, grp) for mid, grp, s, e in spans if 0 <= s < e <= len(text)]
    heapq.heapify(heap)
    root = Mark(0, len(text), "", [])
    stack = [root]
    by_range: dict[tuple[int, int], Mark] = {}
    while heap:
        s, neg_e, mid, grp = heapq.heappop(heap)
        e = -neg_e
        same = by_range.get((s, e))
        if same is not None:
            if grp not in same.groups:
                same.groups.append(grp)
            if mid:
                same.children.insert(0, Mark(s, s, mid, [grp]))  # an anchor for the extra id
            continue
        while len(stack) > 1 and s >= stack[-1].end:
            stack.pop()
        parent = stack[-1]
        if e > parent.end:  # crosses the enclosing mark's end: split
            heapq.heappush(heap, (parent.end, -e, "", grp))
            e = parent.end
        m = Mark(s, e, mid, [grp])
        parent.children.append(m)
        by_range[(s, e)] = m
        stack.append(m)
    return Markup(_emit(text, root))


def _emit(text: str, node: Mark) -> str:
    out: list[str] = []
    pos = node.start
    for child in node.children:
        if child.start > pos:
            out.append(html.escape(text[pos : child.start], quote=False))
        ident = f' id="{html.escape(child.id)}"' if child.id else ""
        groups = html.escape(" ".join(child.groups))
        out.append(f'<mark{ident} class="ev" data-ev="{groups}">{_emit(text, child)}</mark>')
        pos = max(pos, child.end)
    if node.end > pos:
        out.append(html.escape(text[pos : node.end], quote=False))
    return "".join(out)


def _incident_view(detail: dict[str, Any]) -> dict[str, Any]:
    """``queries.get_incident`` → the incident page: values with the mark each links to, sources with
    their texts marked up."""
    claims = []
    first_mark: dict[tuple[int, str], str] = {}
    for c in detail.get("claims") or []:
        text = c.get("text") or ""
        evidence = c.get("evidence") or {}
        spans: list[tuple[str, str, int, int]] = []
        for name in FIELD_ORDER:
            group = f"ev-{c['id']}-{name}"
            k = 0
            for key in _evidence_keys(name, c):
                for span in evidence.get(key) or []:
                    try:
                        s, e = int(span[0]), int(span[1])
                    except (TypeError, ValueError, IndexError):
                        continue
                    if not 0 <= s < e <= len(text):
                        continue
                    mid = f"{group}-{k}"
                    spans.append((mid, group, s, e))
                    first_mark.setdefault((c["id"], name), mid)
                    k += 1
        message = c.get("message") or {}
        claims.append(
            {
                "id": c["id"],
                "source": c.get("source") or {},
                "url": message.get("url"),
                "published_at": _dt(message.get("published")),
                "version": message.get("version") or 1,
                "lang": c.get("lang"),
                "context": bool(c.get("context")),
                "marked": mark_text(text, spans),
            }
        )
    ids = {c["id"] for c in claims}
    consensus = detail.get("consensus") or {}
    values = []
    for name in FIELD_ORDER:
        if name == "destroyed" and detail["iso"] in NATIONAL:
            continue
        entry = consensus.get(name) or {}
        claim_id = entry.get("claim_id")
        claim_id = claim_id if isinstance(claim_id, int) and claim_id in ids else None
        values.append(
            {
                "name": name,
                "value": entry.get("value"),
                "lower_bound": bool(entry.get("lower_bound")),
                "source": entry.get("source"),
                "claim_id": claim_id,
                "mark": first_mark.get((claim_id, name)) if claim_id is not None else None,
                "group": f"ev-{claim_id}-{name}",
            }
        )
    incident = {
        "id": detail["id"],
        "iso": detail["iso"],
        "kind": detail["kind"],
        "window_start": _dt(detail["window_start"]),
        "window_end": _dt(detail["window_end"]),
        "time_precision": detail.get("time_precision"),
        "geo_precision": detail.get("geo_precision"),
        "updated_at": _dt(detail.get("updated_at")),
    }
    return {
        "incident": incident,
        "claims": claims,
        "values": values,
        "disagreements": detail.get("disagreements") or [],
    }


# ---------------------------------------------------------------------------------------- region page


def _chart_range(iso: str, now: datetime) -> tuple[date, date]:
    """[start, end] local days: the last ``WEEKS_IN_CHART`` ISO weeks, the current one included."""
    end = now.astimezone(local_zone(iso)).date()
    start = end - timedelta(days=end.weekday()) - timedelta(weeks=WEEKS_IN_CHART - 1)
    return start, end


def _buckets(stats: dict[str, list[dict[str, Any]]], lang: str) -> tuple[list, list]:
    fmt = Formatter(lang)

    def bucket(label: str, row: dict[str, Any]) -> charts.Bucket:
        return charts.Bucket(label, row["incidents"], row["destroyed_undisclosed"], row["destroyed"])

    days = [bucket(fmt.date(date.fromisoformat(r["date"]), "d MMM"), r) for r in stats["days"]]
    weeks = []
    for r in stats["weeks"]:
        year, week = r["week"].split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        weeks.append(bucket(fmt.date(monday, "d MMM"), r))
    return days[-DAYS_IN_CHART:], weeks


def _chart_text(t: Callable[[str], str], period: str) -> dict[str, charts.ChartText]:
    per = t("per day") if period == "day" else t("per week (weeks start on Monday)")
    common = {
        "stated": t("count stated"),
        "undisclosed": t("count not disclosed"),
        "destroyed": t("destroyed (stated counts only)"),
    }
    return {
        "incidents": charts.ChartText(title=f"{t('Incidents')}, {per}", no_data=t("No incidents"), **common),
        "destroyed": charts.ChartText(
            title=f"{t('Destroyed (stated counts only)')}, {per}", no_data=t("No stated counts"), **common
        ),
    }


def _valid_region(iso: str) -> bool:
    return iso in NATIONAL or iso in _known_regions()


# --------------------------------------------------------------------------------------------- routes


def _recent_status(status: dict[str, Any] | None, since: datetime) -> bool:
    """A danger alert in force, or an all-clear given since ``since``."""
    if not status:
        return False
    return status["status"] == "danger" or (status["since"] is not None and status["since"] >= since)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def home(request: Request) -> Response:
    pc = _context(request)
    pc.alternates = [("/api/v1/regions", "regions"), ("/api/v1/incidents", "incidents")]
    now = _now(request)
    week_ago, day_ago = now - timedelta(days=7), now - timedelta(hours=24)
    with _session(request) as session:
        regions = _regions_overview(session, now)
        page = queries.list_incidents(session, start=week_ago, limit=TIMELINE_LIMIT)
    timeline = [_incident_row(i) for i in page.items if not i.get("deleted")]
    statuses = [
        r
        for r in regions
        if r["status"]
        and (r["status"]["status"] == "danger" or (r["status"]["since"] and r["status"]["since"] >= week_ago))
    ]
    statuses.sort(
        key=lambda r: (r["status"]["status"] != "danger", -(r["status"]["since"] or now).timestamp())
    )
    data = {
        "page": "home",
        "now": now,
        "regions": regions,
        "danger": [r for r in statuses if r["status"]["status"] == "danger"],
        "statuses": statuses,
        "last_day": [i for i in timeline if i["window_end"] >= day_ago],
        "earlier": [i for i in timeline if i["window_end"] < day_ago][:EARLIER_LIMIT],
        "n24": sum(r["n24"] for r in regions),
        "n7": sum(r["n7"] for r in regions),
        "more": page.next_cursor is not None
        or sum(i["window_end"] < day_ago for i in timeline) > EARLIER_LIMIT,
    }
    return _respond(pc, "home.html", data)


@router.api_route("/incidents/{incident_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def incident_page(request: Request, incident_id: str) -> Response:
    pc = _context(request)
    if not incident_id.isdigit() or len(incident_id) > 18:
        return not_found_page(request, "incident")
    with _session(request) as session:
        detail = queries.get_incident(session, int(incident_id))
    if detail is None:
        return not_found_page(request, "incident")
    pc.alternates = [(f"/api/v1/incidents/{int(incident_id)}", "incident")]
    return _respond(pc, "incident.html", {"page": "incident", **_incident_view(detail)})


@router.api_route("/regions", methods=["GET", "HEAD"], response_class=HTMLResponse)
def regions_page(request: Request) -> Response:
    pc = _context(request)
    pc.alternates = [("/api/v1/regions", "regions")]
    with _session(request) as session:
        regions = _regions_overview(session, _now(request))
    rows = [
        {**r, "name": place_name(r["iso"], pc.lang)}
        for r in regions
        if r["iso"] not in NATIONAL or r["n7"] or r["status"]
    ]
    rows.sort(key=lambda r: (-r["n7"], -r["n24"], r["name"]))
    groups = [
        ("RU", pc.t("Russia"), [r for r in rows if r["country"] == "RU"]),
        ("UA", pc.t("Ukraine"), [r for r in rows if r["country"] == "UA"]),
    ]
    return _respond(pc, "regions.html", {"page": "regions", "groups": groups})


@router.api_route("/regions/{iso}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def region_page(request: Request, iso: str) -> Response:
    pc = _context(request)
    iso = iso.upper()
    if len(iso) > 16 or not _valid_region(iso):
        return not_found_page(request, "region")
    now = _now(request)
    start, end = _chart_range(iso, now)
    with _session(request) as session:
        detail = queries.region_detail(
            session, iso, start=start, end=end, now=now, recent=REGION_HISTORY_LIMIT
        )
        total = _region_total(session, iso) if detail is not None else 0
    if detail is None:
        return not_found_page(request, "region")
    days, weeks = _buckets(detail, pc.lang)
    pc.alternates = [(f"/api/v1/regions/{iso}", "region")]
    data = {
        "page": "region",
        "iso": iso,
        "now": now,
        "current": _status(detail),
        "history": [_incident_row(i) for i in detail["incidents"] if not i.get("deleted")],
        "more": detail.get("incidents_next_cursor") is not None,
        "total": total,
        "days": days,
        "weeks": weeks,
        "statuses": [
            {**s, "started_at": _dt(s["started_at"]), "ended_at": _dt(s["ended_at"])}
            for s in detail["statuses"]
        ],
    }
    return _respond(pc, "region.html", data)


@router.get("/regions/{iso}/chart-{what}-{period}.svg")
def region_chart(request: Request, iso: str, what: str, period: str) -> Response:
    """A region's chart as SVG (``what``: incidents | destroyed; ``period``: day | week)."""
    pc = _context(request)
    pc.set_cookie = False
    iso = iso.upper()
    if (
        len(iso) > 16
        or not _valid_region(iso)
        or what not in ("incidents", "destroyed")
        or period not in ("day", "week")
    ):
        return not_found_page(request, "chart")
    start, end = _chart_range(iso, _now(request))
    with _session(request) as session:
        stats = queries.region_stats(session, iso, start, end)
    days, weeks = _buckets(stats, pc.lang)
    text = _chart_text(pc.t, period)[what]
    render = charts.incidents_chart if what == "incidents" else charts.destroyed_chart
    body = render(days if period == "day" else weeks, text).encode("utf-8")
    response = _cached(pc, body, "image/svg+xml")
    # The SVG is its own document (shown with <img>): pygal styles it with an inline <style>; no script.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@router.api_route("/sources", methods=["GET", "HEAD"], response_class=HTMLResponse)
def sources_page(request: Request) -> Response:
    pc = _context(request)
    pc.alternates = [("/api/v1/sources", "sources")]
    with _session(request) as session:
        sources = queries.list_sources(session)
    for s in sources:
        s["last_fetched_at"] = _dt(s.get("last_fetched_at"))
    return _respond(pc, "sources.html", {"page": "sources", "sources": sources})


@router.api_route("/method", methods=["GET", "HEAD"], response_class=HTMLResponse)
def method_page(request: Request) -> Response:
    pc = _context(request)
    pc.alternates = [("/openapi.json", "openapi")]
    return _respond(pc, "method.html", {"page": "method", "accuracy": ACCURACY})


@router.api_route("/open-data", methods=["GET", "HEAD"], response_class=HTMLResponse)
def open_data_page(request: Request) -> Response:
    pc = _context(request)
    pc.alternates = [("/openapi.json", "openapi")]
    endpoints = []
    for path, ops in request.app.openapi().get("paths", {}).items():  # the API's own description
        get_op = ops.get("get") if isinstance(ops, dict) else None
        if path.startswith("/api/") and get_op:
            # a link only where a plain GET answers: no path template, no required query parameter
            required = any(p.get("required") for p in get_op.get("parameters", []) if p.get("in") == "query")
            endpoints.append(
                (path, get_op.get("summary") or _first_line(get_op.get("description")), not required)
            )
    return _respond(pc, "open_data.html", {"page": "open_data", "endpoints": endpoints})


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n", 1)[0].strip()


# Figures from docs/extraction.md ("Measured accuracy"); tests/web checks that they match it.
ACCURACY = (
    (N_("development set"), 166, "1.000", "1.00"),
    (N_("check set 1"), 90, "0.998", "1.00"),
    (N_("check set 2"), 100, "0.985", "1.00"),
)
ACCURACY_FIRST_RUN = "0.919"


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the API, not a static file, not a JSON client)."""
    path = request.url.path
    if path.startswith(("/api/", "/static/")) or path == "/openapi.json":
        return False
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    """Adds the pages and their template environments to ``app``; call after the API's error handlers are
    installed: a 404 for a page address a browser asked for then renders the HTML 404 page, every other
    error keeps the API's JSON shape."""
    app.state.pages = Pages()
    app.include_router(router)
    json_handler = app.exception_handlers.get(StarletteHTTPException)

    async def http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 404 and wants_html(request):
            return not_found_page(request)
        if json_handler is None:
            raise exc
        return await json_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
