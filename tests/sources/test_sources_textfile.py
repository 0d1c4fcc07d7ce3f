"""Plain text and JSON Lines files, written by the tests themselves."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tocsin.domain import Rejected, SourceItem
from tocsin.sources import textfile


def test_text_file_one_item_with_hash_id_and_mtime(tmp_path):
    p = tmp_path / "statement.txt"
    body = "Над областью сбиты 9 БПЛА.\r\nПострадавших нет.\n"
    p.write_bytes(body.encode())
    os.utime(p, (1_726_900_000, 1_726_900_000))
    [item] = list(textfile.iter_items(p))
    assert item.external_id == "statement.txt#sha256:" + hashlib.sha256(body.encode()).hexdigest()
    assert item.text == body
    assert item.published == datetime.fromtimestamp(1_726_900_000, tz=UTC)


def test_text_file_published_given_and_naive_refused(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text("x", encoding="utf-8")
    when = datetime(2024, 9, 21, 9, 0, tzinfo=timezone(timedelta(hours=3)))
    assert next(textfile.iter_text(p, published=when)).published == when
    with pytest.raises(ValueError):
        next(textfile.iter_text(p, published=datetime(2024, 9, 21)))


def test_text_file_html_kept_verbatim(tmp_path):
    p = tmp_path / "s.txt"
    hostile = "<script>alert(1)</script> <b>x</b> &amp;"
    p.write_text(hostile, encoding="utf-8")
    assert next(textfile.iter_text(p)).text == hostile


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ("Сбиты БПЛА".encode("utf-16"), "not UTF-8"),
        ("café".encode("latin-1"), "0xe9"),
        (bytes(range(256)), "not UTF-8"),
        (b"abc\x00def", "NUL"),
        (b"  \n\t ", "empty"),
    ],
)
def test_text_file_hostile(tmp_path, payload, needle):
    p = tmp_path / "bad.txt"
    p.write_bytes(payload)
    [r] = list(textfile.iter_text(p))
    assert isinstance(r, Rejected) and needle in r.reason


def test_huge_text_file(tmp_path):
    p = tmp_path / "big.txt"
    big = "Сбит БПЛА. " * 100_000
    p.write_text(big, encoding="utf-8")
    assert next(textfile.iter_text(p)).text == big


def jsonl(tmp_path, lines: list[bytes | str | dict], name="in.jsonl"):
    p = tmp_path / name
    out = b""
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line, ensure_ascii=False)
        if isinstance(line, str):
            line = line.encode()
        out += line + b"\n"
    p.write_bytes(out)
    return p


def test_jsonl_good_lines_and_fields(tmp_path):
    p = jsonl(
        tmp_path,
        [
            {"id": "d001", "text": "a", "published": "2024-09-21", "lang": "en", "url": "https://x.org/1"},
            {"id": 2, "text": "b\nc", "published": "2025-05-12T14:00:00+03:00"},
            {"id": "z", "text": "zulu", "published": "2024-09-21T06:00:00Z", "edited": 1_726_901_000},
            "",
            {"id": "e", "text": "epoch", "published": 1_726_900_000},
        ],
    )
    os.utime(p, (1_700_000_000, 1_700_000_000))
    a, b, z, e = list(textfile.iter_items(p))
    assert (a.external_id, a.text, a.lang, a.url) == ("d001", "a", "en", "https://x.org/1")
    assert a.published == datetime(2024, 9, 21, tzinfo=UTC)
    assert b.external_id == "2" and b.text == "b\nc"
    assert b.published == datetime(2025, 5, 12, 11, 0, tzinfo=UTC)
    assert z.published == datetime(2024, 9, 21, 6, 0, tzinfo=UTC)
    assert z.edited == datetime.fromtimestamp(1_726_901_000, tz=UTC)
    assert e.published == datetime.fromtimestamp(1_726_900_000, tz=UTC)


def test_jsonl_missing_published_uses_mtime(tmp_path):
    p = jsonl(tmp_path, [{"id": "1", "text": "x"}])
    os.utime(p, (1_700_000_000, 1_700_000_000))
    [item] = list(textfile.iter_jsonl(p))
    assert item.published == datetime.fromtimestamp(1_700_000_000, tz=UTC)


def test_jsonl_bad_lines_rejected_with_line_numbers_others_come(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    p = jsonl(
        tmp_path,
        [
            {"id": "ok1", "text": "first"},
            "{not json",
            b'{"id": "x", "text": "caf\xe9"}',
            {"id": "nt"},
            {"id": "empty", "text": "   "},
            {"text": "no id"},
            {"id": "bp", "text": "t", "published": "yesterday"},
            {"id": "naive", "text": "t", "published": "2024-09-21T06:00:00"},
            {"id": "baddate", "text": "t", "published": "2024-02-30"},
            "[1, 2]",
            deep,
            {"id": "html", "text": "<script>alert(1)</script>"},
            '{"id": "trunc", "text": "cut',
            {"id": "ok2", "text": "last"},
        ],
    )
    entries = list(textfile.iter_jsonl(p))
    items = [e for e in entries if isinstance(e, SourceItem)]
    rej = [e for e in entries if isinstance(e, Rejected)]
    assert [i.external_id for i in items] == ["ok1", "html", "ok2"]
    assert items[1].text == "<script>alert(1)</script>"
    assert [r.where.rsplit(" ", 1)[1] for r in rej] == [
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "11",
        "13",
    ]
    reasons = [r.reason for r in rej]
    assert "not JSON" in reasons[0]
    assert "invalid UTF-8" in reasons[1]
    assert "no 'text'" in reasons[2] and "no 'text'" in reasons[3]
    assert "no 'id'" in reasons[4]
    assert "bad 'published'" in reasons[5]
    assert "no UTC offset" in reasons[6]
    assert "not a valid date" in reasons[7]
    assert "not a JSON object" in reasons[8]
    assert "nested too deeply" in reasons[9]
    assert "not JSON" in reasons[10]
    assert all(r.where.startswith(str(p) + " line ") for r in rej)


def test_jsonl_whole_file_wrong_encoding_rejects_each_line_not_crash(tmp_path):
    p = tmp_path / "u16.jsonl"
    p.write_bytes('{"id": "1", "text": "Смоленск"}\n'.encode("utf-16"))
    entries = list(textfile.iter_jsonl(p))
    assert entries and all(isinstance(e, Rejected) for e in entries)


def test_jsonl_binary_garbage(tmp_path):
    p = tmp_path / "g.jsonl"
    p.write_bytes(os.urandom(4096).replace(b"\n", b"") + b"\n" + b'{"id": "1", "text": "ok"}\n')
    entries = list(textfile.iter_jsonl(p))
    assert isinstance(entries[0], Rejected)
    assert isinstance(entries[-1], SourceItem) and entries[-1].text == "ok"


def test_jsonl_huge_line(tmp_path):
    big = "Сбит БПЛА. " * 100_000
    p = jsonl(tmp_path, [{"id": "big", "text": big}])
    [item] = list(textfile.iter_jsonl(p))
    assert item.text == big


def test_jsonl_from_lines_and_bom():
    lines = ['\ufeff{"id": "1", "text": "a", "published": "2024-09-21"}', '{"id": "2", "text": "b"}']
    a, b = list(textfile.iter_jsonl(lines, where="stdin"))
    assert isinstance(a, SourceItem) and a.external_id == "1"
    assert isinstance(b, Rejected) and b.where == "stdin line 2" and "no default time" in b.reason


def test_missing_files():
    [r] = list(textfile.iter_jsonl("/nonexistent/x.jsonl"))
    assert "cannot read" in r.reason
    [r] = list(textfile.iter_text("/nonexistent/x.txt"))
    assert "cannot read" in r.reason


def test_parse_time():
    assert textfile.parse_time("2024-09-21T06:00:00+00:00") == datetime(2024, 9, 21, 6, tzinfo=UTC)
    assert isinstance(textfile.parse_time(True), str)
    assert isinstance(textfile.parse_time(10**20), str)
    assert isinstance(textfile.parse_time({"a": 1}), str)
