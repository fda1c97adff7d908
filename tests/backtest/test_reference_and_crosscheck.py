"""The numba kernels agree with independent implementations on real data."""

from decimal import Decimal

import numpy as np
import pytest

from workbench.backtest import CostModel, run
from workbench.backtest.costs import cp_buy_base, cp_sell_base
from workbench.backtest.kernels import signals_kernel, sweep_signals_kernel
from workbench.backtest.reference import reference_grid
from workbench.strategies import GridParams, SmaCrossParams, compute_sma_cross_signals


@pytest.mark.parametrize("liquidity", ["constant_product", "concentrated", "none"])
@pytest.mark.parametrize(("mode", "spacing"), [("pause", "arithmetic"), ("shift", "geometric"),
                                               ("close", "arithmetic")])
def test_grid_kernel_matches_plain_python_reference(sol_5m, mode, spacing, liquidity):
    """Every order and every bar's cash and position equal the pure-Python reference."""
    p = GridParams(lower=94.0, upper=104.0, n_levels=12, spacing=spacing,
                   size_per_level=Decimal("3"), max_inventory_levels=6, out_of_range=mode)
    costs = CostModel(liquidity=liquidity, depth_quote=Decimal(20_000), cl_range_pct=1.0,
                      jito_tip_lamports=1000)
    res = run("grid", sol_5m, params=p, costs=costs, init_cash=2_000)
    mult, mbuy, msell = costs.curve()
    close = sol_5m["close"].tolist()
    ref = reference_grid(close, depth=[20_000.0] * len(close), sol_price=close, lower=94.0,
                         upper=104.0, n_levels=12, geometric=spacing == "geometric", size=3.0,
                         max_lots=6, mode=mode, init_cash=2_000.0, fee_bps=25.0,
                         depth_mult=mult, max_buy_frac=mbuy, max_sell_frac=msell,
                         tx_lamports=costs.expected_tx_lamports, min_quote=1.0)
    assert len(ref.orders) >= 5
    got = res.orders
    assert got["bar"].tolist() == [o[0] for o in ref.orders]
    np.testing.assert_allclose(got["quote"], [o[3] for o in ref.orders], rtol=1e-12)
    np.testing.assert_allclose(res.equity["cash"], ref.cash, rtol=1e-12)
    np.testing.assert_allclose(res.equity["base"], ref.base, rtol=1e-12, atol=1e-12)
    codes = [o[7] for o in ref.orders]
    assert (np.array(codes) == 0).sum() == (got["status"] == "filled").sum()


def test_cp_float_formulas_match_integer_pool_math():
    """Float CP costs equal workbench.data.amm's integer pool math to within a base unit."""
    amm = pytest.importorskip("workbench.data.amm", reason="market-data helper not present")
    price, depth, g = 150.0, 1_500_000.0, 0.9975
    x_raw, y_raw = int(depth / price * 1e9), int(depth * 1e6)  # SOL 9 decimals, USDC 6
    for base in (0.01, 1.0, 250.0):
        out = cp_sell_base(base, price, depth, g, 1.0, np.inf)
        ref = amm.cp_swap_out(int(base * 1e9), x_raw, y_raw, fee_numerator=25,
                              fee_denominator=10_000)
        assert abs(out * 1e6 - ref) <= 2
        cost = cp_buy_base(base, price, depth, g, 1.0, 1.0)
        ref_in = amm.cp_swap_in(int(base * 1e9), y_raw, x_raw, fee_numerator=25,
                                fee_denominator=10_000)
        assert abs(cost * 1e6 - ref_in) <= 2


def test_signals_kernel_matches_vectorbt(sol_5m):
    """Without impact, our kernel and vectorbt's from_signals end with the same equity."""
    from workbench.backtest.vectorbt_bridge import vectorbt

    vbt = vectorbt()  # its from_signals kernel cached on disk (NUMBA_CACHE_DIR)
    sig = compute_sma_cross_signals(sol_5m, SmaCrossParams(fast=8, slow=30))
    costs = CostModel(liquidity="none", pool_fee_bps=25.0, failed_tx_rate=0.1)
    res = run("sma_cross", sol_5m, params=SmaCrossParams(fast=8, slow=30), costs=costs)
    close = sol_5m["close"]
    entry, exit_ = sig["entry"].to_numpy(), sig["exit"].to_numpy()
    # pool fee is taken from the input: a buy gets q*g/p base, vectorbt charges on top -> 1/g-1
    g = costs.gamma
    fees = np.where(entry, 1 / g - 1, 1 - g)
    tx = costs.tx_cost_quote(close.to_numpy())
    pf = vbt.Portfolio.from_signals(close, entry, exit_, fees=fees, fixed_fees=tx,
                                    init_cash=10_000.0, freq="5min")
    assert res.stats()["order_count"] == len(pf.orders.records) > 10
    np.testing.assert_allclose(res.equity["equity"].to_numpy(), pf.value().to_numpy(),
                               rtol=1e-9)


def test_sweep_kernel_equals_single_runs(sol_5m):
    """The many-column sweep kernel gives the same final equity as one run per column."""
    close = np.ascontiguousarray(sol_5m["close"].to_numpy())
    costs = CostModel(failed_tx_mode="simulate", seed=3, failed_tx_rate=0.3)
    mult, mbuy, msell = costs.curve()
    depth = np.full(close.shape[0], 1e6)
    tx = costs.draw_tx(close)
    assert not tx.is_landed.all()
    cols = [compute_sma_cross_signals(sol_5m, SmaCrossParams(fast=f, slow=s))
            for f, s in [(5, 20), (10, 40), (3, 50)]]
    ent = np.ascontiguousarray(np.column_stack([c["entry"] for c in cols]))
    ext = np.ascontiguousarray(np.column_stack([c["exit"] for c in cols]))
    tail = (10_000.0, costs.gamma, mult, mbuy, msell, 1.0)
    final, *_ = sweep_signals_kernel(close, ent, ext, depth, tx.cost, tx.is_landed, *tail)
    for j in range(3):
        cash, base, *_ = signals_kernel(close, ent[:, j], ext[:, j], depth, tx.cost,
                                        tx.is_landed, tx.failed, *tail)
        assert final[j] == cash[-1] + base[-1] * close[-1]
