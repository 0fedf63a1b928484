"""voice notes on messages: Telegram's file_id (encrypted) and the length in seconds

Revision ID: a7d3e9c41b58
Revises: b81f4c0d9e27
Create Date: 2026-11-29 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import brug.core.encrypted

revision: str = 'a7d3e9c41b58'
down_revision: str | None = 'b81f4c0d9e27'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch_op:
        batch_op.add_column(sa.Column('file_id', brug.core.encrypted.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('duration', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch_op:
        batch_op.drop_column('duration')
        batch_op.drop_column('file_id')
