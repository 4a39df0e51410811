"""group addresses and payout exchange rates: a renamed group's former slugs, each answering 301 to its
current profile; a payout sent in the group's own currency keeps the amount sent and the rate used

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 17:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('group_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('old_slug', sa.String(length=220), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_group_address_group_id_producer_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_address')),
    sa.UniqueConstraint('old_slug', name=op.f('uq_group_address_old_slug'))
    )
    with op.batch_alter_table('group_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_address_group_id'), ['group_id'], unique=False)
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('sent_amount', marketplace.db.Amount(precision=18, scale=4), nullable=True))
        batch_op.add_column(sa.Column('exchange_rate', marketplace.db.Amount(precision=18, scale=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_column('exchange_rate')
        batch_op.drop_column('sent_amount')
        batch_op.drop_column('sent_currency')
    with op.batch_alter_table('group_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_address_group_id'))
    op.drop_table('group_address')
