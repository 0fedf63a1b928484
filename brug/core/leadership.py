"""One worker at a time does a job: a PostgreSQL session advisory lock, held on a connection of its own.

Used for the outbox sender. Telegram limits a bot to about 30 messages a second overall and one a second
per chat, so sending is one stream however many workers there are: one sender keeps the limits, the
per-chat order and the 429 pauses without any coordination between processes. If the leader dies, its
connection closes, the lock goes with it, and another worker takes over at its next try.
SQLite runs as one process, which always leads.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, func, select

# The first key of the advisory lock; the job's own key is the second.
LEADERSHIP_LOCKS = 0x6273
SENDER = 1
CHECK_EVERY = 5.0


class Leadership:
    def __init__(self, engine: Engine, job: int) -> None:
        self._engine = engine
        self._job = job
        self._connection: Connection | None = None
        self._checked_at = 0.0

    def held(self) -> bool:
        """Whether this process leads now; tries to become the leader when it does not."""
        if self._engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            return self._still_held()
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = connection.execute(
                select(func.pg_try_advisory_lock(LEADERSHIP_LOCKS, self._job))
            ).scalar()
        except Exception:
            connection.close()
            raise
        if not taken:
            connection.close()
            return False
        self._connection, self._checked_at = connection, time.monotonic()
        return True

    def _still_held(self) -> bool:
        """A database restart ends the lock with the connection; find out within CHECK_EVERY seconds."""
        assert self._connection is not None
        if time.monotonic() - self._checked_at < CHECK_EVERY:
            return True
        try:
            self._connection.execute(select(1))
        except Exception:
            self.release()
            return False
        self._checked_at = time.monotonic()
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        try:
            connection.execute(select(func.pg_advisory_unlock(LEADERSHIP_LOCKS, self._job)))
        except Exception:  # the connection is gone, and the lock with it
            connection.invalidate()
        finally:
            connection.close()
