"""Statements in bulk: the JSON Lines side of ``contract/extraction.md``.

``extract_jsonl`` reads ``{"id", "text", "published"?, "lang"?}`` lines and yields, in input order, one
``{"id", "extraction": {...}}`` or ``{"id", "error": "..."}`` dict per non-blank line. A bad line never
stops the others: it becomes an error dict with the reason. The CLI and the web app both call this.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from tocsin.domain import Claim
from tocsin.extract.core import MAX_CHARS, ExtractionError, extract

LANGS = ("ru", "uk", "en")
_BOM = "\ufeff"


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def check_published(value: Any) -> str | None:
    """Return ``value`` if it is null or an ISO 8601 date/datetime string; else raise ExtractionError."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExtractionError(f'"published" must be an ISO date or datetime string, not {_type_name(value)}')
    text = value.strip()
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(text)
        except ValueError:
            continue
        return text
    raise ExtractionError(f'"published" is not an ISO date or datetime: {value[:60]!r}')


def check_lang(value: Any) -> str | None:
    """Return ``value`` if it is null or one of :data:`LANGS`; else raise ExtractionError."""
    if value is None or value in LANGS:
        return value
    shown = repr(value[:20]) if isinstance(value, str) else _type_name(value)
    raise ExtractionError(f'"lang" must be one of {", ".join(LANGS)} or null, not {shown}')


def checked_extract(text: Any, *, lang: Any = None, published: Any = None) -> Claim:
    """``extract`` with the input checks every caller needs: a non-empty string no longer than MAX_CHARS,
    a known ``lang`` and an ISO ``published``. Raises ExtractionError with a readable reason."""
    if not isinstance(text, str):
        raise ExtractionError(f'"text" must be a string, not {_type_name(text)}')
    if not text.strip():
        raise ExtractionError('"text" is empty')
    if len(text) > MAX_CHARS:
        raise ExtractionError(f"text too long ({len(text)} chars, max {MAX_CHARS})")
    return extract(text, lang=check_lang(lang), published=check_published(published))


def extract_record(record: Any, *, lang: str | None = None, published: str | None = None) -> dict[str, Any]:
    """One parsed JSONL record → ``{"id", "extraction"}``; raises ExtractionError for a bad record.

    ``lang`` / ``published`` are defaults for records that don't give their own.
    """
    if not isinstance(record, dict):
        raise ExtractionError(f"expected a JSON object, got {_type_name(record)}")
    if "text" not in record:
        raise ExtractionError('missing "text"')
    claim = checked_extract(
        record["text"],
        lang=record.get("lang") if record.get("lang") is not None else lang,
        published=record.get("published") if record.get("published") is not None else published,
    )
    return {"id": record.get("id"), "extraction": claim.to_contract()}


def _decode(raw: bytes | str, line_no: int) -> str:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExtractionError(f"invalid UTF-8 at byte {exc.start + 1} of the line") from None
    if line_no == 1 and raw.startswith(_BOM):
        raw = raw[1:]
    return raw


def extract_jsonl(
    lines: Iterable[bytes | str], *, lang: str | None = None, published: str | None = None
) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """Yield ``(line_no, out, error)`` for every non-blank line, in order (line numbers count from 1
    and include blank lines, so they match an editor's).

    ``out`` is ``{"id", "extraction"}`` or, for a bad line, ``{"id": <id or None>, "error": reason}``
    with ``error`` the same reason (``None`` for a good line). Lines may be bytes (decoded as UTF-8 per
    line, so one badly encoded line spoils only itself) or str; a leading BOM and CR/LF endings are
    accepted. A bug in the extractor on one statement is reported on that line, not raised.
    """
    for line_no, raw in enumerate(lines, start=1):
        record_id = None
        try:
            line = _decode(raw, line_no).rstrip("\r\n")
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ExtractionError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
            if isinstance(record, dict):
                record_id = record.get("id")
            out = extract_record(record, lang=lang, published=published)
        except ExtractionError as exc:
            reason = str(exc)
        except RecursionError:
            reason = "not valid JSON: nested too deeply"
        except Exception as exc:  # one statement must not sink a whole import
            reason = f"extractor failed: {type(exc).__name__}: {exc}"
        else:
            yield line_no, out, None
            continue
        yield line_no, {"id": record_id, "error": reason}, reason
