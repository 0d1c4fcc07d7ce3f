"""detect_kind / read_path / read_url: picking the reader for a file or a URL."""

from __future__ import annotations

import json

import httpx
import pytest

from tocsin.domain import Rejected, SourceItem, SourceKind
from tocsin.sources import detect_kind, detect_url_kind, read_path, read_url, reader_for
from tocsin.sources.http import UnsafeURL


def test_detect_by_suffix(tmp_path):
    assert detect_kind(tmp_path / "result.json") is SourceKind.TELEGRAM_EXPORT
    assert detect_kind(tmp_path / "a.jsonl") is SourceKind.JSONL
    assert detect_kind(tmp_path / "a.NDJSON") is SourceKind.JSONL
    assert detect_kind(tmp_path / "a.txt") is SourceKind.TEXT
    assert detect_kind(tmp_path / "a.rss") is SourceKind.FEED


def test_detect_by_content(tmp_path):
    lines = tmp_path / "lines"
    lines.write_text('{"id": "1", "text": "a"}\n{"id": "2", "text": "b"}\n', encoding="utf-8")
    export = tmp_path / "export"
    export.write_text(json.dumps({"name": "x", "id": 1, "messages": []}, indent=1), encoding="utf-8")
    small_export = tmp_path / "small"
    small_export.write_text(
        json.dumps({"id": 1, "messages": [{"id": 1, "text": "a"}]}) + "\n", encoding="utf-8"
    )
    xml = tmp_path / "feed"
    xml.write_text('<?xml version="1.0"?><rss version="2.0"></rss>', encoding="utf-8")
    plain = tmp_path / "note"
    plain.write_text("Сбиты БПЛА", encoding="utf-8")
    assert detect_kind(lines) is SourceKind.JSONL
    assert detect_kind(export) is SourceKind.TELEGRAM_EXPORT
    assert detect_kind(small_export) is SourceKind.TELEGRAM_EXPORT
    assert detect_kind(xml) is SourceKind.FEED
    assert detect_kind(plain) is SourceKind.TEXT
    assert detect_kind(tmp_path / "missing") is SourceKind.TEXT


def test_read_path_dispatches(tmp_path):
    export = tmp_path / "result.json"
    export.write_text(
        json.dumps({"id": 5, "messages": [{"id": 1, "text": "a", "date_unixtime": "1"}]}), encoding="utf-8"
    )
    [item] = list(read_path(export))
    assert item.external_id == "5/1"
    note = tmp_path / "n.txt"
    note.write_text("x", encoding="utf-8")
    assert next(read_path(note)).text == "x"
    lines = tmp_path / "l.jsonl"
    lines.write_text('{"id": "a", "text": "t"}\nnope\n', encoding="utf-8")
    assert [type(e) for e in read_path(lines)] == [SourceItem, Rejected]
    feed_file = tmp_path / "f.xml"
    feed_file.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>'
        "<item><guid>g</guid><title>t</title>"
        "<pubDate>Sat, 21 Sep 2024 07:00:00 GMT</pubDate></item></channel></rss>",
        encoding="utf-8",
    )
    assert [i.external_id for i in read_path(feed_file)] == ["g"]
    with pytest.raises(ValueError):
        read_path(note, SourceKind.TELEGRAM_WEB)


def test_url_kinds_and_read_url():
    assert detect_url_kind("https://t.me/s/smolensk_gov") is SourceKind.TELEGRAM_WEB
    assert detect_url_kind("https://t.me/smolensk_gov/") is SourceKind.TELEGRAM_WEB
    assert detect_url_kind("https://t.me/smolensk_gov/123") is SourceKind.FEED
    assert detect_url_kind("https://news.example.org/rss") is SourceKind.FEED
    with pytest.raises(UnsafeURL):
        read_url("file:///etc/passwd")
    c = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(304)))
    res = read_url("https://news.example.org/rss", client=c, etag='"x"')
    assert list(res) == [] and res.not_modified
    for kind in SourceKind:
        assert callable(reader_for(kind))
