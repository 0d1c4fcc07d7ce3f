"""``tocsin.accounts``: hashing, validation, lockout, sessions, TOTP and the audit trail, on both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin import accounts
from tocsin.accounts import (
    GENERIC_AUTH_MESSAGE,
    AccountError,
    AuthError,
    add_user,
    authenticate,
    complete_second_factor,
    disable_user,
    end_all_sessions,
    end_session,
    enrol_totp,
    list_users,
    load_session,
    set_password,
    start_session,
    token_hash,
    verify_totp,
)
from tocsin.domain import Role
from tocsin.settings import Settings
from tocsin.store.models import Event, User, UserSession

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _user(session: Session, name: str = "anna", role: Role = Role.OPERATOR, **kw) -> User:
    user = add_user(session, name, PASSWORD, role, **kw)
    session.commit()
    return user


# ------------------------------------------------------------------------------------------- accounts


def test_password_is_stored_as_argon2id_never_in_plain(session: Session) -> None:
    user = _user(session, display_name="Anna K.")
    assert user.password_hash.startswith("$argon2id$v=19$")
    assert PASSWORD not in user.password_hash
    stored = session.execute(select(User.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    # nothing in the whole database holds the password
    events = session.scalars(select(Event)).all()
    assert PASSWORD not in json.dumps([[e.before, e.after] for e in events], default=str)


def test_two_users_with_one_password_get_different_hashes(session: Session) -> None:
    a = _user(session, "anna")
    b = _user(session, "boris")
    assert a.password_hash != b.password_hash  # salted


@pytest.mark.parametrize(
    "username",
    ["ab", "x" * 65, "anna smith", "анна", "anna/..", "<script>", "", "   ", "a\x00b", "anna@example.org"],
)
def test_bad_usernames_are_refused(session: Session, username: str) -> None:
    with pytest.raises(AccountError, match="username"):
        add_user(session, username, PASSWORD, Role.OPERATOR)


def test_username_is_normalised_to_lower_case(session: Session) -> None:
    user = _user(session, "  Anna.K-2_x ")
    assert user.username == "anna.k-2_x"
    assert accounts.get_user(session, "ANNA.K-2_X") is not None


@pytest.mark.parametrize(
    ("password", "why"),
    [("short", "at least 12"), ("a" * 11, "at least 12"), ("a" * 40, "repeated"), ("x" * 1025, "at most")],
)
def test_weak_passwords_are_refused(session: Session, password: str, why: str) -> None:
    with pytest.raises(AccountError, match=why):
        add_user(session, "anna", password, Role.OPERATOR)


def test_duplicate_usernames_and_bad_roles_are_refused(session: Session) -> None:
    _user(session, "anna")
    with pytest.raises(AccountError, match="already exists"):
        add_user(session, "ANNA", PASSWORD, Role.ADMIN)
    with pytest.raises(AccountError, match="role"):
        add_user(session, "boris", PASSWORD, "superuser")
    with pytest.raises(AccountError, match="control"):
        add_user(session, "boris", PASSWORD, Role.ADMIN, display_name="a\x07b")


def test_list_set_password_disable_and_their_audit(session: Session, settings: Settings) -> None:
    _user(session, "boris", Role.ADMIN)
    _user(session, "anna")
    assert [u.username for u in list_users(session)] == ["anna", "boris"]
    new = "a whole new passphrase"
    set_password(session, "anna", new, actor="boris")
    session.commit()
    authenticate(session, "anna", new, settings=settings)
    with pytest.raises(AuthError):
        authenticate(session, "anna", PASSWORD, settings=settings)
    disable_user(session, "anna", actor="boris")
    disable_user(session, "anna", actor="boris")  # idempotent: one event
    session.commit()
    with pytest.raises(AccountError, match="no user"):
        disable_user(session, "nobody")
    events = session.scalars(select(Event).where(Event.entity == "user").order_by(Event.id)).all()
    actions = [(e.actor, e.action) for e in events]
    assert ("cli", "user.add") in actions
    assert ("boris", "user.passwd") in actions
    assert actions.count(("boris", "user.disable")) == 1
    dump = json.dumps([[e.before, e.after] for e in events], default=str)
    for secret in (PASSWORD, new, "argon2"):
        assert secret not in dump


# -------------------------------------------------------------------------------------------- sign-in


def test_authenticate_gives_one_message_for_every_failure(session: Session, settings: Settings) -> None:
    _user(session, "anna")
    _user(session, "dora")
    disable_user(session, "dora")
    session.commit()
    reasons = {}
    for username, password in [("nobody", PASSWORD), ("anna", "wrong password!!"), ("dora", PASSWORD)]:
        with pytest.raises(AuthError) as info:
            authenticate(session, username, password, settings=settings, now=T0)
        assert str(info.value) == GENERIC_AUTH_MESSAGE
        reasons[username] = info.value.reason
    assert reasons == {"nobody": "unknown_user", "anna": "wrong_password", "dora": "disabled"}
    user = authenticate(session, "ANNA", PASSWORD, settings=settings, now=T0)
    assert user.last_login_at == T0 and user.failed_logins == 0


def test_unknown_users_are_checked_against_a_dummy_argon2_hash(session: Session, settings: Settings) -> None:
    # The path for an unknown username verifies a real argon2id hash (same cost as a wrong password):
    # the dummy hash exists, is argon2id with the same parameters as real ones, and rejects guesses.
    with pytest.raises(AuthError):
        authenticate(session, "ghost", PASSWORD, settings=settings)
    dummy = accounts._dummy_hash()
    real = accounts.hash_password(PASSWORD)
    assert dummy.split("$")[:4] == real.split("$")[:4]  # $argon2id$v=19$m=…,t=…,p=…
    assert not accounts._verify(dummy, PASSWORD)
    # hostile input takes the same path and does not blow up
    for name, pw in [("a" * 10_000, "x"), ("\x00", "\x00"), ("anna", "p" * 100_000), (None, None)]:
        with pytest.raises(AuthError):
            authenticate(session, name, pw, settings=settings)  # type: ignore[arg-type]


def test_lockout_after_consecutive_failures_and_its_expiry(session: Session, settings: Settings) -> None:
    _user(session, "anna")
    for i in range(settings.login_max_failures):
        with pytest.raises(AuthError) as info:
            authenticate(session, "anna", f"wrong password {i}", settings=settings, now=T0)
        assert info.value.reason == "wrong_password"
        session.commit()
    # locked: even the right password fails, with the same message
    with pytest.raises(AuthError) as info:
        authenticate(session, "anna", PASSWORD, settings=settings, now=T0 + timedelta(minutes=1))
    assert info.value.reason == "locked" and str(info.value) == GENERIC_AUTH_MESSAGE
    user = accounts.get_user(session, "anna")
    assert user.locked_until == T0 + timedelta(minutes=settings.lockout_minutes)
    still = T0 + timedelta(minutes=settings.lockout_minutes) - timedelta(seconds=1)
    with pytest.raises(AuthError, match="Sign-in failed") as info:
        authenticate(session, "anna", PASSWORD, settings=settings, now=still)
    assert info.value.reason == "locked"
    # the lock runs out
    later = T0 + timedelta(minutes=settings.lockout_minutes)
    assert authenticate(session, "anna", PASSWORD, settings=settings, now=later).locked_until is None
    session.commit()
    lock_events = session.scalars(select(Event).where(Event.action == "user.lock")).all()
    assert len(lock_events) == 1


def test_a_success_resets_the_failure_count(session: Session, settings: Settings) -> None:
    _user(session, "anna")
    for _ in range(3):
        for _ in range(settings.login_max_failures - 1):
            with pytest.raises(AuthError):
                authenticate(session, "anna", "not the password", settings=settings, now=T0)
        authenticate(session, "anna", PASSWORD, settings=settings, now=T0)
    assert accounts.get_user(session, "anna").locked_until is None


def test_an_outdated_hash_is_replaced_on_sign_in(session: Session, settings: Settings) -> None:
    user = _user(session, "anna")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    session.commit()
    authenticate(session, "anna", PASSWORD, settings=settings)
    session.commit()
    stored = session.execute(select(User.password_hash)).scalar_one()
    assert stored != weak and stored.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(stored)


# ------------------------------------------------------------------------------------------- sessions


def test_sessions_store_only_a_hash_expire_and_slide(session: Session, settings: Settings) -> None:
    user = _user(session, "anna")
    token, us = start_session(session, user, settings=settings, second_factor_ok=True, now=T0)
    session.commit()
    assert len(token) >= 43 and us.token_sha256 == token_hash(token) != token
    assert session.get(UserSession, token) is None
    assert len(us.csrf_token) >= 43 and us.csrf_token != token
    life = timedelta(hours=settings.session_hours)
    assert us.expires_at == T0 + life

    # within a minute: no write
    got = load_session(session, token, settings=settings, now=T0 + timedelta(seconds=59))
    assert got is us and us.expires_at == T0 + life and not session.dirty
    # later: the expiry slides
    t1 = T0 + timedelta(minutes=30)
    assert load_session(session, token, settings=settings, now=t1).expires_at == t1 + life
    session.commit()
    # unknown, malformed, oversized tokens
    for bad in ("", None, "x", token + "x", "é" * 50, "a" * 10_000):
        assert load_session(session, bad, settings=settings, now=t1) is None
    # expired: gone, and deleted
    assert load_session(session, token, settings=settings, now=t1 + life) is None
    session.commit()
    assert session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_end_session_end_all_and_disabled_users(session: Session, settings: Settings) -> None:
    user = _user(session, "anna")
    t1, s1 = start_session(session, user, settings=settings, second_factor_ok=True)
    t2, _ = start_session(session, user, settings=settings, second_factor_ok=True)
    t3, _ = start_session(session, user, settings=settings, second_factor_ok=True)
    session.commit()
    end_session(session, s1, actor="anna")
    session.commit()
    assert load_session(session, t1, settings=settings) is None
    assert load_session(session, t2, settings=settings) is not None
    disable_user(session, "anna")
    session.commit()
    assert load_session(session, t3, settings=settings) is None
    assert end_all_sessions(session, user) == 0  # disable_user already ended them
    assert session.scalars(select(Event).where(Event.action == "user.logout")).one().actor == "anna"


def test_set_password_ends_every_session(session: Session, settings: Settings) -> None:
    user = _user(session, "anna")
    token, _ = start_session(session, user, settings=settings, second_factor_ok=True)
    session.commit()
    set_password(session, "anna", "another long password")
    session.commit()
    assert load_session(session, token, settings=settings) is None


# ------------------------------------------------------------------------------------------------ TOTP


def test_totp_enrol_and_codes(session: Session) -> None:
    user = _user(session, "anna", Role.EDITOR)
    assert not verify_totp(user, "123456")  # no second factor yet
    secret, uri = enrol_totp(session, user, actor="admin")
    session.commit()
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "issuer=tocsin" in uri
    totp = pyotp.TOTP(secret)
    code = totp.at(T0)
    assert verify_totp(user, code, T0)
    assert verify_totp(user, f" {code[:3]} {code[3:]} ", T0)  # spaces as apps show them
    assert verify_totp(user, code, T0 + timedelta(seconds=30))  # one step of drift
    assert verify_totp(user, totp.at(T0 - timedelta(seconds=30)), T0)
    assert not verify_totp(user, code, T0 + timedelta(seconds=90))  # expired
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not verify_totp(user, wrong, T0)
    for bad in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦", code + "\x00", None):
        assert not verify_totp(user, bad, T0)  # type: ignore[arg-type]
    ev = session.scalars(select(Event).where(Event.action == "user.totp")).one()
    assert secret not in json.dumps([ev.before, ev.after])


def test_second_factor_makes_a_new_session_and_counts_failures(session: Session, settings: Settings) -> None:
    user = _user(session, "anna", Role.ADMIN)
    secret, _ = enrol_totp(session, user)
    pending_token, pending = start_session(session, user, settings=settings, second_factor_ok=False, now=T0)
    session.commit()
    assert pending.expires_at == T0 + timedelta(minutes=accounts.PENDING_MINUTES)
    right = pyotp.TOTP(secret).at(T0)
    with pytest.raises(AuthError) as info:
        complete_second_factor(
            session, pending, f"{(int(right) + 1) % 1_000_000:06d}", settings=settings, now=T0
        )
    assert info.value.reason == "bad_code"
    session.commit()
    assert user.failed_logins == 1
    token, full = complete_second_factor(
        session, pending, pyotp.TOTP(secret).at(T0), settings=settings, now=T0
    )
    session.commit()
    assert token != pending_token and full.second_factor_ok
    assert load_session(session, pending_token, settings=settings, now=T0) is None
    assert load_session(session, token, settings=settings, now=T0) is not None


def test_wrong_codes_lock_the_account_and_end_pending_sessions(session: Session, settings: Settings) -> None:
    user = _user(session, "anna", Role.ADMIN)
    secret, _ = enrol_totp(session, user)
    token, pending = start_session(session, user, settings=settings, second_factor_ok=False, now=T0)
    session.commit()
    right = pyotp.TOTP(secret).at(T0)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    reasons = []
    for _ in range(settings.login_max_failures):
        with pytest.raises(AuthError) as info:
            complete_second_factor(session, pending, wrong, settings=settings, now=T0)
        reasons.append(info.value.reason)
        session.commit()
    assert reasons[-1] == "locked"
    assert load_session(session, token, settings=settings, now=T0) is None
    with pytest.raises(AuthError) as info:
        authenticate(session, "anna", PASSWORD, settings=settings, now=T0)
    assert info.value.reason == "locked"
