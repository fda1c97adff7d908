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


def test_arbitrage_event_tracks_cash_like_the_kernel(sol_5m):
    """With little cash the input is capped by it; the event shape, fed its own fills, takes
    the kernel's trades and ends every bar with the kernel's cash, bit for bit."""
    from workbench.backtest import CostModel, make_venue_frame, run

    data = make_venue_frame(sol_5m, lag_bars=1)
    p = ArbitrageParams(fee_bps=(4.0, 25.0), max_depth_frac=0.05)
    costs = CostModel(jito_tip_lamports=20_000)
    res = run("arbitrage", data, params=p, costs=costs, init_cash=Decimal(40))
    tx = costs.draw_tx(data["a_price"].to_numpy()).expected
    kernel_cash = res.equity["cash"].to_numpy()
    strat = ArbitrageStrategy(p, init_cash=Decimal(40), min_trade_quote=costs.min_trade_quote)
    strat.on_start()
    got, cash_seen, binding = [], [], 0
    for i, (ts, row) in enumerate(data.iterrows()):
        snap = VenueSnapshot(
            ts_event=ts.value, fixed_cost_quote=Decimal(repr(float(tx[i]))),
            prices={v: Decimal(repr(float(row[f"{v}_price"]))) for v in ("a", "b")},
            depths={v: Decimal(repr(float(row[f"{v}_depth"]))) for v in ("a", "b")})
        before = strat.cash
        for d in strat.on_bar(snap):
            (buy_venue, _, q), (_, _, out) = d.legs
            got.append((i, buy_venue, float(q), float(d.amount)))
            binding += float(q) == before - float(tx[i])
            for side, quote in ((Side.BUY, q), (Side.SELL, out)):
                strat.on_fill(Fill(client_order_id="arb", symbol="SOL/USDT", side=side,
                                   base_amount=d.amount, quote_amount=quote, fee_lamports=0,
                                   venue="test", signature=None, ts_event=ts.value))
        cash_seen.append(strat.cash)
    buys = res.orders[res.orders["side"] == "buy"]
    expected = list(zip(buys["bar"], buys["venue"], buys["quote"], buys["size"], strict=True))
    assert len(expected) >= 5 and binding >= 5  # cash, not depth, sized those trades
    assert got == expected
    assert cash_seen == kernel_cash.tolist()
    # without cash tracking (the old unbounded event shape) the sizes would differ
    loose = ArbitrageStrategy(p, min_trade_quote=costs.min_trade_quote)
    loose.on_start()
    first = expected[0][0]
    row = data.iloc[first]
    snap = VenueSnapshot(ts_event=0, fixed_cost_quote=Decimal(repr(float(tx[first]))),
                         prices={v: Decimal(repr(float(row[f"{v}_price"]))) for v in ("a", "b")},
                         depths={v: Decimal(repr(float(row[f"{v}_depth"]))) for v in ("a", "b")})
    assert float(loose.on_bar(snap)[0].legs[0][2]) > expected[0][2]
