"""sales tax on Loom's prices: the group's rule, each order's copy of it, the tax in each order and invoice

Revision ID: 0021
Revises: 0017
Create Date: 2026-11-29 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0021"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_sales_tax",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("rate", marketplace.db.Amount(precision=18, scale=4), nullable=False),
        sa.Column("included", sa.Boolean(), nullable=False),
        sa.Column("per_line", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_group_sales_tax_rate_positive")),
        sa.ForeignKeyConstraint(["group_id"], ["producer_group.id"], name=op.f("fk_group_sales_tax_group_id_producer_group"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_sales_tax")),
        sa.UniqueConstraint("group_id", name=op.f("uq_group_sales_tax_group_id")),
    )
    # Plain ADD COLUMNs: SQLite's batch mode would copy and drop purchase_order and invoice, and with foreign keys
    # on, dropping them deletes (ON DELETE CASCADE) the rows of every table that points at them (reviews, trace events).
    op.add_column("purchase_order", sa.Column("tax_name", sa.String(length=120), nullable=True))
    op.add_column("purchase_order", sa.Column("tax_rate", marketplace.db.Amount(precision=18, scale=4), nullable=True))
    op.add_column("purchase_order", sa.Column("tax_included", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("purchase_order", sa.Column("tax_per_line", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("purchase_order", sa.Column("tax_amount", marketplace.db.Amount(precision=18, scale=4), server_default="0", nullable=False))
    op.add_column("invoice", sa.Column("tax_amount", marketplace.db.Amount(precision=18, scale=4), server_default="0", nullable=False))

def downgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("tax_amount")
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        for name in ("tax_amount", "tax_per_line", "tax_included", "tax_rate", "tax_name"):
            batch_op.drop_column(name)
    op.drop_table("group_sales_tax")
