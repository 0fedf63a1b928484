"""back office indexes: a user's messages by time

Revision ID: b7c3e9a1d5f2
Revises: e5a1c0b4f7d2
Create Date: 2026-11-29 20:40:00

The queue asks for each listed user's last message time and a case page for a window of one user's
messages; with 1,000,000 messages both read many scattered rows through ix_messages_user_id. The index on
(user_id, created_at) answers both from the index alone, and replaces the one on user_id.
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'b7c3e9a1d5f2'
down_revision: str | None = 'e5a1c0b4f7d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_messages_user_id')


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_user_id', ['user_id'], unique=False)
        batch_op.drop_index('ix_messages_user_created')
