"""RSS / Atom feeds: documents are generated here; fetching goes through httpx.MockTransport."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

import httpx
import pytest

from tocsin.domain import Rejected, SourceItem
from tocsin.sources import feed
from tocsin.sources.http import UnsafeURL

URL = "https://news.example.org/feed.xml"


def rss(items: list[dict], *, title: str = "Regional news") -> str:
    parts = []
    for it in items:
        fields = []
        if "guid" in it:
            fields.append(f'<guid isPermaLink="false">{escape(it["guid"])}</guid>')
        if "link" in it:
            fields.append(f"<link>{escape(it['link'])}</link>")
        if "title" in it:
            fields.append(f"<title>{escape(it['title'])}</title>")
        if "description" in it:
            fields.append(f"<description>{escape(it['description'])}</description>")
        if "pubDate" in it:
            fields.append(f"<pubDate>{it['pubDate']}</pubDate>")
        parts.append("<item>" + "".join(fields) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example.org/</link><description>d</description>"
        + "".join(parts)
        + "</channel></rss>"
    )


def atom(entries: list[dict]) -> str:
    parts = []
    for e in entries:
        content = ""
        if "content" in e:
            content = f'<content type="html">{escape(e["content"])}</content>'
        parts.append(
            f'<entry><id>{e["id"]}</id><title type="text">{escape(e["title"])}</title>'
            f'<link href="{e.get("link", "https://news.example.org/a")}"/>'
            + (f"<published>{e['published']}</published>" if "published" in e else "")
            + (f"<updated>{e['updated']}</updated>" if "updated" in e else "")
            + content
            + "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru">'
        "<title>Atom news</title><id>urn:x</id><updated>2024-09-21T06:00:00Z</updated>"
        + "".join(parts)
        + "</feed>"
    )


def client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_rss_items_text_ids_times():
    doc = rss(
        [
            {
                "guid": "n-1",
                "link": "https://news.example.org/1",
                "title": "Сбиты 9 БПЛА",
                "description": "<p>Губернатор: пострадавших нет.</p><p>Вторая<br/>строка &amp; всё</p>",
                "pubDate": "Sat, 21 Sep 2024 09:30:00 +0300",
            },
            {
                "link": "https://news.example.org/2",
                "title": "Без guid",
                "pubDate": "Sat, 21 Sep 2024 07:00:00 GMT",
            },
        ]
    )
    a, b = list(feed.parse_feed(doc, where="t"))
    assert a.external_id == "n-1"
    assert a.text == "Сбиты 9 БПЛА\n\nГубернатор: пострадавших нет.\nВторая\nстрока & всё"
    assert a.published == datetime(2024, 9, 21, 6, 30, tzinfo=UTC)
    assert a.url == "https://news.example.org/1"
    assert a.author == "Regional news"
    assert b.external_id == "https://news.example.org/2"
    assert b.text == "Без guid"


def test_atom_content_published_updated_edit_and_lang():
    doc = atom(
        [
            {
                "id": "urn:uuid:1",
                "title": "Отбой тревоги",
                "published": "2024-09-21T06:00:00+03:00",
                "updated": "2024-09-21T07:15:00+03:00",
                "content": "<div>Отбой <b>угрозы</b> БПЛА.</div>",
            },
            {"id": "urn:uuid:2", "title": "Только updated", "updated": "2024-09-21T08:00:00Z"},
        ]
    )
    a, b = list(feed.parse_feed(doc))
    assert a.external_id == "urn:uuid:1"
    assert a.text == "Отбой тревоги\n\nОтбой угрозы БПЛА."
    assert a.published == datetime(2024, 9, 21, 3, 0, tzinfo=UTC)
    assert a.edited == datetime(2024, 9, 21, 4, 15, tzinfo=UTC)
    assert a.lang == "ru"
    assert b.published == datetime(2024, 9, 21, 8, 0, tzinfo=UTC) and b.edited is None


def test_entries_without_date_or_text_rejected_others_come():
    doc = rss(
        [
            {"guid": "a", "title": "no date"},
            {"guid": "b", "pubDate": "Sat, 21 Sep 2024 07:00:00 GMT"},
            {"guid": "c", "title": "ok", "pubDate": "Sat, 21 Sep 2024 07:00:00 GMT"},
        ]
    )
    entries = list(feed.parse_feed(doc, where="f"))
    assert [type(e).__name__ for e in entries] == ["Rejected", "Rejected", "SourceItem"]
    assert entries[0].where == "f: entry #0" and "date" in entries[0].reason
    assert "neither title nor content" in entries[1].reason


def test_script_in_summary_never_survives_as_markup_and_escaped_text_stays_text():
    doc = rss(
        [
            {
                "guid": "x",
                "title": "<script>alert(1)</script> literal title",
                "description": "<p>safe</p><script>alert(2)</script>",
                "pubDate": "Sat, 21 Sep 2024 07:00:00 GMT",
            }
        ]
    )
    [item] = list(feed.parse_feed(doc))
    assert "alert(2)" not in item.text
    assert "safe" in item.text


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00\x01\x02\xff\xfe binary",
        b"<rss><channel><item><title>trunc",
        b"not xml at all {",
        b"<" * 100_000,
        ("<a>" * 50_000).encode(),
    ],
)
def test_malformed_feeds_one_rejected(payload):
    entries = list(feed.parse_feed(payload, where="bad.xml"))
    assert len(entries) <= 1
    if entries:
        assert isinstance(entries[0], (Rejected, SourceItem))
    if not entries or isinstance(entries[0], SourceItem):
        return
    assert entries[0].where.startswith("bad.xml")


def test_truncated_feed_with_no_entries_is_rejected():
    [r] = list(feed.parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x', where="t.xml"))
    assert isinstance(r, Rejected) and "malformed" in r.reason


def test_huge_entry():
    big = "Сбит БПЛА. " * 100_000
    doc = rss([{"guid": "big", "title": "t", "description": big, "pubDate": "Sat, 21 Sep 2024 07:00:00 GMT"}])
    [item] = list(feed.parse_feed(doc))
    assert item.text == "t\n\n" + big.strip()


def test_fetch_sends_validators_and_returns_new_ones():
    seen = []
    doc = rss([{"guid": "1", "title": "a", "pubDate": "Sat, 21 Sep 2024 07:00:00 GMT"}])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(
            200,
            text=doc,
            headers={
                "ETag": '"v1"',
                "Last-Modified": "Sat, 21 Sep 2024 07:00:00 GMT",
                "Content-Type": "application/rss+xml; charset=utf-8",
            },
        )

    c = client(handler)
    first = feed.iter_items(URL, c)
    assert first.status == 200 and not first.not_modified
    assert first.etag == '"v1"' and first.last_modified == "Sat, 21 Sep 2024 07:00:00 GMT"
    assert [i.external_id for i in first] == ["1"]
    assert "if-none-match" not in seen[0].headers

    second = feed.iter_items(URL, c, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and list(second) == []
    assert second.etag == '"v1"' and second.last_modified == "Sat, 21 Sep 2024 07:00:00 GMT"
    assert seen[1].headers["if-none-match"] == '"v1"'
    assert seen[1].headers["if-modified-since"] == "Sat, 21 Sep 2024 07:00:00 GMT"


def test_fetch_errors_are_rejected_entries():
    res = feed.iter_items(URL, client(lambda r: httpx.Response(500)), retries=1, sleep=lambda s: None)
    [r] = list(res)
    assert isinstance(r, Rejected) and "500" in r.reason and res.status == 500
    big = b"<rss>" + b" " * 5000
    [r] = list(feed.iter_items(URL, client(lambda r: httpx.Response(200, content=big)), max_bytes=1000))
    assert "cap" in r.reason


@pytest.mark.parametrize(
    "bad",
    ["file:///etc/passwd", "ftp://x.org/feed", "javascript:alert(1)", "data:text/xml,<rss/>", "feed.xml"],
)
def test_non_http_urls_refused(bad):
    with pytest.raises(UnsafeURL):
        feed.iter_items(bad)


def test_iter_file(tmp_path):
    p = tmp_path / "saved.xml"
    p.write_text(atom([{"id": "1", "title": "t", "published": "2024-09-21T06:00:00Z"}]), encoding="utf-8")
    [item] = list(feed.iter_file(p))
    assert item.text == "t"
    [r] = list(feed.iter_file(tmp_path / "missing.xml"))
    assert "cannot read" in r.reason


def test_document_naming_a_local_file_or_url_is_never_opened(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text(rss([{"guid": "leak", "title": "t", "pubDate": "Sat, 21 Sep 2024 07:00:00 GMT"}]))
    for body in (str(secret), str(secret).encode(), "file://" + str(secret)):
        entries = list(feed.parse_feed(body, where="hostile"))
        assert not any(isinstance(e, SourceItem) for e in entries), body
    served = feed.iter_items(URL, client(lambda r: httpx.Response(200, content=str(secret).encode())))
    assert not any(isinstance(e, SourceItem) for e in served)
