"""Database tables. Users are pseudonymous: no Telegram id, name, username or phone is stored; chat ids
and texts are encrypted (`brug.core.encrypted`), and rows of one chat are grouped by a keyed hash."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from brug.core.encrypted import EncryptedInt, EncryptedJSON, EncryptedText


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the zone, so it is stored naive and re-attached)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use brug.core.models.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default_factory=None if nullable else utcnow,
        sa_column_kwargs={"nullable": nullable},
        sa_type=UTCDateTime,
        index=index,
    )


def _key_person_fk() -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("key_persons.id", ondelete="SET NULL"), nullable=True),
    )


class Role(StrEnum):
    KEYPERSON = "keyperson"
    COORDINATOR = "coordinator"


class Outcome(StrEnum):
    HELPED = "helped"
    REFERRED_VLUCHTELINGENWERK = "referred_vluchtelingenwerk"
    REFERRED_HUISARTS = "referred_huisarts"
    REFERRED_GGZ = "referred_ggz"
    REFERRED_113 = "referred_113"
    REFERRED_NIDOS = "referred_nidos"
    REFERRED_OTHER = "referred_other"
    NO_CONTACT = "no_contact"
    USER_LEFT = "user_left"


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class Severity(StrEnum):
    URGENT = "urgent"
    NORMAL = "normal"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class User(SQLModel, table=True):
    """A person who writes to the bot, known only by a keyed hash of their Telegram id."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    telegram_key: str = Field(max_length=64, unique=True)
    chat_id: int = Field(sa_type=EncryptedInt)
    language: str = Field(max_length=8)
    language_chosen: bool = False
    # "under_18", "18_to_21", "adult" or None (not said). Decides, e.g., whether Kindertelefoon is offered.
    age_group: str | None = Field(default=None, max_length=16)
    # Said in the flows: "referent", "young_person", "family_arrived", "professional"; and the phase.
    role: str | None = Field(default=None, max_length=16)
    phase: str | None = Field(default=None, max_length=16)
    # The key person who helped before or invited them: their next case goes to this person first.
    contact_person_id: int | None = _key_person_fk()
    # Telegram said 403: they blocked the bot. Cleared when they write again.
    blocked_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Conversation(SQLModel, table=True):
    """Where a user is in the conversation. Kept here, not in the bot process, to survive restarts."""

    __tablename__ = "conversations"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    node: str = Field(default="start", max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=EncryptedJSON)
    updated_at: datetime = _timestamp()


class InboundUpdate(SQLModel, table=True):
    """The inbox: every Telegram update is stored here before Telegram is told we have it."""

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_status_update", "status", "update_id"),
        # A chat's turn: is an earlier update of this chat still to handle?
        Index("ix_inbox_chat_status_update", "chat_key", "status", "update_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(sa_type=BigInteger, unique=True)
    payload: dict[str, Any] = Field(sa_type=EncryptedJSON)
    # Vault.chat_key of the chat: rows of one chat are handled in update order.
    chat_key: str | None = Field(default=None, max_length=64)
    # The sender's keyed hash (as users.telegram_key), so /forget finds their updates in group chats too.
    user_key: str | None = Field(default=None, max_length=64)
    # A crisis signal seen on arrival: its chat is handled before other chats (its own order is kept).
    urgent: bool = False
    status: str = Field(default=InboxStatus.PENDING, max_length=16)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=500)
    received_at: datetime = _timestamp()
    handled_at: datetime | None = _timestamp(nullable=True)


class Message(SQLModel, table=True):
    """One message in a user's conversation with the bot or a key person, in either direction."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_user_created", "user_id", "created_at"),
        # The dashboard counts signals by week; a few percent of messages have one.
        Index(
            "ix_messages_signals",
            "created_at",
            postgresql_where=text("severity IS NOT NULL"),
            sqlite_where=text("severity IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    direction: str = Field(max_length=3)
    kind: str = Field(max_length=16)
    text: str = Field(sa_type=EncryptedText)
    # A voice note: Telegram's file_id (to play it in the back office) and its length in seconds.
    file_id: str | None = Field(default=None, sa_type=EncryptedText)
    duration: int | None = None
    update_id: int | None = Field(default=None, sa_type=BigInteger)
    outbox_id: int | None = None
    # Stress signals found in an inbound text: severity and categories only, never a copy of the text.
    severity: str | None = Field(default=None, max_length=8)
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    # The key person who wrote an outbound message; None for the bot's own messages.
    author_id: int | None = _key_person_fk()
    created_at: datetime = _timestamp(index=True)


class OutboxItem(SQLModel, table=True):
    """A call to Telegram waiting to be made. The only way anything reaches a chat."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=EncryptedInt)
    # Vault.chat_key of the chat: a chat's rows are sent in id order.
    chat_key: str = Field(max_length=64)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    method: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_type=EncryptedJSON)
    # Urgent rows (crisis answers) go before other chats' rows; within a chat the order stays by id.
    urgent: bool = False
    # To a person we no longer know (after /forget): deleted as soon as it was sent or failed for good.
    transient: bool = False
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _timestamp()
    last_error: str | None = Field(default=None, max_length=500)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _timestamp()
    sent_at: datetime | None = _timestamp(nullable=True)


class KeyPerson(SQLModel, table=True):
    """A key person (sleutelpersoon) or coordinator who answers in the back office."""

    __tablename__ = "key_persons"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    languages: list[str] = Field(default_factory=list, sa_type=JSON)
    role: str = Field(default=Role.KEYPERSON, max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = True
    # Who takes this person's returning users while they are away.
    backup_id: int | None = _key_person_fk()
    # The key person's own Telegram chat, linked with a one-time code, for notifications.
    telegram_chat_id: int | None = Field(default=None, sa_type=EncryptedInt)
    link_code_hash: str | None = Field(default=None, max_length=64)
    link_code_expires_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()


class Case(SQLModel, table=True):
    """A request for a person: asked for by the user, or raised by a crisis, concern signals or a check-in."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_severity", "status", "severity", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    severity: str = Field(default=Severity.NORMAL, max_length=8)
    status: str = Field(default=CaseStatus.OPEN, max_length=8)
    reason: str = Field(max_length=32)
    language: str = Field(max_length=8)
    assigned_to: int | None = _key_person_fk()
    # Sticky routing: until `preferred_until` only this key person (and their backup) is offered the case.
    preferred_id: int | None = _key_person_fk()
    preferred_until: datetime | None = _timestamp(nullable=True)
    # Set when key persons were told; cleared when a case is raised to urgent, so they are told again.
    notified_at: datetime | None = _timestamp(nullable=True)
    widened_at: datetime | None = _timestamp(nullable=True)
    repaged_at: datetime | None = _timestamp(nullable=True)
    interpreter_needed: bool = False
    outcome: str | None = Field(default=None, max_length=32)
    claimed_at: datetime | None = _timestamp(nullable=True)
    first_reply_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    closed_at: datetime | None = _timestamp(nullable=True)


class CheckinSchedule(SQLModel, table=True):
    """A user's opt-in to regular check-ins. `next_due_at` is claimed in a transaction, so it fires once."""

    __tablename__ = "checkin_schedules"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    every_days: int
    active: bool = True
    next_due_at: datetime = _timestamp(index=True)
    updated_at: datetime = _timestamp()


class Checkin(SQLModel, table=True):
    """One completed check-in: four answers on a 1 (bad) to 5 (good) scale."""

    __tablename__ = "checkins"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    mood: int
    sleep: int
    calm: int
    coping: int
    created_at: datetime = _timestamp()

    @property
    def total(self) -> int:
        return self.mood + self.sleep + self.calm + self.coping


class StaffSession(SQLModel, table=True):
    """A back-office login. Only a hash of the cookie's token is stored."""

    __tablename__ = "staff_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    key_person_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("key_persons.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _timestamp()
    expires_at: datetime = _timestamp()


class LoginFailure(SQLModel, table=True):
    """Failed logins per account and per address (both hashed), to slow down guessing."""

    __tablename__ = "login_failures"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failed_at: datetime = _timestamp()


class SetupToken(SQLModel, table=True):
    """The one-time link `brug run` prints when there is no account yet, to create the first coordinator."""

    __tablename__ = "setup_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = _timestamp()
    used_at: datetime | None = _timestamp(nullable=True)


class Invite(SQLModel, table=True):
    """A key person's personal deep link (`t.me/<bot>?start=<code>`); single use."""

    __tablename__ = "invites"

    code_hash: str = Field(primary_key=True, max_length=64)
    key_person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("key_persons.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = _timestamp()
    expires_at: datetime = _timestamp()
    used_at: datetime | None = _timestamp(nullable=True)


class CaseNote(SQLModel, table=True):
    """A private note on a case: seen by key persons, never sent to the user."""

    __tablename__ = "case_notes"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    author_id: int | None = _key_person_fk()
    text: str = Field(sa_type=EncryptedText)
    created_at: datetime = _timestamp()


class CannedReply(SQLModel, table=True):
    """A ready answer in one language, managed by coordinators."""

    __tablename__ = "canned_replies"

    id: int | None = Field(default=None, primary_key=True)
    language: str = Field(max_length=8, index=True)
    title: str = Field(max_length=80)
    text: str
    created_at: datetime = _timestamp()


class AuditEntry(SQLModel, table=True):
    """Who did what to which case, and when. Read by coordinators."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = _key_person_fk()
    action: str = Field(max_length=32)
    case_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("cases.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    detail: str = Field(default="", max_length=200)
    at: datetime = _timestamp(index=True)
