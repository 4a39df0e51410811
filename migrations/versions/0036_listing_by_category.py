"""the directory of a category in listing order: `listing_membership` rows for every category code a group makes,
each with the group's `verified`, `name`, `country` and `rating_rank`, and indexes in listing order (issue 19)

A page of a category (or of a category in a country) walks these indexes and stops at the page; the total is the kept
`listing_count` of the category, now kept for every code and every country as well (`country`, "" for all). A new
request's suggestions walk the rated index. Both tables are made anew (their category as long as a capability's) and
filled here from the rows already there.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-01 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

# The taxonomy's top-level codes when this was written (marketplace.producers.taxonomy.TOP_CATEGORIES).
TOPS = ("jewelry", "baskets", "textiles", "apparel", "bags", "home", "furniture", "kitchen", "personal-care", "toys", "pets", "food")
TOP = "CASE " + " ".join(f"WHEN c.category = '{t}' OR c.category LIKE '{t}.%' THEN '{t}'" for t in TOPS) + " ELSE 'other' END"
MAKES = "FROM capability c JOIN producer_group g ON g.id = c.group_id WHERE g.listed"


def upgrade() -> None:
    op.drop_table("listing_membership")
    op.drop_table("listing_count")
    op.create_table(
        "listing_count",
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category", "country", name=op.f("pk_listing_count")),
    )
    op.create_table(
        "listing_membership",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("rating_rank", marketplace.db.Amount(precision=18, scale=4), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "category", name=op.f("pk_listing_membership")),
    )
    # An unrated group's rank is -1 (marketplace.producers.models.UNRATED), which SQLite stores in ten-thousandths.
    unrated = -10000 if op.get_bind().dialect.name == "sqlite" else -1
    group = f"g.verified, g.name, g.country, coalesce(g.rating, {unrated})"
    op.execute(
        "INSERT INTO listing_membership (group_id, category, verified, name, country, rating_rank)"
        f" SELECT g.id, '', {group} FROM producer_group g WHERE g.listed"
        f" UNION SELECT g.id, {TOP}, {group} {MAKES}"
        f" UNION SELECT g.id, c.category, {group} {MAKES}"
    )
    op.execute(
        "INSERT INTO listing_count (category, country, groups) SELECT category, '', count(*) FROM listing_membership"
        " GROUP BY category UNION ALL SELECT category, country, count(*) FROM listing_membership GROUP BY category, country"
    )
    op.create_index(
        "ix_listing_membership_listing", "listing_membership", ["category", sa.text("verified DESC"), "name", "group_id"]
    )
    op.create_index(
        "ix_listing_membership_rated",
        "listing_membership",
        ["category", sa.text("verified DESC"), sa.text("rating_rank DESC"), "name", "group_id"],
    )
    op.create_index(
        "ix_listing_membership_country_listing",
        "listing_membership",
        ["category", "country", sa.text("verified DESC"), "name", "group_id"],
    )


def downgrade() -> None:
    op.drop_table("listing_membership")
    op.drop_table("listing_count")
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
        f"INSERT INTO listing_membership (group_id, category) SELECT id, '' FROM producer_group WHERE listed UNION SELECT c.group_id, {TOP} {MAKES}"
    )
    op.execute("INSERT INTO listing_count (category, groups) SELECT category, count(*) FROM listing_membership GROUP BY category")
