"""Numba kernels: NumPy arrays and plain scalars in, new arrays out; inputs never mutated.

Each kernel walks the bars once, applies the strategy's decision (the same step functions the
event shape calls) and the cost model, and returns per-bar ``cash``/``base`` plus order records
as parallel arrays (vectorbt's records idea without the structured dtype). Orders that cannot
fill are recorded with a status code, never raised. The ``*_into`` variants write the per-bar
arrays (and, for the grid, the records) into outputs the caller allocated: ``run`` hands them
rows of the equity frame's block, and a benchmark or sweep can reuse one set of outputs (a
fresh 100k-bar array costs page faults on first touch). ``fifo_trades`` and
``equity_returns`` are the array halves of the trades frame and the stats.

Record columns: ``bar`` (int), ``side`` (+1 buy, -1 sell), ``size`` (base), ``price`` (pool
mid, quote per base), ``quote`` (quote paid on a buy or received on a sell, pool fee and impact
included, transaction cost excluded), ``pool_fee``, ``impact``, ``tx_cost`` (quote), ``status``,
``failed_tx`` (attempts that failed on chain before the order landed or was given up).

Transaction costs come per bar (``CostModel.draw_tx``): ``tx_cost[i]`` is what an order sent on
bar ``i`` pays and ``is_landed[i]`` whether it fills. With the expected-cost model every order
lands and pays the expectation, which is the kernels' behaviour before failures were drawn.
An order rejected before sending (minimum notional, cash, liquidity) pays nothing; an order
sent and failed pays ``tx_cost`` and fills nothing (status ``FAILED_TX``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from workbench.backtest.costs import cp_buy_base, cp_buy_with_quote, cp_sell_base
from workbench.strategies._numeric import (
    ACTION_CLOSE,
    ACTION_SHIFT,
    OUT_PAUSE,
    arb_best,
    grid_cell,
    grid_levels,
    grid_shift,
    grid_step,
)

__all__ = [
    "FAILED_TX",
    "FILLED",
    "REJECTED_CASH",
    "REJECTED_LIQUIDITY",
    "REJECTED_MIN_NOTIONAL",
    "STATUS_DESC",
    "arb_kernel",
    "equity_returns",
    "fifo_trades",
    "grid_kernel",
    "grid_kernel_into",
    "records",
    "signals_kernel",
    "signals_kernel_into",
    "step_range",
    "sweep_signals_kernel",
]

FILLED = 0
REJECTED_MIN_NOTIONAL = 1
REJECTED_CASH = 2
REJECTED_LIQUIDITY = 3
FAILED_TX = 4

STATUS_DESC = {
    FILLED: "filled",
    REJECTED_MIN_NOTIONAL: "rejected: notional below min_trade_quote",
    REJECTED_CASH: "rejected: not enough cash for the input plus transaction cost",
    REJECTED_LIQUIDITY: "rejected: the pool (or concentrated range) cannot absorb the size",
    FAILED_TX: "failed: every attempt failed on chain (fees paid, nothing filled)",
}

LAMPORTS_PER_SOL = 1_000_000_000.0


@njit(cache=True)
def records(n: int) -> tuple[np.ndarray, ...]:
    """Empty order records of capacity ``n``: bar, side, size, price, quote, pool_fee,
    impact, tx_cost, status, failed_tx."""
    return (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n), np.empty(n),
            np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64),
            np.empty(n, np.int64))


@njit(cache=True)
def _is_sent(status: int) -> bool:
    """The order went on chain (filled, or failed there) and paid its transaction cost."""
    return status in (FILLED, FAILED_TX)


@njit(cache=True)
def _swap(
    side: int, size: float, price: float, depth: float, tx: float, cash: float, gamma: float,
    depth_mult: float, max_buy_frac: float, max_sell_frac: float, min_quote: float,
) -> tuple[int, float, float, float]:
    """Cost one swap of ``size`` base: ``(status, quote, pool_fee, impact)``."""
    notional = size * price
    if notional < min_quote:
        return REJECTED_MIN_NOTIONAL, 0.0, 0.0, 0.0
    if side > 0:
        q = cp_buy_base(size, price, depth, gamma, depth_mult, max_buy_frac)
        if math.isnan(q):
            return REJECTED_LIQUIDITY, 0.0, 0.0, 0.0
        if q + tx > cash:
            return REJECTED_CASH, 0.0, 0.0, 0.0
        fee = q * (1.0 - gamma)
        return FILLED, q, fee, q - fee - notional
    q = cp_sell_base(size, price, depth, gamma, depth_mult, max_sell_frac)
    if math.isnan(q):
        return REJECTED_LIQUIDITY, 0.0, 0.0, 0.0
    fee = size * (1.0 - gamma) * price
    return FILLED, q, fee, notional - q - fee


@njit(cache=True)
def _quiet_range(levels: np.ndarray, cell: int, is_pause: bool) -> tuple[float, float]:
    """Prices ``[lo, hi)`` for which ``grid_step`` from ``cell`` returns no order and no
    action: inside the cell, or in "pause" mode beyond the same edge; empty at an edge
    otherwise (leaving the range must reach ``grid_step`` to shift or close)."""
    last = levels.shape[0] - 1
    if 0 <= cell < last:
        return levels[cell], levels[cell + 1]
    if is_pause:
        return (-math.inf, levels[0]) if cell < 0 else (levels[last], math.inf)
    return math.inf, -math.inf


@njit(cache=True)
def grid_kernel(
    close: np.ndarray, depth: np.ndarray, tx_cost: np.ndarray, is_landed: np.ndarray,
    n_failed: np.ndarray, lower: float, upper: float, n_levels: int, geometric: bool,
    size: float, max_lots: int, out_of_range: int, init_cash: float, gamma: float,
    depth_mult: float, max_buy_frac: float, max_sell_frac: float, min_quote: float,
) -> tuple[np.ndarray, ...]:
    """Simulate the grid over ``close`` with costs (see :func:`grid_kernel_into`).

    Returns:
        ``(cash, base, n_orders, bar, side, size, price, quote, pool_fee, impact, tx_cost,
        status, failed_tx)``: per-bar cash and base, then the first ``n_orders`` entries of the
        records.
    """
    n = close.shape[0]
    cash_out = np.empty(n)
    base_out = np.empty(n)
    recs = records(n + 1)
    k = grid_kernel_into(close, depth, tx_cost, is_landed, n_failed, lower, upper, n_levels,
                         geometric, size, max_lots, out_of_range, init_cash, gamma, depth_mult,
                         max_buy_frac, max_sell_frac, min_quote, cash_out, base_out, recs)
    return (cash_out, base_out, k) + recs  # noqa: RUF005 (numba: tuple concatenation)


@njit(cache=True)
def grid_kernel_into(
    close: np.ndarray, depth: np.ndarray, tx_cost: np.ndarray, is_landed: np.ndarray,
    n_failed: np.ndarray, lower: float, upper: float, n_levels: int, geometric: bool,
    size: float, max_lots: int, out_of_range: int, init_cash: float, gamma: float,
    depth_mult: float, max_buy_frac: float, max_sell_frac: float, min_quote: float,
    cash_out: np.ndarray, base_out: np.ndarray, recs: tuple[np.ndarray, ...],
) -> int:
    """The grid simulation, writing into the caller's arrays; returns the number of orders.

    The first bar anchors the grid. Each later bar runs ``grid_step`` with the inventory of
    *filled* lots, so a rejected or failed order leaves the inventory as it was (as on chain).
    ``cash_out``/``base_out`` get per-bar cash and base (length ``n``); ``recs`` is the tuple of
    :func:`records` (length ``n + 1``).

    Bars that ``grid_step`` would answer with no order are skipped before calling it: the
    price range where that holds (:func:`_quiet_range`: inside the current cell, or, when
    out-of-range mode is "pause", still beyond the same edge) is two floats kept from the
    last call, so a quiet bar is two comparisons and two stores. The levels array is one
    array for the whole run (a shift refills it in place): a variable rebound inside the
    loop costs reference counting on every call that takes it, which doubled the time.
    """
    r_bar, r_side, r_size, r_price, r_quote, r_fee, r_imp, r_tx, r_status, r_fail = recs
    n = close.shape[0]
    levels = grid_levels(lower, upper, n_levels, geometric)
    cell = grid_cell(levels, close[0])
    inv = 0
    cash = init_cash
    base = 0.0
    k = 0
    is_pause = out_of_range == OUT_PAUSE
    lo, hi = _quiet_range(levels, cell, is_pause)
    cash_out[0] = cash
    base_out[0] = base
    for i in range(1, n):
        p = close[i]
        if p < lo or p >= hi:
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
                levels[:] = grid_levels(lower, upper, n_levels, geometric)
                cell = grid_cell(levels, p)
            if action == ACTION_CLOSE:
                lo, hi = -math.inf, math.inf  # stopped: no bar calls grid_step again
            else:
                lo, hi = _quiet_range(levels, cell, is_pause)
        cash_out[i] = cash
        base_out[i] = base
    return k


@njit(cache=True)
def signals_kernel(
    close: np.ndarray, entries: np.ndarray, exits: np.ndarray, depth: np.ndarray,
    tx_cost: np.ndarray, is_landed: np.ndarray, n_failed: np.ndarray, init_cash: float,
    gamma: float, depth_mult: float, max_buy_frac: float, max_sell_frac: float,
    min_quote: float,
) -> tuple[np.ndarray, ...]:
    """Long-only, all-in simulation of entry/exit signals filled at the close.

    An entry while flat spends all cash less the transaction cost; an exit while long sells
    the whole position. Entries while long and exits while flat are ignored (vectorbt's
    default). A failed entry (exit) pays its transaction cost and stays flat (long) until the
    next signal. Returns the same tuple as :func:`grid_kernel`.
    """
    n = close.shape[0]
    cash_out = np.empty(n)
    base_out = np.empty(n)
    out = signals_kernel_into(close, entries, exits, depth, tx_cost, is_landed, n_failed,
                              init_cash, gamma, depth_mult, max_buy_frac, max_sell_frac,
                              min_quote, cash_out, base_out)
    return (cash_out, base_out) + out  # noqa: RUF005 (numba: tuple concatenation)


@njit(cache=True)
def signals_kernel_into(
    close: np.ndarray, entries: np.ndarray, exits: np.ndarray, depth: np.ndarray,
    tx_cost: np.ndarray, is_landed: np.ndarray, n_failed: np.ndarray, init_cash: float,
    gamma: float, depth_mult: float, max_buy_frac: float, max_sell_frac: float,
    min_quote: float, cash_out: np.ndarray, base_out: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """:func:`signals_kernel` writing per-bar cash and base into the caller's arrays.

    ``run`` passes two rows of the equity frame's block, so the curve is written once where
    it is kept instead of being copied there (every fresh 100k-bar array costs page faults).

    Returns:
        ``(n_orders, bar, side, size, price, quote, pool_fee, impact, tx_cost, status,
        failed_tx)``.
    """
    n = close.shape[0]
    r_bar, r_side, r_size, r_price, r_quote, r_fee, r_imp, r_tx, r_status, r_fail = records(
        n + 1)
    cash = init_cash
    base = 0.0
    is_long = False
    k = 0
    for i in range(n):
        p = close[i]
        tx = tx_cost[i]
        if not is_long and entries[i]:
            q = cash - tx
            status = FILLED
            b = 0.0
            fee = 0.0
            imp = 0.0
            if q <= 0.0:
                status = REJECTED_CASH
            elif q < min_quote:
                status = REJECTED_MIN_NOTIONAL
            else:
                b = cp_buy_with_quote(q, p, depth[i], gamma, depth_mult, max_buy_frac)
                if math.isnan(b):
                    status = REJECTED_LIQUIDITY
                    b = 0.0
            if status == FILLED and not is_landed[i]:
                status = FAILED_TX
            if status == FILLED:
                fee = q * (1.0 - gamma)
                imp = q - fee - b * p
                cash = 0.0
                base = b
                is_long = True
            elif status == FAILED_TX:
                cash -= tx
                q = 0.0
            else:
                q = 0.0
            r_bar[k], r_side[k], r_size[k], r_price[k] = i, 1, b, p
            r_quote[k], r_fee[k], r_imp[k] = q, fee, imp
            is_sent = _is_sent(status)
            r_tx[k], r_status[k] = tx if is_sent else 0.0, status
            r_fail[k] = n_failed[i] if is_sent else 0
            k += 1
        elif is_long and exits[i]:
            status, q, fee, imp = _swap(-1, base, p, depth[i], tx, cash, gamma, depth_mult,
                                        max_buy_frac, max_sell_frac, min_quote)
            if status == FILLED and not is_landed[i]:
                status, q, fee, imp = FAILED_TX, 0.0, 0.0, 0.0
            r_bar[k], r_side[k], r_size[k], r_price[k] = i, -1, base, p
            r_quote[k], r_fee[k], r_imp[k] = q, fee, imp
            is_sent = _is_sent(status)
            r_tx[k], r_status[k] = tx if is_sent else 0.0, status
            r_fail[k] = n_failed[i] if is_sent else 0
            k += 1
            if status == FILLED:
                cash += q - tx
                base = 0.0
                is_long = False
            elif status == FAILED_TX:
                cash -= tx
        cash_out[i] = cash
        base_out[i] = base
    return (k, r_bar, r_side, r_size, r_price, r_quote, r_fee, r_imp, r_tx, r_status, r_fail)


@njit(cache=True)
def sweep_signals_kernel(
    close: np.ndarray, entries: np.ndarray, exits: np.ndarray, depth: np.ndarray,
    tx_cost: np.ndarray, is_landed: np.ndarray, init_cash: float, gamma: float,
    depth_mult: float, max_buy_frac: float, max_sell_frac: float, min_quote: float,
) -> tuple[np.ndarray, ...]:
    """:func:`signals_kernel` for ``m`` signal columns at once, keeping only summary numbers.

    ``entries``/``exits`` are ``(n_bars, m)`` C-ordered booleans; rows are walked outer so
    memory is read in order. Same fills, bit for bit, as running :func:`signals_kernel` per
    column (a test checks it); every column sees the same transaction draws.

    Returns:
        ``(final_equity, max_drawdown, n_trades, mean_return, std_return, fees, exposure)``,
        each of length ``m``; returns are per bar, simple; drawdown is a positive fraction;
        fees are pool fees of fills plus every transaction cost paid.
    """
    n, m = entries.shape
    cash = np.full(m, init_cash)
    base = np.zeros(m)
    peak = np.full(m, init_cash)
    mdd = np.zeros(m)
    trades = np.zeros(m, np.int64)
    sum_r = np.zeros(m)
    sum_r2 = np.zeros(m)
    prev = np.full(m, init_cash)
    fees = np.zeros(m)
    bars_long = np.zeros(m, np.int64)
    for i in range(n):
        p = close[i]
        tx = tx_cost[i]
        landed = is_landed[i]
        d = depth[i]
        for j in range(m):
            if base[j] == 0.0:
                if entries[i, j]:
                    q = cash[j] - tx
                    if q > 0.0 and q >= min_quote:
                        b = cp_buy_with_quote(q, p, d, gamma, depth_mult, max_buy_frac)
                        if not math.isnan(b) and b > 0.0:
                            if landed:
                                fees[j] += q * (1.0 - gamma) + tx
                                cash[j] = 0.0
                                base[j] = b
                            else:
                                fees[j] += tx
                                cash[j] -= tx
            elif exits[i, j]:
                b = base[j]
                if b * p >= min_quote:
                    q = cp_sell_base(b, p, d, gamma, depth_mult, max_sell_frac)
                    if not math.isnan(q):
                        if landed:
                            fees[j] += b * (1.0 - gamma) * p + tx
                            cash[j] += q - tx
                            base[j] = 0.0
                            trades[j] += 1
                        else:
                            fees[j] += tx
                            cash[j] -= tx
            if base[j] != 0.0:
                bars_long[j] += 1
            eq = cash[j] + base[j] * p
            r = eq / prev[j] - 1.0
            prev[j] = eq
            sum_r[j] += r
            sum_r2[j] += r * r
            if eq > peak[j]:
                peak[j] = eq
            dd = 1.0 - eq / peak[j]
            if dd > mdd[j]:
                mdd[j] = dd
    mean = sum_r / n
    var = np.maximum(sum_r2 / n - mean * mean, 0.0)
    final = cash + base * close[n - 1]
    return final, mdd, trades, mean, np.sqrt(var), fees, bars_long / n


@njit(cache=True)
def arb_kernel(
    prices: np.ndarray, depths: np.ndarray, gamma: np.ndarray, tx_expected: np.ndarray,
    tx_cost: np.ndarray, is_landed: np.ndarray, init_cash: float, max_depth_frac: float,
    min_quote: float, min_profit: float,
) -> tuple[np.ndarray, ...]:
    """Atomic two-leg arbitrage across venues; cash only, no inventory between bars.

    The trade is chosen with the expected transaction cost ``tx_expected`` (what the strategy
    knows when it decides) and pays ``tx_cost``; when the transaction does not land neither
    leg fills (one atomic transaction) and only ``tx_cost`` is paid.

    Returns:
        ``(cash, n_trades, bar, buy_venue, sell_venue, quote_in, base, quote_out, pool_fee,
        tx_cost, is_filled)``; ``pool_fee`` is both legs' fees in quote (the sell leg's valued
        at the sell venue's price).
    """
    n = prices.shape[0]
    cash_out = np.empty(n)
    r_bar = np.empty(n, np.int64)
    r_buy = np.empty(n, np.int64)
    r_sell = np.empty(n, np.int64)
    r_q = np.empty(n)
    r_b = np.empty(n)
    r_out = np.empty(n)
    r_fee = np.empty(n)
    r_tx = np.empty(n)
    r_ok = np.empty(n, np.bool_)
    cash = init_cash
    k = 0
    for i in range(n):
        plan = tx_expected[i]
        a, b, q, base, out = arb_best(prices[i], depths[i], gamma, plan, cash, max_depth_frac,
                                      min_quote)
        if a >= 0 and out - q - plan > min_profit:
            tx = tx_cost[i]
            r_bar[k], r_buy[k], r_sell[k] = i, a, b
            r_q[k], r_b[k], r_out[k], r_tx[k] = q, base, out, tx
            r_fee[k] = q * (1.0 - gamma[a]) + base * (1.0 - gamma[b]) * prices[i, b]
            r_ok[k] = is_landed[i]
            if is_landed[i]:
                cash += out - q - tx
            else:
                cash -= tx
            k += 1
        cash_out[i] = cash
    return cash_out, k, r_bar, r_buy, r_sell, r_q, r_b, r_out, r_fee, r_tx, r_ok


@njit(cache=True)
def fifo_trades(
    ts: np.ndarray, is_buy: np.ndarray, size: np.ndarray, quote: np.ndarray, tx: np.ndarray,
    last_ts: int, last_price: float,
) -> tuple[np.ndarray, ...]:
    """Round trips of *filled* orders by FIFO lot matching; a remaining lot is an open trade.

    A buy opens a lot costing ``(quote + tx) / size`` per base; a sell of ``size`` takes from
    the oldest lots first at ``(quote - tx) / size`` per base, one trade per lot it touches.
    Lots left at the end are open trades valued at ``last_price`` on ``last_ts``. Amounts
    below 1e-12 base count as zero.

    Each step of the inner loop either empties a lot or finishes the sell, so there are at most
    ``2 * len(ts)`` trades; the queue of lots is an array with a head index.

    Returns:
        ``(n_trades, entry_ts, exit_ts, size, entry_value, exit_value, is_open)``; the arrays
        are valid up to ``n_trades``.
    """
    m = ts.shape[0]
    lot_ts = np.empty(m, np.int64)
    lot_left = np.empty(m)
    lot_cost = np.empty(m)
    cap = 2 * m
    t_in = np.empty(cap, np.int64)
    t_out = np.empty(cap, np.int64)
    t_size = np.empty(cap)
    t_entry = np.empty(cap)
    t_exit = np.empty(cap)
    t_open = np.zeros(cap, np.bool_)
    head = 0
    tail = 0
    j = 0
    for o in range(m):
        b = size[o]
        if is_buy[o]:
            lot_ts[tail] = ts[o]
            lot_left[tail] = b
            lot_cost[tail] = (quote[o] + tx[o]) / b
            tail += 1
            continue
        left = b
        per_base_out = (quote[o] - tx[o]) / b
        while left > 1e-12 and head < tail:
            take = min(left, lot_left[head])
            t_in[j] = lot_ts[head]
            t_out[j] = ts[o]
            t_size[j] = take
            t_entry[j] = take * lot_cost[head]
            t_exit[j] = take * per_base_out
            j += 1
            lot_left[head] -= take
            left -= take
            if lot_left[head] <= 1e-12:
                head += 1
    for h in range(head, tail):
        b = lot_left[h]
        t_in[j] = lot_ts[h]
        t_out[j] = last_ts
        t_size[j] = b
        t_entry[j] = b * lot_cost[h]
        t_exit[j] = b * last_price
        t_open[j] = True
        j += 1
    return j, t_in, t_out, t_size, t_entry, t_exit, t_open


@njit(cache=True, error_model="numpy")
def equity_returns(equity: np.ndarray, init_cash: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-bar simple returns, their squared downside, and the max drawdown, in one pass.

    ``r[i] = (equity[i] - prev) / prev`` with ``prev`` the previous equity (``init_cash``
    before the first bar); ``down2 = min(r, 0) ** 2``; the drawdown is ``1 - equity / peak``
    with the peak starting at ``init_cash``. Element by element these are the same IEEE
    operations as the NumPy expressions they replace, NaN propagating as in ``np.minimum``
    and ``np.maximum``; the sums (mean, std) stay with NumPy so their rounding is unchanged.
    """
    n = equity.shape[0]
    r = np.empty(n)
    down2 = np.empty(n)
    prev = init_cash
    peak = init_cash
    mdd = 0.0
    for i in range(n):
        e = equity[i]
        x = (e - prev) / prev
        r[i] = x
        m = 0.0 if x >= 0.0 else x
        down2[i] = m * m
        prev = e
        if e > peak or e != e:
            peak = e
        dd = 1.0 - e / peak
        if i == 0 or dd > mdd or dd != dd:
            mdd = dd
    return r, down2, mdd


@njit(cache=True)
def step_range(ts: np.ndarray) -> tuple[int, int]:
    """Smallest and largest step between consecutive ``ts`` (int64), without a diff array."""
    lo = ts[1] - ts[0]
    hi = lo
    for i in range(2, ts.shape[0]):
        d = ts[i] - ts[i - 1]
        if d < lo:
            lo = d
        elif d > hi:
            hi = d
    return lo, hi
