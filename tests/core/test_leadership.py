"""One worker at a time leads (sends the outbox) on PostgreSQL; another takes over when it lets go."""

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from brug.core.db import create_db_engine
from brug.core.leadership import SENDER, Leadership
from tests.constants import VAULT


def test_one_process_leads_and_another_takes_over(db: Engine, database_url: URL) -> None:
    other_process = create_db_engine(database_url, VAULT)
    first, second = Leadership(db, SENDER), Leadership(other_process, SENDER)
    try:
        assert first.held()
        if db.dialect.name == "sqlite":
            assert second.held(), "SQLite is one process: it always leads"
            return
        assert not second.held(), "while the first leads"
        assert first.held(), "and keeps leading"
        first.release()
        assert second.held(), "the next one takes over"
        assert not first.held()
    finally:
        first.release()
        second.release()
        other_process.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_leader_whose_connection_dies_lets_another_lead(db: Engine, database_url: URL) -> None:
    other_process = create_db_engine(database_url, VAULT)
    first, second = Leadership(db, SENDER), Leadership(other_process, SENDER)
    try:
        assert first.held()
        connection = first._connection
        assert connection is not None
        connection.invalidate()  # as when the database drops the session
        assert second.held()
    finally:
        first.release()
        second.release()
        other_process.dispose()
