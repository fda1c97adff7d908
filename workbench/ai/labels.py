"""Labels: forward returns over a horizon, net of the backtester's costs.

The net return of bar ``t`` is what a round trip would have made: buy with ``trade_quote`` at
the close of ``t``, sell everything at the close of ``t + horizon``, paying the pool fee and
price impact of :class:`workbench.backtest.CostModel` on both legs and its expected transaction
cost per fill (failed transactions at their expectation). The formulas are the backtester's
own (``cp_buy_with_quote`` and ``cp_sell_base``), so a label says exactly whether the backtest
would have profited.

Worked example (defaults: 25 bps pool fee, 1,000,000 quote of depth, 57,894.7 lamports per
fill, SOL at 150): 1,000 USDT buys 6.6499 SOL after the fee and 0.1% impact; if SOL is still at
150 after ``horizon`` bars the sale returns 996.5 USDT, and each fill also costs 0.0087 USDT, so
the net return is about -0.35%: a flat market is a loss, which is why the class label asks for
``net_return > min_return``.

The last ``horizon`` rows have no future close: their labels are NaN, and
:func:`training_mask` keeps them out of every training set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from workbench.backtest.costs import CostModel, cp_buy_with_quote, cp_sell_base
from workbench.errors import ConfigError, SchemaError

__all__ = ["compute_labels", "training_mask"]


@njit(cache=True)
def _net_returns_nb(close: np.ndarray, depth: np.ndarray, sol: np.ndarray, horizon: int,
                    quote: float, gamma: float, depth_mult: float, max_buy: float,
                    max_sell: float, tx_lamports: float) -> np.ndarray:
    n = close.shape[0]
    out = np.full(n, np.nan)
    for t in range(n - horizon):
        tx_in = tx_lamports / 1e9 * sol[t]
        tx_out = tx_lamports / 1e9 * sol[t + horizon]
        base = cp_buy_with_quote(quote, close[t], depth[t], gamma, depth_mult, max_buy)
        if np.isnan(base):
            continue
        back = cp_sell_base(base, close[t + horizon], depth[t + horizon], gamma, depth_mult,
                            max_sell)
        if np.isnan(back):
            continue
        out[t] = (back - tx_out) / (quote + tx_in) - 1.0
    return out


def compute_labels(
    bars: pd.DataFrame,
    *,
    horizon: int = 12,
    costs: CostModel | None = None,
    trade_quote: float = 1_000.0,
    min_return: float = 0.0,
) -> pd.DataFrame:
    """Forward returns and targets for every bar.

    Args:
        bars: OHLCV frame (UTC index, float ``close``); optional ``depth_quote`` (pool depth)
            and ``sol_price`` columns are used as the backtester uses them.
        horizon: bars ahead (>= 1).
        costs: the cost model (default ``CostModel()``).
        trade_quote: size of the hypothetical round trip, quote units (impact grows with it).
        min_return: the class label is 1 when the net return exceeds this.

    Returns:
        Frame on the same index: ``fwd_return`` (gross simple return to ``t + horizon``),
        ``net_return`` (after costs, the regression target) and ``label`` (1.0/0.0, the class
        target); all NaN in the last ``horizon`` rows (and where the pool cannot fill).

    Raises:
        ConfigError: ``horizon`` < 1 or ``trade_quote`` <= 0.
        SchemaError: no ``close`` column.
    """
    if horizon < 1:
        raise ConfigError(f"horizon={horizon} must be >= 1 bar.", setting="horizon")
    if not trade_quote > 0:
        raise ConfigError(f"trade_quote={trade_quote} must be > 0.", setting="trade_quote")
    if "close" not in bars.columns:
        raise SchemaError(f"bars lack a 'close' column; have {list(bars.columns)}.")
    costs = costs or CostModel()
    close = bars["close"].to_numpy(dtype=np.float64)
    n = close.shape[0]
    depth = (bars["depth_quote"].to_numpy(dtype=np.float64) if "depth_quote" in bars.columns
             else np.full(n, float(costs.depth_quote)))
    sol = bars["sol_price"].to_numpy(dtype=np.float64) if "sol_price" in bars.columns else close
    mult, max_buy, max_sell = costs.curve()
    net = _net_returns_nb(np.ascontiguousarray(close), np.ascontiguousarray(depth),
                          np.ascontiguousarray(sol), horizon, float(trade_quote), costs.gamma,
                          mult, max_buy, max_sell, costs.expected_tx_lamports)
    fwd = np.full(n, np.nan)
    if n > horizon:
        fwd[:-horizon] = close[horizon:] / close[:-horizon] - 1.0
    label = np.where(np.isnan(net), np.nan, (net > min_return).astype(np.float64))
    return pd.DataFrame({"fwd_return": fwd, "net_return": net, "label": label},
                        index=bars.index)


def training_mask(features: pd.DataFrame, labels: pd.Series) -> np.ndarray:
    """Rows usable for training: every feature defined and the label known (not NaN)."""
    ok = np.isfinite(features.to_numpy(dtype=np.float64)).all(axis=1)
    return ok & np.isfinite(labels.to_numpy(dtype=np.float64))
