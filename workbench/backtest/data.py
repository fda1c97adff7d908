"""Bars for backtests: from a file, a shipped sample, or a frame; and a two-venue frame.

Only reads local files (``load_*``); fetching is the data layer's job.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import DataUnavailable, SchemaError
from workbench.strategies.base import OHLCV_COLUMNS, check_bars

__all__ = ["load_ohlcv", "make_venue_frame"]

_COW = int(pd.__version__.split(".")[0]) >= 3  # copy-on-write always on: shallow copies are safe


def load_ohlcv(source: str | Path | pd.DataFrame, *, timeframe: str = "5m") -> pd.DataFrame:
    """OHLCV bars indexed by UTC time, float columns open, high, low, close, volume.

    Args:
        source: a DataFrame (validated), a ``.feather``/``.parquet``/``.csv`` path with a
            ``date``/``ts`` column (freqtrade layout), or a symbol like ``SOL/USDT`` for the
            shipped sample in ``data/sample`` (``workbench.samples``).
        timeframe: the sample timeframe when ``source`` is a symbol.

    Raises:
        DataUnavailable: the file or sample does not exist.
        SchemaError: columns or index are wrong.
    """
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        path = Path(source)
        if path.suffix in (".feather", ".parquet", ".csv"):
            if not path.exists():
                raise DataUnavailable(f"No bars file at {path}; pass an existing .feather, "
                                      ".parquet or .csv path or a symbol like SOL/USDT.")
            reader = {".feather": pd.read_feather, ".parquet": pd.read_parquet,
                      ".csv": pd.read_csv}[path.suffix]
            frame = reader(path)
            when = "date" if "date" in frame.columns else "ts"
            if when not in frame.columns:
                raise SchemaError(f"{path} has no 'date' or 'ts' column; have "
                                  f"{list(frame.columns)}.")
            frame = frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame[when], utc=True)))
            frame = frame.drop(columns=[when])
        else:
            from workbench.samples import load_sample

            frame = load_sample(str(source), timeframe)
    check_bars(frame, columns=("close",))
    cols = [c for c in OHLCV_COLUMNS if c in frame.columns]
    extra = [c for c in frame.columns if c not in OHLCV_COLUMNS]
    in_shape = list(frame.columns) == cols + extra
    if _COW and in_shape and all(frame[c].dtype == np.float64 for c in cols):
        # already in shape: a shallow copy (copy-on-write keeps the caller's frame safe);
        # selecting and astype-ing 100k rows again costs more than a whole backtest
        return frame.copy(deep=False)
    return frame[cols + extra].astype(dict.fromkeys(cols, "float64"))


def make_venue_frame(
    bars: pd.DataFrame, *, lag_bars: int = 1, depth_a: float = 2_000_000.0,
    depth_b: float = 500_000.0, names: tuple[str, str] = ("a", "b"),
) -> pd.DataFrame:
    """A two-venue price/depth frame built from ONE real price series.

    Only one venue's prices ship with the workbench, so the second venue is derived in a
    documented way: venue ``a`` trades at the real close; venue ``b`` at the close of
    ``lag_bars`` bars earlier (a pool that follows the market late, as thin pools do between
    arbitrageurs). Depths are constants (quote reserves), stated in the arguments. The first
    ``lag_bars`` rows, which have no lagged price, are dropped.

    Returns:
        Frame with ``<a>_price``, ``<a>_depth``, ``<b>_price``, ``<b>_depth`` (float).
    """
    check_bars(bars)
    if lag_bars < 1:
        raise SchemaError(f"lag_bars={lag_bars} must be >= 1 to make the venues differ.")
    close = bars["close"].astype(np.float64)
    a, b = names
    out = pd.DataFrame({f"{a}_price": close, f"{a}_depth": depth_a,
                        f"{b}_price": close.shift(lag_bars), f"{b}_depth": depth_b},
                       index=bars.index)
    return out.iloc[lag_bars:]
