"""``tocsin serve`` (the README's first command) and ``tocsin demo``.

``tocsin serve`` creates or upgrades the database at ``TOCSIN_DATABASE_URL`` (default: the SQLite file
``./tocsin.db``), loads the demo data when the database holds no message yet (unless ``--no-demo``), prints
the address and runs the web app (``tocsin.web.app.create_app``) under uvicorn until Ctrl+C.

``tocsin demo`` loads the demo data (``tocsin.demo``) into the database, or writes it as JSON Lines.

Hooked into ``tocsin.cli.build_parser`` with ``register(sub)``.
"""

from __future__ import annotations

import argparse
import errno
import json
import socket
import sys
import time
from typing import Any

SERVE_EPILOG = """\
The database is TOCSIN_DATABASE_URL (default: sqlite:///./tocsin.db, a file in the working directory;
production: postgresql+psycopg://user@host:5432/dbname). It is created or upgraded to the newest schema
first; when it holds no message yet, a few weeks of demo data are loaded (tocsin demo) unless --no-demo.

examples:
  tocsin serve                          http://127.0.0.1:8000 with demo data on a fresh database
  tocsin serve --port 8080 --no-demo
  tocsin serve --host 0.0.0.0           listen on every interface (put a TLS proxy in front)
  TOCSIN_DATABASE_URL=postgresql+psycopg://tocsin@127.0.0.1/tocsin tocsin serve
"""

DEMO_EPILOG = """\
The demo statements are written by tocsin's own templates (tocsin/demo.py): governors' posts and the
defence ministry's night bulletins in Russian, Ukrainian air force summaries and oblast administrations in
Ukrainian, wire copy in English; alerts and all-clears; figures that sometimes disagree or are not
disclosed. Their sources are named "… [demo]" and link to example.org. They go through the same pipeline as
a real import (messages → claims → incidents → region statuses), dated up to now.

examples:
  tocsin demo                           load 21 days into TOCSIN_DATABASE_URL (must hold no messages)
  tocsin demo --days 60 --seed 7
  tocsin demo --jsonl demo.jsonl        write the statements instead ({"id","text","published","lang",…})
  tocsin extract --jsonl demo.jsonl -o pred.jsonl
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` and ``demo`` commands to the ``tocsin`` parser's subcommands."""
    from tocsin.demo import DEFAULT_DAYS, DEFAULT_SEED

    serve = subparsers.add_parser(
        "serve",
        help="run the web site (creates the database and loads demo data on first run)",
        description="Create/upgrade the database, load demo data into an empty one, serve the web site.",
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port (default: 8000)")
    serve.add_argument(
        "--no-demo", action="store_true", help="never load demo data, even into an empty database"
    )
    serve.add_argument("--reload", action="store_true", help="restart when the code changes (development)")
    serve.set_defaults(func=_cmd_serve)

    demo = subparsers.add_parser(
        "demo",
        help="load a few weeks of demo statements (three languages, ~12 regions) into the database",
        description="Generate demo statements and ingest them through the real pipeline.",
        epilog=DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--days", type=_positive, default=DEFAULT_DAYS, help=f"nights to generate (default: {DEFAULT_DAYS})"
    )
    demo.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed: the same seed, the same data"
    )
    demo.add_argument(
        "--jsonl",
        metavar="OUT",
        help='write the statements as JSON Lines to OUT ("-": stdout) instead of loading them',
    )
    demo.add_argument(
        "--force", action="store_true", help="load even when the database already holds messages"
    )
    demo.set_defaults(func=_cmd_demo)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _say(message: str) -> None:
    print(f"tocsin: {message}", file=sys.stderr, flush=True)


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# ------------------------------------------------------------------------------------------------ serve


def prepare(engine: Any, *, demo: bool = True, say: Any = _say, settings: Any = None) -> bool:
    """Upgrade the schema; load the demo data when ``demo`` and the database holds no message: the
    statements (``tocsin.demo``) and, with ``settings``, the seed night's residents' reports, crews and
    dispatches with a demo dispatcher account (``tocsin.demo_reports``). Returns True when loaded."""
    from tocsin import demo as demo_mod
    from tocsin.store.engine import upgrade

    upgrade(engine)
    if not demo or not demo_mod.is_empty(engine):
        return False
    say("the database is empty: loading demo data (tocsin demo) …")
    t0 = time.perf_counter()
    summary = demo_mod.load(engine)
    say(f"demo data loaded in {time.perf_counter() - t0:.1f} s: {summary.describe()}")
    if settings is not None:
        from tocsin import demo_reports

        extra = demo_reports.load(engine, settings)
        say(f"demo operations: {extra.describe()}")
        say(
            f"demo operator account (demo data only): {extra.username} / {extra.password} "
            "— sign in at /ops/login; real accounts: tocsin user add NAME --role ROLE"
        )
    return True


def _check_port(host: str, port: int) -> str | None:
    """None if ``host:port`` can be listened on now, else why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another tocsin serve?): try --port {port + 1}"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now (for a server started by a test or a benchmark)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_until_serving(process: Any, url: str, timeout_s: float) -> str | None:
    """Poll ``url`` until it answers 200 while ``process`` (a ``subprocess.Popen`` running a server) is
    alive. None when it answers; else why not ("exited with N" or "no answer in N s")."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with {process.returncode}"
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return None
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return f"no answer in {timeout_s:g} s"


def site_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tocsin.settings import Settings, SettingsError
    from tocsin.store.engine import make_engine

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _say(f"error: {exc}")
        return 2
    problem = _check_port(args.host, args.port)
    if problem:
        _say(f"error: {problem}")
        return 2
    engine = make_engine(settings.database_url)
    try:
        _say(f"database {_shown(settings.database_url)}")
        prepare(engine, demo=not args.no_demo, settings=settings)
    except Exception as exc:
        _say(
            f"error: cannot prepare the database {_shown(settings.database_url)}: {type(exc).__name__}: {exc}"
        )
        return 1
    finally:
        engine.dispose()

    app: Any = None
    if not args.reload:
        from tocsin.web.app import create_app

        app = create_app(settings)
        from tocsin import places

        places.warm_up()  # the settlement gazetteer, in the background: the report form names places at once
    url = site_url(args.host, args.port)
    _say(f"serving {url}  (Ctrl+C to stop)")
    if args.host in ("0.0.0.0", "::"):
        _say(f"listening on every interface ({args.host}); put a TLS proxy in front for public use")
    if args.reload:
        from pathlib import Path

        import tocsin

        uvicorn.run(
            "tocsin.web.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            reload=True,
            reload_dirs=[str(Path(tocsin.__file__).parent)],
            log_level="info",
        )
        return 0
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", proxy_headers=False)
    return 0


# ------------------------------------------------------------------------------------------------- demo


def _cmd_demo(args: argparse.Namespace) -> int:
    from tocsin import demo as demo_mod

    if args.jsonl is not None:
        return _demo_jsonl(args)
    from tocsin.settings import Settings, SettingsError
    from tocsin.store.engine import make_engine, upgrade

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _say(f"error: {exc}")
        return 2
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        if not args.force and not demo_mod.is_empty(engine):
            _say(
                f"error: {_shown(settings.database_url)} already holds messages; demo data would mix with "
                "them. Use another TOCSIN_DATABASE_URL, or --force to add it anyway."
            )
            return 2
        t0 = time.perf_counter()
        summary = demo_mod.load(engine, days=args.days, seed=args.seed)
    finally:
        engine.dispose()
    _say(
        f"demo data loaded into {_shown(settings.database_url)} in {time.perf_counter() - t0:.1f} s: "
        f"{summary.describe()}"
    )
    for line in summary.rejected[:20]:
        _say(f"  rejected: {line}")
    return 0


def _demo_jsonl(args: argparse.Namespace) -> int:
    from tocsin import demo as demo_mod

    lines = []
    for spec, items in demo_mod.generate(args.days, args.seed):
        for item in items:
            lines.append(
                (
                    item.published,
                    json.dumps(
                        {
                            "id": item.external_id,
                            "text": item.text,
                            "published": item.published.isoformat(),
                            "lang": item.lang,
                            "source": spec.name,
                            "authority": str(spec.authority),
                            "url": item.url,
                        },
                        ensure_ascii=False,
                    ),
                )
            )
    lines.sort(key=lambda pair: pair[0])
    data = "".join(line + "\n" for _, line in lines)
    if args.jsonl == "-":
        sys.stdout.buffer.write(data.encode("utf-8"))
        sys.stdout.flush()
    else:
        try:
            with open(args.jsonl, "w", encoding="utf-8", newline="\n") as f:
                f.write(data)
        except OSError as exc:
            _say(f"error: cannot write {args.jsonl}: {exc.strerror or exc}")
            return 2
        _say(f"{len(lines)} demo statements written to {args.jsonl}")
    return 0
