"""SQLAlchemy 2.0 models of the ledger store.

Money columns are ``DecimalText``: exact decimal strings, because SQLite has no exact decimal
type and a float column would lose base units. Time series use integer UTC nanoseconds
(``ts``), which both backends index cheaply and TimescaleDB accepts as an integer time column.
Migrations (``store/migrations``) are the source of truth for the schema; these models mirror
them and a test checks the two agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AuditLog",
    "BalanceSnapshot",
    "Base",
    "Candle",
    "CandleSeries",
    "ControlCommand",
    "DecimalText",
    "EngineState",
    "EquitySnapshot",
    "FillRow",
    "Instrument",
    "JobRun",
    "MarketTrade",
    "ModelVersion",
    "OrderRow",
    "PositionRow",
    "RiskEvent",
    "StrategyConfig",
]


class DecimalText(TypeDecorator[Decimal]):
    """An exact Decimal stored as text on every backend."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError(f"DecimalText got float {value!r}; pass a Decimal or str.")
        return str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    """Declarative base of the ledger."""


class Instrument(Base):
    """A tradable pair with its tokens' mints and decimals."""

    __tablename__ = "instruments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(64), unique=True)
    base_mint: Mapped[str] = mapped_column(String(64))
    quote_mint: Mapped[str] = mapped_column(String(64))
    base_decimals: Mapped[int] = mapped_column(Integer)
    quote_decimals: Mapped[int] = mapped_column(Integer)
    venue: Mapped[str | None] = mapped_column(String(32))


class CandleSeries(Base):
    """One OHLCV series: a (source, symbol, timeframe) key, so candle rows carry a small int."""

    __tablename__ = "candle_series"
    __table_args__ = (UniqueConstraint("source", "symbol", "timeframe", name="uq_candle_series"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str] = mapped_column(String(64))
    timeframe: Mapped[str] = mapped_column(String(8))


class Candle(Base):
    """OHLCV bar; ``ts`` is the open time in UTC ns."""

    __tablename__ = "candles"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy reads it
    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    open: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    volume: Mapped[float] = mapped_column(Float)


class MarketTrade(Base):
    """A swap observed on a venue (from chain or an API)."""

    __tablename__ = "market_trades"
    __table_args__ = (
        UniqueConstraint("venue", "signature", "seq", name="uq_market_trades_sig"),
        Index("ix_market_trades_symbol_ts", "symbol", "ts"),
        Index("ix_market_trades_venue_symbol_slot", "venue", "symbol", "slot"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    venue: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str] = mapped_column(String(64))
    ts: Mapped[int] = mapped_column(BigInteger)
    side: Mapped[str] = mapped_column(String(4))
    price: Mapped[float] = mapped_column(Float)
    base_amount: Mapped[float] = mapped_column(Float)
    quote_amount: Mapped[float] = mapped_column(Float)
    signature: Mapped[str] = mapped_column(String(96))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    slot: Mapped[int | None] = mapped_column(BigInteger)


class OrderRow(Base):
    """An order and its intent: the signed bytes are kept so a resend never re-signs."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_status", "status"), Index("ix_orders_ts", "ts_created"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    strategy: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    price: Mapped[Decimal] = mapped_column(DecimalText)
    max_slippage_bps: Mapped[int] = mapped_column(Integer)
    venue: Mapped[str | None] = mapped_column(String(255))
    reduce_only: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(8), default="paper")
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(String(96))
    signed_tx: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_valid_block_height: Mapped[int | None] = mapped_column(BigInteger)
    ts_created: Mapped[int] = mapped_column(BigInteger)
    ts_updated: Mapped[int] = mapped_column(BigInteger)


class FillRow(Base):
    """One execution, from the confirmed transaction's balance changes."""

    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("client_order_id", "signature", "venue", name="uq_fills_order_sig"),
        Index("ix_fills_ts", "ts_event"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    base_amount: Mapped[Decimal] = mapped_column(DecimalText)
    quote_amount: Mapped[Decimal] = mapped_column(DecimalText)
    fee_lamports: Mapped[int] = mapped_column(BigInteger)
    venue: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str | None] = mapped_column(String(96))
    strategy: Mapped[str | None] = mapped_column(String(64))
    ts_event: Mapped[int] = mapped_column(BigInteger)


class PositionRow(Base):
    """A snapshot of a position per strategy and symbol (rebuildable from fills)."""

    __tablename__ = "positions"
    strategy: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    avg_cost: Mapped[Decimal] = mapped_column(DecimalText)
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalText)
    stops: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ts_updated: Mapped[int] = mapped_column(BigInteger)


class BalanceSnapshot(Base):
    """A wallet balance seen on chain or in the ledger at a time."""

    __tablename__ = "balance_snapshots"
    __table_args__ = (Index("ix_balance_ts", "ts"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    owner: Mapped[str] = mapped_column(String(64))
    mint: Mapped[str] = mapped_column(String(64))
    amount_raw: Mapped[Decimal] = mapped_column(DecimalText)
    decimals: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))


class EquitySnapshot(Base):
    """The equity curve, one row per mark."""

    __tablename__ = "equity_snapshots"
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    equity: Mapped[Decimal] = mapped_column(DecimalText)
    cash: Mapped[Decimal] = mapped_column(DecimalText)
    exposure: Mapped[Decimal] = mapped_column(DecimalText)
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalText)
    unrealized_pnl: Mapped[Decimal] = mapped_column(DecimalText)


class StrategyConfig(Base):
    """A strategy's parameters and whether it runs."""

    __tablename__ = "strategy_configs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    ts_updated: Mapped[int] = mapped_column(BigInteger)


class RiskEvent(Base):
    """A rejection, breach or breaker change, shown to the user."""

    __tablename__ = "risk_events"
    __table_args__ = (Index("ix_risk_events_ts", "ts"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    client_order_id: Mapped[str | None] = mapped_column(String(64))
    strategy: Mapped[str | None] = mapped_column(String(64))


class JobRun(Base):
    """One papermill run of a job notebook."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job", "job", "started"),)
    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    started: Mapped[int] = mapped_column(BigInteger)
    finished: Mapped[int | None] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    notebook_path: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempt: Mapped[int] = mapped_column(Integer, default=1)


class AuditLog(Base):
    """Who did what, when: control actions, limit changes, promotions."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_ts", "ts"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class ControlCommand(Base):
    """A command for the engine, written by the dashboard or CLI, applied within a second."""

    __tablename__ = "control_commands"
    __table_args__ = (Index("ix_control_status", "status", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(64))
    command: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    ts_applied: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[str | None] = mapped_column(Text)


class EngineState(Base):
    """Key/value state the engine publishes (heartbeat, breaker, health, limits)."""

    __tablename__ = "engine_state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    ts_updated: Mapped[int] = mapped_column(BigInteger)


class ModelVersion(Base):
    """A registered ML model or parameter set, with what it was trained on."""

    __tablename__ = "model_registry"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_model_name_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    features: Mapped[list[str]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    train_start: Mapped[int | None] = mapped_column(BigInteger)
    train_end: Mapped[int | None] = mapped_column(BigInteger)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    reason: Mapped[str | None] = mapped_column(Text)
    ts_created: Mapped[int] = mapped_column(BigInteger)
