"""queued requests: token actor and payload

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 08:05:35.216586
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("request_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("request_tokens", schema=None) as batch_op:
        batch_op.drop_column("payload")
        batch_op.drop_column("actor")
