"""Residents' reports on the public side, as the publication policy (``tocsin.policy``) allows them.

- ``GET /api/v1/public-reports`` — a GeoJSON FeatureCollection of the reports public now (newest first,
  keyset-paginated: ``next_cursor``), filtered by ``region`` and ``since``; the policy in force is given as
  ``policy``. ETag and ``Cache-Control`` like the rest of the API (``routes.api.json_response``).
- ``GET /api/v1/public-reports/photos/{photo_id}`` — a photo's stored bytes (re-encoded, no metadata) only
  when the policy makes photos public and its report is public now; otherwise 404, the same answer as for
  a photo that does not exist (so nobody learns which photos exist).

The routes only call ``tocsin.policy`` (which decides) and ``tocsin.report_exports`` (which shapes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tocsin import queries
from tocsin.policy import PublicationPolicy, public_photo, public_reports
from tocsin.report_exports import report_feature
from tocsin.web.errors import ApiError
from tocsin.web.routes.api import (
    CACHE_CONTROL,
    ERRORS,
    NOT_MODIFIED,
    ErrorResponse,
    SessionDep,
    _instant,
    _no_nul,
    _not_modified,
    _query_errors,
    json_response,
)

router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS, dependencies=[Depends(_no_nul)])

GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    """Names the media type in the OpenAPI document (the body itself comes from ``json_response``)."""

    media_type = GEOJSON


# Errors stay application/json (FastAPI would list a model-based error under the route's GeoJSON type).
JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {
        "description": spec["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    for code, spec in ERRORS.items()
}


PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


# ------------------------------------------------------------------------------------------ models


class PointGeometry(BaseModel):
    type: Literal["Point"]
    coordinates: tuple[float, float] = Field(
        description="[lon, lat] of the public location, coarsened by the publication policy"
    )


class PublicReportProperties(BaseModel):
    """One resident's report as the publication policy shows it (never contact, description or exact
    location unless the policy is 'exact')."""

    id: int
    category: Literal["injured", "fire", "suspicious_object", "debris", "damage", "other"]
    status: Literal["checked", "crew_sent", "crew_on_scene", "resolved"] = Field(
        description="checked: an operator triaged it; crew_sent / crew_on_scene: emergency services; resolved"
    )
    observed: datetime | None = Field(
        description="when the resident saw it, rounded down to the hour (to the minute at 'exact' precision)"
    )
    region: str | None = Field(description="ISO 3166-2 region code, where known")
    place: str | None = Field(
        description="settlement name (GeoNames), only at 'settlement' or 'exact' precision"
    )
    lat: float | None
    lon: float | None
    precision: Literal["exact", "settlement", "district", "region"] | None = Field(
        description="how precise lat/lon are: exact (4 decimals), a settlement's centre, a 0.05° or 0.25° "
        "grid cell centre, or the region's centre"
    )
    photos: list[str] = Field(description="photo URLs; always empty unless the deployment publishes photos")
    incident_id: int | None = Field(description="the incident this report was linked to, if any")


class PublicReportFeature(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: PointGeometry | None
    properties: PublicReportProperties


class PublicationPolicyInfo(BaseModel):
    """The deployment's publication policy (docs/publication-policy.md)."""

    precision: Literal["exact", "settlement", "district", "region"]
    delay_minutes: int = Field(description="reports are public only this long after they were made")
    photos: bool


class PublicReportCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[PublicReportFeature]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")
    policy: PublicationPolicyInfo


# ------------------------------------------------------------------------------------------ plumbing


def publication_policy(request: Request) -> PublicationPolicy:
    """The app's policy: ``app.state.policy`` when the app set it at start, else built from its settings
    once (a ``PolicyError`` then surfaces here)."""
    policy = getattr(request.app.state, "policy", None)
    if not isinstance(policy, PublicationPolicy):
        policy = PublicationPolicy.from_settings(request.app.state.settings)
        request.app.state.policy = policy
    return policy


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock else datetime.now(UTC)


PolicyDep = Annotated[PublicationPolicy, Depends(publication_policy)]


# ------------------------------------------------------------------------------------------ endpoints


@router.get(
    "/public-reports",
    response_model=PublicReportCollection,
    response_class=GeoJSONResponse,
    responses={**JSON_ERRORS, **NOT_MODIFIED, 200: {"description": "A GeoJSON FeatureCollection"}},
    summary="Residents' reports, as the publication policy allows",
)
def list_public_reports(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    region: Annotated[
        str | None, Query(max_length=16, description="ISO 3166-2 region code (RU-SMO, UA-63), any case")
    ] = None,
    since: Annotated[
        datetime | None,
        Query(
            description="only reports whose public observation time (rounded, see 'observed') is at or "
            "after this instant; no offset means UTC"
        ),
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=queries.MAX_LIMIT, description="items per page (1 … 500)")
    ] = queries.DEFAULT_LIMIT,
) -> Response:
    """Reports operators have checked (triaged, crew sent, on scene, resolved), newest first, once the
    publication delay is over, with their location coarsened to the deployment's precision. Contact data,
    descriptions and the resident's own words are never included."""
    with _query_errors():
        page = public_reports(
            session,
            policy,
            now=_now(request),
            region=region,
            since=_instant(since, "since"),
            limit=limit,
            cursor=cursor,
        )
    data: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [report_feature(item) for item in page.items],
        "next_cursor": page.next_cursor,
        "policy": policy.describe(),
    }
    response = json_response(request, data)
    if response.status_code == 200:
        response.headers["content-type"] = GEOJSON
    return response


@router.get(
    "/public-reports/photos/{photo_id}",
    response_class=Response,
    responses={
        200: {
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in PHOTO_TYPES},
            "description": "The photo (re-encoded on upload, no metadata)",
        },
        **NOT_MODIFIED,
        404: {
            "model": ErrorResponse,
            "description": "No such photo, photos are not public here, or its report is not public",
        },
    },
    summary="A photo of a public report (only where photos are public)",
)
def public_report_photo(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    photo_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    """The stored bytes of one photo of a public report, when the deployment publishes photos."""
    photo = public_photo(session, policy, photo_id, now=_now(request))
    if photo is None:
        raise ApiError(404, f"photo {photo_id} not found")
    from tocsin.photos import PhotoStore

    try:
        data = PhotoStore(request.app.state.settings.photo_dir).read(photo.sha256, photo.media_type)
    except (OSError, ValueError):  # missing file or a row that names no valid file: nothing to show
        raise ApiError(404, f"photo {photo_id} not found") from None
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    hit = _not_modified(request, etag)
    if hit is not None:
        return hit
    return Response(
        data,
        media_type=photo.media_type if photo.media_type in PHOTO_TYPES else "application/octet-stream",
        headers={
            "ETag": etag,
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": f'inline; filename="report-photo-{photo.id}"',
            # the image is its own document: nothing in it may run or load anything
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
