"""What each dashboard page shows, computed from the store: frames and small records, no widgets.

The dashboard never talks to the engine directly. The engine writes the ledger (orders, fills,
positions, equity, risk events) and publishes its status as ``engine_state`` keys; the
dashboard reads both. Known state keys (all optional; a page says "not published" when one is
missing, so the dashboard also works on a store no engine has touched):

- ``heartbeat``: ``{"ts": ns, ...}`` written every ``engine.heartbeat_s``.
- ``breaker``: ``{"state": "ok"|"tripped"|"killed", "reason": str, ...}``.
- ``health``: ``{"feeds": {name: {"lag_s": float, "stale": bool}}, "strategies": {name:
  {"status": str}}, ...}``.
- ``limits``: the risk limits in force, ``{name: value}``.
- ``marks``: ``{symbol: price}`` used for unrealised PnL.
- ``latency``: ``{stage: {"p50_ms": float, "p99_ms": float, "count": int, "buckets":
  {le_ms: count}}}``.
- ``logs``: ``{"lines": [str, ...]}``, the engine's most recent log lines.
- ``depth:<symbol>:<venue>``: ``{"levels": [{"impact_bps": int, "bid_base": x, "ask_base": y}]}``.
- ``engine_cursor``: the replay position, with ``closes`` (the paper pools' recent prices).

Depth: the engine publishes no ``depth:`` keys yet, so the Market page computes each paper
pool's depth curve itself (:func:`load_pool_depth`): the paper pools are constant-product
pools reset every bar to ``(depth_quote / price, depth_quote)`` at the replayed close (lagged
``lag_bars`` for the thin pool), so the configured pools (:data:`PAPER_POOLS`) and that
price give exact reserves, and ``workbench.data.depth.cp_depth`` the depth at each impact.
The price is the engine's own (``engine_cursor.closes``) when a paper run left one, else the
newest stored candles of the pair.

Money stays exact: Decimal columns from the ledger are shown as their decimal text; floats
appear only in the equity curve (already float in the store API) and in plots.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from workbench.config import Settings
from workbench.data.depth import cp_depth
from workbench.errors import DataUnavailable
from workbench.risk import limits_from_settings
from workbench.store import candle_summary, ledger, load_candles
from workbench.store.db import Store

__all__ = [
    "DEPTH_IMPACTS_BPS",
    "PAPER_POOLS",
    "STATE_KEYS",
    "DepthView",
    "EngineStatus",
    "OverviewData",
    "PaperPool",
    "cached_overview",
    "compute_drawdown",
    "compute_exposure",
    "compute_pool_depth",
    "compute_today_pnl",
    "load_candle_series",
    "load_depth",
    "load_depth_keys",
    "load_engine_market",
    "load_engine_status",
    "load_feed_lag",
    "load_fills_view",
    "load_latency",
    "load_limits",
    "load_log_lines",
    "load_market_candles",
    "load_orders_view",
    "load_overview",
    "load_pool_depth",
    "load_positions_view",
    "load_store_version",
    "load_strategies_view",
    "thin",
]

#: The engine_state keys the dashboard reads.
STATE_KEYS = ("heartbeat", "breaker", "health", "limits", "marks", "latency", "logs")

#: A heartbeat older than this many heartbeat intervals means the engine is down.
_STALE_BEATS = 3


def _decimal_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _round_sig(value: Decimal, digits: int = 8) -> Decimal:
    """``value`` to ``digits`` significant digits, for display (102.64000000000005 -> 102.64)."""
    if not value:
        return value
    exp = value.adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exp)).normalize()


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def thin(frame: pd.DataFrame, max_points: int = 2000) -> pd.DataFrame:
    """Every k-th row so at most ``max_points`` remain, always keeping the last row.

    A plot of a million equity marks shows the same line as one of two thousand, and sends
    a five-hundredth of the bytes to the browser.
    """
    if len(frame) <= max_points:
        return frame
    step = int(np.ceil(len(frame) / max_points))
    keep = np.zeros(len(frame), dtype=bool)
    keep[::step] = True
    keep[-1] = True
    return frame[keep]


# -- change detection --------------------------------------------------------------------------


def load_store_version(store: Store) -> tuple[Any, ...]:
    """A cheap fingerprint of everything the pages show except candles: it changes when a
    row is added or updated, so an idle dashboard costs one small query per refresh.

    Uses only indexed columns (primary keys and timestamps), one round trip.
    """
    from sqlalchemy import func, select

    from workbench.store import models as m

    probes = [
        select(func.max(m.FillRow.id)).scalar_subquery(),
        select(func.max(m.OrderRow.ts_updated)).scalar_subquery(),
        select(func.max(m.EquitySnapshot.ts)).scalar_subquery(),
        select(func.max(m.PositionRow.ts_updated)).scalar_subquery(),
        select(func.max(m.StrategyConfig.ts_updated)).scalar_subquery(),
        select(func.max(m.RiskEvent.id)).scalar_subquery(),
        select(func.max(m.ControlCommand.id)).scalar_subquery(),
        select(func.max(m.ControlCommand.ts_applied)).scalar_subquery(),
        select(func.max(m.EngineState.ts_updated)).scalar_subquery(),
        select(func.max(m.JobRun.started)).scalar_subquery(),
        select(func.max(m.JobRun.finished)).scalar_subquery(),
        select(func.max(m.AuditLog.id)).scalar_subquery(),
    ]
    with store.engine.connect() as conn:
        return tuple(conn.execute(select(*probes)).one())


# -- engine status ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineStatus:
    """The engine as last published.

    Attributes:
        is_running: a heartbeat arrived within three heartbeat intervals.
        heartbeat_age_s: seconds since the last heartbeat, None when never seen.
        breaker: breaker state text (``ok``, ``tripped``, ``killed``) or ``unknown``.
        breaker_reason: why it tripped, empty when it did not.
        health: the raw ``health`` state, empty when not published.
        mode: ``paper`` or ``live`` when the engine says so, else empty.
    """

    is_running: bool
    heartbeat_age_s: float | None
    breaker: str
    breaker_reason: str
    health: Mapping[str, Any] = field(default_factory=dict)
    mode: str = ""

    @property
    def is_tripped(self) -> bool:
        """True when the breaker stops new risk."""
        return self.breaker not in {"ok", "closed", "normal", "running", "unknown"}


def load_engine_status(store: Store, *, heartbeat_s: float = 5.0,
                       now_ns: int | None = None) -> EngineStatus:
    """Heartbeat, breaker and health from ``engine_state``."""
    now_ns = now_ns or time.time_ns()
    beat = ledger.get_state(store, "heartbeat")
    breaker = ledger.get_state(store, "breaker") or {}
    health = ledger.get_state(store, "health") or {}
    age = None if beat is None else max(0.0, (now_ns - int(beat["ts_updated"])) / 1e9)
    state = str(breaker.get("state") or breaker.get("status") or "unknown").lower()
    reason = str(breaker.get("reason") or breaker.get("detail") or "")
    mode = str((beat or {}).get("mode") or health.get("mode") or "")
    health = {k: v for k, v in health.items() if k != "ts_updated"}
    return EngineStatus(is_running=age is not None and age < _STALE_BEATS * heartbeat_s,
                        heartbeat_age_s=age, breaker=state, breaker_reason=reason,
                        health=health, mode=mode)


# -- overview --------------------------------------------------------------------------------


def compute_drawdown(equity: pd.Series) -> pd.Series:
    """Drawdown from the running peak, as a negative fraction (``-0.05`` is 5 % below)."""
    if equity.empty:
        return equity.astype(float)
    peak = equity.cummax()
    return (equity / peak.where(peak > 0) - 1.0).fillna(0.0)


def compute_today_pnl(equity: pd.Series) -> float:
    """Equity change since UTC midnight of the newest mark's day.

    The day is the newest mark's, not the wall clock's, so a replay of an older day shows
    that day's PnL. The start is the last mark before midnight when there is one (so the
    first trade of the day counts), else the day's first mark.
    """
    if equity.empty:
        return 0.0
    last_ts = equity.index[-1]
    midnight = last_ts.normalize()
    before = equity[equity.index < midnight]
    start = before.iloc[-1] if len(before) else equity[equity.index >= midnight].iloc[0]
    return float(equity.iloc[-1] - start)


def _base_token(symbol: str) -> str:
    return symbol.split("/", 1)[0] if "/" in symbol else symbol


def _marks(store: Store, positions: pd.DataFrame) -> dict[str, Decimal]:
    """Marks per symbol: the engine's published marks, else each symbol's last fill price."""
    published = ledger.get_state(store, "marks") or {}
    marks = {str(k): _dec(v) for k, v in published.items() if k != "ts_updated"}
    for symbol in positions.get("symbol", pd.Series(dtype=object)).unique():
        if symbol in marks:
            continue
        last = ledger.load_fills(store, symbol=symbol, limit=1)
        if len(last) and Decimal(last["base_amount"].iloc[0]) != 0:
            marks[symbol] = Decimal(last["quote_amount"].iloc[0]) / Decimal(
                last["base_amount"].iloc[0])
    return marks


def compute_exposure(positions: pd.DataFrame, marks: Mapping[str, Decimal]) -> pd.DataFrame:
    """Exposure by base token: ``token``, ``quantity`` and ``value`` (Decimal, quote units),
    largest absolute value first. A position without a mark is valued at its average cost."""
    rows: dict[str, list[Decimal]] = {}
    for rec in positions.itertuples(index=False):
        qty = _dec(rec.quantity)
        if qty == 0:
            continue
        mark = marks.get(rec.symbol, _dec(rec.avg_cost))
        token = _base_token(rec.symbol)
        acc = rows.setdefault(token, [Decimal(0), Decimal(0)])
        acc[0] += qty
        acc[1] += qty * mark
    frame = pd.DataFrame([{"token": t, "quantity": q, "value": v} for t, (q, v) in rows.items()],
                         columns=["token", "quantity", "value"])
    if len(frame):
        order = sorted(range(len(frame)), key=lambda i: -abs(frame["value"].iloc[i]))
        frame = frame.iloc[order].reset_index(drop=True)
    return frame


@dataclass(frozen=True, slots=True, kw_only=True)
class OverviewData:
    """Everything the Overview page shows.

    Attributes:
        equity: UTC-indexed float frame ``equity``, ``drawdown`` (thinned for plotting).
        last_equity: newest equity mark, None when no equity was stored.
        today_pnl: equity change since the newest mark's UTC midnight.
        drawdown_pct: current drawdown from the peak, percent (<= 0).
        max_drawdown_pct: worst drawdown in the stored curve, percent (<= 0).
        exposure: see :func:`compute_exposure`.
        status: the engine's status.
    """

    equity: pd.DataFrame
    last_equity: float | None
    today_pnl: float
    drawdown_pct: float
    max_drawdown_pct: float
    exposure: pd.DataFrame
    status: EngineStatus


def load_overview(store: Store, *, heartbeat_s: float = 5.0) -> OverviewData:
    """The Overview page's data: equity curve, PnL today, drawdown, exposure, engine status."""
    curve = ledger.load_equity(store)
    eq = curve["equity"] if "equity" in curve else pd.Series(dtype=float)
    dd = compute_drawdown(eq)
    plot = thin(pd.DataFrame({"equity": eq, "drawdown": dd * 100.0}))
    positions = ledger.load_positions(store)
    exposure = compute_exposure(positions, _marks(store, positions))
    return OverviewData(
        equity=plot,
        last_equity=float(eq.iloc[-1]) if len(eq) else None,
        today_pnl=compute_today_pnl(eq),
        drawdown_pct=float(dd.iloc[-1] * 100.0) if len(dd) else 0.0,
        max_drawdown_pct=float(dd.min() * 100.0) if len(dd) else 0.0,
        exposure=exposure,
        status=load_engine_status(store, heartbeat_s=heartbeat_s),
    )


#: How long a computed Overview may be reused while the store's fingerprint is unchanged
#: (engine liveness depends on the heartbeat's age, so not forever).
OVERVIEW_CACHE_S = 1.0

_overview_cache: dict[tuple[str, float], tuple[tuple[Any, ...], float, OverviewData]] = {}


def cached_overview(store: Store, *, heartbeat_s: float = 5.0,
                    max_age_s: float = OVERVIEW_CACHE_S) -> OverviewData:
    """:func:`load_overview`, shared by the sessions of one process: reused while the store's
    fingerprint (:func:`load_store_version`, one small query) is unchanged and the result is
    younger than ``max_age_s``. A new browser tab then costs one query, not a curve reload."""
    key = (store.url, heartbeat_s)
    version = load_store_version(store)
    hit = _overview_cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] == version and now - hit[1] < max_age_s:
        return hit[2]
    data = load_overview(store, heartbeat_s=heartbeat_s)
    _overview_cache[key] = (version, now, data)
    return data


# -- tables ----------------------------------------------------------------------------------


def load_positions_view(store: Store) -> pd.DataFrame:
    """Positions per strategy and symbol with marks and PnL, as display text.

    Columns: strategy, symbol, token, quantity, avg_cost, mark, value, realized_pnl,
    unrealized_pnl, stops, updated.
    """
    pos = ledger.load_positions(store)
    marks = _marks(store, pos)
    rows = []
    for rec in pos.itertuples(index=False):
        qty, cost = _dec(rec.quantity), _dec(rec.avg_cost)
        mark = marks.get(rec.symbol)
        rows.append({
            "strategy": rec.strategy, "symbol": rec.symbol, "token": _base_token(rec.symbol),
            "quantity": _decimal_text(qty), "avg_cost": _decimal_text(cost),
            "mark": _decimal_text(mark) if mark is not None else "",
            "value": _decimal_text(qty * (mark if mark is not None else cost)),
            "realized_pnl": _decimal_text(_dec(rec.realized_pnl)),
            "unrealized_pnl": _decimal_text((mark - cost) * qty) if mark is not None else "",
            "stops": ", ".join(f"{k}={v}" for k, v in (rec.stops or {}).items()),
            "updated": rec.ts_updated,
        })
    cols = ["strategy", "symbol", "token", "quantity", "avg_cost", "mark", "value",
            "realized_pnl", "unrealized_pnl", "stops", "updated"]
    return pd.DataFrame(rows, columns=cols)


_PRICE_PLACES = Decimal("0.000000001")


def load_orders_view(store: Store, *, limit: int = 1000) -> pd.DataFrame:
    """Orders, newest first, Decimals as text; ``signature`` is the transaction signature."""
    frame = ledger.load_orders(store, limit=limit)
    frame["amount"] = frame["amount"].map(_decimal_text)
    frame["price"] = [_decimal_text(_dec(p).quantize(_PRICE_PLACES)) for p in frame["price"]]
    frame["signature"] = frame["signature"].fillna("")
    frame["reason"] = frame["reason"].fillna("")
    frame["venue"] = frame["venue"].fillna("")
    cols = ["ts_created", "client_order_id", "strategy", "symbol", "side", "amount", "price",
            "status", "reason", "venue", "mode", "signature", "ts_updated"]
    return frame[cols]


def load_fills_view(store: Store, *, limit: int = 1000) -> pd.DataFrame:
    """Fills, newest first, with the average price; Decimals as text."""
    frame = ledger.load_fills(store, limit=limit)
    # an average price is a ratio of exact amounts: show it to 9 places, not 28 digits
    price = [
        _decimal_text((_dec(q) / _dec(b)).quantize(_PRICE_PLACES)) if _dec(b) != 0 else ""
        for q, b in zip(frame["quote_amount"], frame["base_amount"], strict=True)
    ]
    frame["price"] = price
    for col in ("base_amount", "quote_amount"):
        frame[col] = frame[col].map(_decimal_text)
    frame["signature"] = frame["signature"].fillna("")
    frame["strategy"] = frame["strategy"].fillna("")
    cols = ["ts_event", "client_order_id", "strategy", "symbol", "side", "base_amount",
            "quote_amount", "price", "fee_lamports", "venue", "signature"]
    return frame[cols]


def load_strategies_view(store: Store) -> pd.DataFrame:
    """Strategies: name, kind, symbol, enabled, status (engine's word, else from ``enabled``),
    params (dict), updated."""
    frame = ledger.load_strategy_configs(store)
    health = ledger.get_state(store, "health") or {}
    reported = health.get("strategies") or {}
    status = []
    for rec in frame.itertuples(index=False):
        info = reported.get(rec.name)
        if isinstance(info, Mapping):
            info = info.get("status") or info.get("state")
        status.append(str(info) if info else ("enabled" if rec.enabled else "stopped"))
    frame["status"] = status
    frame = frame.rename(columns={"ts_updated": "updated"})
    return frame[["name", "kind", "symbol", "enabled", "status", "params", "updated"]]


def load_limits(store: Store, settings: Settings) -> dict[str, Any]:
    """The limits in force: what the engine published, else those from the settings."""
    published = ledger.get_state(store, "limits")
    if published:
        inner = published.get("limits", published)
        return {k: v for k, v in inner.items() if k != "ts_updated"}
    return limits_from_settings(settings.risk).as_dict()


# -- market ----------------------------------------------------------------------------------


def load_candle_series(store: Store) -> pd.DataFrame:
    """Stored candle series: source, symbol, timeframe, rows, first, last."""
    return candle_summary(store)


def load_market_candles(store: Store, *, symbol: str, timeframe: str, source: str | None = None,
                        bars: int = 500) -> pd.DataFrame:
    """The newest ``bars`` candles of a series (empty frame when none are stored)."""
    try:
        frame = load_candles(store, symbol, timeframe, source=source)
    except DataUnavailable:
        return pd.DataFrame(columns=["open", "high", "low", "close", "volume"],
                            index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    return frame.iloc[-bars:]


def load_depth_keys(store: Store, pools: tuple[PaperPool, ...] | None = None) -> list[str]:
    """``depth:<pair>:<venue>`` keys: those the engine published, then the configured paper
    pools not among them (their depth is computed from prices, see :func:`load_pool_depth`)."""
    from sqlalchemy import select

    from workbench.store.models import EngineState

    with store.engine.connect() as conn:
        keys = sorted(r[0] for r in conn.execute(
            select(EngineState.key).where(EngineState.key.like("depth:%"))))
    extra = [f"depth:{p.symbol}:{p.name}" for p in (PAPER_POOLS if pools is None else pools)]
    return keys + [k for k in extra if k not in keys]


def load_engine_market(store: Store) -> tuple[str, str] | None:
    """(pair, timeframe) the engine trades: from its newest published depth snapshot (which
    names both), else the pair of its marks or health feeds with timeframe ``""``; None when
    the engine has published neither."""
    from sqlalchemy import select

    from workbench.store.models import EngineState

    with store.engine.connect() as conn:
        newest = conn.execute(
            select(EngineState.key).where(EngineState.key.like("depth:%"))
            .order_by(EngineState.ts_updated.desc()).limit(1)).scalar()
    if newest is not None:
        state = ledger.get_state(store, newest) or {}
        if state.get("symbol"):
            return str(state["symbol"]), str(state.get("timeframe") or "")
    marks = ledger.get_state(store, "marks") or {}
    pairs = [k for k in marks if "/" in k]
    if not pairs:
        feeds = (ledger.get_state(store, "health") or {}).get("feeds") or {}
        pairs = [k for k in feeds if "/" in k]
    return (pairs[0], "") if pairs else None


def load_depth(store: Store, *, symbol: str, venue: str) -> pd.DataFrame:
    """Depth levels published for a pair on a venue: impact_bps, bid_base, ask_base."""
    state = ledger.get_state(store, f"depth:{symbol}:{venue}") or {}
    levels = state.get("levels") or []
    frame = pd.DataFrame(list(levels), columns=["impact_bps", "bid_base", "ask_base"])
    return frame.sort_values("impact_bps").reset_index(drop=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperPool:
    """One of the paper engine's constant-product pools, as configured.

    Attributes:
        name: venue name, ``local:<BASE>/<QUOTE>#<n>`` (what fills record as ``venue``).
        depth_quote: quote reserve the pool is reset to every bar, human units.
        lag_bars: 0 follows the close; n follows the close n bars earlier.
        fee_bps: pool fee on the input.
        base_decimals / quote_decimals: the tokens' decimals (SOL 9, USDT 6).
    """

    name: str
    depth_quote: Decimal
    lag_bars: int = 0
    fee_bps: int = 25
    base_decimals: int = 9
    quote_decimals: int = 6

    @property
    def symbol(self) -> str:
        """The pair, ``SOL/USDT`` for ``local:SOL/USDT#1``."""
        return self.name.split(":", 1)[-1].split("#", 1)[0]


#: The paper engine's pools (``workbench.live.defaults.DEFAULT_POOLS``, which the dashboard
#: may not import; a test pins the two together).
PAPER_POOLS: tuple[PaperPool, ...] = (
    PaperPool(name="local:SOL/USDT#1", depth_quote=Decimal(2_000_000), lag_bars=0),
    PaperPool(name="local:SOL/USDT#2", depth_quote=Decimal(500_000), lag_bars=1),
)

#: Price impacts the depth curve is drawn at, bps.
DEPTH_IMPACTS_BPS: tuple[int, ...] = (5, 10, 25, 50, 100, 150, 200, 300, 500)


def compute_pool_depth(pool: PaperPool, price: Decimal,
                       impacts_bps: tuple[int, ...] = DEPTH_IMPACTS_BPS) -> pd.DataFrame:
    """Depth of a paper pool whose spot price is ``price`` (quote per base).

    The pool holds ``depth_quote`` of quote and ``depth_quote / price`` of base (rounded
    down to base units, as the paper market does), and ``cp_depth`` walks the curve.

    Returns:
        Frame with int ``impact_bps`` and Decimal ``bid_base``, ``ask_base`` (base tokens a
        taker can sell / buy within that impact, fee included) and ``bid_quote``,
        ``ask_quote`` (quote received / paid), one row per impact.
    """
    quote_raw = int((pool.depth_quote * 10**pool.quote_decimals).to_integral_value(ROUND_DOWN))
    base_raw = int((pool.depth_quote / price * 10**pool.base_decimals).to_integral_value(
        ROUND_DOWN))
    b_scale, q_scale = Decimal(10) ** pool.base_decimals, Decimal(10) ** pool.quote_decimals
    rows = []
    for bps in impacts_bps:
        d = cp_depth(base_raw, quote_raw, impact_bps=bps, fee_bps=pool.fee_bps,
                     venue=pool.name)
        rows.append({"impact_bps": bps, "bid_base": Decimal(d.bid_base_raw) / b_scale,
                     "ask_base": Decimal(d.ask_base_raw) / b_scale,
                     "bid_quote": Decimal(d.bid_quote_raw) / q_scale,
                     "ask_quote": Decimal(d.ask_quote_raw) / q_scale})
    return pd.DataFrame(rows, columns=["impact_bps", "bid_base", "ask_base", "bid_quote",
                                       "ask_quote"])


@dataclass(frozen=True, slots=True, kw_only=True)
class DepthView:
    """A depth curve and where it came from.

    Attributes:
        levels: ``impact_bps``, ``bid_base``, ``ask_base`` (and quote columns when computed).
        source: ``published`` (the engine's ``depth:`` key), ``engine`` (paper pool at the
            engine's replayed price), ``candles`` (paper pool at the newest stored close)
            or ``none``.
        price: the pool's spot price (published or used), None when unknown.
        note: one sentence for the page saying what the curve is.
        ts: the bar time (ns) of a published snapshot, None otherwise.
    """

    levels: pd.DataFrame
    source: str
    price: Decimal | None
    note: str
    ts: int | None = None


def _pool_price(store: Store, pool: PaperPool) -> tuple[Decimal | None, str, str]:
    """(price, source, when) for ``pool``: the engine's replay closes, else stored candles."""
    cursor = ledger.get_state(store, "engine_cursor") or {}
    closes = [c for c in cursor.get("closes") or [] if c is not None]
    if len(closes) > pool.lag_bars:
        when = pd.Timestamp(int(cursor["ts"]), unit="ns", tz="UTC") if cursor.get("ts") else None
        return _dec(closes[-1 - pool.lag_bars]), "engine", f"replayed bar {when or '?'}"
    series = candle_summary(store)
    series = series[series["symbol"] == pool.symbol]
    for rec in series.sort_values("last", ascending=False).itertuples():
        bars = load_market_candles(store, symbol=pool.symbol, timeframe=rec.timeframe,
                                   source=rec.source, bars=pool.lag_bars + 1)
        if len(bars) > pool.lag_bars:
            row = bars.iloc[-1 - pool.lag_bars]
            return (_dec(row["close"]), "candles",
                    f"{rec.source} {rec.timeframe} close of {bars.index[-1 - pool.lag_bars]}")
    return None, "none", ""


def load_pool_depth(store: Store, *, symbol: str, venue: str,
                    pools: tuple[PaperPool, ...] = PAPER_POOLS) -> DepthView:
    """The depth curve of ``symbol`` on ``venue``: the engine's published levels when there
    are any, else computed for the configured paper pool (see the module docstring)."""
    published = load_depth(store, symbol=symbol, venue=venue)
    if len(published):
        state = ledger.get_state(store, f"depth:{symbol}:{venue}") or {}
        price = _dec(state["price"]) if state.get("price") else None
        ts = int(state["ts"]) if state.get("ts") else None
        when = pd.Timestamp(ts, unit="ns", tz="UTC") if ts else "?"
        return DepthView(
            levels=published, source="published", price=price, ts=ts,
            note=(f"Depth of {symbol} on {venue} as the engine published it for the bar of "
                  f"{when}: {len(published)} levels"
                  + (f", pool price {_decimal_text(_round_sig(price))}"
                     if price is not None else "")
                  + "."))
    pool = next((p for p in pools if p.name == venue and p.symbol == symbol), None)
    if pool is None:
        return DepthView(levels=published, source="none", price=None,
                         note=f"No depth for {symbol} on {venue}: the engine published none "
                              "and it is not a configured paper pool.")
    price, source, when = _pool_price(store, pool)
    if price is None or price <= 0:
        return DepthView(levels=published, source="none", price=None,
                         note=f"No price for {symbol}: no paper run and no stored candles.")
    levels = compute_pool_depth(pool, price)
    return DepthView(
        levels=levels, source=source, price=price,
        note=(f"{venue}: constant-product pool with {_decimal_text(pool.depth_quote)} "
              f"{symbol.split('/')[-1]} of quote, fee {pool.fee_bps} bps, at price "
              f"{_decimal_text(price)} ({when}). Computed from the configured paper pool: the "
              "engine has not published its depth (yet)."))


# -- system ----------------------------------------------------------------------------------


def load_feed_lag(store: Store) -> pd.DataFrame:
    """Feeds from the ``health`` state: feed, lag_s, stale."""
    feeds = (ledger.get_state(store, "health") or {}).get("feeds") or {}
    rows = []
    for name, info in feeds.items():
        info = info if isinstance(info, Mapping) else {"lag_s": info}
        lag = info.get("lag_s", info.get("age_s"))
        rows.append({"feed": name, "lag_s": float(lag) if lag is not None else np.nan,
                     "stale": bool(info.get("stale", False))})
    return pd.DataFrame(rows, columns=["feed", "lag_s", "stale"])


def load_latency(store: Store) -> pd.DataFrame:
    """Latency per execution stage from the ``latency`` state: stage, count, p50_ms, p99_ms,
    max_ms, and ``buckets`` (``{upper_ms: count}``) for the histogram."""
    state = ledger.get_state(store, "latency") or {}
    stages = state.get("stages", state)
    rows = []
    for stage, info in stages.items():
        if stage == "ts_updated" or not isinstance(info, Mapping):
            continue
        rows.append({"stage": stage, "count": int(info.get("count", 0)),
                     "p50_ms": float(info.get("p50_ms", np.nan)),
                     "p99_ms": float(info.get("p99_ms", np.nan)),
                     "max_ms": float(info.get("max_ms", np.nan)),
                     "buckets": dict(info.get("buckets") or {})})
    return pd.DataFrame(rows, columns=["stage", "count", "p50_ms", "p99_ms", "max_ms", "buckets"])


def load_log_lines(store: Store, settings: Settings, *, limit: int = 200) -> list[str]:
    """The engine's recent log lines, newest last: the ``logs`` state, else the tail of
    ``<data.dir>/logs/engine.log``."""
    state = ledger.get_state(store, "logs") or {}
    lines = state.get("lines")
    if lines:
        return [str(x) for x in lines][-limit:]
    path = settings.data.dir / "logs" / "engine.log"
    if not path.exists():
        return []
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 256 * 1024))
        text = fh.read().decode("utf-8", errors="replace")
    return text.splitlines()[-limit:]
