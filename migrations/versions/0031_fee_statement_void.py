"""fee statements the operator voids: when, and why (their fees go back to the group's open balance)

A voided statement keeps its status `issued` (changing the CHECK of a table fee entries reference would
rebuild it on SQLite); `voided_at` set means voided (payments.models.FeeStatement.open).

Revision ID: 0031
Revises: 0029
Create Date: 2026-11-30 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: batch mode on SQLite would copy and drop fee_statement, which fee entries reference.
    op.add_column("fee_statement", sa.Column("voided_at", marketplace.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column("fee_statement", sa.Column("void_reason", sa.String(length=300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("fee_statement", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
