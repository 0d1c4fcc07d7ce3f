"""``tocsin user …`` through ``tocsin.cli.main``, on both engines."""

from __future__ import annotations

import io

import pyotp
import pytest
from sqlalchemy import Engine, select, text

from tocsin.accounts import AuthError, authenticate, get_user, verify_totp
from tocsin.cli import main
from tocsin.settings import Settings
from tocsin.store.engine import session_scope
from tocsin.store.models import Event, User

PASSWORD = "a long enough passphrase"


@pytest.fixture
def url(engine: Engine) -> str:
    """A URL the CLI can open that reaches the test's database (and, on PostgreSQL, its schema)."""
    u = engine.url
    if u.get_backend_name() == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SHOW search_path")).scalar_one()
        u = u.update_query_dict({"options": f"-csearch_path={schema}"})
    return u.render_as_string(hide_password=False)


def run(capsys, monkeypatch, args: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_passwd_disable(engine, url, capsys, monkeypatch) -> None:
    code, out, err = run(
        capsys,
        monkeypatch,
        [
            "user",
            "add",
            "Anna",
            "--role",
            "dispatcher",
            "--display-name",
            "Anna K.",
            "--password-stdin",
            "--url",
            url,
        ],
        PASSWORD + "\n",
    )
    assert (code, err) == (0, "") and "added anna (dispatcher)" in out
    with session_scope(engine) as s:
        user = get_user(s, "anna")
        assert user.password_hash.startswith("$argon2id$") and user.display_name == "Anna K."
        authenticate(s, "anna", PASSWORD, settings=Settings())
        assert s.scalars(select(Event.actor).where(Event.action == "user.add")).one() == "cli"

    code, out, _ = run(capsys, monkeypatch, ["user", "list", "--url", url])
    assert code == 0 and "anna" in out and "dispatcher" in out and "Anna K." in out and "argon2" not in out

    new = "another long passphrase"
    code, out, _ = run(
        capsys, monkeypatch, ["user", "passwd", "anna", "--password-stdin", "--url", url], new + "\n"
    )
    assert code == 0 and "changed" in out
    with session_scope(engine) as s:
        authenticate(s, "anna", new, settings=Settings())
        with pytest.raises(AuthError):
            authenticate(s, "anna", PASSWORD, settings=Settings())

    code, out, _ = run(capsys, monkeypatch, ["user", "disable", "anna", "--url", url])
    assert code == 0 and "disabled anna" in out
    code, out, _ = run(capsys, monkeypatch, ["user", "list", "--url", url])
    assert "disabled" in out
    with session_scope(engine) as s:
        assert s.scalars(select(User.disabled)).one() is True


def test_refusals_have_clear_errors_and_exit_codes(engine, url, capsys, monkeypatch) -> None:
    add = ["user", "add", "anna", "--role", "operator", "--password-stdin", "--url", url]
    assert run(capsys, monkeypatch, add, PASSWORD + "\n")[0] == 0
    cases = [
        (add, PASSWORD + "\n", 1, "already exists"),
        (
            ["user", "add", "bo", "--role", "operator", "--password-stdin", "--url", url],
            PASSWORD,
            1,
            "username",
        ),
        (
            ["user", "add", "boris", "--role", "operator", "--password-stdin", "--url", url],
            "short\n",
            1,
            "12",
        ),
        (
            ["user", "add", "boris", "--role", "operator", "--password-stdin", "--url", url],
            "x" * 20,
            1,
            "repeated",
        ),
        (["user", "add", "boris", "--role", "operator", "--password-stdin", "--url", url], "", 1, "empty"),
        (["user", "add", "boris", "--role", "operator", "--url", url], "", 1, "--password-stdin"),  # no tty
        (
            ["user", "add", "boris", "--role", "root", "--password-stdin", "--url", url],
            PASSWORD,
            2,
            "invalid choice",
        ),
        (["user", "add", "boris", "--password-stdin", "--url", url], PASSWORD, 2, "--role"),
        (["user", "disable", "nobody", "--url", url], "", 1, "no user"),
        (["user", "passwd", "nobody", "--password-stdin", "--url", url], PASSWORD, 1, "no user"),
        (["user", "totp", "nobody", "--url", url], "", 1, "no user"),
        (["user"], "", 2, "USER_COMMAND"),
    ]
    for args, stdin, want, message in cases:
        code, out, err = run(capsys, monkeypatch, args, stdin)
        assert code == want, (args, code, out, err)
        assert message in err, (args, err)
    with session_scope(engine) as s:
        assert [u.username for u in s.scalars(select(User))] == ["anna"]


def test_totp_enrol_prints_the_secret_once(engine, url, capsys, monkeypatch) -> None:
    run(
        capsys,
        monkeypatch,
        ["user", "add", "edith", "--role", "editor", "--password-stdin", "--url", url],
        PASSWORD,
    )
    code, out, _ = run(capsys, monkeypatch, ["user", "totp", "edith", "--url", url])
    assert code == 0
    secret = next(line.split()[-1] for line in out.splitlines() if "secret:" in line)
    assert "otpauth://totp/tocsin:edith?secret=" + secret in out
    with session_scope(engine) as s:
        user = get_user(s, "edith")
        assert verify_totp(user, pyotp.TOTP(secret).now())
        events = s.scalars(select(Event).where(Event.action == "user.totp")).all()
        assert secret not in repr([(e.before, e.after) for e in events])
    code, out, _ = run(capsys, monkeypatch, ["user", "list", "--url", url])
    assert "yes" in out and secret not in out
    code, out, _ = run(capsys, monkeypatch, ["user", "totp", "edith", "--remove", "--url", url])
    assert code == 0 and "off" in out
    with session_scope(engine) as s:
        assert get_user(s, "edith").totp_secret is None


def test_help(capsys) -> None:
    assert main(["user", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("add", "list", "disable", "passwd", "totp", "dispatcher", "TOCSIN_DATABASE_URL"):
        assert word in out
    assert main(["user", "add", "--help"]) == 0
    assert "--password-stdin" in capsys.readouterr().out


def test_empty_database_is_created(tmp_path, capsys, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code, out, _ = run(capsys, monkeypatch, ["user", "list", "--url", url])
    assert code == 0 and "no accounts yet" in out
