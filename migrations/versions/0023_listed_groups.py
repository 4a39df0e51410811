"""listed groups: a producer group shows on public pages, the search index and the API only once one of its
people has confirmed their e-mail address (groups an operator imported, with nobody signed up, are listed);
the listing indexes lead with the flag so public pages still walk them in order

Revision ID: 0023
Revises: 0017
Create Date: 2026-11-29 19:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite's batch mode would copy the table, which rows of other tables point at).
    op.add_column('producer_group', sa.Column('listed', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The same rule as the code: someone in the group proved their address, or nobody signed the group up (an
    # operator's import). Groups whose people never confirmed leave the public pages until one of them does.
    op.execute(
        "UPDATE producer_group SET listed = "
        "(EXISTS (SELECT 1 FROM membership JOIN user_account ON user_account.id = membership.user_id "
        "WHERE membership.organization_id = producer_group.organization_id AND user_account.email_confirmed_at IS NOT NULL) "
        "OR NOT EXISTS (SELECT 1 FROM membership WHERE membership.organization_id = producer_group.organization_id))"
    )
    op.drop_index('ix_producer_group_country_listing', table_name='producer_group')
    op.drop_index('ix_producer_group_listing', table_name='producer_group')
    op.create_index('ix_producer_group_listing', 'producer_group', ['listed', sa.text('verified DESC'), 'name', 'id'], unique=False)
    op.create_index('ix_producer_group_country_listing', 'producer_group',
                    ['listed', 'country', sa.text('verified DESC'), 'name', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_producer_group_country_listing', table_name='producer_group')
    op.drop_index('ix_producer_group_listing', table_name='producer_group')
    op.create_index('ix_producer_group_listing', 'producer_group', [sa.text('verified DESC'), 'name', 'id'], unique=False)
    op.create_index('ix_producer_group_country_listing', 'producer_group', ['country', sa.text('verified DESC'), 'name', 'id'],
                    unique=False)
    with op.batch_alter_table('producer_group', schema=None) as batch_op:
        batch_op.drop_column('listed')
