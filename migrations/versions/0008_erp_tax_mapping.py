"""erp link: the group's tax mapping (no tax, or one of their Odoo's sale taxes, prices including it or not)

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0008"
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erp_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("tax_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("tax_rate", marketplace.db.Amount(precision=18, scale=4), nullable=True))
        batch_op.add_column(sa.Column("prices_include_tax", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("erp_link", schema=None) as batch_op:
        batch_op.drop_column("prices_include_tax")
        batch_op.drop_column("tax_rate")
        batch_op.drop_column("tax_name")
        batch_op.drop_column("tax_id")
