"""Operator accounts: passwords, sign-in with lockout, sessions, TOTP second factor.

Residents have no accounts; these are the operator-side users (``tocsin user add``), with a Role each.

- Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher``, its default parameters); a hash
  made with older parameters is replaced on the next successful sign-in.
- ``authenticate`` raises :class:`AuthError` with ONE generic message whatever went wrong (unknown user,
  wrong password, disabled, locked), so the sign-in page cannot be used to find out which usernames exist;
  ``AuthError.reason`` says what it was, for logs and tests. An unknown username is checked against a
  dummy hash so that it costs the same time as a wrong password.
- After ``Settings.login_max_failures`` failures in a row the account is locked for
  ``Settings.lockout_minutes``; while locked even the right password fails.
- Sessions: the browser holds a random token (``secrets.token_urlsafe(32)``); the database holds only its
  SHA-256, so a leaked database cannot be used to sign in. Each session has its own random CSRF token.
  A session that still waits for the TOTP code (``second_factor_ok`` False) lives only
  ``PENDING_MINUTES``.
- TOTP (RFC 6238, pyotp): 6 digits, 30 s steps, one step of clock drift either way. There is no column for
  the last step used, so a code can be replayed within its ~90 s window (no replay protection); wrong codes
  count as sign-in failures, so guessing runs into the lockout.

Every account change appends an audit Event (actor: the acting username, or ``"cli"``). Passwords, hashes
and TOTP secrets never go into an Event.

Functions change the session and flush; the caller commits (also after an :class:`AuthError`, so the
failure count is kept).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.domain import Role
from tocsin.settings import Settings
from tocsin.store.models import User, UserSession
from tocsin.store.repo import append_event

USERNAME_RE = re.compile(r"[a-z0-9._-]{3,64}")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # longer input is refused before hashing (no multi-megabyte hashing on request)
MAX_DISPLAY_NAME = 200
PENDING_MINUTES = 5  # a session waiting for its TOTP code
SLIDE_EVERY = timedelta(minutes=1)  # a session's expiry is pushed forward at most this often
TOTP_ISSUER = "tocsin"
CLI_ACTOR = "cli"

GENERIC_AUTH_MESSAGE = "Sign-in failed: wrong username or password, or the account is locked or disabled."

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


class AccountError(ValueError):
    """An account cannot be created or changed as asked (bad username or password, duplicate, unknown)."""


class AuthError(Exception):
    """Sign-in refused. ``str(exc)`` is the same generic message for every cause; ``reason`` is one of
    ``unknown_user``, ``wrong_password``, ``disabled``, ``locked``, ``bad_code`` (for logs and tests)."""

    def __init__(self, reason: str) -> None:
        super().__init__(GENERIC_AUTH_MESSAGE)
        self.reason = reason


def utcnow() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (``$argon2id$v=19$…``)."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    # Verified for unknown usernames so that they take as long as a wrong password.
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_username(username: str) -> str:
    """The normalised (lower-case, stripped) username, or AccountError if it is not 3–64 of [a-z0-9._-]."""
    name = (username or "").strip().lower()
    if not USERNAME_RE.fullmatch(name):
        raise AccountError("username must be 3 to 64 characters, only a-z, 0-9, '.', '_' and '-'")
    return name


def check_password(password: str) -> None:
    """AccountError unless ``password`` is 12–1024 characters and not one character repeated."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"password must be at most {MAX_PASSWORD} characters")
    if len(set(password)) == 1:
        raise AccountError("password must not be one character repeated")


def _check_display_name(display_name: str | None) -> str | None:
    if display_name is None:
        return None
    name = " ".join(display_name.split())
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise AccountError("display name must not contain control characters")
    if len(name) > MAX_DISPLAY_NAME:
        raise AccountError(f"display name must be at most {MAX_DISPLAY_NAME} characters")
    return name or None


def _public_state(user: User) -> dict[str, Any]:
    """What an audit Event may record about a user: never the hash or the TOTP secret."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "disabled": bool(user.disabled),
        "totp": user.totp_secret is not None,
    }


# -------------------------------------------------------------------------------------------- accounts


def get_user(session: Session, username: str) -> User | None:
    """The user called ``username`` (case-insensitive), or None."""
    name = (username or "").strip().lower()
    if not USERNAME_RE.fullmatch(name):
        return None
    return session.scalars(select(User).where(User.username == name)).one_or_none()


def _existing(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise AccountError(f"no user {username.strip()[:64]!r}")
    return user


def add_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    display_name: str | None = None,
    actor: str = CLI_ACTOR,
) -> User:
    """Create an operator account. AccountError for a bad username, password, role or a duplicate."""
    name = check_username(username)
    check_password(password)
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}") from None
    shown = _check_display_name(display_name)
    if get_user(session, name) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(
        username=name,
        display_name=shown,
        role=role,
        password_hash=hash_password(password),
        failed_logins=0,
        disabled=False,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    append_event(session, actor, "user.add", "user", user.id, None, _public_state(user))
    return user


def set_password(session: Session, username: str, password: str, *, actor: str = CLI_ACTOR) -> User:
    """Replace a user's password, unlock the account and end all its sessions."""
    user = _existing(session, username)
    check_password(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(session, user)
    session.flush()
    append_event(session, actor, "user.passwd", "user", user.id, None, {"username": user.username})
    return user


def disable_user(session: Session, username: str, *, actor: str = CLI_ACTOR) -> User:
    """Disable an account (it can no longer sign in) and end all its sessions. Idempotent."""
    user = _existing(session, username)
    before = _public_state(user)
    user.disabled = True
    end_all_sessions(session, user)
    session.flush()
    if not before["disabled"]:
        append_event(session, actor, "user.disable", "user", user.id, before, _public_state(user))
    return user


def list_users(session: Session) -> list[User]:
    """Every account, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


# --------------------------------------------------------------------------------------------- sign-in


def authenticate(
    session: Session, username: str, password: str, *, settings: Settings, now: datetime | None = None
) -> User:
    """The user if ``password`` is theirs and the account is enabled and not locked; else AuthError.

    Every path verifies one argon2 hash (a dummy one for unknown usernames), so timing does not tell
    which usernames exist. Failures are counted; the caller commits even when AuthError is raised.
    """
    now = now or utcnow()
    user = get_user(session, username) if isinstance(username, str) else None
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        password = ""  # still verify a hash below: same cost
    if user is None:
        _verify(_dummy_hash(), password)
        raise AuthError("unknown_user")
    ok = _verify(user.password_hash, password)
    if user.locked_until is not None and now < user.locked_until:
        raise AuthError("locked")  # not counted: a lock is not extended by more attempts
    if user.locked_until is not None:  # the lock has run out
        user.locked_until = None
        user.failed_logins = 0
    if user.disabled:
        raise AuthError("disabled")
    if not ok:
        record_failure(session, user, settings=settings, now=now)
        raise AuthError("wrong_password")
    user.failed_logins = 0
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def record_failure(session: Session, user: User, *, settings: Settings, now: datetime | None = None) -> bool:
    """Count one failed sign-in (wrong password or TOTP code); lock the account when the count reaches
    ``settings.login_max_failures``. True when this failure locked it."""
    now = now or utcnow()
    user.failed_logins = (user.failed_logins or 0) + 1
    locked = user.failed_logins >= settings.login_max_failures
    if locked:
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        user.failed_logins = 0  # counted afresh once the lock has run out
        end_all_sessions(session, user, pending_only=True)
    session.flush()
    if locked:
        append_event(
            session,
            "system",
            "user.lock",
            "user",
            user.id,
            None,
            {"username": user.username, "locked_until": user.locked_until},
        )
    return locked


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and (now or utcnow()) < user.locked_until


# -------------------------------------------------------------------------------------------- sessions


def token_hash(token: str) -> str:
    """The stored form of a session token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(
    session: Session,
    user: User,
    *,
    settings: Settings,
    second_factor_ok: bool,
    now: datetime | None = None,
) -> tuple[str, UserSession]:
    """A new session for ``user``: ``(token for the cookie, UserSession)``. ``second_factor_ok=False``
    for a user with TOTP who has not given the code yet (such a session lasts ``PENDING_MINUTES``)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    life = timedelta(hours=settings.session_hours) if second_factor_ok else timedelta(minutes=PENDING_MINUTES)
    us = UserSession(
        token_sha256=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + life,
        last_seen_at=now,
        second_factor_ok=second_factor_ok,
    )
    session.add(us)
    session.flush()
    if second_factor_ok:
        append_event(session, user.username, "user.login", "user", user.id)
    return token, us


def load_session(
    session: Session, token: str | None, *, settings: Settings, now: datetime | None = None
) -> UserSession | None:
    """The live session for a cookie token, or None (no/unknown/malformed token, expired, user disabled).

    A live, fully signed-in session's expiry slides to ``now + session_hours`` — at most once a minute,
    so most requests write nothing; check ``session.dirty``/commit after. An expired session is deleted.
    Sessions still waiting for TOTP are returned too: check ``second_factor_ok``.
    """
    if not token or not isinstance(token, str) or len(token) > 128:
        return None
    now = now or utcnow()
    us = session.get(UserSession, token_hash(token))
    if us is None:
        return None
    if now >= us.expires_at:
        session.delete(us)
        session.flush()
        return None
    if us.user.disabled:
        return None
    if us.second_factor_ok and now - us.last_seen_at >= SLIDE_EVERY:
        us.last_seen_at = now
        us.expires_at = now + timedelta(hours=settings.session_hours)
        session.flush()
    return us


def end_session(session: Session, user_session: UserSession | None, *, actor: str | None = None) -> None:
    """Sign one session out (its token stops working); with ``actor``, record it as ``user.logout``."""
    if user_session is None:
        return
    user_id = user_session.user_id
    if user_session in session:
        session.delete(user_session)
    else:
        session.execute(delete(UserSession).where(UserSession.token_sha256 == user_session.token_sha256))
    session.flush()
    if actor is not None:
        append_event(session, actor, "user.logout", "user", user_id)


def end_all_sessions(session: Session, user: User, *, pending_only: bool = False) -> int:
    """Sign every session of ``user`` out; the number ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if pending_only:
        stmt = stmt.where(UserSession.second_factor_ok.is_(False))
    result = session.execute(stmt.execution_options(synchronize_session="fetch"))
    session.flush()
    return int(result.rowcount or 0)


# ------------------------------------------------------------------------------------------------ TOTP


def enrol_totp(session: Session, user: User, *, actor: str = CLI_ACTOR) -> tuple[str, str]:
    """Give ``user`` a new TOTP secret (replacing any old one) and end their sessions:
    ``(base32 secret, otpauth:// URI for an authenticator app)``. Show both once; they are not logged."""
    secret = pyotp.random_base32()
    had = user.totp_secret is not None
    user.totp_secret = secret
    end_all_sessions(session, user)
    session.flush()
    append_event(
        session, actor, "user.totp", "user", user.id, {"totp": had}, {"username": user.username, "totp": True}
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    return secret, uri


def remove_totp(session: Session, user: User, *, actor: str = CLI_ACTOR) -> None:
    """Turn the second factor off for ``user``."""
    if user.totp_secret is None:
        return
    user.totp_secret = None
    session.flush()
    after = {"username": user.username, "totp": False}
    append_event(session, actor, "user.totp", "user", user.id, {"totp": True}, after)


def verify_totp(user: User, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` (6 digits; spaces allowed) is the user's current TOTP code, one 30 s step of drift
    allowed either way. False for a user without TOTP. No replay protection (see the module docstring)."""
    if not user.totp_secret or not isinstance(code, str):
        return False
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isascii() or not digits.isdigit():
        return False
    return pyotp.TOTP(user.totp_secret).verify(digits, for_time=now or utcnow(), valid_window=1)


def complete_second_factor(
    session: Session,
    pending: UserSession,
    code: str,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> tuple[str, UserSession]:
    """Finish a two-step sign-in: check ``code`` for the pending session's user; on success end the
    pending session and return a NEW full session ``(token, UserSession)`` (no token survives a change of
    privilege). A wrong code counts as a sign-in failure (AuthError ``bad_code``, or ``locked``)."""
    now = now or utcnow()
    user = pending.user
    if user.disabled:
        raise AuthError("disabled")
    if is_locked(user, now):
        raise AuthError("locked")
    if not verify_totp(user, code, now):
        locked = record_failure(session, user, settings=settings, now=now)  # ends pending sessions
        raise AuthError("locked" if locked else "bad_code")
    user.failed_logins = 0
    user.last_login_at = now
    end_session(session, pending)
    return start_session(session, user, settings=settings, second_factor_ok=True, now=now)
