"""discovery: reviews rate quality, communication and on-time delivery apart; capabilities get a title

Reviews written before this keep their one overall rating and get no dimension ratings (NULL): a
buyer who gave "4 overall" never said how the communication went, so nothing is made up for them.

Revision ID: 0025
Revises: 0017
Create Date: 2026-11-29 19:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0028"
branch_labels = None
depends_on = None

DIMENSIONS = ("quality", "communication", "on_time")


def upgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        for dimension in DIMENSIONS:
            batch_op.add_column(sa.Column(f"{dimension}_rating", sa.Integer(), nullable=True))
            batch_op.create_check_constraint(
                op.f(f"ck_review_{dimension}_rating_one_to_five"),
                f"{dimension}_rating IS NULL OR {dimension}_rating BETWEEN 1 AND 5",
            )
    # A plain ADD COLUMN: batch mode on SQLite would copy and drop capability, whose windows point at it (ON DELETE CASCADE).
    op.add_column("capability", sa.Column("title", sa.String(length=120), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("capability", schema=None) as batch_op:
        batch_op.drop_column("title")
    with op.batch_alter_table("review", schema=None) as batch_op:
        for dimension in DIMENSIONS:
            batch_op.drop_constraint(f"ck_review_{dimension}_rating_one_to_five", type_="check")
            batch_op.drop_column(f"{dimension}_rating")
