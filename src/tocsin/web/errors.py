"""One JSON error shape for every error the web app returns.

::

    {"error": {"status": 404, "code": "not_found", "message": "incident 7 not found", "details": []}}

- ``status``: the HTTP status code, repeated in the body;
- ``code``: a stable machine-readable word (``CODES``): ``bad_request``, ``bad_cursor``, ``not_found``,
  ``gone``, ``method_not_allowed``, ``not_acceptable``, ``payload_too_large``, ``validation_error``,
  ``too_many_requests``, ``internal_error`` … (``http_<status>`` for any other status);
- ``message``: one human sentence;
- ``details``: a list of ``{"loc": [...], "msg": "...", "type": "..."}`` for validation errors (which
  parameter, what is wrong), else empty.

``install_error_handlers(app)`` registers the handlers: Starlette/FastAPI ``HTTPException`` (404 for an
unknown path, 405, and every ``raise HTTPException`` / :class:`ApiError` in the routes),
``RequestValidationError`` (422, with the offending parameters — never echoing more than a short prefix of
the input), and any other exception (500 ``internal_error``; logged with its traceback, never shown).
HTML pages may still render their own error pages: these handlers answer JSON for every path — the page
engineer can wrap them to serve HTML where a browser asked for it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("tocsin.web")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}
MAX_ECHO = 80  # characters of a bad input value a message may repeat


class ApiError(StarletteHTTPException):
    """An HTTP error with an explicit ``code`` (e.g. ``bad_cursor``) and optional ``details``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code or CODES.get(status, f"http_{status}")
        self.details = details or []


def error_body(status: int, message: str, code: str | None = None, details: list[Any] | None = None) -> dict:
    """The one error shape."""
    return {
        "error": {
            "status": status,
            "code": code or CODES.get(status, f"http_{status}"),
            "message": message,
            "details": details or [],
        }
    }


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(status, message, code, details), status_code=status, headers=headers)


_DEFAULT_MESSAGES = {
    404: "no such resource",
    405: "method not allowed on this resource",
    413: "request too large",
    500: "internal server error",
}


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else None
    if message is None or (status in _DEFAULT_MESSAGES and message in ("Not Found", "Method Not Allowed")):
        message = _DEFAULT_MESSAGES.get(status, "request failed")
    if status == 404 and message == "no such resource":
        message = f"no such resource: {request.url.path[:MAX_ECHO]}"
    code = getattr(exc, "code", None)
    details = getattr(exc, "details", None)
    return error_response(status, message, code, details, headers=getattr(exc, "headers", None))


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_ECHO:
        return value[:MAX_ECHO] + "…"
    return value


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = []
    for err in exc.errors():
        details.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": _short(str(err.get("msg", ""))),
                "type": str(err.get("type", "")),
            }
        )
    names = ", ".join(d["loc"][-1] for d in details if d["loc"]) or "request"
    return error_response(422, f"invalid parameter: {_short(names)}", "validation_error", details)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal server error", "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` answer in the one JSON shape."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _unhandled)
