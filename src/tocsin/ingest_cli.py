"""``tocsin ingest``, ``tocsin sources add|list`` and ``tocsin watch``: thin callers of
:mod:`tocsin.ingest` and :mod:`tocsin.watch`.

Hooked into ``tocsin.cli.build_parser`` with ``register(sub)``. Every command upgrades the database
(``TOCSIN_DATABASE_URL``) to the newest schema before using it.

Exit status: 0 ok (``ingest``: something was readable, even if every message was already stored);
1 nothing could be read (every entry rejected) or the database failed; 2 usage error, a missing file, a
refused URL, an unknown or conflicting source.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tocsin.domain import Authority, SourceKind

SHOWN_REJECTIONS = 20
PROGRESS_MIN_ENTRIES = 1000
WORKERS_MIN_ENTRIES = 2000
FILE_KINDS = frozenset({SourceKind.TELEGRAM_EXPORT, SourceKind.TEXT, SourceKind.JSONL, SourceKind.FEED})
URL_KINDS = frozenset({SourceKind.TELEGRAM_WEB, SourceKind.FEED})
KINDS = [k.value for k in SourceKind]
AUTHORITIES = [a.value for a in Authority]

INGEST_EPILOG = """\
TARGET is a file (a Telegram Desktop export result.json, a .jsonl file, a .txt file, a saved RSS/Atom
feed) or an http(s) URL (https://t.me/s/<channel> or a feed). The kind is detected unless --kind is given.
The source is created if it does not exist: its name defaults to the channel name, the feed's host and
path, or the file's name (the export's folder for result.json).

Every message is identified by (source, external id): importing the same file again changes nothing
("unchanged"); an edited post is stored as a new version and re-extracted ("updated"); a broken entry is
reported ("rejected", with where and why) and skipped while the rest land. Work is committed every
--batch-size messages: an interrupted import loses at most one batch, and running it again completes it.

examples:
  tocsin ingest ChatExport_2025-09-06/result.json --source smolensk_governor --authority regional
  tocsin ingest statements.jsonl --kind jsonl --source wire --authority media
  tocsin ingest https://t.me/s/some_channel --pages 5 --authority regional
"""

SOURCES_EPILOG = """\
examples:
  tocsin sources add smolensk_gov --kind telegram_web --authority regional \\
      --url https://t.me/s/some_channel --interval 300
  tocsin sources add mod_feed --kind feed --authority federal --url https://example.org/rss --interval 900
  tocsin sources add archive --kind telegram_export --authority regional --url exports/result.json
  tocsin sources list
"""

WATCH_EPILOG = """\
Polls every enabled source that has an --interval, when its interval has passed since its last fetch; each
source in its own transaction. Several `tocsin watch` processes may run against PostgreSQL (a source is
locked while it is polled; the others skip it). On SQLite run only one.

examples:
  tocsin watch                 poll forever
  tocsin watch --once          one pass over the due sources, then exit
"""


class _Fail(Exception):
    """Print the message and exit with ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ingest``, ``sources`` and ``watch`` to the ``tocsin`` parser's subcommands."""
    ing = subparsers.add_parser(
        "ingest",
        help="import a file or URL: store messages, extract claims, merge incidents",
        description="Import messages from a file or URL into the database.",
        epilog=INGEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ing.add_argument("target", metavar="PATH|URL", help="file to import, or an http(s) URL")
    ing.add_argument("--source", metavar="NAME", help="source name (default: from the path or channel)")
    ing.add_argument("--kind", choices=KINDS, help="what TARGET is (default: detect)")
    ing.add_argument(
        "--authority",
        choices=AUTHORITIES,
        default=None,
        help="who speaks through a NEW source (default: other; an existing source keeps its own)",
    )
    ing.add_argument("--batch-size", type=_positive, default=500, metavar="N", help="commit every N messages")
    ing.add_argument(
        "--pages",
        type=_positive,
        default=1,
        metavar="N",
        help="t.me channel: pages of ~20 posts to walk back",
    )
    ing.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help=f"extract in N worker processes, one batch ahead of the database (default: 1 for inputs of "
        f"{WORKERS_MIN_ENTRIES}+ entries on a machine with 2+ CPUs, else 0 = in this process)",
    )
    ing.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"progress bar on stderr (default: when stderr is a terminal and the input has more than "
        f"{PROGRESS_MIN_ENTRIES} entries)",
    )
    ing.set_defaults(func=_cmd_ingest)

    src = subparsers.add_parser(
        "sources",
        help="configure the sources that `tocsin watch` polls",
        description="Add and list sources.",
        epilog=SOURCES_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src_sub = src.add_subparsers(dest="sources_command", metavar="SOURCES_COMMAND", required=True)
    add = src_sub.add_parser("add", help="add a source")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--kind", choices=KINDS, help="default: detected from --url")
    add.add_argument("--authority", choices=AUTHORITIES, required=True)
    add.add_argument(
        "--url", required=True, metavar="URL_OR_PATH", help="http(s) URL (feed, t.me channel) or a file path"
    )
    add.add_argument(
        "--interval", type=_positive, metavar="SECONDS", help="poll every SECONDS (default: never polled)"
    )
    add.set_defaults(func=_cmd_sources_add)
    lst = src_sub.add_parser("list", help="list the sources with their fetch state")
    lst.set_defaults(func=_cmd_sources_list)

    wat = subparsers.add_parser(
        "watch",
        help="poll the configured sources on their intervals",
        description="Poll due sources and ingest what they bring.",
        epilog=WATCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    wat.add_argument("--once", action="store_true", help="one pass over the due sources, then exit")
    wat.add_argument("--max-cycles", type=_positive, metavar="N", help="stop after N passes")
    wat.add_argument("--batch-size", type=_positive, default=500, metavar="N", help=argparse.SUPPRESS)
    wat.set_defaults(func=_cmd_watch)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


# --------------------------------------------------------------------------------------------- helpers


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=not stderr)


def _error(message: str) -> None:
    _console(stderr=True).print(f"tocsin: error: {message}", markup=False)


def _guarded(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return fn(args)
        except _Fail as exc:
            _error(str(exc))
            return exc.code
        except SQLAlchemyError as exc:
            _error(f"database: {exc}")
            return 1

    return run


def _engine() -> Any:
    from tocsin.settings import Settings
    from tocsin.store.engine import make_engine, upgrade

    engine = make_engine(Settings.from_env().database_url)
    upgrade(engine)
    return engine


def _is_url(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value.strip()))


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE).strip("_.-")
    return slug[:200] or "source"


def default_name(target: str, kind: SourceKind) -> str:
    """The source name ``tocsin ingest`` uses when ``--source`` is not given."""
    if _is_url(target):
        if kind is SourceKind.TELEGRAM_WEB:
            from tocsin.sources.telegram_web import channel_name

            return channel_name(target)
        parts = urlsplit(target)
        return _slug(f"{parts.hostname or ''}{parts.path}")
    path = Path(target)
    if path.name.lower() == "result.json" and path.resolve().parent.name:
        return _slug(path.resolve().parent.name)
    return _slug(path.stem)


def _fmt_time(value: datetime | None) -> str:
    return "never" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


# ---------------------------------------------------------------------------------------------- ingest


@_guarded
def _cmd_ingest(args: argparse.Namespace) -> int:
    from tocsin.ingest import SourceSpec, ingest
    from tocsin.store import repo

    target = args.target
    kind = SourceKind(args.kind) if args.kind else None
    entries, total, kind, stored_url = _open_target(target, kind, args.pages)
    name = args.source or default_name(target, kind)
    spec = SourceSpec(name=name, kind=kind, authority=args.authority or Authority.OTHER, url=stored_url)
    engine = _engine()
    err = _console(stderr=True)
    workers = args.workers
    if workers is None:
        workers = 1 if (os.cpu_count() or 1) >= 2 and (total or 0) >= WORKERS_MIN_ENTRIES else 0
    if workers < 0:
        raise _Fail("--workers must be 0 or more")
    show = args.progress
    if show is None:
        show = err.is_terminal and (total is None or total > PROGRESS_MIN_ENTRIES)
    try:
        try:
            if show:
                summary = _with_progress(engine, spec, entries, total, args.batch_size, workers, err)
            else:
                summary = ingest(engine, spec, entries, batch_size=args.batch_size, workers=workers)
        except repo.StoreError as exc:
            raise _Fail(str(exc)) from None
        _existing_authority_note(engine, name, args.authority, err)
    finally:
        engine.dispose()
    _print_summary(summary)
    return 0 if summary.stored or not summary.rejected else 1


def _open_target(
    target: str, kind: SourceKind | None, pages: int
) -> tuple[Iterator[Any], int | None, SourceKind, str]:
    """(entries, number of entries if known, kind, URL or absolute path to store on the source)."""
    from tocsin.sources import detect_kind, detect_url_kind, read_path, read_url

    if _is_url(target):
        from tocsin.sources.http import UnsafeURL, check_url

        try:
            url = check_url(target)
        except UnsafeURL as exc:
            raise _Fail(str(exc)) from None
        kind = kind or detect_url_kind(url)
        if kind not in URL_KINDS:
            raise _Fail(f"a {kind.value} source is read from a file, not a URL")
        options: dict[str, Any] = {"pages": pages} if kind is SourceKind.TELEGRAM_WEB else {}
        try:
            entries = list(read_url(url, kind, **options))
        except ValueError as exc:
            raise _Fail(str(exc)) from None
        if kind is SourceKind.TELEGRAM_WEB:
            from tocsin.sources.telegram_web import page_url

            url = page_url(url)
        return iter(entries), len(entries), kind, url
    path = Path(target)
    if not path.exists():
        raise _Fail(f"{target}: no such file")
    if path.is_dir():
        raise _Fail(f"{target} is a directory; give the file (e.g. {path / 'result.json'})")
    if not os.access(path, os.R_OK):
        raise _Fail(f"{target}: permission denied")
    kind = kind or detect_kind(path)
    if kind is SourceKind.TELEGRAM_WEB:
        raise _Fail("a telegram_web source is read from a https://t.me/s/<channel> URL, not a file")
    if kind is SourceKind.JSONL:
        return read_path(path, kind), _count_lines(path), kind, str(path.resolve())
    entries = list(read_path(path, kind))
    return iter(entries), len(entries), kind, str(path.resolve())


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _with_progress(
    engine: Any, spec: Any, entries: Any, total: int | None, batch_size: int, workers: int, err: Any
) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from tocsin.ingest import ingest

    with Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("ingest", total=total, counts="")

        def advance(summary: Any) -> None:
            progress.update(
                task,
                completed=summary.entries,
                counts=f"new {summary.new} · updated {summary.updated} · unchanged {summary.unchanged}"
                f" · rejected {len(summary.rejected)}",
            )

        summary = ingest(engine, spec, entries, batch_size=batch_size, progress=advance, workers=workers)
        progress.update(task, completed=summary.entries, total=summary.entries)
    return summary


def _existing_authority_note(engine: Any, name: str, asked: str | None, err: Any) -> None:
    if asked is None:
        return
    from sqlalchemy import select

    from tocsin.store.engine import make_sessionmaker
    from tocsin.store.models import Source

    with make_sessionmaker(engine)() as session:
        src = session.scalar(select(Source).where(Source.name == name))
    if src is not None and src.authority != Authority(asked):
        err.print(
            f"tocsin: note: source {name!r} already exists with authority {src.authority.value}; "
            f"--authority {asked} was not applied",
            markup=False,
        )


def _print_summary(summary: Any) -> None:
    from rich.table import Table

    out = _console()
    table = Table(title=f"ingest into source {summary.source_name!r}", show_header=True, header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("count", justify="right")
    rows = [
        ("new messages", summary.new),
        ("updated (new version)", summary.updated),
        ("unchanged", summary.unchanged),
        ("rejected", len(summary.rejected)),
        ("claims extracted", summary.claims),
        ("incidents created", summary.incidents.created),
        ("incidents updated", summary.incidents.updated),
    ]
    if summary.incidents.deleted:
        rows.append(("incidents deleted", summary.incidents.deleted))
    for label, value in rows:
        table.add_row(label, str(value))
    out.print(table)
    if summary.rejected:
        out.print("rejected:", markup=False)
        for rej in summary.rejected[:SHOWN_REJECTIONS]:
            out.print(f"  {rej.where}: {rej.reason}", markup=False)
        rest = len(summary.rejected) - SHOWN_REJECTIONS
        if rest > 0:
            out.print(f"  … and {rest} more", markup=False)


# --------------------------------------------------------------------------------------------- sources


def check_source_location(kind: SourceKind, value: str) -> str:
    """The URL or absolute path to store for a source of ``kind``; ``_Fail`` (a ValueError-like) if refused.

    URLs must be http(s) (``tocsin.sources.http.check_url``) and are only for feeds and Telegram channels;
    file paths are for the file kinds (a saved feed too) and must exist.
    """
    value = value.strip()
    if kind is SourceKind.TELEGRAM_WEB:
        from tocsin.sources.telegram_web import channel_name, page_url

        if _is_url(value):
            _check_http(value)
        try:
            return page_url(channel_name(value))
        except ValueError as exc:
            raise _Fail(str(exc)) from None
    if _is_url(value) or value.lower().startswith(("file:", "ftp:", "javascript:", "data:")):
        if kind not in URL_KINDS:
            raise _Fail(f"a {kind.value} source is a file path, not a URL ({value[:200]!r})")
        return _check_http(value)
    path = Path(value).expanduser()
    if not path.is_file():
        raise _Fail(f"{value}: no such file")
    return str(path.resolve())


def _check_http(value: str) -> str:
    from tocsin.sources.http import UnsafeURL, check_url

    try:
        return check_url(value)
    except UnsafeURL as exc:
        raise _Fail(str(exc)) from None


@_guarded
def _cmd_sources_add(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from tocsin.sources import detect_kind, detect_url_kind
    from tocsin.store import repo
    from tocsin.store.engine import session_scope
    from tocsin.store.models import Source

    if args.kind:
        kind = SourceKind(args.kind)
    elif _is_url(args.url):
        kind = detect_url_kind(args.url)
    else:
        kind = detect_kind(args.url)
    location = check_source_location(kind, args.url)
    engine = _engine()
    try:
        with session_scope(engine) as session:
            if session.scalar(select(Source.id).where(Source.name == args.name)) is not None:
                raise _Fail(f"source {args.name!r} exists already (see `tocsin sources list`)")
            try:
                source = repo.get_or_create_source(session, args.name, kind, args.authority, location)
            except repo.StoreError as exc:
                raise _Fail(str(exc)) from None
            source.poll_interval_s = args.interval
            session.flush()
            repo.append_event(
                session,
                "cli",
                "source.add",
                "source",
                source.id,
                after={
                    "name": source.name,
                    "kind": kind,
                    "authority": source.authority,
                    "url": location,
                    "poll_interval_s": args.interval,
                },
            )
    finally:
        engine.dispose()
    every = f", polled every {args.interval} s" if args.interval else " (not polled: no --interval)"
    _console().print(
        f"added source {args.name!r}: {kind.value}, {args.authority}, {location}{every}", markup=False
    )
    return 0


@_guarded
def _cmd_sources_list(args: argparse.Namespace) -> int:
    from rich.table import Table
    from sqlalchemy import select

    from tocsin.store.engine import make_sessionmaker
    from tocsin.store.models import Source
    from tocsin.watch import message_counts

    engine = _engine()
    try:
        with make_sessionmaker(engine)() as session:
            sources = session.scalars(select(Source).order_by(Source.name)).all()
            counts = message_counts(session)
    finally:
        engine.dispose()
    out = _console()
    if not sources:
        out.print("no sources yet (add one with `tocsin sources add`, or import with `tocsin ingest`)")
        return 0
    table = Table(header_style="bold")
    for col in ("name", "kind", "authority", "url", "interval", "last fetched", "last error", "messages"):
        table.add_column(col, justify="right" if col == "messages" else "left", overflow="fold")
    for s in sources:
        interval = "-" if s.poll_interval_s is None else f"{s.poll_interval_s} s"
        if not s.enabled:
            interval += " (disabled)"
        table.add_row(
            s.name,
            s.kind.value,
            s.authority.value,
            s.url or "",
            interval,
            _fmt_time(s.last_fetched_at),
            (s.last_error or "")[:200],
            str(counts.get(s.id, 0)),
        )
    out.print(table)
    return 0


# ----------------------------------------------------------------------------------------------- watch


@_guarded
def _cmd_watch(args: argparse.Namespace) -> int:
    from tocsin import watch

    err = _console(stderr=True)

    def report(result: watch.PollResult) -> None:
        if result.error:
            err.print(f"{result.source_name}: error: {result.error}", markup=False)
        elif result.not_modified or result.summary is None:
            err.print(f"{result.source_name}: not modified", markup=False)
        else:
            s = result.summary
            err.print(
                f"{result.source_name}: new {s.new}, updated {s.updated}, unchanged {s.unchanged}, "
                f"rejected {len(s.rejected)}, claims {s.claims}, incidents +{s.incidents.created} "
                f"~{s.incidents.updated}",
                markup=False,
            )

    engine = _engine()
    try:
        rep = watch.run(
            engine, once=args.once, max_cycles=args.max_cycles, batch_size=args.batch_size, on_poll=report
        )
    finally:
        engine.dispose()
    if args.once or args.max_cycles:
        err.print(f"watch: {rep.cycles} cycle(s), {len(rep.polls)} poll(s)", markup=False)
    return 0
