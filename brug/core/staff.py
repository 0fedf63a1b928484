"""Back-office accounts at the door: logins and their throttling, sessions, the first-start link,
and the one-time codes that link a key person's Telegram or invite a user to them.

Tokens and codes are random; only their SHA-256 is stored, so a copy of the database opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from brug.core.keypersons import create_key_person
from brug.core.models import (
    Invite,
    KeyPerson,
    LoginFailure,
    Role,
    SetupToken,
    StaffSession,
    User,
)
from brug.core.passwords import password_ok

SESSION_LIFETIME = timedelta(hours=12)
SETUP_LIFETIME = timedelta(hours=24)
LINK_CODE_LIFETIME = timedelta(minutes=15)
INVITE_LIFETIME = timedelta(days=30)
FREE_ATTEMPTS = 5
MAX_WAIT = timedelta(minutes=15)
# A day without failures starts the count again, so a forgotten typo months ago does not slow anyone down.
FORGET_FAILURES_AFTER = timedelta(days=1)


class LoginFailed(Exception):
    """Wrong username or password (the message never says which)."""


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Login:
    person: KeyPerson
    token: str
    csrf_token: str


def log_in(session: Session, *, username: str, password: str, address: str, now: datetime) -> Login:
    """Check a password, slowing down after FREE_ATTEMPTS failures per account or per address."""
    keys = [digest(f"user:{username.lower()}"), digest(f"address:{address}")]
    failures = [session.get(LoginFailure, key) for key in keys]
    for failure in failures:
        wait = _wait_after(failure, now)
        if wait > 0:
            raise LoginThrottled(wait)
    person = session.exec(select(KeyPerson).where(KeyPerson.username == username.lower())).first()
    if not _password_ok(person, password):
        for key, failure in zip(keys, failures, strict=True):
            row = failure or LoginFailure(key=key)
            earlier = row.failures if now - row.last_failed_at < FORGET_FAILURES_AFTER else 0
            row.failures, row.last_failed_at = earlier + 1, now
            session.add(row)
        raise LoginFailed("wrong username or password")
    assert person is not None
    for failure in failures:
        if failure is not None:
            session.delete(failure)
    return open_session(session, person, now)


def _wait_after(failure: LoginFailure | None, now: datetime) -> int:
    """Seconds to wait before the next try: none for the first attempts, then doubling, at most 15 min."""
    if (
        failure is None
        or failure.failures < FREE_ATTEMPTS
        or now - failure.last_failed_at >= FORGET_FAILURES_AFTER
    ):
        return 0
    # The exponent is capped: past ~50 failures 2**n seconds no longer fits a timedelta (OverflowError).
    doublings = min(failure.failures - FREE_ATTEMPTS + 1, 20)
    delay = min(timedelta(seconds=2**doublings), MAX_WAIT)
    remaining = failure.last_failed_at + delay - now
    return max(0, int(remaining.total_seconds() + 0.999))


def _password_ok(person: KeyPerson | None, password: str) -> bool:
    stored = person.password_hash if person and person.active and person.password_hash else None
    return password_ok(stored, password)


def open_session(session: Session, person: KeyPerson, now: datetime) -> Login:
    """A fresh token at every login (no session fixation: an old cookie is never upgraded)."""
    assert person.id is not None
    token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = StaffSession(
        token_hash=digest(token),
        key_person_id=person.id,
        csrf_token=csrf_token,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    return Login(person, token, csrf_token)


def session_of(session: Session, token: str, now: datetime) -> tuple[StaffSession, KeyPerson] | None:
    row = session.get(StaffSession, digest(token))
    if row is None or row.expires_at <= now:
        return None
    person = session.get(KeyPerson, row.key_person_id)
    if person is None or not person.active:
        return None
    return row, person


def log_out(session: Session, token: str) -> None:
    row = session.get(StaffSession, digest(token))
    if row is not None:
        session.delete(row)


def has_accounts(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(KeyPerson)).one() > 0


def new_setup_token(session: Session, now: datetime) -> str | None:
    """A one-time link to create the first coordinator; None once any account exists."""
    if has_accounts(session):
        return None
    token = secrets.token_urlsafe(24)
    session.add(SetupToken(token_hash=digest(token), expires_at=now + SETUP_LIFETIME))
    return token


def valid_setup_token(session: Session, token: str, now: datetime) -> SetupToken | None:
    row = session.get(SetupToken, digest(token))
    if row is None or row.used_at is not None or row.expires_at <= now or has_accounts(session):
        return None
    return row


def first_coordinator(
    session: Session,
    *,
    token: str,
    username: str,
    name: str,
    languages: list[str],
    password: str,
    now: datetime,
) -> KeyPerson | None:
    row = valid_setup_token(session, token, now)
    if row is None:
        return None
    person = create_key_person(
        session, username=username, name=name, languages=languages, role=Role.COORDINATOR, password=password
    )
    row.used_at = now
    session.add(row)
    return person


def new_link_code(session: Session, person: KeyPerson, now: datetime) -> str:
    """A short code the key person sends to the bot as `/link CODE` to get notifications there."""
    code = f"{secrets.randbelow(10**8):08d}"
    person.link_code_hash, person.link_code_expires_at = digest(code), now + LINK_CODE_LIFETIME
    session.add(person)
    return code


def link_telegram(session: Session, code: str, chat_id: int, now: datetime) -> KeyPerson | None:
    query = select(KeyPerson).where(KeyPerson.link_code_hash == digest(code.strip()))
    person = session.exec(query).first()
    if person is None or not person.active:
        return None
    if person.link_code_expires_at is None or person.link_code_expires_at <= now:
        return None
    person.telegram_chat_id = chat_id
    person.link_code_hash = person.link_code_expires_at = None
    session.add(person)
    return person


def new_invite(session: Session, person: KeyPerson, now: datetime) -> str:
    """A code for `t.me/<bot>?start=<code>`: Telegram allows 64 characters of A–Z, a–z, 0–9, _ and -."""
    assert person.id is not None
    code = f"kp{secrets.token_urlsafe(16)}"
    session.add(
        Invite(
            code_hash=digest(code), key_person_id=person.id, created_at=now, expires_at=now + INVITE_LIFETIME
        )
    )
    return code


def redeem_invite(session: Session, code: str, user: User, now: datetime) -> KeyPerson | None:
    """Link the user to the inviting key person; each code works once, within its lifetime."""
    invite = session.get(Invite, digest(code.strip()))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    person = session.get(KeyPerson, invite.key_person_id)
    if person is None or not person.active:
        return None
    invite.used_at = now
    user.contact_person_id = person.id
    session.add_all([invite, user])
    return person


def active_key_persons(session: Session) -> list[KeyPerson]:
    return list(
        session.exec(select(KeyPerson).where(col(KeyPerson.active)).order_by(col(KeyPerson.name))).all()
    )
