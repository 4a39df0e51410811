"""discovery: spreadsheet import jobs, named "other" certification claims, reviews

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 17:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=120), server_default='', nullable=False))
        batch_op.drop_constraint('uq_certification_group_id_scheme', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certification_group_id_scheme_name'), ['group_id', 'scheme', 'name'])
    op.create_table(
        'import_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('number_locale', sa.String(length=20), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('processed', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_import_job_created_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job')),
    )


    op.create_table(
        'review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('buyer_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reply', sa.Text(), nullable=True),
        sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('replied_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_review_rating_one_to_five')),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_review_author_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['buyer_id'], ['organization.id'], name=op.f('fk_review_buyer_id_organization'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_review_group_id_producer_group'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_review_order_id_purchase_order'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['replied_by_id'], ['user_account.id'], name=op.f('fk_review_replied_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
        sa.UniqueConstraint('order_id', name=op.f('uq_review_order_id')),
    )
    op.create_index(op.f('ix_review_buyer_id'), 'review', ['buyer_id'], unique=False)
    op.create_index(op.f('ix_review_group_id'), 'review', ['group_id'], unique=False)


def downgrade() -> None:
    op.drop_table('review')
    op.drop_table('import_job')
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.drop_constraint('uq_certification_group_id_scheme_name', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certification_group_id_scheme'), ['group_id', 'scheme'])
        batch_op.drop_column('name')
