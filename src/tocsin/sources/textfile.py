"""Plain text files (one message each) and JSON Lines files (one message per line).

Plain text: the whole file (UTF-8) is one :class:`SourceItem` with
``external_id = "<file name>#sha256:<hex>"`` (so the same text imported twice is the same message and a
changed file is a new one) and ``published`` = the file's modification time (UTC) unless one is given.

JSON Lines: each line ``{"id", "text", "published"?, "lang"?, "url"?, "author"?, "edited"?}``. ``published``
is ISO 8601 with an offset (``Z`` allowed), a bare date (read as 00:00 UTC), or unix seconds; missing, it is
the file's modification time. A bad line (invalid UTF-8, not JSON, not an object, no id, no text, bad date)
is a :class:`Rejected` naming the line number; the other lines still come. The file is streamed line by line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tocsin.domain import Rejected, SourceItem

Entry = SourceItem | Rejected

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iter_items(path: str | os.PathLike[str], *, published: datetime | None = None) -> Iterator[Entry]:
    """A ``.jsonl``/``.ndjson`` file line by line, anything else as one plain-text message."""
    if Path(path).suffix.lower() in JSONL_SUFFIXES:
        return iter_jsonl(path, published=published)
    return iter_text(path, published=published)


def iter_text(path: str | os.PathLike[str], *, published: datetime | None = None) -> Iterator[Entry]:
    """One plain-text file → one SourceItem (or one Rejected)."""
    path = Path(path)
    _check_aware(published)
    try:
        raw = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError as exc:
        yield Rejected(str(path), f"cannot read file: {exc.strerror or exc}")
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Rejected(
            str(path), f"not UTF-8 text: undecodable byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        )
        return
    if "\x00" in text:
        yield Rejected(str(path), "not a text file: contains NUL bytes")
        return
    if not text.strip():
        yield Rejected(str(path), "empty file")
        return
    digest = hashlib.sha256(raw).hexdigest()
    yield SourceItem(
        external_id=f"{path.name}#sha256:{digest}",
        text=text,
        published=published or datetime.fromtimestamp(mtime, tz=UTC),
    )


def iter_jsonl(
    source: str | os.PathLike[str] | Iterable[bytes | str],
    *,
    published: datetime | None = None,
    where: str | None = None,
) -> Iterator[Entry]:
    """Yield one entry per non-blank line of a JSON Lines file (a path, or an iterable of lines).

    ``published`` is the default for lines without one (else the file's mtime, else a line without one is
    rejected).
    """
    _check_aware(published)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        label = where or str(path)
        try:
            fh = path.open("rb")
            default = published or datetime.fromtimestamp(os.fstat(fh.fileno()).st_mtime, tz=UTC)
        except OSError as exc:
            yield Rejected(label, f"cannot read file: {exc.strerror or exc}")
            return
        with fh:
            yield from _lines(fh, label, default)
    else:
        yield from _lines(source, where or "jsonl", published)


def _lines(lines: Iterable[bytes | str], label: str, default: datetime | None) -> Iterator[Entry]:
    for number, raw in enumerate(lines, start=1):
        where = f"{label} line {number}"
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Rejected(
                    where, f"invalid UTF-8: undecodable byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
                )
                continue
        else:
            line = raw
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        yield _line(line, where, default)


def _line(line: str, where: str, default: datetime | None) -> Entry:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return Rejected(where, f"not JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Rejected(where, "not JSON: nested too deeply")
    if not isinstance(obj, dict):
        return Rejected(where, f"not a JSON object ({type(obj).__name__})")
    ident = obj.get("id")
    if isinstance(ident, bool) or not isinstance(ident, str | int) or str(ident).strip() == "":
        return Rejected(where, "no 'id' (a non-empty string or integer)")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        return Rejected(where, "no 'text' (a non-empty string)")
    if obj.get("published") is None:
        if default is None:
            return Rejected(where, "no 'published' and no default time")
        when = default
    else:
        when = parse_time(obj["published"])
        if isinstance(when, str):
            return Rejected(where, f"bad 'published': {when}")
    edited = None
    if obj.get("edited") is not None:
        edited = parse_time(obj["edited"])
        if isinstance(edited, str):
            return Rejected(where, f"bad 'edited': {edited}")
    return SourceItem(
        external_id=str(ident),
        text=text,
        published=when,
        edited=edited,
        url=_opt_str(obj.get("url")),
        author=_opt_str(obj.get("author")),
        lang=_opt_str(obj.get("lang")),
    )


def parse_time(value: Any) -> datetime | str:
    """An aware datetime from ISO 8601 with offset, a bare date (00:00 UTC) or unix seconds; else a reason."""
    if isinstance(value, bool):
        return f"{value!r} is not a time"
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return f"{value!r} is out of range"
    if not isinstance(value, str):
        return f"{type(value).__name__} is not a time"
    text = value.strip()
    if _DATE_RE.match(text):
        try:
            d = date.fromisoformat(text)
        except ValueError:
            return f"{text[:40]!r} is not a valid date"
        return datetime(d.year, d.month, d.day, tzinfo=UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return f"{text[:40]!r} is not ISO 8601"
    if when.tzinfo is None:
        return f"{text[:40]!r} has a time but no UTC offset"
    return when


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _check_aware(when: datetime | None) -> None:
    if when is not None and (not isinstance(when, datetime) or when.tzinfo is None):
        raise ValueError("published must be a timezone-aware datetime")
