"""``tocsin export incidents|claims|reports``: open-data exports to stdout or a file.

Incidents and claims come from ``tocsin.exports``; residents' reports from ``tocsin.report_exports``, through
the deployment's publication policy (``tocsin.policy``, the ``TOCSIN_PUBLIC_*`` settings) like the public
site: the export is public open data.

Hooked into ``tocsin.cli.build_parser`` with ``register(sub)``.
"""

from __future__ import annotations

import argparse
import io
import sys
from datetime import UTC, date, datetime

EXPORT_EPILOG = """\
The database is TOCSIN_DATABASE_URL (default: sqlite:///./tocsin.db); it is upgraded to the newest schema
first. Unknown values are null in JSON and empty cells in CSV — never 0. Columns: docs/data.md.

examples:
  tocsin export incidents --format csv -o incidents.csv
  tocsin export incidents --format geojson --region RU-SMO --since 2025-01-01 -o smolensk.geojson
  tocsin export incidents --format jsonl | head
  tocsin export claims --format jsonl -o claims.jsonl
  tocsin export reports --format geojson --since 2025-09-01 -o reports.geojson
"""

REPORTS_EPILOG = """\
Only what the publication policy lets the public see: reports operators have checked, once the delay
(TOCSIN_PUBLICATION_DELAY_MINUTES) is over, located as coarsely as TOCSIN_PUBLIC_LOCATION_PRECISION says,
times rounded; never contact data, descriptions or the resident's own words. Photos are listed only when
TOCSIN_PUBLIC_PHOTOS is on. Columns: docs/publication-policy.md.

examples:
  tocsin export reports --format csv -o reports.csv
  tocsin export reports --format geojson --region RU-SMO --since 2025-09-01 -o smolensk-reports.geojson
"""


def _since(value: str) -> datetime:
    """An ISO date (midnight UTC) or datetime (a naive one is read as UTC)."""
    try:
        if "T" not in value and " " not in value:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO date or datetime (e.g. 2025-01-01 or 2025-01-01T06:00+03:00)"
        ) from None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _region(value: str) -> str:
    from tocsin.exports import region_names

    iso = value.strip().upper()
    if iso not in region_names():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a known ISO 3166-2 region code (e.g. RU-SMO, UA-63)"
        )
    return iso


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` command group to the ``tocsin`` parser's subcommands."""
    ex = subparsers.add_parser(
        "export",
        help="export incidents, claims or public reports as open data (JSON Lines, CSV, GeoJSON)",
        description="Export the stored incidents, claims or residents' public reports (open data).",
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ex.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    inc = sub.add_parser(
        "incidents",
        help="one row per incident (consensus values, sources, disagreements)",
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inc.add_argument("--format", required=True, choices=("jsonl", "csv", "geojson"))
    inc.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    inc.add_argument("--region", type=_region, metavar="ISO", help="only this region (e.g. RU-SMO)")
    inc.add_argument(
        "--since",
        type=_since,
        metavar="ISO",
        help="only incidents whose window ends at or after this date/time (a date is midnight UTC)",
    )
    inc.set_defaults(func=_cmd_incidents)
    cl = sub.add_parser(
        "claims",
        help="one row per current claim (source, link, fields, evidence quotes)",
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cl.add_argument("--format", required=True, choices=("jsonl", "csv"))
    cl.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    cl.set_defaults(func=_cmd_claims)
    rep = sub.add_parser(
        "reports",
        help="residents' reports as the publication policy shows them publicly",
        epilog=REPORTS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("--format", required=True, choices=("jsonl", "csv", "geojson"))
    rep.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    rep.add_argument("--region", type=_region, metavar="ISO", help="only this region (e.g. RU-SMO)")
    rep.add_argument(
        "--since",
        type=_since,
        metavar="ISO",
        help="only reports whose public observation time is at or after this date/time (a date is "
        "midnight UTC)",
    )
    rep.set_defaults(func=_cmd_reports)


def _fail(message: str, code: int = 1) -> int:
    print(f"tocsin: error: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace, write) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.settings import Settings
    from tocsin.store.engine import make_engine, make_sessionmaker, upgrade

    url = Settings.from_env().database_url
    try:
        out = (
            open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115 — closed below
            if args.output
            else io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
        )
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}", 2)
    engine = None
    try:
        engine = make_engine(url)
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            n = write(session, out)
    except (SQLAlchemyError, OSError) as exc:
        return _fail(f"export failed: {exc}")
    finally:
        if args.output:
            out.close()
        else:
            out.detach()
        if engine is not None:
            engine.dispose()
    if args.output:
        print(f"{n} rows → {args.output}", file=sys.stderr)
    return 0


def _cmd_incidents(args: argparse.Namespace) -> int:
    from tocsin.exports import export_incidents

    return _run(
        args,
        lambda session, out: export_incidents(
            session, args.format, out, since=args.since, region=args.region
        ),
    )


def _cmd_claims(args: argparse.Namespace) -> int:
    from tocsin.exports import export_claims

    return _run(args, lambda session, out: export_claims(session, args.format, out))


def _cmd_reports(args: argparse.Namespace) -> int:
    from tocsin.policy import PolicyError, PublicationPolicy
    from tocsin.report_exports import export_reports
    from tocsin.settings import Settings, SettingsError

    try:
        policy = PublicationPolicy.from_settings(Settings.from_env())
    except (PolicyError, SettingsError) as exc:
        return _fail(str(exc), 2)
    now = datetime.now(UTC)
    return _run(
        args,
        lambda session, out: export_reports(
            session, policy, args.format, out, now=now, region=args.region, since=args.since
        ),
    )
