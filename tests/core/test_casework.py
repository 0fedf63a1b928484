"""What key persons may see and do with cases, and what the user is told through the outbox."""

import gettext
import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from brug.core import casework
from brug.core.cases import request_person
from brug.core.casework import (
    AGAIN_BUTTON,
    END_BUTTON,
    ENDED,
    HANDED_OVER,
    JOINED,
    LEAVE_CASE,
    MAX_REPLY_LENGTH,
    PERSON_REQUEST,
    REPLY_FROM,
    CaseError,
    Problem,
    add_note,
    assign,
    case_for,
    claim,
    close,
    notes,
    queue,
    queue_rows,
    reopen,
    reply,
    rows_of,
    set_interpreter,
    thread,
    user_left,
)
from brug.core.db import session_scope
from brug.core.escalation import Rules, run_due
from brug.core.i18n import translations
from brug.core.models import (
    AuditEntry,
    Case,
    CaseStatus,
    KeyPerson,
    Message,
    OutboxItem,
    Outcome,
    Role,
    Severity,
    User,
)
from brug.core.pseudonyms import pseudonym

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
RULES = Rules(
    public_url="https://brug.example/", repage_after=timedelta(minutes=10), sticky_for=timedelta(minutes=30)
)
ACTIVE: list[str] = [CaseStatus.OPEN, CaseStatus.CLAIMED]
_chat_ids = itertools.count(555_000_001)


# Helpers (also used by test_escalation)


def make_person(
    session: Session,
    username: str,
    *,
    languages: Iterable[str] = ("ar",),
    role: Role = Role.KEYPERSON,
    chat_id: int | None = None,
    backup: KeyPerson | None = None,
    active: bool = True,
) -> KeyPerson:
    person = KeyPerson(
        username=username,
        name=username.title(),
        languages=list(languages),
        role=role,
        telegram_chat_id=chat_id,
        backup_id=backup.id if backup else None,
        active=active,
    )
    session.add(person)
    session.flush()
    return person


def make_user(session: Session, *, language: str = "ar", contact: KeyPerson | None = None) -> User:
    chat_id = next(_chat_ids)
    user = User(
        telegram_key=f"key-{chat_id}",
        chat_id=chat_id,
        language=language,
        language_chosen=True,
        contact_person_id=contact.id if contact else None,
    )
    session.add(user)
    session.flush()
    return user


def open_case(
    session: Session,
    user: User,
    *,
    severity: Severity = Severity.NORMAL,
    reason: str = "asked_for_person",
    now: datetime = T0,
) -> Case:
    return request_person(session, user=user, severity=severity, reason=reason, now=now)


def new_case(
    session: Session, *, language: str = "ar", severity: Severity = Severity.NORMAL, now: datetime = T0
) -> Case:
    return open_case(session, make_user(session, language=language), severity=severity, now=now)


def outbox(session: Session) -> list[OutboxItem]:
    session.flush()
    return list(session.exec(select(OutboxItem).order_by(col(OutboxItem.id))).all())


def audit_trail(session: Session, case: Case) -> list[tuple[str, int | None, str]]:
    session.flush()
    query = select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(col(AuditEntry.id))
    return [(entry.action, entry.actor_id, entry.detail) for entry in session.exec(query).all()]


def problem_of(error: pytest.ExceptionInfo[CaseError]) -> Problem:
    return error.value.problem


def can_see(session: Session, person: KeyPerson, case: Case, now: datetime = T0) -> bool:
    assert case.id is not None
    try:
        case_for(session, person, case.id, now)
    except CaseError as error:
        assert error.problem == Problem.FORBIDDEN
        return False
    return True


# Who may see which case


def test_a_key_person_sees_unassigned_cases_in_their_languages_only(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", languages=["ar"])
        arabic, tigrinya = new_case(session, language="ar"), new_case(session, language="ti")
        assert tigrinya.id is not None
        with pytest.raises(CaseError) as refused:
            case_for(session, amal, tigrinya.id, T0)
        assert problem_of(refused) == Problem.FORBIDDEN
        assert can_see(session, amal, arabic)
        assert queue(session, amal, T0, ACTIVE) == [arabic]


def test_a_key_person_without_languages_sees_no_unassigned_case(db: Engine) -> None:
    with Session(db) as session:
        nobody = make_person(session, "nobody", languages=[])
        case = new_case(session)
        assert not can_see(session, nobody, case)
        assert queue(session, nobody, T0, ACTIVE) == []


def test_a_case_claimed_by_another_is_hidden_and_ones_own_stay_visible(db: Engine) -> None:
    with Session(db) as session:
        amal, bashir = make_person(session, "amal"), make_person(session, "bashir")
        case = new_case(session)
        claim(session, amal, case, T0)
        assert not can_see(session, bashir, case)
        assert queue(session, bashir, T0, ACTIVE) == []
        assert queue(session, amal, T0, ACTIVE) == [case]
        amal.languages = []  # their own case stays theirs whatever their languages
        assert can_see(session, amal, case)


def test_a_coordinator_sees_every_case(db: Engine) -> None:
    with Session(db) as session:
        coordinator = make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR)
        amal = make_person(session, "amal")
        claimed, tigrinya = new_case(session), new_case(session, language="ti")
        claim(session, amal, claimed, T0)
        assert can_see(session, coordinator, claimed) and can_see(session, coordinator, tigrinya)
        assert {c.id for c in queue(session, coordinator, T0, ACTIVE)} == {claimed.id, tigrinya.id}


def test_a_missing_case_is_not_found_even_for_a_coordinator(db: Engine) -> None:
    with Session(db) as session:
        for person in (make_person(session, "amal"), make_person(session, "coord", role=Role.COORDINATOR)):
            with pytest.raises(CaseError) as missing:
                case_for(session, person, 999, T0)
            assert problem_of(missing) == Problem.NOT_FOUND


def test_during_the_sticky_turn_only_the_earlier_contact_and_their_backup_see_the_case(db: Engine) -> None:
    with Session(db) as session:
        backup = make_person(session, "bashir")
        amal = make_person(session, "amal", backup=backup)
        other = make_person(session, "carim")
        coordinator = make_person(session, "coord", role=Role.COORDINATOR)
        case = open_case(session, make_user(session, contact=amal))
        assert case.preferred_id == amal.id
        assert not can_see(session, other, case, T0), "not yet notified: the first turn has not begun"

        run_due(session, RULES, T0)
        assert case.preferred_until == T0 + RULES.sticky_for
        during = T0 + RULES.sticky_for - timedelta(seconds=1)
        assert can_see(session, amal, case, during) and can_see(session, backup, case, during)
        assert can_see(session, coordinator, case, during)
        assert not can_see(session, other, case, during)
        assert queue(session, other, during, ACTIVE) == []
        assert can_see(session, other, case, T0 + RULES.sticky_for), "the first turn is over"
        assert queue(session, other, T0 + RULES.sticky_for, ACTIVE) == [case]


def test_the_backup_of_someone_else_gets_no_first_turn(db: Engine) -> None:
    with Session(db) as session:
        backup = make_person(session, "bashir")
        make_person(session, "dawit", backup=backup)  # bashir backs up dawit, not amal
        amal = make_person(session, "amal")
        case = open_case(session, make_user(session, contact=amal))
        run_due(session, RULES, T0)
        assert not can_see(session, backup, case, T0 + timedelta(minutes=1))


def test_a_crisis_ends_the_sticky_turn_at_once(db: Engine) -> None:
    with Session(db) as session:
        amal, other = make_person(session, "amal"), make_person(session, "carim")
        user = make_user(session, contact=amal)
        case = open_case(session, user)
        run_due(session, RULES, T0)
        assert not can_see(session, other, case, T0 + timedelta(minutes=1))
        open_case(
            session, user, severity=Severity.URGENT, reason="crisis_signal", now=T0 + timedelta(minutes=1)
        )
        assert can_see(session, other, case, T0 + timedelta(minutes=1))


def test_the_queue_is_urgent_first_then_oldest_first(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        old_normal = new_case(session, now=T0)
        urgent = new_case(session, severity=Severity.URGENT, now=T0 + timedelta(minutes=5))
        new_normal = new_case(session, now=T0 + timedelta(minutes=1))
        newest_urgent = new_case(session, severity=Severity.URGENT, now=T0 + timedelta(minutes=9))
        closed = new_case(session, now=T0 - timedelta(hours=1))
        close(session, amal, closed, Outcome.HELPED, T0)
        assert queue(session, amal, T0, ACTIVE) == [urgent, newest_urgent, old_normal, new_normal]
        assert queue(session, amal, T0, [CaseStatus.CLOSED.value]) == [closed]


# Claiming and handing over


def test_claim_tells_the_user_in_their_language_with_a_leave_button(db: Engine) -> None:
    with Session(db) as session:
        person = make_person(session, "sanne", languages=["nl"])
        user = make_user(session, language="nl")
        case = open_case(session, user)
        claim(session, person, case, T0 + timedelta(minutes=3))
        assert (case.status, case.assigned_to) == (CaseStatus.CLAIMED, person.id)
        assert case.claimed_at == T0 + timedelta(minutes=3)
        assert user.contact_person_id == person.id, "their next case goes to this person first"
        (item,) = outbox(session)
        dutch = translations("nl").gettext
        assert item.chat_id == user.chat_id and item.user_id == user.id and item.method == "send_message"
        assert item.payload["text"] == dutch(JOINED).format(name="Sanne")
        assert item.payload["text"] != JOINED.format(name="Sanne"), "Dutch, not the English msgid"
        assert item.payload["keyboard"] == [[{"text": dutch(END_BUTTON), "data": f"{LEAVE_CASE}:{case.id}"}]]
        (message,) = session.exec(select(Message)).all()
        assert (message.direction, message.outbox_id, message.text) == ("out", item.id, item.payload["text"])
        assert audit_trail(session, case) == [("claim", person.id, "")]


def test_what_the_user_is_told_comes_from_their_language_catalog(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Marked(gettext.NullTranslations):
        def __init__(self, language: str) -> None:
            super().__init__()
            self.language = language

        def gettext(self, message: str) -> str:
            return f"[{self.language}] {message}"

    monkeypatch.setattr(casework, "translations", Marked)
    with Session(db) as session:
        person = make_person(session, "amal")
        user = make_user(session, language="ar")
        case = open_case(session, user)
        reply(session, person, case, "مرحبا", T0)
        close(session, person, case, Outcome.HELPED, T0)
        joined, answer, ended = outbox(session)
    assert joined.payload["text"] == "[ar] " + JOINED.format(name="Amal")
    assert joined.payload["keyboard"] == [[{"text": "[ar] " + END_BUTTON, "data": f"{LEAVE_CASE}:{case.id}"}]]
    assert answer.payload["text"] == "[ar] " + REPLY_FROM.format(name="Amal") + "\nمرحبا"
    assert ended.payload["text"] == "[ar] " + ENDED.format(name="Amal")
    assert ended.payload["keyboard"] == [[{"text": "[ar] " + AGAIN_BUTTON, "data": PERSON_REQUEST}]]


def test_a_case_claimed_by_another_cannot_be_claimed(db: Engine) -> None:
    with Session(db) as session:
        amal, bashir = make_person(session, "amal"), make_person(session, "bashir")
        case = new_case(session)
        claim(session, amal, case, T0)
        with pytest.raises(CaseError) as taken:
            claim(session, bashir, case, T0)
        assert problem_of(taken) == Problem.CONFLICT and "Amal" in str(taken.value)
        claim(session, amal, case, T0 + timedelta(minutes=1))  # again: nothing happens
        assert case.assigned_to == amal.id and case.claimed_at == T0
        assert len(outbox(session)) == 1
        assert [action for action, _, _ in audit_trail(session, case)] == ["claim"]


def test_a_closed_case_cannot_be_claimed(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session)
        close(session, amal, case, Outcome.NO_CONTACT, T0)
        with pytest.raises(CaseError) as closed:
            claim(session, amal, case, T0)
        assert problem_of(closed) == Problem.CONFLICT
        assert case.assigned_to is None


def test_a_coordinator_assigns_and_the_holder_hands_over(db: Engine) -> None:
    with Session(db) as session:
        coordinator = make_person(session, "coord", role=Role.COORDINATOR)
        amal, bashir = make_person(session, "amal", languages=["en"]), make_person(session, "bashir")
        user = make_user(session, language="en")
        case = open_case(session, user)
        assert case.id is not None
        assign(session, coordinator, case, amal.id or 0, T0)
        assert (case.assigned_to, case.status) == (amal.id, CaseStatus.CLAIMED)
        assign(session, amal, case, bashir.id or 0, T0 + timedelta(minutes=1))
        assert case.assigned_to == bashir.id and user.contact_person_id == bashir.id
        joined, handed_over = outbox(session)
        assert joined.payload["text"] == JOINED.format(name="Amal")
        assert handed_over.payload["text"] == HANDED_OVER.format(name="Bashir", old="Amal")
        assert "keyboard" not in handed_over.payload
        assert audit_trail(session, case) == [
            ("assign", coordinator.id, "to amal"),
            ("assign", amal.id, "to bashir"),
        ]


def test_only_the_holder_or_a_coordinator_hands_over_and_only_to_an_active_person(db: Engine) -> None:
    with Session(db) as session:
        amal, bashir = make_person(session, "amal"), make_person(session, "bashir")
        gone = make_person(session, "gone", active=False)
        case = new_case(session)
        with pytest.raises(CaseError) as not_holder:
            assign(session, bashir, case, bashir.id or 0, T0)
        assert problem_of(not_holder) == Problem.FORBIDDEN
        claim(session, amal, case, T0)
        with pytest.raises(CaseError) as other_holder:
            assign(session, bashir, case, bashir.id or 0, T0)
        assert problem_of(other_holder) == Problem.FORBIDDEN
        for target in (gone.id or 0, 999):
            with pytest.raises(CaseError) as invalid:
                assign(session, amal, case, target, T0)
            assert problem_of(invalid) == Problem.INVALID
        assert case.assigned_to == amal.id


# Replies


def test_a_reply_to_an_unclaimed_case_claims_it_and_goes_to_the_outbox(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", languages=["en"])
        user = make_user(session, language="en")
        case = open_case(session, user)
        reply(session, amal, case, "  Hello, I am here for you.  ", T0 + timedelta(minutes=2))
        assert (case.status, case.assigned_to) == (CaseStatus.CLAIMED, amal.id)
        assert case.first_reply_at == T0 + timedelta(minutes=2)
        joined, answer = outbox(session)
        assert joined.payload["text"] == JOINED.format(name="Amal")
        assert answer.payload["text"] == "Amal, from our team:\nHello, I am here for you."
        assert answer.chat_id == user.chat_id and answer.urgent is False
        stored = session.exec(select(Message).where(Message.outbox_id == answer.id)).one()
        assert (stored.direction, stored.kind, stored.author_id) == ("out", "keyperson", amal.id)
        assert stored.text == answer.payload["text"]
        reply(session, amal, case, "Second", T0 + timedelta(minutes=5))
        assert case.first_reply_at == T0 + timedelta(minutes=2), "the first reply's time is kept"
        assert [action for action, _, _ in audit_trail(session, case)] == ["claim", "reply", "reply"]


def test_a_reply_to_an_urgent_case_is_sent_before_other_chats(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session, severity=Severity.URGENT)
        reply(session, amal, case, "I am calling you now", T0)
        *_, answer = outbox(session)
        assert answer.urgent is True


def test_a_reply_is_refused_for_another_persons_case_and_for_a_closed_case(db: Engine) -> None:
    with Session(db) as session:
        amal, bashir = make_person(session, "amal"), make_person(session, "bashir")
        coordinator = make_person(session, "coord", role=Role.COORDINATOR)
        case = new_case(session)
        claim(session, amal, case, T0)
        for intruder in (bashir, coordinator):
            with pytest.raises(CaseError) as held:
                reply(session, intruder, case, "hello", T0)
            assert problem_of(held) == Problem.FORBIDDEN
        close(session, amal, case, Outcome.HELPED, T0)
        sent = len(outbox(session))
        with pytest.raises(CaseError) as closed:
            reply(session, amal, case, "one more thing", T0)
        assert problem_of(closed) == Problem.CONFLICT
        assert len(outbox(session)) == sent
        assert session.exec(select(Message).where(Message.author_id == bashir.id)).all() == []


@pytest.mark.parametrize("text", ["", "   \n ", "x" * (MAX_REPLY_LENGTH + 1)])
def test_an_empty_or_too_long_reply_is_invalid(db: Engine, text: str) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session)
        with pytest.raises(CaseError) as invalid:
            reply(session, amal, case, text, T0)
        assert problem_of(invalid) == Problem.INVALID
        assert case.assigned_to is None and outbox(session) == []


def test_a_reply_of_the_maximum_length_is_sent(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session)
        reply(session, amal, case, "x" * MAX_REPLY_LENGTH, T0)
        assert outbox(session)[-1].payload["text"].endswith("x" * MAX_REPLY_LENGTH)


# Closing and re-opening


@pytest.mark.parametrize("outcome", ["user_left", "", "solved"])
def test_close_requires_a_closing_outcome(db: Engine, outcome: str) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session)
        claim(session, amal, case, T0)
        with pytest.raises(CaseError) as invalid:
            close(session, amal, case, outcome, T0)
        assert problem_of(invalid) == Problem.INVALID
        assert case.status == CaseStatus.CLAIMED and case.closed_at is None


def test_closing_tells_the_user_and_offers_a_person_again(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", languages=["nl"])
        user = make_user(session, language="nl")
        case = open_case(session, user)
        claim(session, amal, case, T0)
        close(session, amal, case, Outcome.REFERRED_HUISARTS, T0 + timedelta(hours=1))
        assert (case.status, case.outcome) == (CaseStatus.CLOSED, "referred_huisarts")
        assert case.closed_at == T0 + timedelta(hours=1)
        assert case.assigned_to == amal.id, "who held it is kept"
        _, ended = outbox(session)
        dutch = translations("nl").gettext
        assert ended.payload["text"] == dutch(ENDED).format(name="Amal") != ENDED.format(name="Amal")
        assert ended.payload["keyboard"] == [[{"text": dutch(AGAIN_BUTTON), "data": PERSON_REQUEST}]]
        assert audit_trail(session, case)[-1] == ("close", amal.id, "referred_huisarts")
        with pytest.raises(CaseError) as again:
            close(session, amal, case, Outcome.HELPED, T0)
        assert problem_of(again) == Problem.CONFLICT


def test_closing_an_unclaimed_case_tells_the_user_nothing(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session)
        close(session, amal, case, Outcome.NO_CONTACT, T0)
        assert case.status == CaseStatus.CLOSED and outbox(session) == []


def test_only_the_holder_or_a_coordinator_closes_a_claimed_case(db: Engine) -> None:
    with Session(db) as session:
        amal, bashir = make_person(session, "amal"), make_person(session, "bashir")
        coordinator = make_person(session, "coord", role=Role.COORDINATOR)
        case = new_case(session)
        claim(session, amal, case, T0)
        with pytest.raises(CaseError) as refused:
            close(session, bashir, case, Outcome.HELPED, T0)
        assert problem_of(refused) == Problem.FORBIDDEN and case.status == CaseStatus.CLAIMED
        close(session, coordinator, case, Outcome.HELPED, T0)
        assert case.status == CaseStatus.CLOSED
        assert audit_trail(session, case)[-1] == ("close", coordinator.id, "helped")


def test_reopen_is_refused_while_the_user_has_another_open_case(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        user = make_user(session)
        first = open_case(session, user)
        claim(session, amal, first, T0)
        close(session, amal, first, Outcome.HELPED, T0 + timedelta(hours=1))
        second = open_case(session, user, now=T0 + timedelta(days=1))
        assert second.id != first.id
        with pytest.raises(CaseError) as conflict:
            reopen(session, amal, first, T0 + timedelta(days=1))
        assert problem_of(conflict) == Problem.CONFLICT and str(second.id) in str(conflict.value)
        assert first.status == CaseStatus.CLOSED


def test_reopen_gives_the_case_back_to_its_holder_and_tells_the_user(db: Engine) -> None:
    with Session(db) as session:
        amal, bashir = make_person(session, "amal", languages=["en"]), make_person(session, "bashir")
        case = open_case(session, make_user(session, language="en"))
        with pytest.raises(CaseError) as not_closed:
            reopen(session, amal, case, T0)
        assert problem_of(not_closed) == Problem.CONFLICT
        claim(session, amal, case, T0)
        close(session, amal, case, Outcome.HELPED, T0 + timedelta(hours=1))
        with pytest.raises(CaseError) as not_theirs:
            reopen(session, bashir, case, T0 + timedelta(hours=2))
        assert problem_of(not_theirs) == Problem.FORBIDDEN
        reopen(session, amal, case, T0 + timedelta(hours=2))
        assert (case.status, case.assigned_to, case.outcome, case.closed_at) == (
            CaseStatus.CLAIMED, amal.id, None, None
        )  # fmt: skip
        reopened = outbox(session)[-1]
        assert reopened.payload["text"] == JOINED.format(name="Amal")
        assert reopened.payload["keyboard"][0][0]["data"] == f"{LEAVE_CASE}:{case.id}"
        assert audit_trail(session, case)[-1] == ("reopen", amal.id, "")


def test_an_unclaimed_case_reopens_as_open(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session)
        close(session, amal, case, Outcome.NO_CONTACT, T0)
        reopen(session, amal, case, T0 + timedelta(minutes=1))
        assert case.status == CaseStatus.OPEN and case.assigned_to is None
        assert outbox(session) == []


def test_when_the_user_leaves_their_open_case_closes(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        user = make_user(session)
        assert user_left(session, user, T0) is None, "no open case: nothing to close"
        case = open_case(session, user)
        claim(session, amal, case, T0)
        assert user_left(session, user, T0 + timedelta(minutes=7)) is case
        assert (case.status, case.outcome) == (CaseStatus.CLOSED, Outcome.USER_LEFT)
        assert case.closed_at == T0 + timedelta(minutes=7)
        assert audit_trail(session, case)[-1] == ("user_left", None, "")
        assert user_left(session, user, T0 + timedelta(minutes=8)) is None


def test_a_case_whose_user_is_gone_can_only_be_read(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = Case(user_id=None, reason="asked_for_person", language="ar", created_at=T0)
        session.add(case)
        session.flush()
        attempts: list[Callable[[], None]] = [
            lambda: claim(session, amal, case, T0),
            lambda: reply(session, amal, case, "hello", T0),
            lambda: close(session, amal, case, Outcome.HELPED, T0),
        ]
        for action in attempts:
            with pytest.raises(CaseError) as gone:
                action()
            assert problem_of(gone) == Problem.CONFLICT
        assert thread(session, case) == [] and outbox(session) == []


# Notes, interpreter, audit


def test_notes_are_kept_in_order_and_never_sent_to_the_user(db: Engine) -> None:
    with Session(db) as session:
        amal, bashir = make_person(session, "amal"), make_person(session, "bashir")
        case = new_case(session)
        add_note(session, amal, case, "  Called the GP.  ", T0 + timedelta(minutes=1))
        add_note(session, bashir, case, "Follow up on Monday", T0 + timedelta(minutes=2))
        for text in ("", " ", "x" * (MAX_REPLY_LENGTH + 1)):
            with pytest.raises(CaseError) as invalid:
                add_note(session, amal, case, text, T0)
            assert problem_of(invalid) == Problem.INVALID
        session.flush()
        assert [(note.text, name) for note, name in notes(session, case)] == [
            ("Called the GP.", "Amal"),
            ("Follow up on Monday", "Bashir"),
        ]
        assert outbox(session) == [] and session.exec(select(Message)).all() == []
        assert [action for action, _, _ in audit_trail(session, case)] == ["note", "note"]


def test_the_interpreter_flag_is_set_and_audited(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session)
        set_interpreter(session, amal, case, True, T0)
        assert case.interpreter_needed is True
        set_interpreter(session, amal, case, False, T0 + timedelta(minutes=1))
        assert case.interpreter_needed is False
        assert audit_trail(session, case) == [
            ("interpreter", amal.id, "needed"),
            ("interpreter", amal.id, "not needed"),
        ]


def test_claim_reply_and_close_are_audited_with_who_and_when(db: Engine) -> None:
    with session_scope(db) as session:
        amal = make_person(session, "amal")
        case = new_case(session)
        claim(session, amal, case, T0 + timedelta(minutes=1))
        reply(session, amal, case, "Hello", T0 + timedelta(minutes=2))
        close(session, amal, case, Outcome.REFERRED_NIDOS, T0 + timedelta(minutes=3))
        case_id, amal_id = case.id, amal.id
    with Session(db) as session:
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    assert [(e.action, e.actor_id, e.case_id, e.at, e.detail) for e in entries] == [
        ("claim", amal_id, case_id, T0 + timedelta(minutes=1), ""),
        ("reply", amal_id, case_id, T0 + timedelta(minutes=2), ""),
        ("close", amal_id, case_id, T0 + timedelta(minutes=3), "referred_nidos"),
    ]


# The thread


def add_message(
    session: Session,
    user: User,
    at: datetime,
    text: str,
    *,
    direction: str = "in",
    author: KeyPerson | None = None,
) -> None:
    assert user.id is not None
    kind = "text" if direction == "in" else ("keyperson" if author else "bot")
    session.add(
        Message(
            user_id=user.id, direction=direction, kind=kind, text=text, created_at=at,
            author_id=author.id if author else None,
        )
    )  # fmt: skip
    session.flush()


def test_the_thread_starts_ten_messages_before_the_case_and_stops_when_it_closed(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        user = make_user(session)
        for minute in range(12, 0, -1):
            add_message(session, user, T0 - timedelta(minutes=minute), f"before {minute}")
        case = open_case(session, user, now=T0)
        add_message(session, user, T0, "I want to talk to a person")
        add_message(session, user, T0 + timedelta(minutes=1), "A person will come", direction="out")
        add_message(session, user, T0 + timedelta(minutes=2), "Hello", direction="out", author=amal)
        close(session, amal, case, Outcome.HELPED, T0 + timedelta(minutes=3))
        add_message(session, user, T0 + timedelta(minutes=3, seconds=1), "after the case")
        texts = [message.text for message in thread(session, case)]
    assert texts == [f"before {minute}" for minute in range(10, 0, -1)] + [
        "I want to talk to a person",
        "A person will come",
        "Hello",
    ]


def test_what_key_persons_send_is_dated_at_the_action_so_the_closed_thread_keeps_the_closing_notice(
    db: Engine,
) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", languages=["en"])
        user = make_user(session, language="en")
        case = open_case(session, user, now=T0)
        claim(session, amal, case, T0 + timedelta(minutes=1))
        reply(session, amal, case, "Hello", T0 + timedelta(minutes=2))
        close(session, amal, case, Outcome.HELPED, T0 + timedelta(minutes=3))
        session.flush()
        told = [(m.author, m.at) for m in thread(session, case)]
    assert told == [
        ("Brug", T0 + timedelta(minutes=1)),
        ("Amal", T0 + timedelta(minutes=2)),
        ("Brug", T0 + timedelta(minutes=3)),
    ]


def test_the_thread_names_the_user_by_pseudonym_and_the_writers_by_name(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        user = make_user(session)
        add_message(session, user, T0 - timedelta(minutes=2), "hi")
        case = open_case(session, user, now=T0)
        add_message(session, user, T0 + timedelta(minutes=1), "Welcome", direction="out")
        add_message(session, user, T0 + timedelta(minutes=2), "Hello", direction="out", author=amal)
        authors = [(m.direction, m.author, m.text) for m in thread(session, case)]
    assert authors == [
        ("in", pseudonym(user.id), "hi"),
        ("out", "Brug", "Welcome"),
        ("out", "Amal", "Hello"),
    ]


def test_rows_of_cases_keep_their_order_and_take_the_newest_message(db: Engine) -> None:
    with Session(db) as session:
        user, silent = make_user(session), make_user(session)
        case, other = open_case(session, user), open_case(session, silent)
        add_message(session, user, T0 - timedelta(minutes=5), "one")
        add_message(session, user, T0 + timedelta(minutes=5), "two")
        session.flush()
        rows = rows_of(session, [other, case])
        assert [(row.id, row.last_message_at) for row in rows] == [
            (other.id, None),
            (case.id, T0 + timedelta(minutes=5)),
        ]
        assert rows_of(session, []) == []


def test_queue_rows_are_the_queue_with_each_user_holder_and_last_message(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", languages=["ar", "nl"])
        quiet = make_user(session)
        talkative, other_language = make_user(session), make_user(session, language="ti")
        talkative.role, talkative.phase = "referent", "waiting"
        session.add(talkative)
        first = open_case(session, quiet, now=T0)
        second = open_case(session, talkative, now=T0 + timedelta(minutes=1))
        urgent = open_case(session, make_user(session, language="nl"), severity=Severity.URGENT)
        open_case(session, other_language)
        claim(session, amal, second, T0 + timedelta(minutes=2))
        add_message(session, talkative, T0 - timedelta(days=3), "older")
        add_message(session, talkative, T0 + timedelta(minutes=3), "newest")
        add_message(session, other_language, T0 + timedelta(minutes=9), "not in amal's queue")
        session.flush()
        rows = queue_rows(session, amal, T0 + timedelta(minutes=5), ACTIVE)
        assert [row.id for row in rows] == [
            case.id for case in queue(session, amal, T0 + timedelta(minutes=5), ACTIVE)
        ]
        assert [(row.id, row.role, row.phase, row.holder, row.last_message_at) for row in rows] == [
            (urgent.id, None, None, None, None),
            (first.id, None, None, None, None),
            (second.id, "referent", "waiting", "Amal", T0 + timedelta(minutes=3)),
        ]


def test_the_user_leaving_closes_only_the_named_case_and_tells_its_key_person(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", chat_id=900)
        user = make_user(session)
        case = open_case(session, user)
        claim(session, amal, case, T0)
        assert user_left(session, user, T0, case_id=(case.id or 0) + 1) is None
        assert case.status == CaseStatus.CLAIMED
        assert user_left(session, user, T0, case_id=case.id) is case
        assert (case.status, case.outcome) == (CaseStatus.CLOSED, Outcome.USER_LEFT)
        notice = outbox(session)[-1]
        assert notice.chat_id == 900 and pseudonym(user.id) in notice.payload["text"]
        assert str(user.chat_id) not in notice.payload["text"]


def test_the_earlier_contact_sees_a_case_in_a_language_they_do_not_list(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", languages=("nl",))
        user = make_user(session, language="ti", contact=amal)
        case = open_case(session, user)
        assert case.preferred_id == amal.id
        assert case_for(session, amal, case.id or 0, T0) is case
