"""Entry/exit arrays of a signal strategy, without building a signals frame when avoidable.

``StrategySpec.compute_signals`` returns a copy of the bars with the signal columns added,
which is what a notebook wants to look at but costs more than the whole simulation on 100k
bars. The SMA crossover has an array path here (one numba pass, the same arithmetic as
:func:`workbench.strategies.compute_sma_cross_signals`, bit for bit: a test checks it); every
other strategy goes through its ``compute_signals``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from workbench.strategies import StrategySpec, compute_sma_cross_signals

__all__ = ["signal_arrays", "sma_cross_arrays"]


@njit(cache=True)
def sma_cross_arrays(close: np.ndarray, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    """(entry, exit) of the SMA crossover: the fast SMA crosses above (below) the slow one.

    The running sum is added in order as in :func:`cumsum_nb`, and each SMA is
    ``(cs[i] - cs[i - w]) / w`` (``cs[w - 1] / w`` on the first full window, NaN before) as in
    ``sma_from_cumsum``; a comparison with NaN is False, as in NumPy. The last ``slow`` sums
    are kept in a ring buffer instead of a 100k-bar array.
    """
    n = close.shape[0]
    ring = slow + 1
    cs = np.empty(ring)  # cs[j] = running sum up to bar i, j = i mod ring
    entry = np.zeros(n, np.bool_)
    exit_ = np.zeros(n, np.bool_)
    s = 0.0
    pf = np.nan
    ps = np.nan
    j = 0  # i mod ring, kept without a division
    jf = ring - fast  # (i - fast) mod ring
    js = ring - slow  # (i - slow) mod ring
    for i in range(n):
        s = s + close[i]
        cs[j] = s
        f = np.nan
        if i == fast - 1:
            f = s / fast
        elif i >= fast:
            f = (s - cs[jf]) / fast
        sl = np.nan
        if i == slow - 1:
            sl = s / slow
        elif i >= slow:
            sl = (s - cs[js]) / slow
        if i > 0:
            entry[i] = f > sl and pf <= ps
            exit_[i] = f < sl and pf >= ps
        pf = f
        ps = sl
        j = 0 if j == slow else j + 1
        jf = 0 if jf == slow else jf + 1
        js = 0 if js == slow else js + 1
    return entry, exit_


def signal_arrays(spec: StrategySpec[Any], bars: pd.DataFrame, params: Any
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(entry, exit)`` booleans of a signal strategy on ``bars`` (validated OHLCV)."""
    if spec.compute_signals is compute_sma_cross_signals:
        close = np.ascontiguousarray(bars["close"].to_numpy(np.float64))
        return sma_cross_arrays(close, int(params.fast), int(params.slow))
    sig = spec.compute_signals(bars, params)
    return sig["entry"].to_numpy(np.bool_), sig["exit"].to_numpy(np.bool_)
