"""who voided a fee statement (the operator), and when a statement was marked received

`issued_by_id` and `received_by_id` exist since 0029; `voided_at` and `void_reason` since 0031. This adds the
operator who voided it and the moment the transfer was marked received (received_on is the bank's day).

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-30 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: batch mode on SQLite would copy and drop fee_statement, which fee entries reference; and SQLite
    # cannot ALTER a named foreign key in (its reflection does not read one given inline with the column). So the
    # operator's user id is kept without a database reference: a deleted operator reads as "no longer on Loom".
    op.add_column("fee_statement", sa.Column("voided_by_id", sa.Integer(), nullable=True))
    op.add_column("fee_statement", sa.Column("received_at", marketplace.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fee_statement", schema=None) as batch_op:
        batch_op.drop_column("received_at")
        batch_op.drop_column("voided_by_id")
