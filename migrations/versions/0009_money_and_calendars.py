"""money and calendars: organizations' time zones, invoices dated in the group's calendar, invoice numbers unique

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 15:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issue_date', sa.Date(), nullable=True))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_email', sa.String(length=254), nullable=True))
    with op.batch_alter_table('payout_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_until', marketplace.db.UTCDateTime(timezone=True), nullable=True))
    # Invoices issued before time zones were known keep the UTC date they were issued on.
    op.execute("UPDATE invoice SET issue_date = CAST(issued_at AS DATE)" if op.get_bind().dialect.name == "postgresql"
               else "UPDATE invoice SET issue_date = date(issued_at)")
    # Numbers made from the first 12 characters of two groups' slugs could be equal: add the group's id, as new numbers have.
    invoice = sa.table('invoice', sa.column('id', sa.Integer), sa.column('group_id', sa.Integer), sa.column('sequence', sa.Integer),
                       sa.column('number', sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(invoice.c.id, invoice.c.group_id, invoice.c.sequence, invoice.c.number)).all()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.number] = counts.get(row.number, 0) + 1
    for row in rows:
        if counts[row.number] > 1:
            prefix = row.number.rsplit('-', 1)[0]
            bind.execute(invoice.update().where(invoice.c.id == row.id).values(number=f"{prefix}-{row.group_id}-{row.sequence:05d}"))
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.alter_column('issue_date', existing_type=sa.Date(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_invoice_number'), ['number'])


def downgrade() -> None:
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invoice_number'), type_='unique')
        batch_op.drop_column('issue_date')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('customer_email')
    with op.batch_alter_table('payout_account', schema=None) as batch_op:
        batch_op.drop_column('held_until')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
