"""initial ledger schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_ts', ['ts'], unique=False)

    op.create_table('balance_snapshots',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('mint', sa.String(length=64), nullable=False),
    sa.Column('amount_raw', sa.String(length=64), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('balance_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_balance_ts', ['ts'], unique=False)

    op.create_table('candle_series',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('timeframe', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'symbol', 'timeframe', name='uq_candle_series')
    )
    op.create_table('candles',
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('open', sa.Float(), nullable=False),
    sa.Column('high', sa.Float(), nullable=False),
    sa.Column('low', sa.Float(), nullable=False),
    sa.Column('close', sa.Float(), nullable=False),
    sa.Column('volume', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('series_id', 'ts'),
    sqlite_with_rowid=False
    )
    op.create_table('control_commands',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('command', sa.String(length=32), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ts_applied', sa.BigInteger(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('control_commands', schema=None) as batch_op:
        batch_op.create_index('ix_control_status', ['status', 'id'], unique=False)

    op.create_table('engine_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('ts_updated', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('equity_snapshots',
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('equity', sa.String(length=64), nullable=False),
    sa.Column('cash', sa.String(length=64), nullable=False),
    sa.Column('exposure', sa.String(length=64), nullable=False),
    sa.Column('realized_pnl', sa.String(length=64), nullable=False),
    sa.Column('unrealized_pnl', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('ts')
    )
    op.create_table('fills',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_order_id', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('base_amount', sa.String(length=64), nullable=False),
    sa.Column('quote_amount', sa.String(length=64), nullable=False),
    sa.Column('fee_lamports', sa.BigInteger(), nullable=False),
    sa.Column('venue', sa.String(length=32), nullable=False),
    sa.Column('signature', sa.String(length=96), nullable=True),
    sa.Column('strategy', sa.String(length=64), nullable=True),
    sa.Column('ts_event', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_order_id', 'signature', 'venue', name='uq_fills_order_sig')
    )
    with op.batch_alter_table('fills', schema=None) as batch_op:
        batch_op.create_index('ix_fills_ts', ['ts_event'], unique=False)

    op.create_table('instruments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('base_mint', sa.String(length=64), nullable=False),
    sa.Column('quote_mint', sa.String(length=64), nullable=False),
    sa.Column('base_decimals', sa.Integer(), nullable=False),
    sa.Column('quote_decimals', sa.Integer(), nullable=False),
    sa.Column('venue', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('symbol')
    )
    op.create_table('job_runs',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('started', sa.BigInteger(), nullable=False),
    sa.Column('finished', sa.BigInteger(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('notebook_path', sa.Text(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('run_id')
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_job', ['job', 'started'], unique=False)

    op.create_table('market_trades',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('venue', sa.String(length=32), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('price', sa.Float(), nullable=False),
    sa.Column('base_amount', sa.Float(), nullable=False),
    sa.Column('quote_amount', sa.Float(), nullable=False),
    sa.Column('signature', sa.String(length=96), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('slot', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('venue', 'signature', 'seq', name='uq_market_trades_sig')
    )
    with op.batch_alter_table('market_trades', schema=None) as batch_op:
        batch_op.create_index('ix_market_trades_symbol_ts', ['symbol', 'ts'], unique=False)

    op.create_table('model_registry',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('train_start', sa.BigInteger(), nullable=True),
    sa.Column('train_end', sa.BigInteger(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ts_created', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'version', name='uq_model_name_version')
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_order_id', sa.String(length=64), nullable=False),
    sa.Column('strategy', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('amount', sa.String(length=64), nullable=False),
    sa.Column('price', sa.String(length=64), nullable=False),
    sa.Column('max_slippage_bps', sa.Integer(), nullable=False),
    sa.Column('venue', sa.String(length=32), nullable=True),
    sa.Column('reduce_only', sa.Boolean(), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('signature', sa.String(length=96), nullable=True),
    sa.Column('signed_tx', sa.LargeBinary(), nullable=True),
    sa.Column('last_valid_block_height', sa.BigInteger(), nullable=True),
    sa.Column('ts_created', sa.BigInteger(), nullable=False),
    sa.Column('ts_updated', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_order_id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_status', ['status'], unique=False)
        batch_op.create_index('ix_orders_ts', ['ts_created'], unique=False)

    op.create_table('positions',
    sa.Column('strategy', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.String(length=64), nullable=False),
    sa.Column('avg_cost', sa.String(length=64), nullable=False),
    sa.Column('realized_pnl', sa.String(length=64), nullable=False),
    sa.Column('stops', sa.JSON(), nullable=True),
    sa.Column('ts_updated', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('strategy', 'symbol')
    )
    op.create_table('risk_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('client_order_id', sa.String(length=64), nullable=True),
    sa.Column('strategy', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('risk_events', schema=None) as batch_op:
        batch_op.create_index('ix_risk_events_ts', ['ts'], unique=False)

    op.create_table('strategy_configs',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('ts_updated', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    _candles_hypertable()


def _candles_hypertable() -> None:
    """On PostgreSQL with TimescaleDB available, make candles a hypertable (ts in ns)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).scalar()
    if not available:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    week_ns = 7 * 86_400 * 1_000_000_000
    op.execute(
        f"SELECT create_hypertable('candles', 'ts', chunk_time_interval => {week_ns}, "
        "migrate_data => true, if_not_exists => true)"
    )


def downgrade() -> None:

    op.drop_table('strategy_configs')
    with op.batch_alter_table('risk_events', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_events_ts')

    op.drop_table('risk_events')
    op.drop_table('positions')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_ts')
        batch_op.drop_index('ix_orders_status')

    op.drop_table('orders')
    op.drop_table('model_registry')
    with op.batch_alter_table('market_trades', schema=None) as batch_op:
        batch_op.drop_index('ix_market_trades_symbol_ts')

    op.drop_table('market_trades')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_job')

    op.drop_table('job_runs')
    op.drop_table('instruments')
    with op.batch_alter_table('fills', schema=None) as batch_op:
        batch_op.drop_index('ix_fills_ts')

    op.drop_table('fills')
    op.drop_table('equity_snapshots')
    op.drop_table('engine_state')
    with op.batch_alter_table('control_commands', schema=None) as batch_op:
        batch_op.drop_index('ix_control_status')

    op.drop_table('control_commands')
    op.drop_table('candles')
    op.drop_table('candle_series')
    with op.batch_alter_table('balance_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_balance_ts')

    op.drop_table('balance_snapshots')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_ts')

    op.drop_table('audit_log')

