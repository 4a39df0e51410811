"""trace: CBV 2.0 event hash IDs next to Loom's first hash, locations as URIs, public product stories, API tokens

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-29 15:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trace_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('biz_location', sa.String(length=300), nullable=True))
        # Events already recorded keep the hash they were given (Loom's first), and are verified by it.
        batch_op.add_column(sa.Column('hash_scheme', sa.String(length=10), server_default='loom1', nullable=False))
        batch_op.alter_column('read_point', existing_type=sa.String(length=200), type_=sa.String(length=300), existing_nullable=False)
    with op.batch_alter_table('trace_event', schema=None) as batch_op:
        batch_op.alter_column('hash_scheme', existing_type=sa.String(length=10), server_default='cbv2', existing_nullable=False)
    op.create_table(
        'product_story',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('buyer_agrees', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('group_agrees', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('photo_ids', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_product_story_order_id_purchase_order'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_story')),
        sa.UniqueConstraint('order_id', name=op.f('uq_product_story_order_id')),
        sa.UniqueConstraint('public_id', name=op.f('uq_product_story_public_id')),
    )
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_api_token_created_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_api_token_organization_id_organization'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    )
    op.create_index(op.f('ix_api_token_organization_id'), 'api_token', ['organization_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_token_organization_id'), table_name='api_token')
    op.drop_table('api_token')
    op.drop_table('product_story')
    with op.batch_alter_table('trace_event', schema=None) as batch_op:
        batch_op.alter_column('read_point', existing_type=sa.String(length=300), type_=sa.String(length=200), existing_nullable=False)
        batch_op.drop_column('hash_scheme')
        batch_op.drop_column('biz_location')
