"""``tocsin unit …``: add emergency-service units, list them, set their status (thin callers of
``tocsin.dispatch``; the audit Events name the actor ``cli``).

Hooked into ``tocsin.cli.build_parser`` with ``register(sub)``.
"""

from __future__ import annotations

import argparse
import sys

from tocsin.domain import UnitStatus

ACTOR = "cli"

UNIT_EPILOG = """\
The database is TOCSIN_DATABASE_URL (default: sqlite:///./tocsin.db), or --url.

examples:
  tocsin unit add "Fire crew 12" --kind "fire crew"
  tocsin unit list
  tocsin unit status "Fire crew 12" off_duty

Statuses: available, en_route, on_scene, off_duty. A unit on an open dispatch follows the dispatch;
its status cannot be set by hand until the dispatch is completed or cancelled.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``unit`` command group to the ``tocsin`` parser's subcommands."""
    unit = subparsers.add_parser(
        "unit",
        help="emergency-service units: add, list, set status",
        description="Manage the units (crews, teams) that dispatchers send to residents' reports.",
        epilog=UNIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = unit.add_subparsers(dest="unit_command", metavar="UNIT_COMMAND", required=True)

    add = sub.add_parser("add", help="add a unit (available)")
    add.add_argument("name", metavar="NAME", help="unique name, e.g. 'Fire crew 12'")
    add.add_argument("--kind", metavar="K", help="what the unit is, e.g. 'fire crew', 'EOD team'")
    add.add_argument("--url", help="database URL (default: TOCSIN_DATABASE_URL)")
    add.set_defaults(func=_cmd_add)

    ls = sub.add_parser("list", help="list the units and their statuses")
    ls.add_argument("--url", help="database URL (default: TOCSIN_DATABASE_URL)")
    ls.set_defaults(func=_cmd_list)

    st = sub.add_parser("status", help="set a unit's status")
    st.add_argument("name", metavar="NAME")
    st.add_argument("status", metavar="STATUS", choices=[s.value for s in UnitStatus])
    st.add_argument("--note", help="a note kept with the unit and in the audit log")
    st.add_argument("--url", help="database URL (default: TOCSIN_DATABASE_URL)")
    st.set_defaults(func=_cmd_status)


def _url(args: argparse.Namespace) -> str:
    from tocsin.settings import Settings

    return args.url or Settings.from_env().database_url


def _fail(message: str) -> int:
    print(f"tocsin: error: {message}", file=sys.stderr)
    return 1


def _run(args: argparse.Namespace, action) -> int:
    """Open the database, run ``action(session)`` in one transaction, report errors on stderr."""
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.dispatch import DispatchError
    from tocsin.store.engine import make_engine, session_scope

    try:
        engine = make_engine(_url(args))
    except (SQLAlchemyError, ValueError) as exc:
        return _fail(f"cannot open the database: {exc}")
    try:
        with session_scope(engine) as session:
            return action(session)
    except DispatchError as exc:
        return _fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        return _fail(f"database error: {str(exc).splitlines()[0]} (run `tocsin db upgrade` first?)")
    finally:
        engine.dispose()


def _cmd_add(args: argparse.Namespace) -> int:
    from tocsin.dispatch import add_unit

    def action(session) -> int:
        unit = add_unit(session, args.name, args.kind, ACTOR)
        print(f"unit #{unit.id} {unit.name!r} added ({unit.status})")
        return 0

    return _run(args, action)


def _cmd_list(args: argparse.Namespace) -> int:
    from tocsin.dispatch import list_units, open_dispatch_of_unit

    def action(session) -> int:
        units = list_units(session)
        if not units:
            print("no units yet (add one with `tocsin unit add NAME`)")
            return 0
        width = max(len(u.name) for u in units)
        for unit in units:
            busy = open_dispatch_of_unit(session, unit.id)
            extra = f"  dispatch #{busy.id} ({busy.status})" if busy is not None else ""
            kind = f"  [{unit.kind}]" if unit.kind else ""
            print(f"{unit.id:>5}  {unit.name:<{width}}  {unit.status:<9}{kind}{extra}")
        return 0

    return _run(args, action)


def _cmd_status(args: argparse.Namespace) -> int:
    from tocsin.dispatch import find_unit, set_unit_status

    def action(session) -> int:
        unit = find_unit(session, args.name)
        before = unit.status
        set_unit_status(session, unit.id, UnitStatus(args.status), ACTOR, note=args.note)
        print(f"unit {unit.name!r}: {before} → {unit.status}")
        return 0

    return _run(args, action)
