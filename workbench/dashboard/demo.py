"""A store seeded for dashboard tests, screenshots and benchmarks (clearly demo, not a run).

Prices are the shipped real SOL/USDT 5m candles; the trades are a fixed alternating
buy/sell pattern at bar closes, and each fill's ``signature`` is a real ed25519 signature by
a fixed test keypair over the order id (so it has the exact shape of a Solana signature),
not a transaction that landed anywhere. Engine state (heartbeat, breaker, health, latency,
marks, logs) is written in the shapes documented in :mod:`workbench.dashboard.queries`; no
depth is published (the engine publishes none), so the Market page computes the paper pools'
depth from the stored candles.
Use a real paper run (``make run``) to see the engine's own numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from workbench.domain import Fill, Order, OrderStatus, Side
from workbench.samples import load_sample
from workbench.store import ledger, save_candles
from workbench.store.db import Store
from workbench.testing import seeded_keypair

__all__ = ["DemoSeed", "demo_fill", "seed_demo_store"]

SYMBOL = "SOL/USDT"
_CENT = Decimal("0.000001")


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSeed:
    """What :func:`seed_demo_store` wrote, for assertions.

    Attributes:
        order_ids: client order ids, oldest first.
        signatures: fill signatures, oldest first.
        strategies: strategy names.
        last_equity: the newest equity mark.
        risk_rules: rules of the risk events written.
    """

    order_ids: tuple[str, ...]
    signatures: tuple[str, ...]
    strategies: tuple[str, ...]
    last_equity: Decimal
    risk_rules: tuple[str, ...]


def demo_fill(order_id: str, *, side: Side, base: Decimal, price: Decimal, ts_ns: int,
              strategy: str = "grid-sol") -> Fill:
    """A fill for ``order_id`` signed (over the id) by the fixed demo keypair."""
    sig = seeded_keypair("dashboard-demo").sign_message(order_id.encode())
    return Fill(client_order_id=order_id, symbol=SYMBOL, side=side, base_amount=base,
                quote_amount=(base * price).quantize(_CENT), fee_lamports=5000,
                venue="local_amm", signature=str(sig), ts_event=ts_ns)


def seed_demo_store(store: Store, *, bars: int = 600, trades: int = 24) -> DemoSeed:
    """Write candles, strategies, orders, fills, positions, equity, risk events and engine
    state to a migrated ``store``."""
    candles = load_sample("SOL/USDT", "5m", bars=bars)
    save_candles(store, candles, source="sample", symbol=SYMBOL, timeframe="5m")
    ledger.save_strategy_config(store, name="grid-sol", kind="grid", symbol=SYMBOL, params={
        "lower": 120.0, "upper": 180.0, "n_levels": 12, "size_per_level": "0.5"})
    ledger.save_strategy_config(store, name="sma-sol", kind="sma_cross", symbol=SYMBOL,
                                params={"fast": 10, "slow": 30})
    closes = [Decimal(str(round(c, 4))) for c in candles["close"]]
    stamps = [int(t) for t in candles.index.as_unit("ns").asi8]
    step = max(1, len(closes) // (trades + 1))
    trade_bars = {step * (i + 1): i for i in range(trades)}
    cash, qty, cost = Decimal(10_000), Decimal(0), Decimal(0)
    realized = Decimal(0)
    order_ids, sigs = [], []
    for bar, (price, ts) in enumerate(zip(closes, stamps, strict=True)):
        i = trade_bars.get(bar)
        if i is not None:
            side = Side.BUY if i % 3 != 2 else Side.SELL
            amount = Decimal("0.5")
            if side is Side.SELL and qty < amount:
                side = Side.BUY
            oid = f"demo-{i:04d}"
            order = Order(client_order_id=oid, strategy="grid-sol", symbol=SYMBOL, side=side,
                          amount=amount, price=price, venue="local_amm", ts_init=ts)
            ledger.save_order(store, order, status=OrderStatus.SUBMITTED)
            fill = demo_fill(oid, side=side, base=amount, price=price, ts_ns=ts)
            ledger.set_order_status(store, oid, OrderStatus.FILLED, signature=fill.signature)
            ledger.save_fill(store, fill, strategy="grid-sol")
            if side is Side.BUY:
                cost = (cost * qty + fill.quote_amount) / (qty + amount)
                qty += amount
                cash -= fill.quote_amount
            else:
                realized += (price - cost) * amount
                qty -= amount
                cash += fill.quote_amount
            order_ids.append(oid)
            sigs.append(str(fill.signature))
        equity = cash + qty * price
        ledger.save_equity(store, ts=ts, equity=equity, cash=cash, exposure=qty * price,
                           realized_pnl=realized, unrealized_pnl=(price - cost) * qty)
    rejected = Order(client_order_id="demo-rejected", strategy="sma-sol", symbol=SYMBOL,
                     side=Side.BUY, amount=Decimal(50), price=closes[-1], ts_init=stamps[-1])
    ledger.save_order(store, rejected, status=OrderStatus.REJECTED,
                      reason="max_order_notional: 50 SOL is above the 1000 USD cap")
    rules = ("max_order_notional", "max_orders_per_minute")
    ledger.record_risk_event(store, {"ts": stamps[-1], "kind": "rejected", "rule": rules[0],
                                     "detail": "notional 7,500 above max_order_notional 1000",
                                     "client_order_id": "demo-rejected", "strategy": "sma-sol"})
    ledger.record_risk_event(store, {"ts": stamps[-2], "kind": "breach", "rule": rules[1],
                                     "detail": "61 orders in 60 s", "strategy": "grid-sol"})
    ledger.save_positions(store, [{"strategy": "grid-sol", "symbol": SYMBOL, "quantity": qty,
                                   "avg_cost": cost.quantize(_CENT), "realized_pnl":
                                   realized.quantize(_CENT), "stops": {"stop_loss": "110"}}])
    now = time.time_ns()
    ledger.set_state(store, "heartbeat", {"ts": now, "mode": "paper"})
    ledger.set_state(store, "breaker", {"state": "ok", "reason": ""})
    ledger.set_state(store, "marks", {SYMBOL: str(closes[-1])})
    ledger.set_state(store, "health", {
        "mode": "paper", "store": "ok", "chain": "litesvm",
        "feeds": {"replay:SOL/USDT": {"lag_s": 0.4, "stale": False}},
        "strategies": {"grid-sol": {"status": "running"}, "sma-sol": {"status": "running"}}})
    ledger.set_state(store, "latency", {"stages": {
        "decide": {"count": 24, "p50_ms": 0.05, "p99_ms": 0.2, "max_ms": 0.3},
        "risk": {"count": 24, "p50_ms": 0.02, "p99_ms": 0.08, "max_ms": 0.1},
        "execute": {"count": 24, "p50_ms": 1.8, "p99_ms": 4.0, "max_ms": 5.1}}})
    ledger.set_state(store, "logs", {"lines": [
        "INFO engine: started in paper mode (demo seed)",
        f"INFO fills: {len(order_ids)} fills for grid-sol"]})
    ledger.start_job_run(store, run_id="demo-run-1", job="fetch_bars", params={"smoke": True})
    ledger.finish_job_run(store, "demo-run-1", status="succeeded")
    return DemoSeed(order_ids=tuple(order_ids), signatures=tuple(sigs),
                    strategies=("grid-sol", "sma-sol"), last_equity=cash + qty * closes[-1],
                    risk_rules=rules)
