"""users.blocked_at: Telegram said 403, the person blocked the bot

Revision ID: b81f4c0d9e27
Revises: a7d2e9c41b05
Create Date: 2026-11-29 21:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import brug.core.models

revision: str = 'b81f4c0d9e27'
down_revision: str | None = 'a7d2e9c41b05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_at', brug.core.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('blocked_at')
