"""The grid kernel as it was before it skipped paused bars and kept one levels array
(commit 00580b3), kept verbatim as the reference the new kernel must equal exactly."""

from __future__ import annotations

import numpy as np
from numba import njit

from workbench.backtest.kernels import FAILED_TX, FILLED, _swap, records
from workbench.strategies._numeric import (
    ACTION_CLOSE,
    ACTION_SHIFT,
    grid_cell,
    grid_levels,
    grid_shift,
    grid_step,
)


@njit(cache=True)
def legacy_grid_kernel(
    close: np.ndarray, depth: np.ndarray, tx_cost: np.ndarray, is_landed: np.ndarray,
    n_failed: np.ndarray, lower: float, upper: float, n_levels: int, geometric: bool,
    size: float, max_lots: int, out_of_range: int, init_cash: float, gamma: float,
    depth_mult: float, max_buy_frac: float, max_sell_frac: float, min_quote: float,
) -> tuple[np.ndarray, ...]:
    """Simulate the grid over ``close`` with costs.

    The first bar anchors the grid. Each later bar runs ``grid_step`` with the inventory of
    *filled* lots, so a rejected or failed order leaves the inventory as it was (as on chain).

    Returns:
        ``(cash, base, n_orders, bar, side, size, price, quote, pool_fee, impact, tx_cost,
        status, failed_tx)``: per-bar cash and base, then the first ``n_orders`` entries of the
        records.
    """
    n = close.shape[0]
    cash_out = np.empty(n)
    base_out = np.empty(n)
    r_bar, r_side, r_size, r_price, r_quote, r_fee, r_imp, r_tx, r_status, r_fail = records(
        n + 1)
    levels = grid_levels(lower, upper, n_levels, geometric)
    cell = grid_cell(levels, close[0])
    inv = 0
    cash = init_cash
    base = 0.0
    done = False
    k = 0
    last = n_levels - 1
    for i in range(n):
        p = close[i]
        if 0 <= cell < last and levels[cell] <= p < levels[cell + 1]:
            pass  # fast path: still inside the same cell, grid_step would return no order
        elif i > 0 and not done:
            cell, delta, action = grid_step(p, levels, cell, inv, max_lots, out_of_range)
            if delta != 0:
                side = 1 if delta > 0 else -1
                b = abs(delta) * size
                tx = tx_cost[i]
                status, q, fee, imp = _swap(side, b, p, depth[i], tx, cash, gamma, depth_mult,
                                            max_buy_frac, max_sell_frac, min_quote)
                fails = 0
                if status == FILLED and not is_landed[i]:
                    status, q, fee, imp = FAILED_TX, 0.0, 0.0, 0.0
                if status == FILLED:
                    inv += delta
                    fails = n_failed[i]
                    if side > 0:
                        cash -= q + tx
                        base += b
                    else:
                        cash += q - tx
                        base -= b
                elif status == FAILED_TX:
                    fails = n_failed[i]
                    cash -= tx
                else:
                    tx = 0.0
                r_bar[k], r_side[k], r_size[k], r_price[k] = i, side, b, p
                r_quote[k], r_fee[k], r_imp[k], r_tx[k], r_status[k] = q, fee, imp, tx, status
                r_fail[k] = fails
                k += 1
            if action == ACTION_SHIFT:
                lower, upper = grid_shift(p, lower, upper, geometric)
                levels = grid_levels(lower, upper, n_levels, geometric)
                cell = grid_cell(levels, p)
            elif action == ACTION_CLOSE:
                done = True
        cash_out[i] = cash
        base_out[i] = base
    return (cash_out, base_out, k, r_bar, r_side, r_size, r_price, r_quote, r_fee, r_imp, r_tx,
            r_status, r_fail)
