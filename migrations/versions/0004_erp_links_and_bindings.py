"""erp links and bindings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:43:07.285172
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erp_binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('local_model', sa.String(length=40), nullable=False),
    sa.Column('local_key', sa.String(length=120), nullable=False),
    sa.Column('odoo_model', sa.String(length=60), nullable=False),
    sa.Column('odoo_id', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_erp_binding_group_id_producer_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_binding')),
    sa.UniqueConstraint('group_id', 'local_model', 'local_key', name=op.f('uq_erp_binding_group_id_local_model_local_key'))
    )
    with op.batch_alter_table('erp_binding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erp_binding_group_id'), ['group_id'], unique=False)

    op.create_table('erp_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('database', sa.String(length=120), nullable=False),
    sa.Column('login', sa.String(length=200), nullable=False),
    sa.Column('api_key_encrypted', sa.Text(), nullable=False),
    sa.Column('protocol', sa.String(length=10), nullable=False),
    sa.Column('server_version', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('checked_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_synced_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_erp_link_group_id_producer_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_link')),
    sa.UniqueConstraint('group_id', name=op.f('uq_erp_link_group_id'))
    )


def downgrade() -> None:
    op.drop_table('erp_link')
    with op.batch_alter_table('erp_binding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erp_binding_group_id'))

    op.drop_table('erp_binding')
