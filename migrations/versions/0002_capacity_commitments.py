"""capacity commitments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:23:02.444256
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('capacity_commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.CheckConstraint('units > 0', name=op.f('ck_capacity_commitment_units_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_capacity_commitment_order_id_purchase_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['capacity_window.id'], name=op.f('fk_capacity_commitment_window_id_capacity_window'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_commitment')),
    sa.UniqueConstraint('order_id', 'window_id', name=op.f('uq_capacity_commitment_order_id_window_id'))
    )
    with op.batch_alter_table('capacity_commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capacity_commitment_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_capacity_commitment_window_id'), ['window_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('capacity_commitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capacity_commitment_window_id'))
        batch_op.drop_index(batch_op.f('ix_capacity_commitment_order_id'))

    op.drop_table('capacity_commitment')
