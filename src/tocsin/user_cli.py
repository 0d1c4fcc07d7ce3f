"""``tocsin user …``: operator accounts (add, list, disable, passwd, totp).

Hooked into ``tocsin.cli.build_parser`` with ``register(sub)``. Thin callers of ``tocsin.accounts``.
Every command creates or upgrades the database schema first (like ``tocsin db upgrade``).

Exit status: 0 done; 1 the change was refused (bad username or password, duplicate, unknown user,
passwords that do not match) or the database failed; 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

USER_EPILOG = """\
Roles: operator (triage), dispatcher (triage and dispatch), editor (incidents and public content),
admin (everything, including accounts).

The database is TOCSIN_DATABASE_URL (default: sqlite:///./tocsin.db) or --url; it is created or upgraded
to the newest schema first.

examples:
  tocsin user add anna --role dispatcher --display-name "Anna K."
  printf '%s\\n' "$PASSWORD" | tocsin user add bot-01 --role operator --password-stdin
  tocsin user list
  tocsin user passwd anna
  tocsin user totp anna          # prints the secret and otpauth:// URI once
  tocsin user disable anna

exit status: 0 done; 1 refused (bad name or password, duplicate, unknown user) or database error;
             2 usage error.
"""

PASSWORD_HELP = "at least 12 characters, not one character repeated"


class _Refused(Exception):
    """A refusal to report on stderr with exit status 1."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this command group to the ``tocsin`` parser's subcommands."""
    from tocsin.domain import Role

    user = subparsers.add_parser(
        "user",
        help="operator accounts: add, list, disable, change password, TOTP second factor",
        description="Manage the accounts of emergency-service operators, dispatchers, editors and admins.",
        epilog=USER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = user.add_subparsers(dest="user_command", metavar="USER_COMMAND", required=True)

    def command(name: str, help: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".")
        p.add_argument("--url", help="database URL (default: TOCSIN_DATABASE_URL)")
        p.set_defaults(func=lambda args: _run(func, args))
        return p

    add = command("add", "create an account (asks for the password twice)", _cmd_add)
    add.add_argument("username", metavar="USERNAME", help="3 to 64 characters: a-z, 0-9, '.', '_', '-'")
    add.add_argument("--role", required=True, choices=[r.value for r in Role], help="what the account may do")
    add.add_argument("--display-name", metavar="NAME", help="the name shown on the pages (default: USERNAME)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read the password from stdin's first line ({PASSWORD_HELP})",
    )

    command("list", "list the accounts (no passwords)", _cmd_list)

    dis = command("disable", "disable an account and end its sessions", _cmd_disable)
    dis.add_argument("username", metavar="USERNAME")

    pw = command("passwd", "set a new password (ends the account's sessions, lifts a lockout)", _cmd_passwd)
    pw.add_argument("username", metavar="USERNAME")
    pw.add_argument(
        "--password-stdin", action="store_true", help="read the new password from stdin's first line"
    )

    totp = command(
        "totp", "turn on the TOTP second factor: prints a new secret and otpauth:// URI", _cmd_totp
    )
    totp.add_argument("username", metavar="USERNAME")
    totp.add_argument("--remove", action="store_true", help="turn the second factor off instead")


# ------------------------------------------------------------------------------------------- plumbing


def _err(message: str) -> None:
    print(f"tocsin: error: {message}", file=sys.stderr)


def _run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.accounts import AccountError

    try:
        return func(args)
    except (AccountError, _Refused) as exc:
        _err(str(exc))
        return 1
    except (SQLAlchemyError, OSError) as exc:
        _err(f"database error: {str(exc).splitlines()[0]}")
        return 1
    except EOFError:
        _err("no password given")
        return 1


@contextlib.contextmanager
def _session_scope(args: argparse.Namespace) -> Iterator[Any]:
    """A session on the (upgraded) database, committed at the end of the block."""
    from tocsin.settings import Settings
    from tocsin.store.engine import make_engine, session_scope, upgrade

    engine = make_engine(args.url or Settings.from_env().database_url)
    try:
        upgrade(engine)
        with session_scope(engine) as s:
            yield s
    finally:
        engine.dispose()


def _read_password(args: argparse.Namespace) -> str:
    from tocsin.accounts import check_password

    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise _Refused("--password-stdin: stdin is empty")
        password = line.rstrip("\r\n")
    else:
        import getpass

        if not sys.stdin.isatty():
            raise _Refused("no terminal to ask for the password: use --password-stdin")
        password = getpass.getpass(f"Password ({PASSWORD_HELP}): ")
        check_password(password)  # complain before asking again
        if getpass.getpass("Password again: ") != password:
            raise _Refused("the passwords do not match")
    check_password(password)
    return password


# ------------------------------------------------------------------------------------------- commands


def _cmd_add(args: argparse.Namespace) -> int:
    from tocsin.accounts import add_user, check_username

    check_username(args.username)  # before asking for a password
    password = _read_password(args)
    with _session_scope(args) as s:
        user = add_user(s, args.username, password, args.role, display_name=args.display_name)
    print(f"added {user.username} ({user.role})")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from tocsin.accounts import is_locked, list_users

    with _session_scope(args) as s:
        users = list_users(s)
        if not users:
            print("no accounts yet (tocsin user add USERNAME --role ROLE)")
            return 0
        rows = [("USERNAME", "ROLE", "TOTP", "STATE", "LAST SIGN-IN", "NAME")]
        for u in users:
            state = "disabled" if u.disabled else "locked" if is_locked(u) else "active"
            last = u.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if u.last_login_at else "never"
            rows.append(
                (u.username, str(u.role), "yes" if u.totp_secret else "no", state, last, u.display_name or "")
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0


def _cmd_disable(args: argparse.Namespace) -> int:
    from tocsin.accounts import disable_user

    with _session_scope(args) as s:
        user = disable_user(s, args.username)
    print(f"disabled {user.username}")
    return 0


def _cmd_passwd(args: argparse.Namespace) -> int:
    from tocsin.accounts import get_user, set_password

    with _session_scope(args) as s:
        if get_user(s, args.username) is None:  # before asking for a password
            raise _Refused(f"no user {args.username[:64]!r}")
    password = _read_password(args)
    with _session_scope(args) as s:
        user = set_password(s, args.username, password)
    print(f"password of {user.username} changed; their sessions have ended")
    return 0


def _cmd_totp(args: argparse.Namespace) -> int:
    from tocsin.accounts import enrol_totp, get_user, remove_totp

    with _session_scope(args) as s:
        user = get_user(s, args.username)
        if user is None:
            raise _Refused(f"no user {args.username[:64]!r}")
        if args.remove:
            remove_totp(s, user)
        else:
            secret, uri = enrol_totp(s, user)
    if args.remove:
        print(f"second factor of {user.username} turned off")
        return 0
    print(f"second factor of {user.username} turned on; their sessions have ended.")
    print("Add it to an authenticator app now (this is shown only once):")
    print(f"  secret: {secret}")
    print(f"  URI:    {uri}")
    return 0
