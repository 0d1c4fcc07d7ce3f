"""Inbound sources: one pure, DB-free module per channel, all behind one small interface.

Every source module exposes ``iter_items(target, ...) -> Iterator[SourceItem | Rejected]``:

- ``telegram_export.iter_items(path_or_bytes)`` — Telegram Desktop ``result.json`` (one chat or all);
- ``telegram_web.iter_items(channel, client=None, *, pages=1, since_id=None, ...)`` — ``https://t.me/s/<channel>``;
- ``feed.iter_items(url, client=None, *, etag=None, last_modified=None, ...)`` — RSS/Atom, conditional GET;
  the returned iterator also carries ``status``, ``etag``, ``last_modified``, ``not_modified``;
- ``textfile.iter_items(path, *, published=None)`` — a plain text file, or JSON Lines for ``.jsonl``.

A broken entry is a :class:`~tocsin.domain.Rejected` (where, why) and the rest still come; a whole file that
cannot be read is one Rejected. Times are timezone-aware. Only refused inputs that are the caller's mistake
(a non-http(s) URL, an invalid channel name) raise ``ValueError``.

:func:`detect_kind` / :func:`read_path` pick the reader for a local file; :func:`detect_url_kind` /
:func:`read_url` for a URL. Modules are imported lazily so that reading a file needs no HTTP stack.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from tocsin.domain import Rejected, SourceItem, SourceKind

Entry = SourceItem | Rejected

__all__ = [
    "Entry",
    "SourceReader",
    "detect_kind",
    "detect_url_kind",
    "read_path",
    "read_url",
    "reader_for",
]


class SourceReader(Protocol):
    """What every source module's ``iter_items`` is."""

    def __call__(self, target: Any, /, **options: Any) -> Iterator[Entry]: ...


_FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf"})
_TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
_TME_RE = re.compile(r"^https?://(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?[A-Za-z][A-Za-z0-9_]{3,63}/?$", re.I)


def detect_kind(path: str | os.PathLike[str]) -> SourceKind:
    """The kind of a local file, from its suffix, else from its first bytes."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return SourceKind.JSONL
    if suffix == ".json":
        return SourceKind.TELEGRAM_EXPORT
    if suffix in _FEED_SUFFIXES:
        return SourceKind.FEED
    if suffix in _TEXT_SUFFIXES:
        return SourceKind.TEXT
    try:
        with p.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return SourceKind.TEXT
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        try:
            first = json.loads(stripped.split(b"\n", 1)[0])
        except (ValueError, RecursionError):
            first = None
        if isinstance(first, dict) and "text" in first and "messages" not in first and "chats" not in first:
            return SourceKind.JSONL
        return SourceKind.TELEGRAM_EXPORT
    if stripped.startswith(b"<") and (b"<rss" in head or b"<feed" in head or b"<rdf:RDF" in head):
        return SourceKind.FEED
    return SourceKind.TEXT


def detect_url_kind(url: str) -> SourceKind:
    """``https://t.me/s/<channel>`` (or ``t.me/<channel>``) is the Telegram web preview; else a feed."""
    return SourceKind.TELEGRAM_WEB if _TME_RE.match(url.strip()) else SourceKind.FEED


def reader_for(kind: SourceKind) -> Callable[..., Iterator[Entry]]:
    """The ``iter_items`` of the module that reads ``kind``."""
    if kind is SourceKind.TELEGRAM_EXPORT:
        from tocsin.sources import telegram_export

        return telegram_export.iter_items
    if kind is SourceKind.TELEGRAM_WEB:
        from tocsin.sources import telegram_web

        return telegram_web.iter_items
    if kind is SourceKind.FEED:
        from tocsin.sources import feed

        return feed.iter_items
    if kind is SourceKind.TEXT:
        from tocsin.sources import textfile

        return textfile.iter_text
    if kind is SourceKind.JSONL:
        from tocsin.sources import textfile

        return textfile.iter_jsonl
    raise ValueError(f"no reader for source kind {kind!r}")


def read_path(
    path: str | os.PathLike[str], kind: SourceKind | None = None, **options: Any
) -> Iterator[Entry]:
    """Entries of a local file of ``kind`` (detected when not given)."""
    kind = kind or detect_kind(path)
    if kind is SourceKind.FEED:
        from tocsin.sources import feed

        return feed.iter_file(path)
    if kind is SourceKind.TELEGRAM_WEB:
        raise ValueError("a Telegram web preview is read from a URL, not a file")
    return reader_for(kind)(path, **options)


def read_url(url: str, kind: SourceKind | None = None, **options: Any) -> Iterator[Entry]:
    """Entries behind an http(s) URL: a t.me channel preview or a feed (``options`` go to the reader)."""
    from tocsin.sources import http

    http.check_url(url)
    kind = kind or detect_url_kind(url)
    if kind is SourceKind.TELEGRAM_WEB:
        from tocsin.sources import telegram_web

        return telegram_web.iter_items(url, **options)
    if kind is SourceKind.FEED:
        from tocsin.sources import feed

        return feed.iter_items(url, **options)
    raise ValueError(f"{kind} is not read from a URL")
