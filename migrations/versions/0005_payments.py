"""payments: checkout attempts, refunds, payouts per invoice, payout accounts, Stripe events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 02:59:45.649698
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PAYMENT_STATUSES = "('pending', 'processing', 'failed', 'succeeded', 'refunded')"


def upgrade() -> None:
    op.create_table('stripe_event',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('object_id', sa.String(length=255), nullable=False),
    sa.Column('created', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_event'))
    )
    op.create_table('payout_account',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('stripe_transfer', 'mobile_money', 'bank_transfer', name='payout_method', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('stripe_account_id', sa.String(length=120), nullable=True),
    sa.Column('transfers_active', sa.Boolean(), nullable=False),
    sa.Column('details_submitted', sa.Boolean(), nullable=False),
    sa.Column('details_secret', sa.Text(), nullable=True),
    sa.Column('details_hint', sa.String(length=120), nullable=False),
    sa.Column('updated_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_payout_account_group_id_producer_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_payout_account')),
    sa.UniqueConstraint('stripe_account_id', name=op.f('uq_payout_account_stripe_account_id'))
    )
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount', marketplace.db.Amount(precision=18, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', name='refund_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('provider_ref', sa.String(length=120), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', marketplace.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', marketplace.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_refund_amount_positive')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_refund_payment_id_payment'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refund_idempotency_key')),
    sa.UniqueConstraint('provider_ref', name=op.f('uq_refund_provider_ref'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_payment_id'), ['payment_id'], unique=False)

    with op.batch_alter_table('payment', schema=None) as batch_op:
        # A payment may now be processing (bank debits settle later).
        batch_op.drop_constraint(op.f('ck_payment_payment_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payment_payment_status'), sa.text(f"status IN {PAYMENT_STATUSES}"))
        batch_op.add_column(sa.Column('attempt', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('checkout_ref', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('checkout_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('failure_reason', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('stripe_seen_at', marketplace.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payment_checkout_ref'), ['checkout_ref'])
        batch_op.create_unique_constraint(batch_op.f('uq_payment_invoice_id_attempt'), ['invoice_id', 'attempt'])

    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.Enum('pending', 'sent', 'confirmed', 'reversed', name='payout_status', native_enum=False, create_constraint=True, length=20), nullable=False, server_default='pending'))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('sent_at', marketplace.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=300), nullable=False, server_default=''))
        batch_op.create_unique_constraint(batch_op.f('uq_payout_idempotency_key'), ['idempotency_key'])
        batch_op.create_unique_constraint(batch_op.f('uq_payout_invoice_id'), ['invoice_id'])
        batch_op.create_foreign_key(batch_op.f('fk_payout_confirmed_by_id_user_account'), 'user_account', ['confirmed_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_payout_recorded_by_id_user_account'), 'user_account', ['recorded_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_payout_invoice_id_invoice'), 'invoice', ['invoice_id'], ['id'], ondelete='RESTRICT')



def downgrade() -> None:
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payout_invoice_id_invoice'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_payout_recorded_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_payout_confirmed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_payout_invoice_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_payout_idempotency_key'), type_='unique')
        batch_op.drop_column('note')
        batch_op.drop_column('confirmed_by_id')
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('status')
        batch_op.drop_column('invoice_id')

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_payment_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payment_payment_status'), sa.text("status IN ('pending', 'succeeded', 'failed', 'refunded')"))
        batch_op.drop_constraint(batch_op.f('uq_payment_invoice_id_attempt'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_payment_checkout_ref'), type_='unique')
        batch_op.drop_column('stripe_seen_at')
        batch_op.drop_column('failure_reason')
        batch_op.drop_column('checkout_url')
        batch_op.drop_column('checkout_ref')
        batch_op.drop_column('attempt')

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_payment_id'))

    op.drop_table('refund')
    op.drop_table('payout_account')
    op.drop_table('stripe_event')
