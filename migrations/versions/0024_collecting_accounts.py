"""collecting accounts: a producer group's own bank account that buyers pay its invoices into by bank
transfer, encrypted at rest, set by the group's owners

Revision ID: 0024
Revises: 0017
Create Date: 2026-11-29 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0024"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('collecting_account',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('details_secret', sa.Text(), nullable=False),
    sa.Column('details_hint', sa.String(length=120), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_collecting_account_group_id_producer_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_collecting_account_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_collecting_account'))
    )


def downgrade() -> None:
    op.drop_table('collecting_account')
