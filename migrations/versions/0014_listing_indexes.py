"""listing indexes: the order of every list of producer groups (verified first, then name), with and without a country

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 15:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_producer_group_listing', 'producer_group', [sa.text('verified DESC'), 'name', 'id'], unique=False)
    op.create_index('ix_producer_group_country_listing', 'producer_group', ['country', sa.text('verified DESC'), 'name', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_producer_group_country_listing', table_name='producer_group')
    op.drop_index('ix_producer_group_listing', table_name='producer_group')
