"""rfq attachments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 00:30:04.318335
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rfq_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rfq_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rfq_id'], ['rfq.id'], name=op.f('fk_rfq_attachment_rfq_id_rfq'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rfq_attachment'))
    )
    with op.batch_alter_table('rfq_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rfq_attachment_rfq_id'), ['rfq_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rfq_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rfq_attachment_rfq_id'))

    op.drop_table('rfq_attachment')
