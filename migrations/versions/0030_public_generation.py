"""web: the public generation that keys the anonymous page cache (marketplace.pagecache)

One row, replaced by every transaction that changes what public pages show; pages cached under an
older value are never served again.

Revision ID: 0030
Revises: 0025
Create Date: 2026-11-29 23:10:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "public_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "token": secrets.randbits(62)}])


def downgrade() -> None:
    op.drop_table("public_generation")
