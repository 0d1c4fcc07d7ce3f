"""The versioned JSON API and open-data exports: ``router = APIRouter(prefix="/api/v1")``.

Contract with the app that mounts it (``tocsin.web.app.create_app``)::

    app.state.sessionmaker = make_sessionmaker(engine)   # a sessionmaker[Session]; read-only use here
    app.include_router(api.router)
    install_error_handlers(app)                          # tocsin.web.errors: the one JSON error shape

- ``get_session`` (a FastAPI dependency) opens a Session from ``request.app.state.sessionmaker`` for the
  request and closes it afterwards; endpoints only read. Streamed exports open their own session in a
  worker thread (the request's session is closed while the body is still being sent).
- Every successful GET answers with a weak ``ETag`` and ``Cache-Control: public, max-age=60``; a request
  whose ``If-None-Match`` matches gets ``304 Not Modified`` with no body. JSON bodies are hashed; streamed
  exports use a fingerprint of the tables (row count, newest change) and the query.
- Errors: ``tocsin.web.errors`` — 400 ``bad_cursor``, 404 ``not_found``, 410 ``gone`` (a deleted incident),
  422 ``validation_error`` (bad region code, date, limit …), always ``{"error": {...}}``.
- Only public fields leave here (see ``tocsin.queries``); the audit ``Event`` table is never read.

Endpoints and their parameters are documented in ``docs/api.md`` and in ``/openapi.json`` (the pydantic
models below are the response schemas; responses are serialised straight from ``tocsin.queries`` dicts,
and the tests validate them against these models).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tocsin import queries
from tocsin.web.errors import ApiError

CACHE_CONTROL = "public, max-age=60"
STREAM_CHUNK = 64 * 1024


class ErrorDetail(BaseModel):
    loc: list[str] = Field(description="where the problem is, e.g. ['query', 'limit']")
    msg: str
    type: str


class ErrorInfo(BaseModel):
    status: int = Field(description="the HTTP status, repeated")
    code: str = Field(description="stable machine-readable code: not_found, validation_error, bad_cursor …")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """The one error shape of every error response."""

    error: ErrorInfo


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad request (e.g. a cursor this server did not issue)"},
    404: {"model": ErrorResponse, "description": "Not found"},
    422: {"model": ErrorResponse, "description": "Invalid parameter (region code, date, limit …)"},
    500: {"model": ErrorResponse, "description": "Internal error (no details are disclosed)"},
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (If-None-Match matched the ETag)"}
}


# ------------------------------------------------------------------------------------------ models


class RegionNames(BaseModel):
    en: str
    ru: str
    uk: str


class PeriodValue(BaseModel):
    text: str | None = None
    start: str | None = Field(None, description="ISO 8601 with offset, when the text pins it")
    end: str | None = None


ConsensusScalar = bool | int | str | list[str] | PeriodValue | None


class ConsensusValue(BaseModel):
    """One field of an incident: the chosen value (null = not disclosed by any source, never 0)."""

    value: ConsensusScalar = None
    source: str | None = Field(None, description="name of the source whose statement gives the value")
    claim_id: int | None = Field(None, description="the claim the value was read from (its quote: evidence)")
    lower_bound: bool = Field(False, description="true: the real figure may be higher")


class Consensus(BaseModel):
    destroyed: ConsensusValue
    total_destroyed: ConsensusValue
    launched: ConsensusValue
    killed: ConsensusValue
    injured: ConsensusValue
    infrastructure_damage: ConsensusValue
    debris_fell: ConsensusValue
    fire: ConsensusValue
    emergency_response: ConsensusValue
    weapon: ConsensusValue
    interceptors: ConsensusValue
    period: ConsensusValue


class DisagreementValue(BaseModel):
    value: bool | int | str | None
    source: str | None
    claim_id: int | None


class Disagreement(BaseModel):
    field: str
    line: str | None = Field(description="human summary, e.g. 'destroyed: 27 (mod) vs 28 (governor)'")
    values: list[DisagreementValue]


class SourceRef(BaseModel):
    id: int
    name: str
    authority: Literal["regional", "federal", "media", "other"]


class IncidentSummary(BaseModel):
    id: int
    deleted: Literal[False] = False
    key: str | None
    iso: str = Field(description="ISO 3166-2 region code; 'RU' / 'UA' for a national incident")
    region: RegionNames
    window_start: datetime
    window_end: datetime
    time_precision: int = Field(description="ACLED-style: 1 day known, 2 within a week, 3 about a month")
    geo_precision: int = Field(description="ACLED-style: 1 a settlement named, 2 a district, 3 the region")
    kind: Literal["interception", "attack_no_outcome"]
    consensus: Consensus
    disagreements: list[Disagreement]
    source_count: int
    sources: list[SourceRef]
    claim_count: int
    created_at: datetime
    updated_at: datetime


class DeletedIncident(BaseModel):
    """A soft-deleted incident, as the change feed reports it."""

    id: int
    deleted: Literal[True]
    updated_at: datetime


class IncidentPage(BaseModel):
    items: list[IncidentSummary | DeletedIncident]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class RegionCount(BaseModel):
    iso: str
    destroyed: int | None


class MessageRef(BaseModel):
    id: int
    url: str | None
    published: datetime | None
    version: int = Field(description="the message version the claim was read from")
    current_version: int


class Claim(BaseModel):
    id: int
    source: SourceRef
    message: MessageRef
    superseded: bool
    lang: str | None
    kind: Literal["interception", "attack_no_outcome", "not_incident"]
    weapon: Literal["uav", "missile", "mixed"] | None
    total_destroyed: int | None
    launched: int | None
    per_region: list[RegionCount]
    killed: int | None
    injured: int | None
    infrastructure_damage: bool | None
    debris_fell: bool | None
    fire: bool | None
    emergency_response: bool | None
    interceptors: list[str]
    period: PeriodValue
    speaker: str | None
    evidence: dict[str, list[tuple[int, int]]] = Field(
        description="field → [start, end) spans, in Unicode code points, into the message version's text"
    )
    quotes: dict[str, list[str]] = Field(description="field → the quoted text of each evidence span")
    extractor_version: str


class ClaimDetail(Claim):
    text: str = Field(description="verbatim text of the message version the claim was read from")
    context: bool = Field(description="true: the claim is about a city inside the region (gives no value)")


class ClaimListItem(Claim):
    incident_ids: list[int]


class IncidentDetail(IncidentSummary):
    claims: list[ClaimDetail]


class ClaimPage(BaseModel):
    items: list[ClaimListItem]
    next_cursor: str | None


class Message(BaseModel):
    id: int
    source: SourceRef
    external_id: str
    url: str | None
    lang: str | None
    published: datetime | None
    first_seen: datetime
    current_version: int
    text: str | None


class MessageVersion(BaseModel):
    version: int
    text: str
    edited_at: datetime | None
    fetched_at: datetime


class MessageDetail(Message):
    versions: list[MessageVersion]


class MessagePage(BaseModel):
    items: list[Message]
    next_cursor: str | None


class Region(BaseModel):
    iso: str
    country: str
    names: RegionNames
    lat: float | None = Field(description="approximate administrative centre")
    lon: float | None
    incidents_24h: int = Field(
        description="live incidents whose window ended in the last 24 hours (from now)"
    )
    incidents_7d: int
    status: Literal["danger", "clear"] | None
    status_since: datetime | None


class RegionList(BaseModel):
    items: list[Region]


class StatsRange(BaseModel):
    start: date
    end: date
    timezone: str


class DayCount(BaseModel):
    date: date
    incidents: int
    destroyed: int | None = Field(description="sum of the disclosed figures; null when none is disclosed")
    destroyed_undisclosed: int = Field(
        description="incidents whose figure is not disclosed (not counted as 0)"
    )


class WeekCount(BaseModel):
    week: str = Field(description="ISO week, e.g. 2025-W36")
    incidents: int
    destroyed: int | None
    destroyed_undisclosed: int


class Status(BaseModel):
    id: int
    iso: str
    region: RegionNames
    status: Literal["danger", "clear"]
    weapon: Literal["uav", "missile", "mixed"] | None
    started_at: datetime
    ended_at: datetime | None = Field(description="null while the danger lasts")
    message_id: int | None


class StatusPage(BaseModel):
    items: list[Status]
    next_cursor: str | None


class RegionDetail(BaseModel):
    iso: str
    country: str
    names: RegionNames
    lat: float | None
    lon: float | None
    status: Literal["danger", "clear"] | None
    status_since: datetime | None
    range: StatsRange
    days: list[DayCount]
    weeks: list[WeekCount]
    statuses: list[Status]
    incidents: list[IncidentSummary]
    incidents_next_cursor: str | None


class SourceInfo(BaseModel):
    id: int
    name: str
    kind: str
    authority: Literal["regional", "federal", "media", "other"]
    url: str | None
    enabled: bool
    poll_interval_s: int | None
    last_fetched_at: datetime | None
    last_error: str | None
    message_count: int
    created_at: datetime


class SourceList(BaseModel):
    items: list[SourceInfo]


class ApiIndex(BaseModel):
    version: str
    endpoints: list[str]


# ------------------------------------------------------------------------------------------ plumbing


def get_session(request: Request) -> Iterator[Session]:
    """A read-only Session from ``request.app.state.sessionmaker``, closed after the request."""
    with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _no_nul(request: Request) -> None:
    """Refuse query values with a NUL character (no stored text has one; PostgreSQL cannot compare them)."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise ApiError(
                422,
                f"invalid parameter: {name[:40]}",
                details=[{"loc": ["query", name[:40]], "msg": "NUL character", "type": "value_error"}],
            )


router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS, dependencies=[Depends(_no_nul)])


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    want = etag.removeprefix("W/")
    for part in header.split(","):
        tag = part.strip()
        if tag == "*" or tag.removeprefix("W/") == want:
            return True
    return False


def _not_modified(request: Request, etag: str) -> Response | None:
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
    return None


def json_response(request: Request, data: Any) -> Response:
    """``data`` as JSON with a weak ETag (hash of the body) and public caching; 304 when it matches."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return _not_modified(request, etag) or Response(
        body, media_type="application/json", headers={"ETag": etag, "Cache-Control": CACHE_CONTROL}
    )


@contextlib.contextmanager
def _query_errors() -> Iterator[None]:
    """``queries`` errors → the API's: BadCursor → 400 bad_cursor, QueryError → 422 validation_error."""
    try:
        yield
    except queries.BadCursor as exc:
        raise ApiError(
            400,
            str(exc),
            code="bad_cursor",
            details=[{"loc": ["query", "cursor"], "msg": str(exc), "type": "cursor"}],
        ) from None
    except queries.QueryError as exc:
        raise ApiError(
            422, str(exc), details=[{"loc": ["query"], "msg": str(exc), "type": "value_error"}]
        ) from None


def _instant(value: datetime | None, name: str) -> datetime | None:
    """An aware UTC datetime (naive input is read as UTC); 422 when it cannot be one."""
    if value is None:
        return None
    try:
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ApiError(
            422,
            f"invalid parameter: {name}",
            details=[{"loc": ["query", name], "msg": "date out of range", "type": "value_error"}],
        ) from None


Region_ = Annotated[
    str | None,
    Query(
        max_length=16,
        description="ISO 3166-2 region code (RU-SMO, UA-63; RU / UA: national incidents), any case",
    ),
]
Start = Annotated[datetime | None, Query(description="ISO 8601 instant; no offset means UTC")]
End = Annotated[datetime | None, Query(description="ISO 8601 instant (exclusive); no offset means UTC")]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT, description="items per page (1 … 500)")]


# ------------------------------------------------------------------------------------------ endpoints


@router.get("/", response_model=ApiIndex, responses=NOT_MODIFIED, summary="What this API offers")
def index(request: Request) -> Response:
    paths = sorted({r.path for r in router.routes if hasattr(r, "path")})
    return json_response(request, {"version": "v1", "endpoints": paths})


@router.get(
    "/incidents", response_model=IncidentPage, responses=NOT_MODIFIED, summary="Incidents (or change feed)"
)
def incidents(
    request: Request,
    session: SessionDep,
    region: Region_ = None,
    kind: Annotated[Literal["interception", "attack_no_outcome"] | None, Query()] = None,
    start: Start = None,
    end: End = None,
    updated_since: Annotated[
        datetime | None,
        Query(description="change feed: every change at or after this instant, oldest first, deletions too"),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = queries.DEFAULT_LIMIT,
) -> Response:
    """Incidents newest first (window_start desc, id desc) whose window overlaps [start, end).

    With ``updated_since`` this is the change feed: incidents created, updated **or deleted** at or after
    that instant, ordered by (updated_at, id) ascending; deleted ones are ``{"id", "deleted": true,
    "updated_at"}``."""
    with _query_errors():
        page = queries.list_incidents(
            session,
            region=region,
            kind=kind,
            start=_instant(start, "start"),
            end=_instant(end, "end"),
            updated_since=_instant(updated_since, "updated_since"),
            cursor=cursor,
            limit=limit,
        )
    return json_response(request, page.as_dict())


@router.get(
    "/incidents/{incident_id}",
    response_model=IncidentDetail,
    responses={**NOT_MODIFIED, 410: {"model": ErrorResponse, "description": "The incident was deleted"}},
    summary="One incident with its claims and their quotes",
)
def incident(request: Request, session: SessionDep, incident_id: Annotated[int, Path()]) -> Response:
    detail = queries.get_incident(session, incident_id, include_deleted=True)
    if detail is None:
        raise ApiError(404, f"incident {incident_id} not found")
    if detail.get("deleted"):
        raise ApiError(410, f"incident {incident_id} was deleted (merged into another or withdrawn)")
    return json_response(request, detail)


@router.get(
    "/claims", response_model=ClaimPage, responses=NOT_MODIFIED, summary="Claims (what each message says)"
)
def claims(
    request: Request,
    session: SessionDep,
    region: Region_ = None,
    kind: Annotated[Literal["interception", "attack_no_outcome", "not_incident"] | None, Query()] = None,
    start: Start = None,
    end: End = None,
    include_superseded: Annotated[bool, Query(description="also claims of earlier message versions")] = False,
    cursor: Cursor = None,
    limit: Limit = queries.DEFAULT_LIMIT,
) -> Response:
    """Claims newest first (id desc); ``start``/``end`` filter on the message's publication time."""
    with _query_errors():
        page = queries.list_claims(
            session,
            region=region,
            kind=kind,
            start=_instant(start, "start"),
            end=_instant(end, "end"),
            include_superseded=include_superseded,
            cursor=cursor,
            limit=limit,
        )
    return json_response(request, page.as_dict())


@router.get("/messages", response_model=MessagePage, responses=NOT_MODIFIED, summary="Messages, verbatim")
def messages(
    request: Request,
    session: SessionDep,
    source: Annotated[str | None, Query(max_length=200, description="a source's name")] = None,
    start: Start = None,
    end: End = None,
    cursor: Cursor = None,
    limit: Limit = queries.DEFAULT_LIMIT,
) -> Response:
    """Messages newest stored first (id desc), each with its current version's text."""
    with _query_errors():
        page = queries.list_messages(
            session,
            source=source,
            start=_instant(start, "start"),
            end=_instant(end, "end"),
            cursor=cursor,
            limit=limit,
        )
    return json_response(request, page.as_dict())


@router.get(
    "/messages/{message_id}",
    response_model=MessageDetail,
    responses=NOT_MODIFIED,
    summary="One message, all versions",
)
def message(request: Request, session: SessionDep, message_id: Annotated[int, Path()]) -> Response:
    detail = queries.get_message(session, message_id)
    if detail is None:
        raise ApiError(404, f"message {message_id} not found")
    return json_response(request, detail)


@router.get(
    "/regions", response_model=RegionList, responses=NOT_MODIFIED, summary="Regions with counts and status"
)
def regions(request: Request, session: SessionDep) -> Response:
    return json_response(request, {"items": queries.list_regions(session)})


@router.get(
    "/regions/{iso}",
    response_model=RegionDetail,
    responses=NOT_MODIFIED,
    summary="One region: history and counts",
)
def region(
    request: Request,
    session: SessionDep,
    iso: Annotated[str, Path(max_length=16)],
    start: Annotated[
        date | None, Query(description="first local day of the counts (default: 89 days before end)")
    ] = None,
    end: Annotated[date | None, Query(description="last local day of the counts (default: today)")] = None,
) -> Response:
    """Counts per local day and per ISO week over [start, end] (at most 3660 days), status intervals in that
    range and the 20 newest incidents."""
    with _query_errors():
        try:
            detail = queries.region_detail(session, iso, start=start, end=end)
        except OverflowError:
            raise queries.QueryError("dates out of range") from None
    if detail is None:
        raise ApiError(404, f"unknown region {iso[:16]!r}")
    return json_response(request, detail)


@router.get(
    "/statuses", response_model=StatusPage, responses=NOT_MODIFIED, summary="Danger / all-clear intervals"
)
def statuses(
    request: Request,
    session: SessionDep,
    region: Region_ = None,
    active: Annotated[bool, Query(description="only dangers still in force")] = False,
    start: Start = None,
    end: End = None,
    cursor: Cursor = None,
    limit: Limit = queries.DEFAULT_LIMIT,
) -> Response:
    with _query_errors():
        page = queries.list_statuses(
            session,
            region=region,
            active_only=active,
            start=_instant(start, "start"),
            end=_instant(end, "end"),
            cursor=cursor,
            limit=limit,
        )
    return json_response(request, page.as_dict())


@router.get("/sources", response_model=SourceList, responses=NOT_MODIFIED, summary="What is followed")
def sources(request: Request, session: SessionDep) -> Response:
    return json_response(request, {"items": queries.list_sources(session)})


# --------------------------------------------------------------------------------------------- exports


class _QueueWriter(io.TextIOBase):
    """A text stream that hands UTF-8 chunks to a bounded queue; raises ``_Cancelled`` once the reader
    has gone away (client disconnected), which stops the export."""

    def __init__(self, q: queue.Queue[Any], cancelled: threading.Event) -> None:
        self.q, self.cancelled = q, cancelled
        self.buf: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.buf.append(s)
        self.size += len(s)
        if self.size >= STREAM_CHUNK:
            self.flush()
        return len(s)

    def flush(self) -> None:
        if not self.buf:
            return
        chunk = "".join(self.buf).encode("utf-8")
        self.buf, self.size = [], 0
        while True:
            if self.cancelled.is_set():
                raise _Cancelled
            try:
                self.q.put(chunk, timeout=0.5)
                return
            except queue.Full:
                continue


class _Cancelled(Exception):
    pass


_DONE = object()


def _stream(sessionmaker: Any, export: Callable[[Session, Any], Any]) -> Iterator[bytes]:
    """Run ``export(session, out)`` in a worker thread with its own session; yield what it writes."""
    q: queue.Queue[Any] = queue.Queue(maxsize=8)
    cancelled = threading.Event()

    def work() -> None:
        try:
            with sessionmaker() as session:
                out = _QueueWriter(q, cancelled)
                export(session, out)
                out.flush()
        except _Cancelled:
            pass
        except Exception as exc:  # reported to the reader, which ends the stream
            q.put(exc)
            return
        q.put(_DONE)

    thread = threading.Thread(target=work, name="tocsin-export", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = q.get(timeout=1.0)
            except queue.Empty:
                if not thread.is_alive() and q.empty():
                    return
                continue
            if item is _DONE:
                return
            if isinstance(item, Exception):
                import logging

                logging.getLogger("tocsin.web").error("export failed mid-stream", exc_info=item)
                return  # headers are sent: the truncated body (no closing newline/bracket) shows it
            yield item
    finally:
        cancelled.set()
        with contextlib.suppress(queue.Empty):
            while True:
                q.get_nowait()
        thread.join(timeout=5)


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "geojson": "application/geo+json",
}


def _export_response(
    request: Request,
    session: Session,
    name: str,
    fmt: str,
    tables: tuple[str, ...],
    params: dict[str, Any],
    export: Callable[[Session, Any], Any],
) -> Response:
    marks = [queries.fingerprint(session, t) for t in tables]
    raw = json.dumps([name, fmt, marks, {k: str(v) for k, v in params.items()}]).encode()
    etag = 'W/"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    hit = _not_modified(request, etag)
    if hit is not None:
        return hit
    filename = f"tocsin-{name}.{fmt}"
    return StreamingResponse(
        _stream(request.app.state.sessionmaker, export),
        media_type=MEDIA[fmt],
        headers={
            "ETag": etag,
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def _export_filters(region: str | None, since: datetime | None) -> tuple[str | None, datetime | None]:
    with _query_errors():
        code = None if region is None else queries.normalize_iso(region)
    return code, _instant(since, "since")


Since = Annotated[
    datetime | None,
    Query(description="only incidents whose window ends at or after this instant (no offset: UTC)"),
]


def _incident_export(fmt: str) -> Callable[..., Response]:
    def endpoint(
        request: Request, session: SessionDep, region: Region_ = None, since: Since = None
    ) -> Response:
        from tocsin.exports import export_incidents

        code, since_ = _export_filters(region, since)
        return _export_response(
            request,
            session,
            "incidents",
            fmt,
            ("incidents",),
            {"region": code, "since": since_},
            lambda s, out: export_incidents(s, fmt, out, since=since_, region=code),
        )

    endpoint.__name__ = f"export_incidents_{fmt}"
    endpoint.__doc__ = f"Every live incident as {fmt.upper()}, oldest window first (streamed)."
    return endpoint


def _claim_export(fmt: str) -> Callable[..., Response]:
    def endpoint(request: Request, session: SessionDep) -> Response:
        from tocsin.exports import export_claims

        return _export_response(
            request,
            session,
            "claims",
            fmt,
            ("claims", "incidents"),
            {},
            lambda s, out: export_claims(s, fmt, out),
        )

    endpoint.__name__ = f"export_claims_{fmt}"
    endpoint.__doc__ = f"Every current claim as {fmt.upper()}, by id (streamed)."
    return endpoint


def _content(media: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media.split(";")[0]: {}}, "description": "The export (streamed)"},
        **NOT_MODIFIED,
    }


for _fmt in ("csv", "jsonl", "geojson"):
    router.add_api_route(
        f"/export/incidents.{_fmt}",
        _incident_export(_fmt),
        methods=["GET"],
        response_class=StreamingResponse,
        responses=_content(MEDIA[_fmt]),
        summary=f"Incidents as {_fmt.upper()}",
    )
for _fmt in ("csv", "jsonl"):
    router.add_api_route(
        f"/export/claims.{_fmt}",
        _claim_export(_fmt),
        methods=["GET"],
        response_class=StreamingResponse,
        responses=_content(MEDIA[_fmt]),
        summary=f"Claims as {_fmt.upper()}",
    )


@router.get(
    "/export/acled.csv",
    response_class=StreamingResponse,
    responses=_content(MEDIA["csv"]),
    summary="ACLED-compatible CSV",
)
def export_acled(
    request: Request, session: SessionDep, region: Region_ = None, since: Since = None
) -> Response:
    """One row per strike-like incident in ACLED's columns (see docs/api.md for each mapping); a figure no
    source discloses is an empty cell, never 0."""
    from tocsin.acled import write_acled

    code, since_ = _export_filters(region, since)
    return _export_response(
        request,
        session,
        "acled",
        "csv",
        ("incidents",),
        {"region": code, "since": since_},
        lambda s, out: write_acled(s, out, since=since_, region=code),
    )
