"""Accounts and sign-in for office mode: slow salted hashes, lock-out, server-side sessions.

* Passwords are hashed with Argon2id (``argon2-cffi``); neither the password nor
  its hash is ever logged or shown.
* After :data:`MAX_FAILURES` wrong passwords in a row an account refuses every
  sign-in, right or wrong, for :data:`LOCK_MINUTES`; the counter lives in the
  database, so it holds across app processes and restarts.
* A signed-in session is a random token whose SHA-256 is kept in
  ``hebi_sessions`` (expiry :data:`SESSION_HOURS`). The token itself stays in
  the server-side Streamlit session of that browser tab; the app sets no
  cookie, so page scripts have nothing to read. Every page run re-reads the
  user, role and memberships from the database, so a changed role, a removed
  member or a signed-out token takes effect at once in every process.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from spatial._errors import SpatialError
from spatial.db import ROLES, sessions, users

__all__ = [
    "LOCK_MINUTES",
    "MAX_FAILURES",
    "SESSION_HOURS",
    "User",
    "authenticate",
    "create_user",
    "end_session",
    "session_user",
    "set_password",
    "start_session",
]

MAX_FAILURES: Final = 5
LOCK_MINUTES: Final = 15
SESSION_HOURS: Final = 12
MIN_PASSWORD: Final = 8

_hasher = PasswordHasher()
# Verified when the user name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH: Final = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    """A signed-in account: id, name and role (viewer / editor / admin)."""

    user_id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Whether the user may see the audit trail, restore layers and see every project."""
        return self.role == "admin"


def _bad_sign_in() -> SpatialError:
    return SpatialError("用户名或密码不正确。", "Wrong user name or password.")


def _locked() -> SpatialError:
    return SpatialError(
        f"登录失败次数过多，账户已锁定 {LOCK_MINUTES} 分钟。",
        f"Too many failed sign-ins: the account is locked for {LOCK_MINUTES} minutes.",
    )


def _check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise SpatialError(
            f"密码至少需要 {MIN_PASSWORD} 个字符。",
            f"A password needs at least {MIN_PASSWORD} characters.",
        )


def create_user(engine: sa.Engine, username: str, password: str, role: str = "viewer") -> int:
    """Create an account; return its id. The password is stored only as an Argon2id hash."""
    name = username.strip()
    if not name or len(name) > 64:
        raise SpatialError("用户名不合法。", "The user name is not valid.")
    if role not in ROLES:
        raise SpatialError("角色不合法。", "The role is not valid.")
    _check_password_rule(password)
    with engine.begin() as con:
        try:
            new_id = con.execute(
                users.insert()
                .values(username=name, password_hash=_hasher.hash(password), role=role)
                .returning(users.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError as exc:
            raise SpatialError("用户名已存在。", "This user name is taken.") from exc
    return int(new_id)


def set_password(engine: sa.Engine, user_id: int, password: str) -> None:
    """Replace an account's password (and unlock it)."""
    _check_password_rule(password)
    with engine.begin() as con:
        con.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(password_hash=_hasher.hash(password), failed_count=0, locked_until=None)
        )


def authenticate(engine: sa.Engine, username: str, password: str) -> User:
    """Return the user when the password is right; otherwise raise one bilingual error.

    A locked account is refused even with the right password until the lock expires.
    """
    now = datetime.now(UTC)
    # The failure count must be committed before the error is raised: decide inside the
    # transaction, raise after it.
    failure: SpatialError | None = None
    with engine.begin() as con:
        row = con.execute(
            sa.select(users).where(users.c.username == username.strip()).with_for_update()
        ).first()
        if row is None:
            with contextlib.suppress(VerificationError):
                _hasher.verify(_DUMMY_HASH, password)
            failure = _bad_sign_in()
        elif row.locked_until is not None and row.locked_until > now:
            failure = _locked()
        else:
            try:
                _hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                failures = int(row.failed_count) + 1
                values: dict[str, object] = {"failed_count": failures}
                failure = _bad_sign_in()
                if failures >= MAX_FAILURES:
                    until = now + timedelta(minutes=LOCK_MINUTES)
                    values = {"failed_count": 0, "locked_until": until}
                    failure = _locked()
                con.execute(users.update().where(users.c.id == row.id).values(**values))
            else:
                values = {"failed_count": 0, "locked_until": None}
                if _hasher.check_needs_rehash(row.password_hash):
                    values["password_hash"] = _hasher.hash(password)
                con.execute(users.update().where(users.c.id == row.id).values(**values))
    if failure is not None or row is None:
        raise failure or _bad_sign_in()
    return User(int(row.id), str(row.username), str(row.role))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(engine: sa.Engine, user: User) -> str:
    """Open a session for ``user``; return its token (kept server-side, never in a cookie)."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=SESSION_HOURS)
    with engine.begin() as con:
        con.execute(
            sessions.insert().values(
                token_hash=_token_hash(token), user_id=user.user_id, expires_at=expires
            )
        )
    return token


def session_user(engine: sa.Engine, token: str | None) -> User | None:
    """The user of a live session token, read afresh from the database (None if expired/unknown)."""
    if not token:
        return None
    with engine.connect() as con:
        row = con.execute(
            sa.select(users.c.id, users.c.username, users.c.role)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(
                sessions.c.token_hash == _token_hash(token),
                sessions.c.expires_at > datetime.now(UTC),
            )
        ).first()
    return None if row is None else User(int(row.id), str(row.username), str(row.role))


def end_session(engine: sa.Engine, token: str | None) -> None:
    """Sign out: the token stops working in every process."""
    if token:
        with engine.begin() as con:
            con.execute(sessions.delete().where(sessions.c.token_hash == _token_hash(token)))
