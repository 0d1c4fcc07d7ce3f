"""Telegram Desktop "Export chat history" ``result.json`` (machine-readable JSON export).

Two shapes are read:

- a single chat: ``{"name", "type", "id", "messages": [...]}``;
- a full account export: ``{"chats": {"list": [chat, ...]}, "left_chats": {"list": [...]}}`` — every chat.

Each message becomes a :class:`SourceItem` with ``external_id = "<chat_id>/<message_id>"``. ``text`` is a
string or a list of strings and entity objects (``{"type": "bold", "text": "..."}``); the pieces are joined
in order with line breaks kept verbatim (nothing is interpreted: HTML in a message stays text).
``date_unixtime`` is the truth (``date`` carries no offset); ``edited_unixtime`` gives ``edited``.

Service messages and messages without text (a photo with no caption) are skipped silently; a message with a
bad or missing ``date_unixtime`` is a :class:`Rejected`. A file that is not UTF-8 JSON gives exactly one
Rejected and no items.

The file is read once and decoded once (``json.loads`` over the bytes); messages are then yielded one by
one. A 10,000-message export parses in a few hundredths of a second.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tocsin.domain import Rejected, SourceItem

Entry = SourceItem | Rejected


def iter_items(
    source: str | os.PathLike[str] | bytes | IO[bytes], *, where: str | None = None
) -> Iterator[Entry]:
    """Yield every message of a Telegram Desktop export (a path, the raw bytes, or a binary file object)."""
    if isinstance(source, bytes | bytearray):
        raw, label = bytes(source), where or "result.json"
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        label = where or str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            yield Rejected(label, f"cannot read file: {exc.strerror or exc}")
            return
    else:
        raw, label = source.read(), where or getattr(source, "name", "result.json")
    data = _load(raw, label)
    if isinstance(data, Rejected):
        yield data
        return
    yield from iter_export(data, where=label)


def _load(raw: bytes, label: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = " (it looks like UTF-16)"
        return Rejected(
            label,
            f"not UTF-8 text{hint}: undecodable byte 0x{raw[exc.start]:02x} at offset {exc.start}; "
            "Telegram Desktop exports are UTF-8 JSON",
        )
    if "\x00" in text[:4096] and not text.lstrip().startswith(("{", "[")):
        return Rejected(label, "not a JSON file: binary content")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejected(label, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    except RecursionError:
        return Rejected(label, "invalid JSON: nested too deeply")


def iter_export(data: Any, *, where: str = "result.json") -> Iterator[Entry]:
    """Yield the messages of an already decoded export (single chat or full export)."""
    if not isinstance(data, dict):
        yield Rejected(
            where, f"not a Telegram export: the top level is a JSON {_json_type(data)}, not an object"
        )
        return
    is_full = "chats" in data or "left_chats" in data
    if is_full:
        for section in ("chats", "left_chats"):
            if section not in data:
                continue
            block = data[section]
            chats = block.get("list") if isinstance(block, dict) else None
            if not isinstance(chats, list):
                yield Rejected(f"{where}: {section}", f"'{section}.list' is missing or not a list")
                continue
            for index, chat in enumerate(chats):
                yield from iter_chat(chat, where=f"{where}: {section}.list[{index}]")
    if "messages" in data:
        yield from iter_chat(data, where=where)
    elif not is_full:
        yield Rejected(
            where, "not a Telegram export: no 'messages' (single chat) or 'chats.list' (full export)"
        )


def iter_chat(chat: Any, *, where: str = "chat") -> Iterator[Entry]:
    """Yield the messages of one chat object."""
    if not isinstance(chat, dict):
        yield Rejected(where, f"chat is a JSON {_json_type(chat)}, not an object")
        return
    chat_id = chat.get("id")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int | str) or str(chat_id).strip() == "":
        yield Rejected(where, "chat has no id; its messages cannot be identified")
        return
    messages = chat.get("messages")
    if messages is None:
        return  # a chat exported without messages
    if not isinstance(messages, list):
        yield Rejected(f"chat {chat_id}", "'messages' is not a list")
        return
    author_default = chat.get("name") if isinstance(chat.get("name"), str) else None
    for index, msg in enumerate(messages):
        entry = _message(msg, chat_id, index, author_default)
        if entry is not None:
            yield entry


def _message(msg: Any, chat_id: Any, index: int, author_default: str | None) -> Entry | None:
    if not isinstance(msg, dict):
        return Rejected(
            f"chat {chat_id} message #{index}", f"message is a JSON {_json_type(msg)}, not an object"
        )
    if msg.get("type") == "service":
        return None
    mid = msg.get("id")
    if isinstance(mid, bool) or not isinstance(mid, int | str) or str(mid).strip() == "":
        return Rejected(f"chat {chat_id} message #{index}", "message has no id")
    where = f"chat {chat_id} message {mid}"
    raw_text = msg.get("text")
    if raw_text is None and "text_entities" in msg:
        raw_text = msg.get("text_entities")
    text = flatten_text(raw_text)
    if text is None:
        return Rejected(where, f"'text' is neither a string nor a list of entities ({_json_type(raw_text)})")
    if isinstance(text, Rejected):
        return Rejected(where, text.reason)
    if not text.strip():
        return None  # media without a caption
    published = _unixtime(msg.get("date_unixtime"))
    if published is None:
        if "date_unixtime" not in msg:
            reason = "no date_unixtime (the 'date' field has no UTC offset, so it is not used)"
        else:
            reason = f"bad date_unixtime {_short(msg.get('date_unixtime'))}"
        return Rejected(where, reason)
    edited = None
    if msg.get("edited_unixtime") is not None:
        edited = _unixtime(msg.get("edited_unixtime"))
        if edited is None:
            return Rejected(where, f"bad edited_unixtime {_short(msg.get('edited_unixtime'))}")
    author = msg.get("from") if isinstance(msg.get("from"), str) else author_default
    return SourceItem(
        external_id=f"{chat_id}/{mid}",
        text=text,
        published=published,
        edited=edited,
        author=author,
    )


def flatten_text(value: Any) -> str | Rejected | None:
    """Join a Telegram ``text`` (a string, or a list of strings and ``{"text": ...}`` entities) verbatim.

    Returns None when ``value`` is of the wrong type and a :class:`Rejected` (``where`` empty) when a list
    element cannot be read.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return None
    parts: list[str] = []
    for k, piece in enumerate(value):
        if isinstance(piece, str):
            parts.append(piece)
        elif isinstance(piece, dict) and isinstance(piece.get("text"), str):
            parts.append(piece["text"])
        else:
            return Rejected("", f"text part #{k} is a JSON {_json_type(piece)} without a string 'text'")
    return "".join(parts)


def _unixtime(value: Any) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            return None
        value = int(value)
    if not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _json_type(value: Any) -> str:
    return {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
