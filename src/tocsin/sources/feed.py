"""RSS / Atom feeds, parsed with feedparser.

Each entry becomes a :class:`SourceItem`: ``external_id`` from ``guid``/``id``, else ``link``, else a hash
of title + date; ``text`` is the title, a blank line, then the content (or summary) with HTML reduced to
text by lxml; ``published`` from ``published``/``updated`` (UTC); ``edited`` = ``updated`` when it is later
than ``published``.

Fetching is a conditional GET: pass the ``etag`` / ``last_modified`` stored from the previous poll; the
returned :class:`FeedItems` iterator carries ``status``, ``etag``, ``last_modified`` (the validators to store
for next time) and ``not_modified``. A 304 yields nothing. A malformed feed (feedparser's ``bozo`` with no
entries) is one :class:`Rejected`.

feedparser is only ever handed bytes we fetched ourselves (:mod:`tocsin.sources.http`), never a URL, so
the size cap, timeout and scheme rules hold.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import lxml.html
from lxml import etree

from tocsin.domain import Rejected, SourceItem
from tocsin.sources import http
from tocsin.sources.telegram_web import element_text

Entry = SourceItem | Rejected


class FeedItems(Iterator[Entry]):
    """The entries of one fetched feed, plus what the caller should store for the next conditional GET."""

    def __init__(
        self,
        entries: list[Entry],
        *,
        url: str,
        status: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        title: str | None = None,
    ) -> None:
        self._it = iter(entries)
        self.url = url
        self.status = status
        self.etag = etag
        self.last_modified = last_modified
        self.title = title

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def __iter__(self) -> FeedItems:
        return self

    def __next__(self) -> Entry:
        return next(self._it)


def iter_items(
    url: str,
    client: httpx.Client | None = None,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = http.DEFAULT_TIMEOUT,
    max_bytes: int = http.DEFAULT_MAX_BYTES,
    retries: int = http.DEFAULT_RETRIES,
    backoff: float = http.DEFAULT_BACKOFF,
    sleep: http.Sleep = time.sleep,
) -> FeedItems:
    """Fetch ``url`` (conditionally) and return its entries with the new validators.

    Raises :class:`~tocsin.sources.http.UnsafeURL` (a ValueError) at once for a refused URL; a fetch
    failure (network, HTTP error, size cap) is one :class:`Rejected` entry. When the server sends no new
    validators the ones given are kept, so the caller can always store ``result.etag`` / ``.last_modified``.
    """
    http.check_url(url)
    headers: dict[str, str] = {
        "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5"
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        resp = http.fetch(
            url,
            client=client,
            headers=headers,
            timeout=timeout,
            max_bytes=max_bytes,
            retries=retries,
            backoff=backoff,
            sleep=sleep,
        )
    except http.UnsafeURL:
        raise
    except http.FetchError as exc:
        status = getattr(exc, "status", None)
        return FeedItems(
            [Rejected(url, str(exc))], url=url, status=status, etag=etag, last_modified=last_modified
        )
    new_etag = resp.headers.get("etag") or etag
    new_lm = resp.headers.get("last-modified") or last_modified
    if resp.status == 304:
        return FeedItems([], url=resp.url, status=304, etag=new_etag, last_modified=new_lm)
    parsed = _parse(resp.content, where=url, content_type=resp.headers.get("content-type"), base=resp.url)
    entries, title = parsed
    return FeedItems(
        entries, url=resp.url, status=resp.status, etag=new_etag, last_modified=new_lm, title=title
    )


def iter_file(path: str | Path) -> Iterator[Entry]:
    """Entries of a feed saved as a local file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Rejected(str(path), f"cannot read file: {exc.strerror or exc}")
        return
    yield from parse_feed(data, where=str(path))


def parse_feed(data: bytes | str, *, where: str = "feed", base_url: str | None = None) -> Iterator[Entry]:
    """Entries of a feed document already in hand (pure; no network)."""
    entries, _ = _parse(data, where=where, base=base_url)
    yield from entries


def _parse(
    data: bytes | str, *, where: str, content_type: str | None = None, base: str | None = None
) -> tuple[list[Entry], str | None]:
    if isinstance(data, str):
        data = data.encode("utf-8")
    headers = {"content-location": base} if base else {}
    if content_type:
        headers["content-type"] = content_type
    try:
        # always a stream: feedparser would fetch a str URL, or open bytes/str that name an existing file
        d = feedparser.parse(
            io.BytesIO(data), response_headers=headers, sanitize_html=True, resolve_relative_uris=False
        )
    except Exception as exc:  # feedparser is lenient; anything escaping it is a malformed document
        return [Rejected(where, f"malformed feed: {type(exc).__name__}: {exc}")], None
    raw_entries = d.get("entries") or []
    if not raw_entries:
        if d.get("bozo"):
            exc = d.get("bozo_exception")
            return [Rejected(where, f"malformed feed: {_reason(exc)}")], None
        if not d.get("version") and not d.get("feed"):
            return [Rejected(where, "not an RSS or Atom feed")], None
        return [], d.get("feed", {}).get("title")
    feed_title = d.get("feed", {}).get("title")
    out: list[Entry] = []
    for index, e in enumerate(raw_entries):
        out.append(_entry(e, index, where, feed_title))
    return out, feed_title


def _reason(exc: Any) -> str:
    if exc is None:
        return "unreadable document"
    text = str(exc).strip() or type(exc).__name__
    return text[:300]


def _entry(e: Any, index: int, where: str, feed_title: str | None) -> Entry:
    label = f"{where}: entry #{index}"
    title = _value_text(_raw(e, "title") or "", (_raw(e, "title_detail") or {}).get("type"))
    body = ""
    contents = _raw(e, "content") or []
    for c in contents:
        if c.get("value"):
            body = _value_text(c.get("value"), c.get("type"))
            break
    if not body and _raw(e, "summary"):
        detail = _raw(e, "summary_detail") or {}
        body = _value_text(_raw(e, "summary"), detail.get("type"))
    text = "\n\n".join(part for part in (title, body) if part)
    if not text.strip():
        return Rejected(label, "entry has neither title nor content")
    published = _when(_raw(e, "published_parsed"))
    updated = _when(_raw(e, "updated_parsed"))
    if published is None:
        published = updated
    if published is None:
        return Rejected(label, "entry has no readable published/updated date")
    edited = updated if updated is not None and updated > published else None
    link = _raw(e, "link") or None
    ext = _raw(e, "id") or link
    if not ext:
        ext = "sha256:" + hashlib.sha256(f"{title}\n{published.isoformat()}".encode()).hexdigest()
    author = _raw(e, "author") or feed_title
    lang = None
    detail = _raw(e, "title_detail") or {}
    if detail.get("language"):
        lang = str(detail["language"]).split("-")[0].lower() or None
    return SourceItem(
        external_id=str(ext),
        text=text,
        published=published,
        edited=edited,
        url=link if isinstance(link, str) and link.startswith(("http://", "https://")) else None,
        author=author,
        lang=lang,
    )


def _raw(e: Any, key: str) -> Any:
    """``e[key]`` without feedparser's deprecated published/updated fallback mapping (no warnings)."""
    return dict.get(e, key)


def _value_text(value: str, mime: str | None) -> str:
    if mime and "html" not in mime:
        return value.strip()
    return html_to_text(value)


def _when(struct: Any) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, OSError, ValueError, TypeError):
        return None


def html_to_text(fragment: str) -> str:
    """Reduce an HTML fragment to its text (``<br>`` and blocks → newlines); plain text passes unchanged."""
    if not fragment or ("<" not in fragment and "&" not in fragment):
        return (fragment or "").strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return fragment.strip()
    return element_text(root)
