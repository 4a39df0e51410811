"""users confirm their e-mail address before they list, quote, buy or are paid

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-29 17:05:00

Accounts made before this revision never proved their address, so they start unconfirmed: each sees a
banner offering the confirmation e-mail the next time they sign in.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("email_confirmed_at", marketplace.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("email_confirmed_at")
