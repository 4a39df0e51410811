"""drop rfq_recipient.seen_at: never written, never shown (issue 18's dead code)

Revision ID: 0018
Revises: 0016
Create Date: 2026-11-29 17:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rfq_recipient', schema=None) as batch_op:
        batch_op.drop_column('seen_at')


def downgrade() -> None:
    with op.batch_alter_table('rfq_recipient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_at', marketplace.db.UTCDateTime(timezone=True), nullable=True))
