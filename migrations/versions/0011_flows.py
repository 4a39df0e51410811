"""flows: a group's working currency and artisans' share floor, incoterms on RFQs and quotes, shipment tracking, reasons for lower progress, certification reviews

Revision ID: 0011
Revises: 0014
Create Date: 2026-11-29 14:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('producer_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('artisan_share_floor', sa.Integer(), server_default='25', nullable=False))
    with op.batch_alter_table('rfq', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incoterm', sa.String(length=3), server_default='FCA', nullable=False))
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incoterm', sa.String(length=3), server_default='FCA', nullable=False))
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carrier', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('tracking_number', sa.String(length=80), nullable=True))
    with op.batch_alter_table('progress_update', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.drop_column('rejected_at')
        batch_op.drop_column('review_note')
    with op.batch_alter_table('progress_update', schema=None) as batch_op:
        batch_op.drop_column('reason')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_column('tracking_number')
        batch_op.drop_column('carrier')
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_column('incoterm')
    with op.batch_alter_table('rfq', schema=None) as batch_op:
        batch_op.drop_column('incoterm')
    with op.batch_alter_table('producer_group', schema=None) as batch_op:
        batch_op.drop_column('artisan_share_floor')
        batch_op.drop_column('currency')
