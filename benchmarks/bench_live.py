"""Throughput and tick-to-order latency of the live engine in paper mode, with baselines.

Measured in one run, on the shipped real SOL/USDT 5m bars, flat-out replay:

* **pipeline**: the whole engine (feed -> grid + arbitrage -> risk gate -> router ->
  executor on LiteSVM -> ledger in SQLite), in bars/s and orders/s;
* **baseline (venue only)**: the same engine with no strategy running: replay, paper pools
  following the price with real transactions, state persistence. The ratio says what the
  trading path adds on top of the simulated market;
* **tick-to-order**: from the moment a bar reaches the strategies (after the paper pools
  moved) to the order accepted by the risk gate, execution excluded (target p99 < 1 ms);
* **baseline (decision core)**: ``strategy.on_bar`` + ``RiskGate.check`` on the same bars in a
  tight loop: the floor the engine's tick-to-order can approach.

Run: ``.venv/bin/python benchmarks/bench_live.py [--bars 400]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from workbench.config import Settings
from workbench.domain import Order, Side
from workbench.live import DEFAULT_POOLS, Engine, EngineConfig, StrategySeed
from workbench.portfolio import Portfolio
from workbench.risk import RiskGate, limits_from_settings
from workbench.samples import load_sample
from workbench.strategies import get_strategy, iter_bars

GRID = StrategySeed(name="grid", kind="grid", symbol="SOL/USDT", params={
    "lower": 100.0, "upper": 105.0, "n_levels": 26, "size_per_level": "1",
    "max_inventory_levels": 5, "out_of_range": "shift"})
ARB = StrategySeed(name="arbitrage", kind="arbitrage", symbol="SOL/USDT", params={
    "venues": [p.name for p in DEFAULT_POOLS], "fee_bps": [25.0, 25.0],
    "max_depth_frac": 0.002, "min_profit_quote": 0.01})


async def _engine(bars, seeds, persist_every: int) -> Engine:
    data = Path(tempfile.mkdtemp(prefix="bench_live_"))
    settings = Settings(data={"dir": data}, engine={"heartbeat_s": 1.0})
    eng = Engine(settings, config=EngineConfig(
        bars=bars, speed=0.0, stop_at_end=True, handle_signals=False, serve_metrics=False,
        seeds=seeds, persist_every_bars=persist_every))
    await eng.setup()
    gc.freeze()  # as Engine.start does
    eng.supervisor.spawn("feed", eng._feed)
    t0 = time.perf_counter()
    await eng.supervisor._tasks["feed"]
    eng.elapsed_s = time.perf_counter() - t0  # type: ignore[attr-defined]
    await eng.shutdown()
    return eng


def _decision_core(bars) -> list[int]:
    spec = get_strategy("grid")
    strat = spec.event_cls(spec.make_params({**GRID.params, "size_per_level": Decimal(1)}))
    strat.on_start()
    gate = RiskGate(limits=limits_from_settings(Settings().risk))
    book = Portfolio(cash={"USDT": Decimal(10_000), "SOL": Decimal(10)},
                     marks={"SOL": Decimal("100"), "USDT": Decimal(1)})
    out = []
    for i, bar in enumerate(iter_bars(bars)):
        t = time.perf_counter_ns()
        marks = {"SOL": bar.close, "USDT": Decimal(1)}
        for d in strat.on_bar(bar):
            order = Order(client_order_id=f"g-{i}", strategy="grid", symbol="SOL/USDT",
                          side=d.side, amount=d.amount or Decimal(1), price=bar.close,
                          ts_init=bar.ts_event)
            gate.check(order, book.snapshot(bar.ts_event), marks)
            out.append(time.perf_counter_ns() - t)
            if d.side is Side.BUY:
                strat.inventory_lots += 1
            else:
                strat.inventory_lots -= 1
    return out


def _pct(values: list[int], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))] / 1e6 if s else float("nan")


def main() -> None:
    """Print events/s, latency percentiles and the ratios against the baselines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bars", type=int, default=400)
    n = parser.parse_args().bars
    bars = load_sample("SOL/USDT", "5m", bars=n)

    full = asyncio.run(_engine(bars, (GRID, ARB), persist_every=1))
    venue = asyncio.run(_engine(bars, (), persist_every=1))
    orders = sum(s.orders for s in full.slots.values())
    fills = sum(s.fills for s in full.slots.values())
    t2o = list(full.metrics.window.get("tick_to_order", ()))
    core = _decision_core(bars)

    bps_full = full.bars_done / full.elapsed_s
    bps_venue = venue.bars_done / venue.elapsed_s
    print(f"bars replayed: {n} (SOL/USDT 5m, real), orders {orders}, fills {fills}")
    print(f"pipeline:            {bps_full:8.1f} bars/s  {orders / full.elapsed_s:8.1f} orders/s  "
          f"{(n + fills) / full.elapsed_s:8.1f} events/s (bars + fills)")
    print(f"baseline venue only: {bps_venue:8.1f} bars/s   -> pipeline runs at "
          f"{bps_full / bps_venue:.2f}x the venue-only rate")
    top = max(t2o) / 1e6 if t2o else float("nan")
    print(f"tick-to-order:       p50 {_pct(t2o, 0.50):.3f} ms  p99 {_pct(t2o, 0.99):.3f} ms  "
          f"max {top:.3f} ms  (n={len(t2o)}, target p99 < 1 ms)")
    print(f"baseline core:       p50 {_pct(core, 0.50):.3f} ms  p99 {_pct(core, 0.99):.3f} ms  "
          f"(strategy + gate only) -> engine p99 is {_pct(t2o, 0.99) / _pct(core, 0.99):.1f}x")
    stages = full.metrics.latency_summary()
    for stage in ("strategy", "risk", "route", "build", "sign", "simulate", "persist",
                  "confirm", "parse", "execute", "bar"):
        if stage in stages:
            s = stages[stage]
            print(f"  stage {stage:<9} p50 {s['p50_ms']:7.3f} ms  p99 {s['p99_ms']:7.3f} ms  "
                  f"n={s['count']}")


if __name__ == "__main__":
    main()
