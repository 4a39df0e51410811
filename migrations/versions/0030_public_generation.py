"""web: the public generation that keys the anonymous page cache, and the home page's listing counts

`public_generation`: one row, replaced by every transaction that changes what public pages show;
pages cached under an older value are never served again (marketplace.pagecache).
`listing_count`: listed groups in all and per top-level category, and `listing_membership`: what each
listed group adds to them; kept by the transactions that change groups or capabilities
(marketplace.producers.counts); filled here from the rows already there.

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

# The taxonomy's top-level codes when this was written (marketplace.producers.taxonomy.TOP_CATEGORIES).
TOPS = ("jewelry", "baskets", "textiles", "apparel", "bags", "home", "furniture", "kitchen", "personal-care", "toys", "pets", "food")


def upgrade() -> None:
    table = op.create_table(
        "public_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "token": secrets.randbits(62)}])
    op.create_table(
        "listing_count",
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_listing_count")),
    )
    op.create_table(
        "listing_membership",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "category", name=op.f("pk_listing_membership")),
    )
    op.execute(
        "INSERT INTO listing_membership (group_id, category) SELECT id, '' FROM producer_group WHERE listed"
        " UNION SELECT c.group_id, CASE "
        + " ".join(f"WHEN c.category = '{top}' OR c.category LIKE '{top}.%' THEN '{top}'" for top in TOPS)
        + " ELSE 'other' END FROM capability c JOIN producer_group g ON g.id = c.group_id WHERE g.listed"
    )
    op.execute("INSERT INTO listing_count (category, groups) SELECT category, count(*) FROM listing_membership GROUP BY category")


def downgrade() -> None:
    op.drop_table("listing_membership")
    op.drop_table("listing_count")
    op.drop_table("public_generation")
