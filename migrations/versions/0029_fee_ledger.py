"""fee ledger: Loom's fee on invoices paid straight into a group's own account (charged, netted from Stripe
payouts, billed by statement, credited back on refunds); the day a refund was sent back by bank transfer

Revision ID: 0029
Revises: 0030
Create Date: 2026-11-29 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0029"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fee_ledger",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", marketplace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["producer_group.id"], name=op.f("fk_fee_ledger_group_id_producer_group"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_fee_ledger")),
    )
    op.create_table(
        "fee_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("amount", marketplace.db.Amount(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum("issued", "received", name="fee_statement_status", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("issued_at", marketplace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["producer_group.id"], name=op.f("fk_fee_statement_group_id_producer_group"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["user_account.id"], name=op.f("fk_fee_statement_issued_by_id_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["user_account.id"],
            name=op.f("fk_fee_statement_received_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_statement")),
        sa.UniqueConstraint("number", name=op.f("uq_fee_statement_number")),
    )
    op.create_index(op.f("ix_fee_statement_group_id"), "fee_statement", ["group_id"], unique=False)
    op.create_table(
        "fee_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "charged",
                "credited",
                "netted",
                "statement",
                name="fee_entry_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", marketplace.db.Amount(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marketplace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["producer_group.id"], name=op.f("fk_fee_entry_group_id_producer_group"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_fee_entry_invoice_id_invoice"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["payout_id"], ["payout.id"], name=op.f("fk_fee_entry_payout_id_payout"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["refund_id"], ["refund.id"], name=op.f("fk_fee_entry_refund_id_refund"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["fee_statement.id"], name=op.f("fk_fee_entry_statement_id_fee_statement"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_entry")),
        sa.UniqueConstraint("key", name=op.f("uq_fee_entry_key")),
    )
    op.create_index(op.f("ix_fee_entry_group_id"), "fee_entry", ["group_id"], unique=False)
    op.create_index(op.f("ix_fee_entry_invoice_id"), "fee_entry", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_fee_entry_payout_id"), "fee_entry", ["payout_id"], unique=False)
    op.create_index(op.f("ix_fee_entry_statement_id"), "fee_entry", ["statement_id"], unique=False)
    # Plain add_column (not batch): payout and refund are referenced by other tables.
    op.add_column(
        "payout", sa.Column("fees_netted", marketplace.db.Amount(precision=18, scale=4), nullable=False, server_default="0")
    )
    op.add_column("refund", sa.Column("sent_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("refund", "sent_on")
    op.drop_column("payout", "fees_netted")
    op.drop_table("fee_entry")
    op.drop_table("fee_statement")
    op.drop_table("fee_ledger")
