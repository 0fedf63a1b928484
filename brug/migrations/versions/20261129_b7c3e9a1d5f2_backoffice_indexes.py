"""back office indexes: a user's messages by time; messages with signals by time

Revision ID: b7c3e9a1d5f2
Revises: a7d3e9c41b58
Create Date: 2026-11-29 20:40:00

The queue asks for each listed user's last message time and a case page for a window of one user's
messages; with 1,000,000 messages both read many scattered rows through ix_messages_user_id. The index on
(user_id, created_at) answers both from the index alone, and replaces the one on user_id. The dashboard
counts the few messages with a signal in the last 12 weeks: a partial index holds only those.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

SIGNALS = sa.text("severity IS NOT NULL")

revision: str = 'b7c3e9a1d5f2'
down_revision: str | None = 'a7d3e9c41b58'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_messages_user_id')
        batch_op.create_index(
            'ix_messages_signals', ['created_at'], unique=False, postgresql_where=SIGNALS, sqlite_where=SIGNALS
        )


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_signals')
        batch_op.create_index('ix_messages_user_id', ['user_id'], unique=False)
        batch_op.drop_index('ix_messages_user_created')
