"""inbox: index for a chat's turn, so several workers keep each chat's order cheaply

Revision ID: a7d2e9c41b05
Revises: f3c9a1d2b7e4
Create Date: 2026-11-29 21:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'a7d2e9c41b05'
down_revision: str | None = 'f3c9a1d2b7e4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_chat_status_update', ['chat_key', 'status', 'update_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_chat_status_update')
