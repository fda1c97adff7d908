"""Index market_trades by (venue, symbol, slot) for the swap backfill's resume query.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_market_trades_venue_symbol_slot", "market_trades",
                    ["venue", "symbol", "slot"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_market_trades_venue_symbol_slot", table_name="market_trades")
