"""Back-office accounts at the door: logins and their throttling, sessions, the first-start link,
Telegram link codes and invites. Every time is an explicit `now`; nothing sleeps."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from brug.core import passwords
from brug.core.db import session_scope
from brug.core.keypersons import create_key_person
from brug.core.models import Invite, KeyPerson, LoginFailure, Role, SetupToken, StaffSession, User
from brug.core.staff import (
    FORGET_FAILURES_AFTER,
    FREE_ATTEMPTS,
    INVITE_LIFETIME,
    LINK_CODE_LIFETIME,
    MAX_WAIT,
    SESSION_LIFETIME,
    SETUP_LIFETIME,
    Login,
    LoginFailed,
    LoginThrottled,
    active_key_persons,
    digest,
    first_coordinator,
    has_accounts,
    link_telegram,
    log_in,
    log_out,
    new_invite,
    new_link_code,
    new_setup_token,
    redeem_invite,
    session_of,
    valid_setup_token,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
WRONG = "wrong password!"
HOME = "203.0.113.7"
# Real argon2, with the cheapest parameters: the throttling tests make dozens of attempts.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SHIPPED_DUMMY_HASH = passwords.DUMMY_HASH


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
    monkeypatch.setattr(passwords, "DUMMY_HASH", FAST_HASHER.hash("not-a-password-of-anyone"))


def add_person(db: Engine, username: str, *, role: Role = Role.KEYPERSON) -> int:
    with session_scope(db) as session:
        person = create_key_person(
            session, username=username, name=username.title(), languages=["ar"], role=role, password=PASSWORD
        )
        assert person.id is not None
        return person.id


def attempt(db: Engine, username: str, password: str, now: datetime, address: str = HOME) -> Login:
    """One login request as the back office makes it: its own transaction, committed even when it fails
    (otherwise the failure would not be counted)."""
    with Session(db, expire_on_commit=False) as session:
        try:
            return log_in(session, username=username, password=password, address=address, now=now)
        finally:
            session.commit()


def fail(db: Engine, username: str, now: datetime, *, times: int = 1, address: str = HOME) -> None:
    for _ in range(times):
        with pytest.raises(LoginFailed):
            attempt(db, username, WRONG, now, address)


def failure_rows(db: Engine) -> int:
    with Session(db) as session:
        return session.exec(select(func.count()).select_from(LoginFailure)).one()


# Logins and sessions


def test_a_correct_password_opens_a_twelve_hour_session(db: Engine) -> None:
    person_id = add_person(db, "selam")
    login = attempt(db, "Selam", PASSWORD, T0)
    assert login.person.id == person_id
    assert login.token and login.csrf_token and login.token != login.csrf_token
    with Session(db) as session:
        found = session_of(session, login.token, T0 + SESSION_LIFETIME - timedelta(seconds=1))
        assert found is not None
        row, person = found
        assert person.id == person_id and row.csrf_token == login.csrf_token
        assert row.expires_at == T0 + SESSION_LIFETIME
        assert session_of(session, login.token, T0 + SESSION_LIFETIME) is None, "expired"
        assert session_of(session, "not-a-token", T0) is None


def test_every_login_gets_a_fresh_token(db: Engine) -> None:
    add_person(db, "selam")
    first, second = attempt(db, "selam", PASSWORD, T0), attempt(db, "selam", PASSWORD, T0)
    assert first.token != second.token and first.csrf_token != second.csrf_token
    with Session(db) as session:
        assert session_of(session, first.token, T0) is not None
        assert session_of(session, second.token, T0) is not None


def test_session_tokens_are_stored_only_hashed(db: Engine) -> None:
    add_person(db, "selam")
    login = attempt(db, "selam", PASSWORD, T0)
    with db.connect() as connection:
        rows = connection.execute(text("SELECT * FROM staff_sessions")).all()
    assert len(rows) == 1
    assert all(login.token not in str(value) for value in rows[0])
    assert digest(login.token) in rows[0]


def test_logging_out_ends_the_session(db: Engine) -> None:
    add_person(db, "selam")
    login = attempt(db, "selam", PASSWORD, T0)
    with session_scope(db) as session:
        log_out(session, login.token)
        log_out(session, "unknown-token")  # nothing to end: no error
    with Session(db) as session:
        assert session_of(session, login.token, T0) is None
        assert session.exec(select(func.count()).select_from(StaffSession)).one() == 0


def test_a_wrong_password_and_an_unknown_user_fail_alike(db: Engine) -> None:
    add_person(db, "selam")
    with pytest.raises(LoginFailed) as wrong_password:
        attempt(db, "selam", WRONG, T0)
    with pytest.raises(LoginFailed) as unknown_user:
        attempt(db, "nobody", PASSWORD, T0)
    assert str(wrong_password.value) == str(unknown_user.value)
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(StaffSession)).one() == 0


def test_an_account_without_a_password_cannot_log_in(db: Engine) -> None:
    with session_scope(db) as session:
        create_key_person(
            session, username="selam", name="Selam", languages=["ar"], role=Role.KEYPERSON, password=None
        )
    with pytest.raises(LoginFailed):
        attempt(db, "selam", "", T0)


def test_a_deactivated_account_cannot_log_in_and_its_sessions_end(db: Engine) -> None:
    person_id = add_person(db, "selam")
    login = attempt(db, "selam", PASSWORD, T0)
    with session_scope(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None
        person.active = False
        session.add(person)
    with Session(db) as session:
        assert session_of(session, login.token, T0) is None
    with pytest.raises(LoginFailed):
        attempt(db, "selam", PASSWORD, T0)


# Throttling


def test_the_sixth_wrong_password_is_throttled_and_the_right_one_after_the_wait_clears_the_count(
    db: Engine,
) -> None:
    add_person(db, "selam")
    fail(db, "selam", T0, times=5)
    with pytest.raises(LoginThrottled) as throttled:
        attempt(db, "selam", WRONG, T0 + timedelta(seconds=1))
    assert throttled.value.retry_after > 0
    assert str(throttled.value.retry_after) in str(throttled.value)
    with pytest.raises(LoginThrottled):  # even the right password waits
        attempt(db, "selam", PASSWORD, T0 + timedelta(seconds=1))

    after_the_wait = T0 + timedelta(seconds=1 + throttled.value.retry_after)
    assert attempt(db, "selam", PASSWORD, after_the_wait).person.username == "selam"
    assert failure_rows(db) == 0, "a successful login clears the counters of its account and address"
    fail(db, "selam", after_the_wait, times=5)  # five free attempts again, none throttled


def test_a_throttled_attempt_is_not_counted(db: Engine) -> None:
    add_person(db, "selam")
    fail(db, "selam", T0, times=5)
    for _ in range(3):
        with pytest.raises(LoginThrottled):
            attempt(db, "selam", WRONG, T0 + timedelta(seconds=1))
    with Session(db) as session:
        assert {row.failures for row in session.exec(select(LoginFailure))} == {5}


def test_the_wait_doubles_with_every_further_failure(db: Engine) -> None:
    add_person(db, "selam")
    fail(db, "selam", T0, times=5)
    now, waits = T0, []
    for _ in range(4):
        with pytest.raises(LoginThrottled) as throttled:
            attempt(db, "selam", WRONG, now)
        waits.append(throttled.value.retry_after)
        now += timedelta(seconds=throttled.value.retry_after)
        fail(db, "selam", now)
    assert waits == [2, 4, 8, 16]


@pytest.mark.parametrize("failures", [20, 60, 10_000])
def test_a_long_guessing_campaign_waits_at_most_the_maximum(db: Engine, failures: int) -> None:
    """Past ~50 failures the doubling once overflowed `timedelta` and locked the account for good."""
    add_person(db, "selam")
    with session_scope(db) as session:
        session.add(LoginFailure(key=digest("user:selam"), failures=failures, last_failed_at=T0))
    with pytest.raises(LoginThrottled) as throttled:
        attempt(db, "selam", PASSWORD, T0)
    assert throttled.value.retry_after == MAX_WAIT.total_seconds()
    assert attempt(db, "selam", PASSWORD, T0 + MAX_WAIT).person.username == "selam"


def test_a_throttled_account_stays_throttled_from_another_address(db: Engine) -> None:
    add_person(db, "selam")
    for number in range(5):
        fail(db, "selam", T0, address=f"198.51.100.{number}")
    with pytest.raises(LoginThrottled):
        attempt(db, "selam", PASSWORD, T0 + timedelta(seconds=1), address="192.0.2.99")


def test_a_throttled_address_blocks_another_account_too(db: Engine) -> None:
    add_person(db, "selam")
    add_person(db, "amanuel")
    for number in range(5):
        fail(db, f"guess{number}", T0)  # five different accounts, one address
    with pytest.raises(LoginThrottled):
        attempt(db, "amanuel", PASSWORD, T0 + timedelta(seconds=1))
    assert attempt(db, "amanuel", PASSWORD, T0 + timedelta(seconds=1), address="192.0.2.99").person


def test_failures_are_stored_under_hashed_keys(db: Engine) -> None:
    fail(db, "selam", T0)
    with Session(db) as session:
        keys = {row.key for row in session.exec(select(LoginFailure))}
    assert keys == {digest("user:selam"), digest(f"address:{HOME}")}
    assert not any("selam" in key or HOME in key for key in keys)


# The first-start link


def test_the_setup_token_creates_the_first_coordinator_once(db: Engine) -> None:
    with session_scope(db) as session:
        token = new_setup_token(session, T0)
    assert token is not None
    with session_scope(db) as session:
        assert valid_setup_token(session, token, T0 + timedelta(hours=1)) is not None
        person = first_coordinator(
            session, token=token, username="selam", name="Selam", languages=["ti", "en"],
            password=PASSWORD, now=T0 + timedelta(hours=1),
        )  # fmt: skip
        assert person is not None and person.role == Role.COORDINATOR
    assert attempt(db, "selam", PASSWORD, T0 + timedelta(hours=1)).person.role == Role.COORDINATOR
    with session_scope(db) as session:
        row = session.get(SetupToken, digest(token))
        assert row is not None and row.used_at == T0 + timedelta(hours=1)
        assert valid_setup_token(session, token, T0 + timedelta(hours=2)) is None, "used"
        again = first_coordinator(
            session, token=token, username="mallory", name="Mallory", languages=["en"],
            password=PASSWORD, now=T0 + timedelta(hours=2),
        )  # fmt: skip
        assert again is None
        assert new_setup_token(session, T0 + timedelta(hours=2)) is None, "an account exists"
    with Session(db) as session:
        assert [p.username for p in session.exec(select(KeyPerson))] == ["selam"]


def test_a_used_setup_token_stays_used_even_when_no_account_is_left(db: Engine) -> None:
    with session_scope(db) as session:
        token = new_setup_token(session, T0)
        assert token is not None
        made = first_coordinator(
            session, token=token, username="selam", name="Selam", languages=["ti"], password=PASSWORD, now=T0
        )
        assert made is not None
    with session_scope(db) as session:
        for person in session.exec(select(KeyPerson)):
            session.delete(person)
    with session_scope(db) as session:
        assert not has_accounts(session)
        assert valid_setup_token(session, token, T0 + timedelta(minutes=1)) is None


def test_an_expired_setup_token_gives_none(db: Engine) -> None:
    with session_scope(db) as session:
        token = new_setup_token(session, T0)
    assert token is not None
    with session_scope(db) as session:
        expired = T0 + SETUP_LIFETIME
        assert valid_setup_token(session, token, expired - timedelta(seconds=1)) is not None
        assert valid_setup_token(session, token, expired) is None
        made = first_coordinator(
            session, token=token, username="selam", name="Selam", languages=["ti"],
            password=PASSWORD, now=expired,
        )  # fmt: skip
        assert made is None
        assert not has_accounts(session)


def test_an_unknown_setup_token_gives_none(db: Engine) -> None:
    with session_scope(db) as session:
        assert new_setup_token(session, T0) is not None
        assert valid_setup_token(session, "guessed", T0) is None


def test_no_setup_token_is_made_or_honoured_once_an_account_exists(db: Engine) -> None:
    with session_scope(db) as session:
        token = new_setup_token(session, T0)
    assert token is not None
    add_person(db, "amanuel")  # made from the command line meanwhile
    with session_scope(db) as session:
        assert new_setup_token(session, T0) is None
        assert valid_setup_token(session, token, T0) is None


def test_setup_tokens_are_stored_only_hashed(db: Engine) -> None:
    with session_scope(db) as session:
        token = new_setup_token(session, T0)
    assert token is not None
    with db.connect() as connection:
        (row,) = connection.execute(text("SELECT * FROM setup_tokens")).all()
    assert all(token not in str(value) for value in row)
    assert digest(token) in row


# Linking a key person's Telegram


def test_a_link_code_links_telegram_once(db: Engine) -> None:
    person_id = add_person(db, "selam")
    with session_scope(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None
        code = new_link_code(session, person, T0)
    assert re.fullmatch(r"\d{8}", code)
    with Session(db) as session:
        stored = session.get(KeyPerson, person_id)
        assert stored is not None and stored.link_code_hash == digest(code)
    with session_scope(db) as session:
        linked = link_telegram(session, f" {code}\n", 4242, T0 + LINK_CODE_LIFETIME - timedelta(seconds=1))
        assert linked is not None and linked.id == person_id
    with session_scope(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None and person.telegram_chat_id == 4242
        assert person.link_code_hash is None and person.link_code_expires_at is None
        assert link_telegram(session, code, 666, T0 + timedelta(minutes=1)) is None, "used"
    with Session(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None and person.telegram_chat_id == 4242


def test_an_expired_or_wrong_link_code_links_nothing(db: Engine) -> None:
    person_id = add_person(db, "selam")
    with session_scope(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None
        code = new_link_code(session, person, T0)
    with session_scope(db) as session:
        wrong = "00000000" if code != "00000000" else "11111111"
        assert link_telegram(session, wrong, 4242, T0) is None
        assert link_telegram(session, code, 4242, T0 + LINK_CODE_LIFETIME) is None
    with Session(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None and person.telegram_chat_id is None


def test_a_new_link_code_replaces_the_old_one(db: Engine) -> None:
    person_id = add_person(db, "selam")
    with session_scope(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None
        first = new_link_code(session, person, T0)
        second = new_link_code(session, person, T0)
    with session_scope(db) as session:
        if first != second:
            assert link_telegram(session, first, 4242, T0) is None
        assert link_telegram(session, second, 4242, T0) is not None


# Invites


def add_user(db: Engine, key: str = "user-key") -> int:
    with session_scope(db) as session:
        user = User(telegram_key=key, chat_id=555001, language="ti")
        session.add(user)
        session.flush()
        assert user.id is not None
        return user.id


def make_invite(db: Engine, person_id: int, now: datetime = T0) -> str:
    with session_scope(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None
        return new_invite(session, person, now)


def redeem(db: Engine, code: str, user_id: int, now: datetime) -> KeyPerson | None:
    with session_scope(db) as session:
        user = session.get(User, user_id)
        assert user is not None
        return redeem_invite(session, code, user, now)


def test_an_invite_links_a_user_to_the_key_person_once(db: Engine) -> None:
    person_id = add_person(db, "selam")
    code = make_invite(db, person_id)
    assert len(code) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", code), "fits a t.me start parameter"
    first_user, second_user = add_user(db, "first"), add_user(db, "second")
    inviter = redeem(db, code, first_user, T0 + timedelta(days=1))
    assert inviter is not None and inviter.id == person_id
    assert redeem(db, code, second_user, T0 + timedelta(days=1)) is None, "single use"
    with Session(db) as session:
        first, second = session.get(User, first_user), session.get(User, second_user)
        assert first is not None and first.contact_person_id == person_id
        assert second is not None and second.contact_person_id is None
        invite = session.get(Invite, digest(code))
        assert invite is not None and invite.used_at == T0 + timedelta(days=1)


def test_an_expired_invite_or_one_from_a_deactivated_person_links_nothing(db: Engine) -> None:
    person_id = add_person(db, "selam")
    user_id = add_user(db)
    expired = make_invite(db, person_id)
    assert redeem(db, expired, user_id, T0 + INVITE_LIFETIME) is None
    assert redeem(db, "kpnot-a-code", user_id, T0) is None
    still_valid = make_invite(db, person_id)
    with session_scope(db) as session:
        person = session.get(KeyPerson, person_id)
        assert person is not None
        person.active = False
        session.add(person)
    assert redeem(db, still_valid, user_id, T0) is None
    with Session(db) as session:
        user = session.get(User, user_id)
        assert user is not None and user.contact_person_id is None


def test_invite_codes_are_stored_only_hashed(db: Engine) -> None:
    code = make_invite(db, add_person(db, "selam"))
    with db.connect() as connection:
        (row,) = connection.execute(text("SELECT * FROM invites")).all()
    assert all(code not in str(value) for value in row)


def test_active_key_persons_are_listed_by_name(db: Engine) -> None:
    add_person(db, "zara")
    add_person(db, "amanuel")
    gone = add_person(db, "berhane")
    with session_scope(db) as session:
        person = session.get(KeyPerson, gone)
        assert person is not None
        person.active = False
        session.add(person)
    with Session(db) as session:
        assert [p.username for p in active_key_persons(session)] == ["amanuel", "zara"]


def test_failures_are_forgotten_after_a_quiet_day(db: Engine) -> None:
    with Session(db) as session:
        create_key_person(
            session, username="amal", name="Amal", languages=["ar"], role=Role.KEYPERSON, password=PASSWORD
        )
        for _ in range(FREE_ATTEMPTS + 1):
            with pytest.raises((LoginFailed, LoginThrottled)):
                log_in(session, username="amal", password="wrong-password", address="10.0.0.9", now=T0)
        later = T0 + FORGET_FAILURES_AFTER
        with pytest.raises(LoginFailed):
            log_in(session, username="amal", password="wrong-password", address="10.0.0.9", now=later)
        failure = session.get(LoginFailure, digest("user:amal"))
        assert failure is not None and failure.failures == 1


def test_an_inactive_key_person_cannot_link_telegram(db: Engine) -> None:
    with Session(db) as session:
        person = create_key_person(
            session, username="amal", name="Amal", languages=["ar"], role=Role.KEYPERSON, password=None
        )
        code = new_link_code(session, person, T0)
        person.active = False
        assert link_telegram(session, code, 77, T0) is None
        assert person.telegram_chat_id is None


def test_the_dummy_hash_has_the_parameters_of_real_hashes() -> None:
    """An unknown username must cost as long as a known one: the dummy hash is checked with the same work."""
    assert not PasswordHasher().check_needs_rehash(SHIPPED_DUMMY_HASH)
    assert PasswordHasher().verify(SHIPPED_DUMMY_HASH, "not-a-password-of-anyone")
