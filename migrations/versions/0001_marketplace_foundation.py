"""marketplace foundation

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 23:25:09.985376
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempt_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_remote_addr'), ['remote_addr'], unique=False)

    op.create_table('organization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('buyer', 'producer', name='organization_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization'))
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'done', 'dead', name='outbox_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('is_operator', sa.Boolean(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('owner', 'admin', 'member', name='invitation_role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_invitation_invited_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_invitation_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_organization_id'), ['organization_id'], unique=False)

    op.create_table('membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('owner', 'admin', 'member', name='membership_role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_membership_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_membership_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('user_id', 'organization_id', name=op.f('uq_membership_user_id_organization_id'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_user_id'), ['user_id'], unique=False)

    op.create_table('producer_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=220), nullable=False),
    sa.Column('story', sa.Text(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('artisan_count', sa.Integer(), nullable=False),
    sa.Column('women_share', sa.Integer(), nullable=False),
    sa.Column('youth_share', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('rating', marketplace.db.Amount(precision=18, scale=4), nullable=True),
    sa.Column('rating_count', sa.Integer(), nullable=False),
    sa.Column('response_time_hours', sa.Integer(), nullable=True),
    sa.Column('external_ref', sa.String(length=120), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('women_share BETWEEN 0 AND 100', name=op.f('ck_producer_group_women_share_percent')),
    sa.CheckConstraint('youth_share BETWEEN 0 AND 100', name=op.f('ck_producer_group_youth_share_percent')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_producer_group_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_producer_group')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_producer_group_external_ref')),
    sa.UniqueConstraint('organization_id', name=op.f('uq_producer_group_organization_id')),
    sa.UniqueConstraint('slug', name=op.f('uq_producer_group_slug'))
    )
    op.create_table('rfq',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('target_unit_price', marketplace.db.Amount(precision=18, scale=4), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('needed_by', sa.Date(), nullable=False),
    sa.Column('destination_country', sa.String(length=2), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', 'awarded', 'cancelled', name='rfq_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['organization.id'], name=op.f('fk_rfq_buyer_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_rfq_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rfq'))
    )
    with op.batch_alter_table('rfq', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rfq_buyer_id'), ['buyer_id'], unique=False)

    op.create_table('capability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('techniques', sa.JSON(), nullable=False),
    sa.Column('moq', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('price_min', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('price_max', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('weekly_capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('lead_time_days >= 0', name=op.f('ck_capability_lead_time_not_negative')),
    sa.CheckConstraint('moq >= 1', name=op.f('ck_capability_moq_positive')),
    sa.CheckConstraint('price_min <= price_max', name=op.f('ck_capability_price_range_ordered')),
    sa.CheckConstraint('weekly_capacity >= 0', name=op.f('ck_capability_weekly_capacity_not_negative')),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_capability_group_id_producer_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capability'))
    )
    with op.batch_alter_table('capability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capability_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_capability_group_id'), ['group_id'], unique=False)

    op.create_table('certification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('evidence_path', sa.String(length=300), nullable=True),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('verified_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_certification_group_id_producer_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['user_account.id'], name=op.f('fk_certification_verified_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification')),
    sa.UniqueConstraint('group_id', 'scheme', name=op.f('uq_certification_group_id_scheme'))
    )
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_group_id'), ['group_id'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rfq_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_message_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_message_group_id_producer_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rfq_id'], ['rfq.id'], name=op.f('fk_message_rfq_id_rfq'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_rfq_id'), ['rfq_id'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('moq', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('moq >= 1', name=op.f('ck_product_moq_positive')),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_product_group_id_producer_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('group_id', 'sku', name=op.f('uq_product_group_id_sku'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_group_id'), ['group_id'], unique=False)

    op.create_table('quote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rfq_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('unit_price', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'withdrawn', 'accepted', 'declined', 'expired', name='quote_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_quote_group_id_producer_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rfq_id'], ['rfq.id'], name=op.f('fk_quote_rfq_id_rfq'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote'))
    )
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_rfq_id'), ['rfq_id'], unique=False)

    op.create_table('rfq_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rfq_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seen_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_rfq_recipient_group_id_producer_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rfq_id'], ['rfq.id'], name=op.f('fk_rfq_recipient_rfq_id_rfq'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rfq_recipient')),
    sa.UniqueConstraint('rfq_id', 'group_id', name=op.f('uq_rfq_recipient_rfq_id_group_id'))
    )
    with op.batch_alter_table('rfq_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rfq_recipient_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rfq_recipient_rfq_id'), ['rfq_id'], unique=False)

    op.create_table('capacity_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('capability_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('units_available', sa.Integer(), nullable=False),
    sa.Column('units_committed', sa.Integer(), nullable=False),
    sa.CheckConstraint('units_available >= 0', name=op.f('ck_capacity_window_available_not_negative')),
    sa.CheckConstraint('units_committed >= 0', name=op.f('ck_capacity_window_committed_not_negative')),
    sa.ForeignKeyConstraint(['capability_id'], ['capability.id'], name=op.f('fk_capacity_window_capability_id_capability'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_window')),
    sa.UniqueConstraint('capability_id', 'week_start', name=op.f('uq_capacity_window_capability_id_week_start'))
    )
    with op.batch_alter_table('capacity_window', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capacity_window_capability_id'), ['capability_id'], unique=False)

    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=200), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_photo_group_id_producer_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_photo_product_id_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo'))
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_product_id'), ['product_id'], unique=False)

    op.create_table('price_tier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_price_tier_product_id_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_tier')),
    sa.UniqueConstraint('product_id', 'min_quantity', name=op.f('uq_price_tier_product_id_min_quantity'))
    )
    with op.batch_alter_table('price_tier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_tier_product_id'), ['product_id'], unique=False)

    op.create_table('purchase_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('confirmed', 'in_production', 'ready', 'shipped', 'delivered', 'closed', 'cancelled', name='order_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('deposit_percent', sa.Integer(), nullable=False),
    sa.Column('incoterm', sa.String(length=3), nullable=False),
    sa.Column('ship_by', sa.Date(), nullable=False),
    sa.Column('destination_country', sa.String(length=2), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('total >= 0', name=op.f('ck_purchase_order_total_not_negative')),
    sa.ForeignKeyConstraint(['buyer_id'], ['organization.id'], name=op.f('fk_purchase_order_buyer_id_organization'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_purchase_order_group_id_producer_group'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], name=op.f('fk_purchase_order_quote_id_quote'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_order_number')),
    sa.UniqueConstraint('quote_id', name=op.f('uq_purchase_order_quote_id'))
    )
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_order_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_group_id'), ['group_id'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.Enum('deposit', 'balance', name='invoice_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('amount', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('open', 'processing', 'paid', 'failed', 'refunded', 'void', name='invoice_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('issued_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('paid_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_invoice_amount_positive')),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_invoice_group_id_producer_group'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_invoice_order_id_purchase_order'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('group_id', 'sequence', name=op.f('uq_invoice_group_id_sequence')),
    sa.UniqueConstraint('order_id', 'kind', name=op.f('uq_invoice_order_id_kind'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_order_id'), ['order_id'], unique=False)

    op.create_table('order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('capability_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_line_quantity_positive')),
    sa.ForeignKeyConstraint(['capability_id'], ['capability.id'], name=op.f('fk_order_line_capability_id_capability'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_order_line_order_id_purchase_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_order_line_product_id_product'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line'))
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_order_id'), ['order_id'], unique=False)

    op.create_table('payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.Enum('stripe_transfer', 'mobile_money', 'bank_transfer', name='payout_method', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('amount', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('fee', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_payout_group_id_producer_group'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_payout_order_id_purchase_order'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout'))
    )
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_order_id'), ['order_id'], unique=False)

    op.create_table('progress_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo_path', sa.String(length=300), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('percent BETWEEN 0 AND 100', name=op.f('ck_progress_update_percent_range')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_progress_update_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_progress_update_order_id_purchase_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_update'))
    )
    with op.batch_alter_table('progress_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_update_order_id'), ['order_id'], unique=False)

    op.create_table('trace_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('ObjectEvent', 'TransformationEvent', 'AggregationEvent', 'TransactionEvent', name='trace_event_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=True),
    sa.Column('biz_step', sa.String(length=60), nullable=False),
    sa.Column('disposition', sa.String(length=60), nullable=True),
    sa.Column('event_time', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_point', sa.String(length=200), nullable=False),
    sa.Column('what', sa.JSON(), nullable=False),
    sa.Column('why', sa.JSON(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_trace_event_order_id_purchase_order'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_trace_event_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_trace_event_hash')),
    sa.UniqueConstraint('order_id', 'sequence', name=op.f('uq_trace_event_order_id_sequence'))
    )
    with op.batch_alter_table('trace_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trace_event_order_id'), ['order_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', 'refunded', name='payment_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_ref', sa.String(length=120), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_payment_invoice_id_invoice'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payment_idempotency_key')),
    sa.UniqueConstraint('provider_ref', name=op.f('uq_payment_provider_ref'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_invoice_id'), ['invoice_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_invoice_id'))

    op.drop_table('payment')
    with op.batch_alter_table('trace_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_event_order_id'))

    op.drop_table('trace_event')
    with op.batch_alter_table('progress_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_update_order_id'))

    op.drop_table('progress_update')
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_order_id'))
        batch_op.drop_index(batch_op.f('ix_payout_group_id'))

    op.drop_table('payout')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_order_id'))

    op.drop_table('order_line')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_order_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_group_id'))

    op.drop_table('invoice')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_group_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_buyer_id'))

    op.drop_table('purchase_order')
    with op.batch_alter_table('price_tier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_tier_product_id'))

    op.drop_table('price_tier')
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_product_id'))
        batch_op.drop_index(batch_op.f('ix_photo_group_id'))

    op.drop_table('photo')
    with op.batch_alter_table('capacity_window', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capacity_window_capability_id'))

    op.drop_table('capacity_window')
    with op.batch_alter_table('rfq_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rfq_recipient_rfq_id'))
        batch_op.drop_index(batch_op.f('ix_rfq_recipient_group_id'))

    op.drop_table('rfq_recipient')
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_rfq_id'))
        batch_op.drop_index(batch_op.f('ix_quote_group_id'))

    op.drop_table('quote')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_group_id'))

    op.drop_table('product')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_rfq_id'))
        batch_op.drop_index(batch_op.f('ix_message_group_id'))

    op.drop_table('message')
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_group_id'))

    op.drop_table('certification')
    with op.batch_alter_table('capability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capability_group_id'))
        batch_op.drop_index(batch_op.f('ix_capability_category'))

    op.drop_table('capability')
    with op.batch_alter_table('rfq', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rfq_buyer_id'))

    op.drop_table('rfq')
    op.drop_table('producer_group')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_user_id'))
        batch_op.drop_index(batch_op.f('ix_membership_organization_id'))

    op.drop_table('membership')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_organization_id'))

    op.drop_table('invitation')
    op.drop_table('user_account')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_due')

    op.drop_table('outbox_message')
    op.drop_table('organization')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_remote_addr'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_email'))

    op.drop_table('login_attempt')
