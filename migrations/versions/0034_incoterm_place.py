"""the named place of a delivery term (Incoterms® 2020): asked in the RFQ, quoted, carried to the order

Revision ID: 0034
Revises: 0031
Create Date: 2026-11-30 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0032"
branch_labels = None
depends_on = None

TABLES = ("rfq", "quote", "purchase_order")


def upgrade() -> None:
    # Plain ADD COLUMN: batch mode on SQLite would copy and drop tables that others reference.
    for table in TABLES:
        op.add_column(table, sa.Column("incoterm_place", sa.String(length=120), nullable=False, server_default=""))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "incoterm_place")
