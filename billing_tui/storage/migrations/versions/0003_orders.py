"""orders billed in parts: invoice roles, locked lines, instalment plans

Revision ID: 0003_orders
Revises: 0002_invoicing
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import billing_tui.storage.types

revision = '0003_orders'
down_revision = '0002_invoicing'
branch_labels = None
depends_on = None

WHOLE_CART = "kind = 'invoice' AND cart_id IS NOT NULL"


def upgrade() -> None:
    op.create_table('order_instalment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cart_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('every', sa.String(length=16), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount', billing_tui.storage.types.Fixed(scale=2), nullable=False),
    sa.Column('rows', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['cart_id'], ['cart.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cart_id', 'seq', name='uq_order_instalment_seq')
    )
    op.create_index('ix_order_instalment_due', 'order_instalment', ['status', 'due_date'], unique=False)
    with op.batch_alter_table('invoice') as batch:
        batch.add_column(sa.Column('order_role', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('notes', sa.Text(), nullable=True))
    op.drop_index('uq_invoice_one_per_cart', table_name='invoice')
    where = sa.text(WHOLE_CART + " AND order_role IS NULL")
    op.create_index('uq_invoice_one_per_cart', 'invoice', ['cart_id'], unique=True,
                    sqlite_where=where, postgresql_where=where)
    final = sa.text("order_role = 'final'")
    op.create_index('uq_invoice_one_final_per_order', 'invoice', ['cart_id'], unique=True,
                    sqlite_where=final, postgresql_where=final)
    op.create_index('ix_invoice_order', 'invoice', ['cart_id', 'order_role'], unique=False)
    with op.batch_alter_table('cart_line') as batch:
        batch.add_column(sa.Column('invoice_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_cart_line_invoice', 'invoice', ['invoice_id'], ['id'])
    # Order states in the words of S003: a new order is a draft, one being processed is in progress.
    op.execute("UPDATE cart SET order_state = 'draft' WHERE order_state = 'new'")
    op.execute("UPDATE cart SET order_state = 'in_progress' WHERE order_state = 'processing'")


def downgrade() -> None:
    op.execute("UPDATE cart SET order_state = 'processing' WHERE order_state IN ('in_progress', 'in_planning')")
    op.execute("UPDATE cart SET order_state = 'new' WHERE order_state = 'draft'")
    with op.batch_alter_table('cart_line') as batch:
        batch.drop_constraint('fk_cart_line_invoice', type_='foreignkey')
        batch.drop_column('invoice_id')
    op.drop_index('ix_invoice_order', table_name='invoice')
    op.drop_index('uq_invoice_one_final_per_order', table_name='invoice')
    op.drop_index('uq_invoice_one_per_cart', table_name='invoice')
    with op.batch_alter_table('invoice') as batch:
        batch.drop_column('notes')
        batch.drop_column('order_role')
    where = sa.text(WHOLE_CART)
    op.create_index('uq_invoice_one_per_cart', 'invoice', ['cart_id'], unique=True,
                    sqlite_where=where, postgresql_where=where)
    op.drop_index('ix_order_instalment_due', table_name='order_instalment')
    op.drop_table('order_instalment')
