"""web: a group's measured record as shown, and the search index's own generation

`shown_record`: per group, the figures of its measured record as the profile shows them (whole percents
and hours, counts); a transaction that writes orders, requests, quotes, messages or shipping events
replaces the public generation only when these change (marketplace.reputation.shown). Empty here: a
group without a row is measured, and the generation replaced, at its next such write.
`public_generation` row 2: the search index's generation, replaced whenever the index changes
(marketplace.pagecache.SEARCH), which keys the anonymous search pages.

Revision ID: 0035
Revises: 0031
Create Date: 2026-11-30 02:30:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shown_record",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("orders_completed", sa.Integer(), nullable=False),
        sa.Column("repeat_buyers", sa.Integer(), nullable=False),
        sa.Column("on_time_percent", sa.Integer(), nullable=True),
        sa.Column("on_time_basis", sa.Integer(), nullable=True),
        sa.Column("answer_percent", sa.Integer(), nullable=True),
        sa.Column("answer_hours", sa.Integer(), nullable=True),
        sa.Column("requests_received", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["producer_group.id"], name=op.f("fk_shown_record_group_id_producer_group"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_shown_record")),
    )
    generation = sa.table("public_generation", sa.column("id", sa.Integer()), sa.column("token", sa.BigInteger()))
    op.bulk_insert(generation, [{"id": 2, "token": secrets.randbits(62)}])


def downgrade() -> None:
    op.execute("DELETE FROM public_generation WHERE id = 2")
    op.drop_table("shown_record")
