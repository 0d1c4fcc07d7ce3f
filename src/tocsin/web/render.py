"""Rendering for pages that must never be cached or shared: the residents' report form and receipt, and
every operator page. Same templates, languages and formatting as the public pages
(``tocsin.web.routes.public``), but ``Cache-Control: no-store`` and no ETag, since these pages carry
personal data, CSRF tokens or a receipt token.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from tocsin.web.i18n import COOKIE
from tocsin.web.routes.public import COOKIE_MAX_AGE, PageContext, _context

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Vary": "Cookie"}


def page_context(request: Request) -> PageContext:
    """Language, translation and formatting for one request (``?lang=``, cookie, Accept-Language)."""
    return _context(request)


def render_private(
    request: Request, template: str, data: dict[str, Any], *, status: int = 200, pc: PageContext | None = None
) -> HTMLResponse:
    """Render ``template`` (under ``tocsin/web/templates``) with the page context and ``data``; not cached."""
    pc = pc or page_context(request)
    body = request.app.state.pages.render(pc.lang, template, {**pc.as_dict(), **data})
    response = HTMLResponse(body, status_code=status, headers={**NO_STORE, "Content-Language": pc.lang})
    if pc.set_cookie:
        response.set_cookie(COOKIE, pc.lang, max_age=COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True)
    return response
