"""Telling key persons about cases (`run_due`), and how a request for a person opens or raises a case."""

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from brug.core.casework import claim, close, user_left
from brug.core.escalation import run_due
from brug.core.models import AuditEntry, Case, CaseStatus, Message, OutboxItem, Outcome, Role, Severity
from brug.core.pseudonyms import pseudonym
from tests.core.test_casework import (
    RULES,
    T0,
    can_see,
    make_person,
    make_user,
    new_case,
    open_case,
    outbox,
)

MINUTE = timedelta(minutes=1)


def run(session: Session, now: datetime) -> list[OutboxItem]:
    """One `run_due`: the notices it queued (and it says how many it queued)."""
    before = {item.id for item in outbox(session)}
    count = run_due(session, RULES, now)
    queued = [item for item in outbox(session) if item.id not in before]
    assert count == len(queued)
    return queued


def chats(items: list[OutboxItem]) -> list[int]:
    return sorted(item.chat_id for item in items)


def actions(session: Session, case: Case) -> list[str]:
    session.flush()
    query = select(AuditEntry.action).where(AuditEntry.case_id == case.id).order_by(col(AuditEntry.id))
    return list(session.exec(query).all())


# New cases


def test_a_new_case_is_told_once_to_each_linked_key_person_speaking_its_language(db: Engine) -> None:
    with Session(db) as session:
        make_person(session, "amal", languages=["ar", "en"], chat_id=1001)
        make_person(session, "bashir", languages=["ar"])  # no Telegram linked
        make_person(session, "dawit", languages=["ti"], chat_id=1003)
        make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR, chat_id=1004)
        make_person(session, "gone", languages=["ar"], chat_id=1005, active=False)
        case = new_case(session, language="ar")
        (notice,) = run(session, T0)
        assert (notice.chat_id, notice.method, notice.user_id, notice.urgent) == (
            1001,
            "send_message",
            None,
            False,
        )
        assert notice.payload["text"].startswith("New case")
        assert case.notified_at == T0
        assert run(session, T0 + MINUTE) == [], "each notice goes once"
        assert run(session, T0 + timedelta(hours=5)) == [], "a normal case is never re-paged"


def test_an_urgent_case_goes_to_its_speakers_and_every_coordinator_once(db: Engine) -> None:
    with Session(db) as session:
        make_person(session, "amal", languages=["ar"], chat_id=1001)
        make_person(session, "dawit", languages=["ti"], chat_id=1003)
        make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR, chat_id=1004)
        make_person(session, "coord-ar", languages=["ar"], role=Role.COORDINATOR, chat_id=1006)
        make_person(session, "coord-offline", languages=["ar"], role=Role.COORDINATOR)
        new_case(session, language="ar", severity=Severity.URGENT)
        notices = run(session, T0)
        assert chats(notices) == [1001, 1004, 1006], "a coordinator who speaks it is told once"
        assert all(item.urgent and item.payload["text"].startswith("URGENT case") for item in notices)
        assert run(session, T0 + MINUTE) == []


def test_a_case_closed_before_anyone_was_told_is_not_announced(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", chat_id=1001)
        case = new_case(session)
        close(session, amal, case, Outcome.NO_CONTACT, T0)
        assert run(session, T0) == []


def test_notices_name_the_case_by_pseudonym_and_link_but_never_the_chat_or_what_was_written(
    db: Engine,
) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", chat_id=1001)
        make_person(session, "carim", chat_id=1003)
        make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR, chat_id=1004)
        returning = make_user(session, contact=amal)
        in_crisis = make_user(session)
        secrets = "my brother Yonas is in Sembel prison, please help"
        for user in (returning, in_crisis):
            assert user.id is not None
            session.add(Message(user_id=user.id, direction="in", kind="text", text=secrets, created_at=T0))
        sticky = open_case(session, returning)
        urgent = open_case(session, in_crisis, severity=Severity.URGENT, reason="crisis_signal")
        everything = (
            run(session, T0) + run(session, T0 + RULES.sticky_for) + run(session, T0 + timedelta(hours=1))
        )
        assert {item.chat_id for item in everything} == {1001, 1003, 1004}
        for case, user in ((sticky, returning), (urgent, in_crisis)):
            about = [
                item.payload["text"] for item in everything if f"/cases/{case.id}" in item.payload["text"]
            ]
            assert len(about) >= 2, "first notice and widening or re-page"
            for text in about:
                assert pseudonym(user.id) in text
                assert text.endswith(f"\nhttps://brug.example/cases/{case.id}")
                assert "العربية" in text
                assert str(user.chat_id) not in text and user.telegram_key not in text
                assert secrets not in text and "Yonas" not in text
        assert any("crisis signal" in item.payload["text"] for item in everything)


# Sticky first turn


def test_a_returning_users_case_goes_first_to_their_earlier_contact_and_backup_then_to_everyone(
    db: Engine,
) -> None:
    with Session(db) as session:
        backup = make_person(session, "bashir", chat_id=1002)
        amal = make_person(session, "amal", chat_id=1001, backup=backup)
        make_person(session, "carim", chat_id=1003)
        make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR, chat_id=1004)
        case = open_case(session, make_user(session, contact=amal))
        first_turn = run(session, T0)
        assert chats(first_turn) == [1001, 1002]
        assert all("You helped this person before" in item.payload["text"] for item in first_turn)
        assert all("others are told in 30 min" in item.payload["text"] for item in first_turn)
        assert case.preferred_until == T0 + RULES.sticky_for and case.widened_at is None

        assert run(session, T0 + RULES.sticky_for - timedelta(seconds=1)) == []
        (widened,) = run(session, T0 + RULES.sticky_for)
        assert widened.chat_id == 1003, "the first two are not told twice"
        assert "Not yet claimed by their earlier contact" in widened.payload["text"]
        assert case.widened_at == T0 + RULES.sticky_for
        assert actions(session, case) == ["widened"]
        assert run(session, T0 + RULES.sticky_for + MINUTE) == []


def test_a_case_claimed_during_the_first_turn_is_not_widened(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", chat_id=1001)
        make_person(session, "carim", chat_id=1003)
        case = open_case(session, make_user(session, contact=amal))
        assert chats(run(session, T0)) == [1001]
        claim(session, amal, case, T0 + 5 * MINUTE)
        assert run(session, T0 + RULES.sticky_for) == []
        assert case.widened_at is None


def test_a_case_the_user_left_during_the_first_turn_is_not_widened(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", chat_id=1001)
        make_person(session, "carim", chat_id=1003)
        user = make_user(session, contact=amal)
        case = open_case(session, user)
        run(session, T0)
        assert user_left(session, user, T0 + 5 * MINUTE) is case
        assert run(session, T0 + RULES.sticky_for) == []
        assert case.widened_at is None


def test_an_urgent_case_has_no_first_turn(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", chat_id=1001)
        make_person(session, "carim", chat_id=1003)
        case = open_case(session, make_user(session, contact=amal), severity=Severity.URGENT)
        assert case.preferred_id is None
        assert chats(run(session, T0)) == [1001, 1003]


def test_a_deactivated_earlier_contact_does_not_hold_the_case_back(db: Engine) -> None:
    """Nobody can take the first turn, so everyone is told at once (the case used to stay hidden from
    everyone, and nobody was told, for the whole sticky window)."""
    with Session(db) as session:
        backup = make_person(session, "bashir", chat_id=1002)
        gone = make_person(session, "amal", chat_id=1001, backup=backup, active=False)
        carim = make_person(session, "carim", chat_id=1003)
        case = open_case(session, make_user(session, contact=gone))
        assert chats(run(session, T0)) == [1002, 1003]
        assert can_see(session, carim, case, T0)
        assert actions(session, case) == ["widened"]
        assert run(session, T0 + RULES.sticky_for) == []


def test_an_inactive_backup_gets_no_first_turn(db: Engine) -> None:
    with Session(db) as session:
        backup = make_person(session, "bashir", chat_id=1002, active=False)
        amal = make_person(session, "amal", chat_id=1001, backup=backup)
        make_person(session, "carim", chat_id=1003)
        open_case(session, make_user(session, contact=amal))
        assert chats(run(session, T0)) == [1001]
        assert chats(run(session, T0 + RULES.sticky_for)) == [1003]


# Raising to urgent (brug.core.cases.request_person)


def test_a_request_opens_one_case_per_user_and_remembers_the_earlier_contact(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal")
        user = make_user(session, language="ti", contact=amal)
        case = open_case(session, user, now=T0)
        assert (case.status, case.severity, case.language, case.created_at) == ("open", "normal", "ti", T0)
        assert case.preferred_id == amal.id and case.notified_at is None
        again = open_case(session, user, reason="concern_signals", now=T0 + MINUTE)
        assert again.id == case.id and again.reason == "asked_for_person"
        assert again.updated_at == T0 + MINUTE
        assert len(session.exec(select(Case)).all()) == 1
        close(session, amal, case, Outcome.HELPED, T0 + 2 * MINUTE)
        assert open_case(session, user, now=T0 + 3 * MINUTE).id != case.id, "a closed case is not reused"


def test_raising_to_urgent_tells_everyone_again_and_ends_the_first_turn(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", chat_id=1001)
        make_person(session, "carim", chat_id=1003)
        make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR, chat_id=1004)
        user = make_user(session, contact=amal)
        case = open_case(session, user)
        assert chats(run(session, T0)) == [1001]

        raised = open_case(session, user, severity=Severity.URGENT, reason="crisis_signal", now=T0 + MINUTE)
        assert raised.id == case.id
        assert (case.severity, case.reason) == (Severity.URGENT, "crisis_signal")
        assert case.notified_at is None and case.widened_at == T0 + MINUTE
        notices = run(session, T0 + MINUTE)
        assert chats(notices) == [1001, 1003, 1004]
        assert all(item.urgent and item.payload["text"].startswith("URGENT case") for item in notices)
        assert case.notified_at == T0 + MINUTE
        (later,) = run(session, T0 + RULES.sticky_for)  # no widening of a case everyone was told of
        assert later.chat_id == 1004 and later.payload["text"].startswith("STILL UNCLAIMED"), (
            "only the re-page"
        )


def test_a_further_request_never_lowers_or_re_announces_an_urgent_case(db: Engine) -> None:
    with Session(db) as session:
        make_person(session, "amal", chat_id=1001)
        user = make_user(session)
        case = open_case(session, user, severity=Severity.URGENT, reason="crisis_signal")
        run(session, T0)
        open_case(session, user, severity=Severity.NORMAL, now=T0 + MINUTE)
        open_case(session, user, severity=Severity.URGENT, reason="crisis_signal", now=T0 + 2 * MINUTE)
        assert case.severity == Severity.URGENT and case.notified_at == T0
        assert run(session, T0 + 2 * MINUTE) == []


# Re-paging urgent cases nobody claimed


def test_an_unclaimed_urgent_case_is_repaged_to_the_coordinators_once(db: Engine) -> None:
    with Session(db) as session:
        make_person(session, "amal", chat_id=1001)
        make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR, chat_id=1004)
        make_person(session, "coord-offline", languages=["nl"], role=Role.COORDINATOR)
        make_person(
            session, "coord-gone", languages=["nl"], role=Role.COORDINATOR, chat_id=1007, active=False
        )
        case = new_case(session, severity=Severity.URGENT)
        assert chats(run(session, T0)) == [1001, 1004]

        assert run(session, T0 + RULES.repage_after - timedelta(seconds=1)) == []
        (repage,) = run(session, T0 + RULES.repage_after)
        assert repage.chat_id == 1004 and repage.urgent
        assert repage.payload["text"].startswith("STILL UNCLAIMED after 10 min: URGENT case")
        assert case.repaged_at == T0 + RULES.repage_after
        assert actions(session, case) == ["repaged"]
        assert run(session, T0 + RULES.repage_after + MINUTE) == []
        assert run(session, T0 + timedelta(hours=3)) == []


def test_a_claimed_urgent_case_is_not_repaged(db: Engine) -> None:
    with Session(db) as session:
        amal = make_person(session, "amal", chat_id=1001)
        make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR, chat_id=1004)
        case = new_case(session, severity=Severity.URGENT)
        run(session, T0)
        claim(session, amal, case, T0 + MINUTE)
        assert case.status == CaseStatus.CLAIMED
        assert run(session, T0 + RULES.repage_after) == []
        assert case.repaged_at is None


def test_the_repage_clock_starts_when_the_case_became_urgent(db: Engine) -> None:
    with Session(db) as session:
        make_person(session, "coord", languages=["nl"], role=Role.COORDINATOR, chat_id=1004)
        user = make_user(session)
        case = open_case(session, user)
        run(session, T0)  # a normal case: nobody speaks Arabic, so nobody is told
        raised_at = T0 + timedelta(hours=1)
        open_case(session, user, severity=Severity.URGENT, reason="crisis_signal", now=raised_at)
        assert chats(run(session, raised_at)) == [1004]
        assert run(session, raised_at + RULES.repage_after - timedelta(seconds=1)) == []
        assert chats(run(session, raised_at + RULES.repage_after)) == [1004]
        assert case.repaged_at == raised_at + RULES.repage_after
