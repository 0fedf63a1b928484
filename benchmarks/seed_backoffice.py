"""Fill an empty database with a back office at scale, for `benchmarks.backoffice_pages`.

    python -m benchmarks.seed_backoffice --database-url URL [--cases 100000 --messages 1000000]

Migrates the database first, then adds ~25,000 users (a quarter per 100,000 cases), the cases of the last
two years (most closed with an outcome, a few hundred open or claimed, some urgent, some with a sticky
preferred key person), the messages in both directions (a few users with very long histories), check-ins,
notes and audit entries, and 40 key persons. Coordinators are `coord1`…`coord4`; `kp-dari` speaks only
Dari; every password is `PASSWORD`.

Rows go in through the models' table objects (`Model.__table__.insert()` with lists of dicts), so column
types that encode or encrypt values on the way in keep working. The random seed is fixed: the same
sizes give the same data. The database must be empty (freshly made).
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Connection, Table, func, select
from sqlmodel import SQLModel

from brug.core.db import create_db_engine, migrate
from brug.core.models import (
    AuditEntry,
    Case,
    CaseNote,
    Checkin,
    KeyPerson,
    Message,
    Outcome,
    Role,
    User,
    utcnow,
)
from tests.constants import VAULT

PASSWORD = "benchmark-password"  # noqa: S105  the benchmark accounts, on a throwaway database
SEED = 20261129
BATCH = 5000
KEY_PERSONS = 40
COORDINATORS = 4
LANGUAGE_WEIGHTS = {"ti": 30, "ar": 25, "fa_AF": 20, "nl": 10, "en": 15}
REASONS = {"asked_for_person": 60, "concern_signals": 25, "crisis_signal": 8, "checkin": 7}
CATEGORIES = ("hopelessness", "health", "withdrawal", "family_pressure", "financial", "waiting_stress")
OUTCOMES = [outcome.value for outcome in Outcome]
HISTORY = timedelta(days=730)
# Letters to make texts of, per language: lengths and scripts matter for the pages, words do not.
ALPHABETS = {
    "ti": "ሀለሐመሠረሰሸቀበተቸኀነኘአከኸወዐዘዠየደጀገጠጨጰጸፀፈፐ",
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "fa_AF": "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی",
    "nl": string.ascii_lowercase,
    "en": string.ascii_lowercase,
}


@dataclass
class Sizes:
    cases: int
    messages: int
    active: int

    @property
    def users(self) -> int:
        return max(10, self.cases // 4)


@dataclass
class Plan:
    """What is known about a user while their rows are made."""

    user_id: int
    language: str
    since: datetime
    messages: int
    cases: list[dict[str, Any]] = field(default_factory=list)


def table_of(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


# A message before its text is made: at, plan, inbound, kind, length, author, severity, categories.
Draft = tuple[datetime, Plan, bool, str, int, int | None, str | None, list[str]]


class Seeder:
    def __init__(self, connection: Connection, sizes: Sizes, now: datetime) -> None:
        self.db, self.sizes, self.now = connection, sizes, now
        self.rng = random.Random(SEED)  # noqa: S311  made-up data, not secrets
        self.texts = {language: self._letters(alphabet) for language, alphabet in ALPHABETS.items()}
        self.speakers: dict[str, list[int]] = {language: [] for language in LANGUAGE_WEIGHTS}
        self.counts: Counter[str] = Counter()

    def run(self) -> Counter[str]:
        self.key_persons()
        users = self.sizes.users
        weights = [self.rng.lognormvariate(0, 1.1) for _ in range(users)]
        cases_of = Counter(self.rng.choices(range(users), weights, k=self.sizes.cases))
        messages_of = Counter(self.rng.choices(range(users), weights, k=self.sizes.messages))
        with_cases = [index for index in range(users) if cases_of[index]]
        active = set(self.rng.sample(with_cases, min(self.sizes.active, len(with_cases))))
        plans = [self.user(cases_of[index], index in active, messages_of[index]) for index in range(users)]
        # Ids in the order rows were made, as in a real database: a user's rows lie spread over the table.
        plans.sort(key=lambda plan: plan.since)
        for number, plan in enumerate(plans, start=1):
            plan.user_id = number
            for case in plan.cases:
                case["user_id"] = number
        cases = sorted((case for plan in plans for case in plan.cases), key=lambda case: case["created_at"])
        for number, case in enumerate(cases, start=1):
            case["id"] = number
        self.insert_all(table_of(User), (self.user_row(plan) for plan in plans))
        self.insert_all(table_of(Case), iter(cases))
        self.insert_all(table_of(Message), self.messages(plans))
        self.insert_all(table_of(CaseNote), self.in_time_order(self.notes(cases), "created_at"))
        self.insert_all(table_of(AuditEntry), self.in_time_order(self.audit(cases), "at"))
        self.insert_all(table_of(Checkin), self.in_time_order(self.checkins(plans), "created_at"))
        for model in (User, Case, KeyPerson):
            self.advance_sequence(model)
        return self.counts

    # ------------------------------------------------------------------ key persons and users

    def key_persons(self) -> None:
        password_hash = PasswordHasher().hash(PASSWORD)
        languages = list(LANGUAGE_WEIGHTS)
        rows = []
        for number in range(1, KEY_PERSONS + 1):
            if number <= COORDINATORS:
                username, role, spoken = f"coord{number}", Role.COORDINATOR, languages
            elif number == COORDINATORS + 1:
                username, role, spoken = "kp-dari", Role.KEYPERSON, ["fa_AF"]
            else:
                username, role = f"kp{number}", Role.KEYPERSON
                spoken = self.rng.sample(languages, self.rng.choice((1, 1, 2, 2, 3)))
            for language in spoken:
                self.speakers[language].append(number)
            rows.append(
                {
                    "id": number,
                    "username": username,
                    "name": f"Person {number}",
                    "languages": spoken,
                    "role": role.value,
                    "password_hash": password_hash,
                    "active": True,
                    "backup_id": None,
                    "created_at": self.now - HISTORY,
                }
            )
        for number, row in enumerate(rows, start=1):  # a backup made before them: rows go in in order
            if number > COORDINATORS + 1 and number % 3 == 0:
                row["backup_id"] = self.rng.randint(COORDINATORS + 1, number - 1)
        self.insert_all(table_of(KeyPerson), iter(rows))

    def user(self, cases: int, active: bool, messages: int) -> Plan:
        language = self.rng.choices(list(LANGUAGE_WEIGHTS), list(LANGUAGE_WEIGHTS.values()))[0]
        since = self.now - HISTORY * self.rng.random() ** 0.7
        plan = Plan(0, language, since, messages=messages)
        span = (self.now - since).total_seconds()
        starts = sorted(since + timedelta(seconds=self.rng.random() * span) for _ in range(cases))
        for number, created in enumerate(starts):
            last = number == len(starts) - 1
            until = starts[number + 1] if not last else self.now
            plan.cases.append(self.case(plan, created, until, active=active and last))
        return plan

    def user_row(self, plan: Plan) -> dict[str, Any]:
        contact = plan.cases[-1]["assigned_to"] if plan.cases and self.rng.random() < 0.4 else None
        return {
            "id": plan.user_id,
            "telegram_key": f"{self.rng.getrandbits(256):064x}",
            "chat_id": 10**9 + plan.user_id,
            "language": plan.language,
            "language_chosen": True,
            "age_group": self.rng.choice((None, "adult", "adult", "18_to_21", "under_18")),
            "role": self.rng.choice((None, "referent", "young_person", "family_arrived", "professional")),
            "phase": self.rng.choice((None, "waiting", "waiting", "arrived", "rejected")),
            "contact_person_id": contact,
            "created_at": plan.since,
            "updated_at": plan.cases[-1]["updated_at"] if plan.cases else plan.since,
        }

    # ------------------------------------------------------------------ cases

    def case(self, plan: Plan, created: datetime, until: datetime, *, active: bool) -> dict[str, Any]:
        rng = self.rng
        if active:  # open or claimed now: most from the last days, a few long-running
            created = self.now - timedelta(hours=rng.expovariate(1 / 30))
            created = max(created, plan.since)
        urgent = rng.random() < (0.12 if active else 0.05)
        reason = "crisis_signal" if urgent else rng.choices(list(REASONS), list(REASONS.values()))[0]
        holder = rng.choice(self.speakers[plan.language] or [1])
        claimed = (not active or rng.random() < 0.4) and rng.random() < 0.93
        claimed_at = created + timedelta(minutes=rng.expovariate(1 / 40)) if claimed else None
        closed_at = None
        if not active:
            closed_at = created + timedelta(minutes=10 + rng.expovariate(1 / 600))
            closed_at = min(closed_at, until - timedelta(seconds=1), self.now)
            closed_at = max(closed_at, created)
            if claimed_at is not None and claimed_at > closed_at:
                claimed_at = closed_at
        sticky = rng.random() < 0.2
        preferred_until = created + timedelta(minutes=30) if sticky else None
        if active and sticky:
            preferred_until = self.now + timedelta(minutes=rng.randint(-60, 30))
        outcome = None
        if closed_at is not None:
            outcome = rng.choice(OUTCOMES) if claimed else rng.choice(("no_contact", "user_left"))
        return {
            "id": None,
            "user_id": None,
            "severity": "urgent" if urgent else "normal",
            "status": "closed" if closed_at else ("claimed" if claimed else "open"),
            "reason": reason,
            "language": plan.language,
            "assigned_to": holder if claimed else None,
            "preferred_id": rng.choice(self.speakers[plan.language] or [1]) if sticky else None,
            "preferred_until": preferred_until,
            "notified_at": created,
            "widened_at": created + timedelta(minutes=30) if sticky and rng.random() < 0.5 else None,
            "repaged_at": created + timedelta(minutes=10) if urgent and rng.random() < 0.3 else None,
            "interpreter_needed": rng.random() < 0.05,
            "outcome": outcome,
            "claimed_at": claimed_at,
            "first_reply_at": claimed_at,
            "created_at": created,
            "updated_at": closed_at or claimed_at or created,
            "closed_at": closed_at,
        }

    # ------------------------------------------------------------------ messages

    def messages(self, plans: list[Plan]) -> Iterator[dict[str, Any]]:
        """In time order over all users, as they arrive: light tuples first, texts made while writing."""
        drafts = [self.message(plan) for plan in plans for _ in range(plan.messages)]
        drafts.sort(key=lambda draft: draft[0])
        for at, plan, inbound, kind, length, author_id, severity, categories in drafts:
            yield {
                "user_id": plan.user_id,
                "direction": "in" if inbound else "out",
                "kind": kind,
                "text": self.text(plan.language, length),
                "update_id": None,
                "outbox_id": None,
                "severity": severity,
                "categories": categories,
                "author_id": author_id,
                "created_at": at,
            }

    def message(self, plan: Plan) -> Draft:
        """Most messages near a case (the talk before it and during it), the rest anywhere in the history."""
        rng = self.rng
        case = rng.choice(plan.cases) if plan.cases and rng.random() < 0.65 else None
        author_id = None
        if case is not None:
            start = case["created_at"] - timedelta(hours=2)
            end = case["closed_at"] or self.now
            at = start + (end - start) * rng.random()
        else:
            at = plan.since + (self.now - plan.since) * rng.random()
        at = min(max(at, plan.since), self.now)
        inbound = rng.random() < 0.5
        severity, categories = None, []
        if inbound:
            kind = rng.choices(("text", "command", "button"), (80, 8, 12))[0]
            length = int(rng.lognormvariate(3.9, 0.9))
            draw = rng.random()
            if kind == "text" and draw < 0.006:
                severity, categories = "crisis", ["crisis"]
            elif kind == "text" and draw < 0.05:
                severity, categories = "concern", rng.sample(CATEGORIES, rng.choice((1, 1, 2)))
        elif case is not None and case["assigned_to"] is not None and rng.random() < 0.6:
            kind, author_id, length = "keyperson", case["assigned_to"], int(rng.lognormvariate(4.8, 0.7))
        else:
            kind, length = "bot", int(rng.lognormvariate(5.4, 0.5))
        return at, plan, inbound, kind, length, author_id, severity, categories

    def text(self, language: str, length: int) -> str:
        letters = self.texts[language]
        length = max(1, min(length, 3000))
        start = self.rng.randrange(len(letters) - length)
        return letters[start : start + length].strip() or "ok"

    def _letters(self, alphabet: str) -> str:
        words = ("".join(self.rng.choices(alphabet, k=self.rng.randint(2, 9))) for _ in range(20_000))
        return " ".join(words)

    # ------------------------------------------------------------------ notes, audit, check-ins

    @staticmethod
    def in_time_order(rows: Iterator[dict[str, Any]], column: str) -> Iterator[dict[str, Any]]:
        return iter(sorted(rows, key=lambda row: row[column]))

    def notes(self, cases: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for case in cases:
            if case["assigned_to"] is None or self.rng.random() > 0.15:
                continue
            for _ in range(self.rng.randint(1, 3)):
                yield {
                    "case_id": case["id"],
                    "author_id": case["assigned_to"],
                    "text": self.text("nl", int(self.rng.lognormvariate(4.5, 0.6))),
                    "created_at": case["claimed_at"] or case["created_at"],
                }

    def audit(self, cases: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for case in cases:
            holder = case["assigned_to"]
            entries = []
            if holder is not None:
                entries += [("view", holder, case["claimed_at"]), ("claim", holder, case["claimed_at"])]
                entries += [("reply", holder, case["first_reply_at"])]
            if case["closed_at"] is not None:
                actor = None if case["outcome"] == "user_left" else holder or 1
                entries.append(("close", actor, case["closed_at"]))
            for action, actor, at in entries:
                yield {"actor_id": actor, "action": action, "case_id": case["id"], "detail": "", "at": at}

    def checkins(self, plans: list[Plan]) -> Iterator[dict[str, Any]]:
        for plan in plans:
            if self.rng.random() > 0.2:
                continue
            span = (self.now - plan.since).total_seconds()
            for _ in range(self.rng.randint(1, 20)):
                at = plan.since + timedelta(seconds=self.rng.random() * span)
                scores = {name: self.rng.randint(1, 5) for name in ("mood", "sleep", "calm", "coping")}
                yield {"user_id": plan.user_id, "created_at": at, **scores}

    # ------------------------------------------------------------------ writing

    def insert_all(self, table: Table, rows: Iterator[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._insert(table, batch)
                batch = []
        if batch:
            self._insert(table, batch)

    def _insert(self, table: Table, batch: list[dict[str, Any]]) -> None:
        self.db.execute(table.insert(), batch)
        self.counts[table.name] += len(batch)

    def advance_sequence(self, model: type[SQLModel]) -> None:
        """Ids were given explicitly; PostgreSQL's sequence must continue after them."""
        if self.db.dialect.name != "postgresql":
            return
        table = table_of(model)
        highest = self.db.execute(select(func.max(table.c.id))).scalar_one()
        sequence = func.pg_get_serial_sequence(table.name, "id")
        self.db.execute(select(func.setval(sequence, highest)))


def seed(database_url: str, sizes: Sizes) -> Counter[str]:
    migrate(database_url, VAULT)
    engine = create_db_engine(database_url, VAULT)
    try:
        with engine.begin() as connection:
            if connection.execute(select(func.count()).select_from(table_of(User))).scalar_one():
                raise SystemExit("seed_backoffice: the database already has users; give an empty one")
            return Seeder(connection, sizes, utcnow()).run()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--active", type=int, default=400, help="open or claimed cases")
    args = parser.parse_args()
    started = time.monotonic()
    counts = seed(args.database_url, Sizes(args.cases, args.messages, args.active))
    rows = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    print(f"seeded in {time.monotonic() - started:.0f} s: {rows}")


if __name__ == "__main__":
    main()
