"""Telegram public channel web preview (``https://t.me/s/<channel>``), no credentials.

A page lists up to ~20 posts, oldest first. Each post is a ``.tgme_widget_message[data-post="chan/123"]``
with its text in ``.tgme_widget_message_text`` (``<br>`` → ``\\n``, entities flattened to their text) and its
time in ``.tgme_widget_message_date time[datetime]`` (ISO 8601 with offset). An edited post has the word
"edited" at the start of ``.tgme_widget_message_meta``; the preview gives no edit *time*, so the marker is
reported by :func:`parse_page` (``Page.edited``) and ``SourceItem.edited`` stays None — the store notices
the edit from the changed text.

Older pages are fetched with ``?before=<smallest id on the page>``. Requests are paced (``min_interval``,
default 1 s), retried with exponential backoff on 429 / 5xx honouring ``Retry-After``, with a timeout and a
size cap (see :mod:`tocsin.sources.http`). The ``httpx.Client`` and the ``sleep`` function are injectable.

Text is parsed by lxml's HTML parser and only its text is kept: markup inside a post (already escaped by
Telegram) stays literal text and nothing is ever executed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import lxml.html
from lxml import etree

from tocsin.domain import Rejected, SourceItem
from tocsin.sources import http

Entry = SourceItem | Rejected

BASE_URL = "https://t.me/s/"
CHANNEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,63}$")
_BLOCK_TAGS = frozenset({"p", "div", "blockquote", "pre", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(slots=True)
class Page:
    """One parsed preview page."""

    entries: list[Entry] = field(default_factory=list)
    min_id: int | None = None  # smallest post id on the page (for ?before=)
    post_count: int = 0  # posts found, parsed or not
    edited: set[str] = field(default_factory=set)  # external ids with the "edited" marker


def channel_name(channel: str) -> str:
    """Normalise ``@name``, ``t.me/name``, ``https://t.me/s/name`` → ``name`` (ValueError if bad)."""
    name = channel.strip()
    name = re.sub(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?", "", name, flags=re.I)
    name = name.lstrip("@").split("?")[0].strip("/")
    if not CHANNEL_RE.match(name):
        raise ValueError(f"not a public Telegram channel name: {channel!r}")
    return name


def page_url(channel: str, before: int | None = None) -> str:
    url = BASE_URL + channel_name(channel)
    return url if before is None else f"{url}?before={int(before)}"


def iter_items(
    channel: str,
    client: httpx.Client | None = None,
    *,
    pages: int = 1,
    since_id: int | None = None,
    min_interval: float = 1.0,
    timeout: float = http.DEFAULT_TIMEOUT,
    max_bytes: int = http.DEFAULT_MAX_BYTES,
    retries: int = http.DEFAULT_RETRIES,
    backoff: float = http.DEFAULT_BACKOFF,
    sleep: http.Sleep = time.sleep,
    clock: http.Clock = time.monotonic,
) -> Iterator[Entry]:
    """Yield the posts of a public channel, newest page first (posts within a page oldest first).

    Fetches at most ``pages`` pages; stops early at a post id ``<= since_id`` (those are not yielded) or
    when a page brings nothing older. A page that cannot be fetched gives one :class:`Rejected` and ends
    the walk. Raises ValueError at once for an invalid channel name.
    """
    name = channel_name(channel)
    if pages < 1:
        raise ValueError("pages must be >= 1")
    return _walk(
        name,
        client,
        pages=pages,
        since_id=since_id,
        pacer=http.Pacer(min_interval, sleep=sleep, clock=clock),
        fetch_kw={
            "timeout": timeout,
            "max_bytes": max_bytes,
            "retries": retries,
            "backoff": backoff,
            "sleep": sleep,
        },
    )


def _walk(
    name: str,
    client: httpx.Client | None,
    *,
    pages: int,
    since_id: int | None,
    pacer: http.Pacer,
    fetch_kw: dict,
) -> Iterator[Entry]:
    own = client is None
    cli = client if client is not None else http.make_client(timeout=fetch_kw["timeout"])
    try:
        before: int | None = None
        for number in range(pages):
            url = page_url(name, before)
            pacer.wait()
            try:
                resp = http.fetch(url, client=cli, ok_statuses=frozenset(), **fetch_kw)
            except http.FetchError as exc:
                yield Rejected(url, str(exc))
                return
            page = parse_page(resp.content, where=url)
            if page.post_count == 0:
                if number == 0:
                    yield Rejected(
                        url, "no posts on the page (empty or private channel, or not a t.me preview)"
                    )
                return
            for entry in page.entries:
                if (
                    since_id is not None
                    and isinstance(entry, SourceItem)
                    and _post_id(entry.external_id) is not None
                    and _post_id(entry.external_id) <= since_id
                ):
                    continue
                yield entry
            if page.min_id is None or (before is not None and page.min_id >= before):
                return
            if since_id is not None and page.min_id <= since_id + 1:
                return
            if page.min_id <= 1:
                return
            before = page.min_id
    finally:
        if own:
            cli.close()


def _post_id(external_id: str) -> int | None:
    tail = external_id.rpartition("/")[2]
    return int(tail) if tail.isdigit() else None


def parse_page(html: bytes | str, *, where: str = "t.me page") -> Page:
    """Parse one preview page's HTML into entries (pure; no network)."""
    page = Page()
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if not html.strip():
        return page
    try:
        root = lxml.html.document_fromstring(html.replace("\x00", ""))
    except (etree.ParserError, ValueError):
        return page
    ids: list[int] = []
    for node in root.xpath(
        '//*[contains(concat(" ", normalize-space(@class), " "), " tgme_widget_message ")][@data-post]'
    ):
        page.post_count += 1
        post = node.get("data-post", "").strip()
        num = _post_id(post)
        if not post or "/" not in post or num is None:
            page.entries.append(Rejected(f"{where}: post {post!r}", "data-post is not 'channel/<number>'"))
            continue
        ids.append(num)
        entry, edited = _post(node, post, where)
        if edited and isinstance(entry, SourceItem):
            page.edited.add(post)
        if entry is not None:
            page.entries.append(entry)
    page.min_id = min(ids) if ids else None
    return page


def _has_class(el: etree._Element, name: str) -> bool:
    return name in (el.get("class") or "").split()


def _post(node: lxml.html.HtmlElement, post: str, where: str) -> tuple[Entry | None, bool]:
    text_el = None
    for el in node.iter():
        if el is node or not isinstance(el.tag, str):
            continue
        if _has_class(el, "tgme_widget_message_text") and not _inside(el, node, "tgme_widget_message_reply"):
            text_el = el
            break
    text = element_text(text_el) if text_el is not None else ""
    if not text.strip():
        return None, False  # media-only post, sticker, poll without text …
    time_el = None
    for el in node.iter("time"):
        if el.get("datetime") and not _inside(el, node, "tgme_widget_message_reply"):
            time_el = el
            break
    if time_el is None:
        return Rejected(f"{where}: post {post}", "no <time datetime> in the post"), False
    stamp = time_el.get("datetime", "")
    try:
        published = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return Rejected(f"{where}: post {post}", f"bad time datetime={stamp[:60]!r}"), False
    if published.tzinfo is None:
        return Rejected(f"{where}: post {post}", f"time datetime={stamp[:60]!r} has no UTC offset"), False
    edited = False
    author = None
    for el in node.iter():
        if not isinstance(el.tag, str) or _inside(el, node, "tgme_widget_message_reply"):
            continue
        if _has_class(el, "tgme_widget_message_meta"):
            edited = edited or (el.text or "").strip().lower().startswith("edited")
        elif _has_class(el, "tgme_widget_message_edited"):
            edited = True
        elif author is None and _has_class(el, "tgme_widget_message_owner_name"):
            author = el.text_content().strip() or None
    channel, _, num = post.rpartition("/")
    return SourceItem(
        external_id=post,
        text=text,
        published=published,
        url=f"https://t.me/{channel}/{num}",
        author=author,
    ), edited


def _inside(el: etree._Element, stop: etree._Element, cls: str) -> bool:
    parent = el.getparent()
    while parent is not None and parent is not stop:
        if _has_class(parent, cls):
            return True
        parent = parent.getparent()
    return False


def element_text(el: etree._Element) -> str:
    """The text of an HTML element: ``<br>`` → newline, block elements on their own lines, tags dropped."""
    out: list[str] = []
    _collect(el, out, top=True)
    text = "".join(out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _collect(el: etree._Element, out: list[str], *, top: bool = False) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("script", "style", "template"):
        # a real <script> element (not escaped text) is dropped whole: never run, never shown as content
        if el.tail and not top:
            out.append(el.tail)
        return
    if tag == "br":
        out.append("\n")
    else:
        block = tag in _BLOCK_TAGS and not top
        if block and out and not out[-1].endswith("\n"):
            out.append("\n")
        if el.text and isinstance(el.tag, str):
            out.append(el.text)
        for child in el:
            _collect(child, out)
        if block:
            out.append("\n")
    if el.tail and not top:
        out.append(el.tail)
