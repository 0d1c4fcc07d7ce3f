"""``tocsin.watch`` with httpx.MockTransport (no real network) on SQLite and PostgreSQL."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from sqlalchemy import select

from tocsin import watch
from tocsin.store import repo
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Message, Source

FEED_URL = "https://news.example.org/rss"
CHANNEL = "smolensk_gov"
T0 = datetime(2025, 9, 6, 6, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def rss(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><guid>https://news.example.org/{guid}</guid><title>{html.escape(title)}</title>"
        f"<pubDate>{format_datetime(T0 - timedelta(hours=1))}</pubDate></item>"
        for guid, title in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{body}</channel></rss>'


def tme_page(posts: list[tuple[int, str]]) -> str:
    body = "".join(
        f'<div class="tgme_widget_message js-widget_message" data-post="{CHANNEL}/{num}">'
        f'<div class="tgme_widget_message_text js-message_text">{html.escape(text)}</div>'
        f'<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" '
        f'href="https://t.me/{CHANNEL}/{num}"><time datetime="{(T0 + timedelta(minutes=num)).isoformat()}">'
        f"</time></a></span></div>"
        for num, text in posts
    )
    return f"<html><body><section class='tgme_channel_history'>{body}</section></body></html>"


def add_source(engine, name, kind, url, interval=300, authority="media") -> int:
    with make_sessionmaker(engine)() as s, s.begin():
        src = repo.get_or_create_source(s, name, kind, authority, url)
        src.poll_interval_s = interval
        s.flush()
        return src.id


def source(engine, name) -> Source:
    with make_sessionmaker(engine)() as s:
        return s.scalar(select(Source).where(Source.name == name))


def messages_of(engine, name) -> list[str]:
    with make_sessionmaker(engine)() as s:
        return sorted(s.scalars(select(Message.external_id).join(Source).where(Source.name == name)).all())


def no_sleep(_seconds: float) -> None:
    return None


def test_feed_etag_then_304_then_interval(engine, refresh_spy):
    add_source(engine, "news", "feed", FEED_URL, interval=600)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"etag": '"v1"'})
        doc = rss([("n1", "Над Курской областью ночью сбиты 3 БПЛА"), ("n2", "Пресс-конференция в полдень")])
        return httpx.Response(
            200,
            text=doc,
            headers={
                "etag": '"v1"',
                "last-modified": "Sat, 06 Sep 2025 05:00:00 GMT",
                "content-type": "application/rss+xml",
            },
        )

    clock = Clock()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    rep = watch.run(engine, once=True, client=client, now=clock, sleep=no_sleep)
    assert rep.cycles == 1 and len(rep.polls) == 1
    assert rep.polls[0].summary.new == 2 and rep.polls[0].error is None
    src = source(engine, "news")
    assert (src.etag, src.last_modified) == ('"v1"', "Sat, 06 Sep 2025 05:00:00 GMT")
    assert src.last_fetched_at == T0 and src.last_error is None
    assert messages_of(engine, "news") == [f"https://news.example.org/n{i}" for i in (1, 2)]

    clock.advance(60)  # not due yet: no request at all
    rep = watch.run(engine, once=True, client=client, now=clock, sleep=no_sleep)
    assert rep.polls == [] and len(seen) == 1

    clock.advance(600)  # due: a conditional GET, answered 304 → nothing to ingest
    rep = watch.run(engine, once=True, client=client, now=clock, sleep=no_sleep)
    assert len(seen) == 2 and seen[1].headers["if-none-match"] == '"v1"'
    assert seen[1].headers["if-modified-since"] == "Sat, 06 Sep 2025 05:00:00 GMT"
    assert rep.polls[0].not_modified and rep.polls[0].summary is None
    assert source(engine, "news").last_fetched_at == clock.now
    assert messages_of(engine, "news") == [f"https://news.example.org/n{i}" for i in (1, 2)]


def test_telegram_channel_pages_from_the_highest_id_seen(engine, refresh_spy):
    add_source(engine, "gov", "telegram_web", f"https://t.me/s/{CHANNEL}", authority="regional")
    posts = [(n, f"Ночью над Смоленской областью сбиты {n} БПЛА.") for n in range(1, 6)]
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        assert request.url.host == "t.me" and request.url.path == f"/s/{CHANNEL}"
        before = request.url.params.get("before")
        shown = [p for p in posts if before is None or p[0] < int(before)][-20:]
        return httpx.Response(200, text=tme_page(shown), headers={"content-type": "text/html"})

    clock = Clock()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    rep = watch.run(engine, once=True, client=client, now=clock, sleep=no_sleep)
    assert rep.polls[0].summary.new == 5
    assert source(engine, "gov").cursor == "5"

    posts.extend([(6, "Отбой угрозы атаки БПЛА в Смоленской области."), (7, "Ночью сбит 1 БПЛА.")])
    posts[0] = (1, "Изменённый старый пост")  # older than the cursor: not asked for again
    clock.advance(300)
    rep = watch.run(engine, once=True, client=client, now=clock, sleep=no_sleep)
    summary = rep.polls[0].summary
    assert (summary.new, summary.updated, summary.unchanged) == (2, 0, 0)
    assert source(engine, "gov").cursor == "7"
    assert messages_of(engine, "gov") == sorted(f"{CHANNEL}/{n}" for n in range(1, 8))


def test_errors_are_recorded_and_the_loop_goes_on(engine, refresh_spy):
    add_source(engine, "broken", "feed", "https://broken.example.org/rss", interval=60)
    add_source(engine, "news", "feed", FEED_URL, interval=60)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "broken.example.org":
            return httpx.Response(503)
        return httpx.Response(200, text=rss([("n1", "Над Курской областью сбиты 3 БПЛА")]))

    clock = Clock()
    sleeps: list[float] = []
    rep = watch.run(
        engine,
        max_cycles=2,
        client=httpx.Client(transport=httpx.MockTransport(handler)),
        now=clock,
        sleep=lambda s: (sleeps.append(s), clock.advance(s if s >= 30 else 0)),
        max_sleep=60,
    )
    assert rep.cycles == 2
    broken = source(engine, "broken")
    assert "HTTP 503" in broken.last_error and broken.last_fetched_at is not None
    assert messages_of(engine, "news") == ["https://news.example.org/n1"]
    assert source(engine, "news").last_error is None
    # between the cycles the loop slept until the next source fell due
    assert 60.0 in sleeps
    assert {p.source_name for p in rep.polls} == {"broken", "news"} and len(rep.polls) == 4


def test_disabled_and_unscheduled_sources_are_not_polled(engine, refresh_spy):
    add_source(engine, "off", "feed", FEED_URL, interval=60)
    add_source(engine, "manual", "feed", "https://other.example.org/rss", interval=None)
    with make_sessionmaker(engine)() as s, s.begin():
        s.scalar(select(Source).where(Source.name == "off")).enabled = False

    def handler(request: httpx.Request) -> httpx.Response:  # pragma: no cover - must not be called
        raise AssertionError(f"unexpected request {request.url}")

    rep = watch.run(engine, once=True, client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert rep.polls == []


def test_file_source_is_read_again_only_when_it_changes(engine, refresh_spy, tmp_path):
    path = tmp_path / "wire.jsonl"
    path.write_text(
        '{"id": "a", "text": "Ночью сбиты 2 БПЛА над Тульской областью", '
        '"published": "2025-09-06T05:00:00+00:00"}\n',
        "utf-8",
    )
    add_source(engine, "wire", "jsonl", str(path), interval=60)
    clock = Clock()
    first = watch.run(engine, once=True, now=clock, sleep=no_sleep)
    assert first.polls[0].summary.new == 1
    clock.advance(60)
    second = watch.run(engine, once=True, now=clock, sleep=no_sleep)
    assert second.polls[0].not_modified
    with path.open("a", encoding="utf-8") as f:
        f.write('{"id": "b", "text": "Отбой угрозы", "published": "2025-09-06T06:00:00+00:00"}\n')
    import os

    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    clock.advance(60)
    third = watch.run(engine, once=True, now=clock, sleep=no_sleep)
    assert (third.polls[0].summary.new, third.polls[0].summary.unchanged) == (1, 1)
    path.unlink()
    clock.advance(60)
    fourth = watch.run(engine, once=True, now=clock, sleep=no_sleep)
    assert "cannot read" in fourth.polls[0].error
    assert "cannot read" in source(engine, "wire").last_error


def test_skip_locked_claims_a_different_source_per_session(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) are PostgreSQL's; on SQLite one watcher runs")
    for name in ("a", "b"):
        add_source(engine, name, "feed", f"https://{name}.example.org/rss", interval=60)
    factory = make_sessionmaker(engine)
    now = T0
    with factory() as first, factory() as second, factory() as third:
        first.begin()
        second.begin()
        third.begin()
        one = watch.claim_due_source(first, now)
        two = watch.claim_due_source(second, now)
        assert one is not None and two is not None
        assert {one.name, two.name} == {"a", "b"}  # never the same source twice
        assert watch.claim_due_source(third, now) is None  # both are locked: skipped, not waited for
        # the first watcher finishes (marks its source fetched) and commits: the lock is released,
        # and the source is no longer due
        one.last_fetched_at = now
        first.commit()
        assert watch.claim_due_source(third, now) is None
        second.rollback()  # the second watcher failed: its source is free and still due
        again = watch.claim_due_source(third, now)
        assert again is not None and again.name == two.name
        third.rollback()


def test_telegram_page_failure_stores_nothing_and_keeps_the_cursor(engine, refresh_spy):
    add_source(engine, "gov", "telegram_web", f"https://t.me/s/{CHANNEL}", authority="regional")
    posts = [(n, f"Ночью над Смоленской областью сбиты {n} БПЛА.") for n in range(1, 41)]

    def handler(request: httpx.Request) -> httpx.Response:
        if "before" in request.url.params:  # the second, older page fails
            return httpx.Response(502)
        return httpx.Response(200, text=tme_page(posts[-20:]), headers={"content-type": "text/html"})

    rep = watch.run(
        engine, once=True, client=httpx.Client(transport=httpx.MockTransport(handler)), sleep=no_sleep
    )
    assert "HTTP 502" in rep.polls[0].error and rep.polls[0].summary is None
    src = source(engine, "gov")
    assert src.cursor is None and "HTTP 502" in src.last_error and src.last_fetched_at is not None
    assert messages_of(engine, "gov") == []
