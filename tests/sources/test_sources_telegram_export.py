"""Telegram Desktop export (result.json): fixtures are generated here, at run time."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime

import pytest

from tocsin.domain import Rejected, SourceItem
from tocsin.sources import telegram_export
from tocsin.sources.telegram_export import iter_items

T0 = 1_726_900_000  # 2024-09-21T06:26:40Z


def msg(mid: int, text, *, ts: int | None = T0, edited: int | None = None, **extra) -> dict:
    m = {"id": mid, "type": "message", "date": "2024-09-21T09:26:40", "from": "Governor", "text": text}
    if ts is not None:
        m["date_unixtime"] = str(ts)
    if edited is not None:
        m["edited"] = "2024-09-21T10:00:00"
        m["edited_unixtime"] = str(edited)
    m.update(extra)
    return m


def chat(chat_id: int, messages: list, name: str = "Governor channel") -> dict:
    return {"name": name, "type": "public_channel", "id": chat_id, "messages": messages}


def write(tmp_path, data, name="result.json") -> str:
    p = tmp_path / name
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(p)


def items(entries) -> list[SourceItem]:
    return [e for e in entries if isinstance(e, SourceItem)]


def rejected(entries) -> list[Rejected]:
    return [e for e in entries if isinstance(e, Rejected)]


def test_single_chat_plain_text(tmp_path):
    path = write(tmp_path, chat(1001, [msg(1, "Над областью сбиты 9 БПЛА.\nПострадавших нет.")]))
    [item] = list(iter_items(path))
    assert item.external_id == "1001/1"
    assert item.text == "Над областью сбиты 9 БПЛА.\nПострадавших нет."
    assert item.published == datetime.fromtimestamp(T0, tz=UTC)
    assert item.published.tzinfo is not None
    assert item.edited is None
    assert item.author == "Governor"


def test_date_unixtime_is_the_truth_not_date(tmp_path):
    # the local "date" says 09:26 with no offset; the unix time says 06:26 UTC
    path = write(tmp_path, chat(5, [msg(1, "x", ts=T0)]))
    [item] = list(iter_items(path))
    assert item.published.hour == 6 and item.published.utcoffset().total_seconds() == 0


def test_entity_list_joined_in_order_with_line_breaks(tmp_path):
    text = [
        "Внимание!\n",
        {"type": "bold", "text": "Угроза атаки БПЛА"},
        " в ",
        {"type": "hashtag", "text": "#Смоленск"},
        "\n\nПодробнее: ",
        {"type": "text_link", "text": "сайт", "href": "https://example.org"},
        {"type": "link", "text": "https://example.org/a"},
        "\r\nконец",
    ]
    path = write(tmp_path, chat(7, [msg(3, text)]))
    [item] = list(iter_items(path))
    assert item.text == (
        "Внимание!\nУгроза атаки БПЛА в #Смоленск\n\nПодробнее: сайтhttps://example.org/a\r\nконец"
    )


def test_text_entities_used_when_text_missing(tmp_path):
    m = msg(4, None)
    del m["text"]
    m["text_entities"] = [{"type": "plain", "text": "a "}, {"type": "bold", "text": "b"}]
    [item] = list(iter_items(write(tmp_path, chat(7, [m]))))
    assert item.text == "a b"


def test_edits(tmp_path):
    path = write(tmp_path, chat(9, [msg(1, "v2", edited=T0 + 600)]))
    [item] = list(iter_items(path))
    assert item.edited == datetime.fromtimestamp(T0 + 600, tz=UTC)


def test_service_and_photo_only_messages_skipped_silently(tmp_path):
    service = {"id": 2, "type": "service", "date_unixtime": str(T0), "action": "pin_message", "text": ""}
    photo = msg(3, "", photo="photos/photo_1.jpg")
    photo_entities = msg(4, [], photo="photos/photo_2.jpg")
    caption = msg(5, "Подпись к фото", photo="photos/photo_3.jpg")
    entries = list(
        iter_items(write(tmp_path, chat(9, [msg(1, "a"), service, photo, photo_entities, caption])))
    )
    assert [e.external_id for e in entries] == ["9/1", "9/5"]


def test_bad_or_missing_date_rejected_others_come(tmp_path):
    no_unix = msg(2, "no unix time", ts=None)
    bad = msg(3, "bad", ts=None, date_unixtime="yesterday")
    huge = msg(4, "huge", ts=None, date_unixtime="9" * 30)
    bad_edit = msg(5, "bad edit", edited=None, edited_unixtime="soon")
    entries = list(
        iter_items(write(tmp_path, chat(9, [msg(1, "ok"), no_unix, bad, huge, bad_edit, msg(6, "ok")])))
    )
    assert [i.external_id for i in items(entries)] == ["9/1", "9/6"]
    rej = rejected(entries)
    assert [r.where for r in rej] == [
        "chat 9 message 2",
        "chat 9 message 3",
        "chat 9 message 4",
        "chat 9 message 5",
    ]
    assert "no date_unixtime" in rej[0].reason
    assert "bad date_unixtime" in rej[1].reason
    assert "edited_unixtime" in rej[3].reason


def test_missing_fields_and_wrong_types(tmp_path):
    messages = [
        "not an object",
        {"type": "message", "date_unixtime": str(T0), "text": "no id"},
        msg(3, {"oops": 1}),
        msg(4, ["ok ", 42]),
        msg(5, "fine"),
    ]
    entries = list(iter_items(write(tmp_path, chat(9, messages))))
    assert [i.external_id for i in items(entries)] == ["9/5"]
    reasons = [r.reason for r in rejected(entries)]
    assert len(reasons) == 4
    assert "not an object" in reasons[0]
    assert "no id" in reasons[1]
    assert "neither a string nor a list" in reasons[2]
    assert "text part #1" in reasons[3]


def test_full_export_yields_every_chat(tmp_path):
    data = {
        "about": "Here is the data you requested.",
        "chats": {
            "about": "This page lists all chats from this export.",
            "list": [
                chat(11, [msg(1, "a"), msg(2, "b")], name="A"),
                chat(22, [msg(1, "c")], name="B"),
                {"name": "no messages", "type": "personal_chat", "id": 33},
                {"name": "no id", "messages": [msg(1, "lost")]},
            ],
        },
        "left_chats": {"list": [chat(44, [msg(7, "d")], name="Left")]},
    }
    entries = list(iter_items(write(tmp_path, data)))
    assert [i.external_id for i in items(entries)] == ["11/1", "11/2", "22/1", "44/7"]
    [rej] = rejected(entries)
    assert "no id" in rej.reason and "chats.list[3]" in rej.where


def test_bytes_and_file_object_input():
    raw = json.dumps(chat(1, [msg(1, "x")])).encode()
    assert items(iter_items(raw))[0].text == "x"
    assert items(iter_items(io.BytesIO(raw)))[0].text == "x"
    # a UTF-8 BOM is tolerated
    assert items(iter_items(b"\xef\xbb\xbf" + raw))[0].text == "x"


def test_html_and_script_kept_verbatim(tmp_path):
    hostile = '<script>alert("x")</script><b>bold</b> &amp; <img src=x onerror=alert(1)>'
    [item] = items(iter_items(write(tmp_path, chat(1, [msg(1, [hostile, {"type": "bold", "text": "<i>"}])]))))
    assert item.text == hostile + "<i>"


def test_huge_single_message(tmp_path):
    big = "Сбит БПЛА. " * (1024 * 1024 // 18)
    assert len(big.encode()) > 1024 * 1024
    [item] = items(iter_items(write(tmp_path, chat(1, [msg(1, big)]))))
    assert item.text == big


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b'{"name": "x", "id": 1, "messages": [{"id": 1, "text": "trunc', "invalid JSON at line 1"),
        ("Сбиты БПЛА".encode("utf-16"), "UTF-16"),
        (
            json.dumps({"id": 1, "messages": [msg(1, "Смоленск")]}, ensure_ascii=False)
            .encode("latin-1", "replace")
            .replace(b"?", b"\xe9"),
            "not UTF-8",
        ),
        (bytes(range(256)) * 16, "not UTF-8"),
        (b"\x00\x01\x02garbage", "JSON"),
        (b"", "invalid JSON"),
        (b"[1, 2, 3]", "top level is a JSON array"),
        (b'{"hello": "world"}', "not a Telegram export"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"chats": {"list": "nope"}}', "'chats.list' is missing"),
        (b'{"id": 1, "messages": {"a": 1}}', "'messages' is not a list"),
    ],
)
def test_hostile_files_give_one_rejected_no_items(tmp_path, payload, needle):
    p = tmp_path / "result.json"
    p.write_bytes(payload)
    entries = list(iter_items(p))
    assert len(entries) == 1, entries
    assert isinstance(entries[0], Rejected)
    assert needle in entries[0].reason


def test_latin1_bytes_rejected_with_offset(tmp_path):
    p = tmp_path / "result.json"
    p.write_bytes('{"id": 1, "messages": [{"id": 1, "text": "café"}]}'.encode("latin-1"))
    [r] = list(iter_items(p))
    assert "0xe9" in r.reason and "offset" in r.reason


def test_deeply_nested_text_value_rejected_not_crash(tmp_path):
    nested: object = "x"
    for _ in range(200):
        nested = [nested]
    entries = list(iter_items(write(tmp_path, chat(1, [msg(1, nested), msg(2, "ok")]))))
    assert [i.external_id for i in items(entries)] == ["1/2"]
    assert len(rejected(entries)) == 1


def test_missing_file():
    [r] = list(iter_items("/nonexistent/result.json"))
    assert "cannot read" in r.reason


def test_ten_thousand_messages_parse_fully(tmp_path):
    n = 10_000
    messages = []
    for i in range(1, n + 1):
        if i % 3 == 0:
            text = [f"Сообщение {i}: ", {"type": "bold", "text": "сбиты БПЛА"}, "\nвторая строка"]
        else:
            text = f"Сообщение {i}\nПострадавших нет."
        messages.append(msg(i, text, ts=T0 + i * 60, edited=(T0 + i * 60 + 5) if i % 10 == 0 else None))
    path = write(tmp_path, chat(1001, messages))
    started = time.perf_counter()
    entries = list(iter_items(path))
    elapsed = time.perf_counter() - started
    assert len(entries) == n
    assert all(isinstance(e, SourceItem) for e in entries)
    assert len({e.external_id for e in entries}) == n
    assert sum(1 for e in entries if e.edited is not None) == n // 10
    print(f"10,000-message export parsed in {elapsed * 1000:.0f} ms")  # figure only; no timed assert


def test_flatten_text_helper():
    assert telegram_export.flatten_text(None) == ""
    assert telegram_export.flatten_text(["a", {"type": "code", "text": "b"}]) == "ab"
    assert telegram_export.flatten_text(5) is None
