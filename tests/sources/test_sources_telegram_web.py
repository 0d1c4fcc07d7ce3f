"""Telegram public channel preview (t.me/s/<channel>) over httpx.MockTransport; the HTML is built here."""

from __future__ import annotations

import html as htmlmod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tocsin.domain import Rejected, SourceItem
from tocsin.sources import telegram_web
from tocsin.sources.telegram_web import iter_items, parse_page

CHANNEL = "smolensk_gov"
T0 = datetime(2024, 9, 21, 4, 0, tzinfo=UTC)


# --- a small builder mirroring the real t.me/s markup -------------------------------------------------


@dataclass
class Post:
    num: int
    html_text: str | None  # inner HTML of .tgme_widget_message_text (None: media-only post)
    when: datetime | None = None
    edited: bool = False
    reply_html: str | None = None  # a quoted reply, with its own text that must not be taken
    photo: bool = False
    channel: str = CHANNEL
    raw_datetime: str | None = None


def post_html(p: Post) -> str:
    when = (
        p.raw_datetime
        if p.raw_datetime is not None
        else (p.when or T0 + timedelta(minutes=p.num)).isoformat()
    )
    reply = ""
    if p.reply_html is not None:
        reply = (
            f'<a class="tgme_widget_message_reply" href="https://t.me/{p.channel}/{p.num - 1}">'
            '<div class="tgme_widget_message_author accent_color">'
            '<span class="tgme_widget_message_author_name">'
            f'Quoted</span></div><div class="tgme_widget_message_text js-message_reply_text" dir="auto">'
            f"{p.reply_html}</div></a>"
        )
    photo = ""
    if p.photo:
        photo = (
            f'<a class="tgme_widget_message_photo_wrap" href="https://t.me/{p.channel}/{p.num}" '
            "style=\"width:800px;background-image:url('https://cdn.example/file.jpg')\"></a>"
        )
    text = ""
    if p.html_text is not None:
        text = f'<div class="tgme_widget_message_text js-message_text" dir="auto">{p.html_text}</div>'
    edited = "edited " if p.edited else ""
    return f"""
<div class="tgme_widget_message_wrap js-widget_message_wrap">
 <div class="tgme_widget_message text_not_supported_wrap js-widget_message"
      data-post="{p.channel}/{p.num}" data-view="eyJjIjotMTAwfQ">
  <div class="tgme_widget_message_user"><a href="https://t.me/{p.channel}">
     <i class="tgme_widget_message_user_photo bgcolor0" data-content="S"></i></a></div>
  <div class="tgme_widget_message_bubble">
   <i class="tgme_widget_message_bubble_tail"></i>
   <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name"
      href="https://t.me/{p.channel}"><span dir="auto">Губернатор Смоленской области</span></a></div>
   {reply}{photo}{text}
   <div class="tgme_widget_message_footer compact js-message_footer">
    <div class="tgme_widget_message_info short js-message_info">
     <span class="tgme_widget_message_views">12.3K</span><span class="copyonly"> views</span>
     <span class="tgme_widget_message_meta">{edited}<a class="tgme_widget_message_date"
        href="https://t.me/{p.channel}/{p.num}"><time datetime="{when}" class="time">04:00</time></a></span>
    </div>
   </div>
  </div>
 </div>
</div>"""


def page_html(posts: list[Post]) -> str:
    body = "".join(post_html(p) for p in posts)
    more = ""
    if posts:
        first = min(p.num for p in posts)
        more = (
            '<div class="tgme_widget_message_centered js-messages_more_wrap">'
            f'<a href="/s/{CHANNEL}?before={first}" class="tme_messages_more js-messages_more"'
            f' data-before="{first}"></a></div>'
        )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Губернатор – Telegram</title>
<script>var T = "window script must not matter";</script></head>
<body class="widget_frame_base tgme_webpage_body"><main class="tgme_main">
<section class="tgme_channel_history js-message_history">{more}{body}</section></main></body></html>"""


def text_post(num: int, text: str, **kw) -> Post:
    return Post(num, htmlmod.escape(text).replace("\n", "<br/>"), **kw)


class FakeServer:
    """Serves pages of a channel by ?before=, 20 posts a page, and records requests."""

    def __init__(self, last: int, per_page: int = 20, script: list | None = None) -> None:
        self.last = last
        self.per_page = per_page
        self.requests: list[httpx.Request] = []
        self.script = list(script or [])  # responses served first (e.g. a 429)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            return self.script.pop(0)
        assert request.url.host == "t.me"
        assert request.url.path == f"/s/{CHANNEL}"
        before = int(request.url.params.get("before", self.last + 1))
        top = min(before - 1, self.last)
        nums = [n for n in range(top - self.per_page + 1, top + 1) if n >= 1]
        posts = [text_post(n, f"Пост {n}\nстрока два") for n in nums]
        return httpx.Response(
            200, text=page_html(posts), headers={"content-type": "text/html; charset=utf-8"}
        )


def client_for(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def only_items(entries) -> list[SourceItem]:
    return [e for e in entries if isinstance(e, SourceItem)]


# --- parsing -------------------------------------------------------------------------------------------


def test_parse_page_text_time_url_author():
    html = page_html(
        [
            Post(
                10,
                "Над областью <b>сбиты</b> 9 БПЛА.<br/>Пострадавших нет.<br><br>"
                '<a href="https://t.me/x">#Смоленск</a> <i class="emoji"><b>⚡</b></i>',
            ),
        ]
    )
    page = parse_page(html)
    [item] = page.entries
    assert item.external_id == f"{CHANNEL}/10"
    assert item.text == "Над областью сбиты 9 БПЛА.\nПострадавших нет.\n\n#Смоленск ⚡"
    assert item.published == T0 + timedelta(minutes=10)
    assert item.published.tzinfo is not None
    assert item.url == f"https://t.me/{CHANNEL}/10"
    assert item.author == "Губернатор Смоленской области"
    assert page.min_id == 10 and page.post_count == 1


def test_edited_marker_and_reply_quote_ignored():
    html = page_html(
        [
            Post(11, "Уточнение: 10 БПЛА", edited=True, reply_html="старый текст <b>цитаты</b>"),
            Post(12, "без правки"),
        ]
    )
    page = parse_page(html)
    assert [e.text for e in page.entries] == ["Уточнение: 10 БПЛА", "без правки"]
    assert page.edited == {f"{CHANNEL}/11"}


def test_media_only_posts_skipped_bad_time_rejected():
    html = page_html(
        [
            Post(1, None, photo=True),
            Post(2, "no offset", raw_datetime="2024-09-21T04:00:00"),
            Post(3, "garbage time", raw_datetime="yesterday"),
            Post(4, "ok", photo=True),
        ]
    )
    page = parse_page(html)
    assert [type(e).__name__ for e in page.entries] == ["Rejected", "Rejected", "SourceItem"]
    assert "no UTC offset" in page.entries[0].reason
    assert "bad time" in page.entries[1].reason
    assert page.min_id == 1 and page.post_count == 4


def test_html_and_script_in_post_text_stay_text():
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    page = parse_page(page_html([text_post(5, hostile)]))
    assert page.entries[0].text == hostile


def test_real_script_element_inside_text_is_dropped_not_run():
    page = parse_page(page_html([Post(5, "До<script>alert(1)</script> после")]))
    assert page.entries[0].text == "До после"


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00\xff\xfe garbage \x89PNG\r\n",
        "<html><body>no posts</body></html>",
        "<div class=",
        "x" * 10000,
    ],
)
def test_hostile_pages_give_no_posts(payload):
    page = parse_page(payload)
    assert page.entries == [] and page.post_count == 0


def test_bad_data_post_rejected():
    html = page_html([text_post(5, "ok")]).replace(f'data-post="{CHANNEL}/5"', 'data-post="nonsense"')
    [r] = parse_page(html).entries
    assert isinstance(r, Rejected) and "data-post" in r.reason


def test_huge_post_text():
    big = "Сбит БПЛА. " * 60_000
    page = parse_page(page_html([text_post(1, big)]))
    assert page.entries[0].text == big.strip()


# --- fetching and pagination ---------------------------------------------------------------------------


def test_three_pages_with_before_and_a_429_honouring_retry_after():
    server = FakeServer(last=60, script=[httpx.Response(429, headers={"Retry-After": "7"})])
    sleeps: list[float] = []
    entries = list(iter_items(CHANNEL, client_for(server), pages=3, sleep=sleeps.append, min_interval=1.0))
    items = only_items(entries)
    assert len(items) == 60 and len(entries) == 60
    assert {i.external_id for i in items} == {f"{CHANNEL}/{n}" for n in range(1, 61)}
    urls = [str(r.url) for r in server.requests]
    assert urls == [
        f"https://t.me/s/{CHANNEL}",
        f"https://t.me/s/{CHANNEL}",
        f"https://t.me/s/{CHANNEL}?before=41",
        f"https://t.me/s/{CHANNEL}?before=21",
    ]
    assert 7.0 in sleeps  # Retry-After honoured (through the injected sleep: no real waiting)
    assert all(r.headers["user-agent"].startswith("tocsin/") for r in server.requests)
    assert items[0].text == "Пост 41\nстрока два"


def test_polite_interval_between_pages():
    server = FakeServer(last=60)
    sleeps: list[float] = []
    frozen_clock = lambda: 100.0  # noqa: E731 - no time passes between requests
    list(
        iter_items(
            CHANNEL, client_for(server), pages=3, sleep=sleeps.append, clock=frozen_clock, min_interval=2.5
        )
    )
    assert sleeps == [2.5, 2.5]


def test_since_id_stops_early():
    server = FakeServer(last=60)
    entries = list(iter_items(CHANNEL, client_for(server), pages=5, since_id=35, sleep=lambda s: None))
    assert sorted(int(i.external_id.split("/")[1]) for i in only_items(entries)) == list(range(36, 61))
    assert len(server.requests) == 2


def test_stops_when_channel_exhausted():
    server = FakeServer(last=25)
    entries = list(iter_items(CHANNEL, client_for(server), pages=10, sleep=lambda s: None))
    assert len(only_items(entries)) == 25
    assert len(server.requests) == 2


def test_server_errors_exhaust_retries_into_one_rejected():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503)

    sleeps: list[float] = []
    entries = list(iter_items(CHANNEL, client_for(handler), retries=3, backoff=0.5, sleep=sleeps.append))
    [r] = entries
    assert isinstance(r, Rejected) and "503" in r.reason
    assert len(calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_not_found_and_empty_page_rejected():
    entries = list(iter_items(CHANNEL, client_for(lambda r: httpx.Response(404)), sleep=lambda s: None))
    assert isinstance(entries[0], Rejected) and "404" in entries[0].reason
    entries = list(iter_items(CHANNEL, client_for(lambda r: httpx.Response(200, text="<html></html>"))))
    assert isinstance(entries[0], Rejected) and "no posts" in entries[0].reason


def test_oversize_page_is_a_rejected():
    body = b"<html>" + b"x" * 2048
    entries = list(
        iter_items(CHANNEL, client_for(lambda r: httpx.Response(200, content=body)), max_bytes=1024)
    )
    [r] = entries
    assert "cap" in r.reason


@pytest.mark.parametrize(
    "bad", ["", "ab", "javascript:alert(1)", "../etc/passwd", "name with space", "x/../y"]
)
def test_invalid_channel_names_raise(bad):
    with pytest.raises(ValueError):
        iter_items(bad)


def test_channel_name_forms():
    for form in ("smolensk_gov", "@smolensk_gov", "t.me/smolensk_gov", "https://t.me/s/smolensk_gov/"):
        assert telegram_web.channel_name(form) == "smolensk_gov"
    assert telegram_web.page_url("smolensk_gov", 41) == "https://t.me/s/smolensk_gov?before=41"
