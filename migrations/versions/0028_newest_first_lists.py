"""newest-first list indexes: each party's orders, a buyer's requests and a group's inbox walk (party, id) for keyset pages

Revision ID: 0028
Revises: 0017
Create Date: 2026-11-29 19:50:00
"""
from __future__ import annotations

from alembic import op

revision = '0028'
down_revision = '0024'
branch_labels = None
depends_on = None

# (old single-column index, new index, table, columns): the new one leads with the same column, so it
# also serves the foreign key's lookups and deletes.
REPLACED = [
    ('ix_purchase_order_buyer_id', 'ix_purchase_order_buyer_listing', 'purchase_order', ['buyer_id', 'id']),
    ('ix_purchase_order_group_id', 'ix_purchase_order_group_listing', 'purchase_order', ['group_id', 'id']),
    ('ix_rfq_buyer_id', 'ix_rfq_buyer_listing', 'rfq', ['buyer_id', 'id']),
    ('ix_rfq_recipient_group_id', 'ix_rfq_recipient_inbox', 'rfq_recipient', ['group_id', 'rfq_id']),
]


def upgrade() -> None:
    for old, new, table, columns in REPLACED:
        op.create_index(new, table, columns, unique=False)
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    for old, new, table, columns in REPLACED:
        op.create_index(old, table, [columns[0]], unique=False)
        op.drop_index(new, table_name=table)
