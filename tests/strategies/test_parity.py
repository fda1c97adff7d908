"""Both strategy shapes make the same decisions bar by bar on real data."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from workbench.domain import Fill, Side
from workbench.strategies import (
    STRATEGIES,
    ArbitrageParams,
    ArbitrageStrategy,
    GridParams,
    VenueSnapshot,
    compute_arbitrage_signals,
    iter_bars,
)


def _replay(strategy, bars: pd.DataFrame):
    """Feed bars, fill every decision at once; return (bar index, side, amount) per decision."""
    strategy.on_start()
    out = []
    for i, bar in enumerate(iter_bars(bars)):
        for d in strategy.on_bar(bar):
            out.append((i, d.side, d.amount, d.reason))
            amount = d.amount if d.amount is not None else Decimal(1)
            strategy.on_fill(Fill(client_order_id="t", symbol="SOL/USDT", side=d.side,
                                  base_amount=amount, quote_amount=amount * bar.close,
                                  fee_lamports=0, venue="test", signature=None,
                                  ts_event=bar.ts_event))
    return out


def _clean(entry: np.ndarray, exit_: np.ndarray):
    """Actionable signals: an entry while flat, an exit while long."""
    out, is_long = [], False
    for i in range(entry.shape[0]):
        if entry[i] and not is_long:
            out.append((i, Side.BUY))
            is_long = True
        elif exit_[i] and is_long:
            out.append((i, Side.SELL))
            is_long = False
    return out


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("sma_cross", {"fast": 5, "slow": 20}),
        ("sma_cross", {"fast": 12, "slow": 50}),
        ("rsi", {"period": 14, "oversold": 35.0, "overbought": 65.0}),
        ("bollinger", {"window": 20, "k": 1.5}),
    ],
)
def test_indicator_event_matches_vectorised(sol_5m, name, params):
    """The event strategy emits an order exactly where the cleaned vectorised signals act."""
    spec = STRATEGIES[name]
    p = spec.make_params(params)
    sig = spec.compute_signals(sol_5m, p)
    expected = _clean(sig["entry"].to_numpy(), sig["exit"].to_numpy())
    got = [(i, side) for i, side, _, _ in _replay(spec.event_cls(p), sol_5m)]
    assert len(expected) >= 10
    assert got == expected


@pytest.mark.parametrize("mode", ["pause", "shift", "close"])
@pytest.mark.parametrize("spacing", ["arithmetic", "geometric"])
def test_grid_event_matches_vectorised(sol_5m, mode, spacing):
    """Grid decisions (bar, side, lots) agree between shapes in every out-of-range mode."""
    # 94..104 holds the first close (97.16) and is left upward around bar 1,000.
    p = GridParams(lower=94.0, upper=104.0,
                   n_levels=9, spacing=spacing, size_per_level=Decimal("0.5"),
                   max_inventory_levels=4, out_of_range=mode)
    sig = STRATEGIES["grid"].compute_signals(sol_5m, p)
    lots = sig["lots"].to_numpy()
    expected = [(i, Side.BUY if lots[i] > 0 else Side.SELL, abs(int(lots[i])) * p.size_per_level)
                for i in np.flatnonzero(lots)]
    got = [(i, s, a) for i, s, a, _ in _replay(STRATEGIES["grid"].event_cls(p), sol_5m)]
    assert len(expected) >= 5
    assert got == expected
    if mode == "close":
        assert sig["stopped"].iloc[-1]
        assert expected[-1][1] is Side.SELL or sig["inventory"].iloc[-1] == 0


def test_arbitrage_event_matches_vectorised(sol_5m):
    """The arbitrage event shape picks the same venues and sizes as the vectorised shape."""
    data = pd.DataFrame({
        "a_price": sol_5m["close"], "a_depth": 2_000_000.0,
        "b_price": sol_5m["close"].shift(1).bfill(), "b_depth": 500_000.0,
    })
    p = ArbitrageParams(fee_bps=(5.0, 25.0))
    sig = compute_arbitrage_signals(data, p, fixed_cost_quote=0.05)
    strat = ArbitrageStrategy(p)
    strat.on_start()
    got = []
    for i, (ts, row) in enumerate(data.iterrows()):
        snap = VenueSnapshot(
            ts_event=ts.value, fixed_cost_quote=Decimal("0.05"),
            prices={"a": Decimal(repr(float(row.a_price))), "b": Decimal(repr(float(row.b_price)))},
            depths={"a": Decimal(repr(float(row.a_depth))), "b": Decimal(repr(float(row.b_depth)))})
        for d in strat.on_bar(snap):
            got.append((i, d.legs[0][0], float(d.legs[0][2]), float(d.amount)))
    rows = sig[sig["trade"]]
    expected = [(data.index.get_loc(ts), p.venues[r.buy_venue], r.quote_in, r.base)
                for ts, r in rows.iterrows()]
    assert len(expected) >= 5
    assert got == expected
