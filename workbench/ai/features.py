"""Features from market data, computed the same way in research and live, with no lookahead.

Every feature at bar ``t`` is a function of bars ``t - warmup + 1 .. t`` only. Rolling sums are
added term by term in a fixed order (``x[t-w+1] + ... + x[t]``), not with a running sum, so the
value at ``t`` has the same bits whether it is computed over the whole history
(:func:`compute_features`, research and backtests) or over the last ``warmup`` bars one bar at a
time (:class:`FeatureBuffer`, the live engine). ``tests/ai/test_features.py`` checks both
properties for every feature: removing later bars changes nothing, and the buffer matches.

Base features (OHLCV, always present):

================  ==========================================================================
``ret_<h>``       log return over ``h`` bars, ``log(close[t] / close[t-h])``
``vol_<w>``       population std of 1-bar log returns over ``w`` bars
``vol_ratio``     ``vol_<short> / vol_<long>`` (volatility regime change)
``range_<w>``     mean of ``(high - low) / close`` over ``w`` bars
``trend_<w>``     ``close / SMA_w(close) - 1``
``volume_z_<w>``  z-score of ``log1p(volume)`` against its last ``w`` bars (0 when flat)
``hour_sin/cos``  time of day of the bar's open (crypto trades around the clock, not flat)
================  ==========================================================================

Optional features, added only when their input columns are in the frame (column names are the
contract with the data layer; units in the names):

==============================  =======================================  =====================
input columns                   features                                 meaning
==============================  =======================================  =====================
``<venue>_price`` (2 or more)   ``xv_spread_bps``, ``xv_spread_bps_<w>``  cross-venue spread
                                                                         (max-min)/mean, bps,
                                                                         now and mean over w
``<venue>_depth`` (2 or more)   ``xv_depth_log``, ``xv_depth_skew``      log10 total quote
                                                                         depth; share of the
                                                                         deepest venue
``spread_bps``                  ``spread_bps``, ``spread_bps_<w>``       quoted bid-ask spread
``depth_quote``                 ``depth_log``, ``depth_chg_<w>``         log10 pool depth and
                                                                         its log change over w
``buy_volume_quote`` and        ``flow_imbalance_<w>``                   on-chain swap flow:
``sell_volume_quote``                                                    (buy - sell) / (buy +
                                                                         sell) summed over w
``swap_count``                  ``swap_count_z_<w>``                     z-score of log1p
                                                                         swaps per bar
==============================  =======================================  =====================

``<venue>_price``/``<venue>_depth`` is the layout of :func:`workbench.backtest.make_venue_frame`;
``buy_volume_quote``/``sell_volume_quote``/``swap_count`` per bar come from
:func:`aggregate_swap_flow` over the data layer's swap trades (``workbench.data.swaps``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, SchemaError

__all__ = [
    "FLOW_COLUMNS",
    "FeatureBuffer",
    "FeatureSpec",
    "aggregate_swap_flow",
    "compute_features",
    "feature_names",
    "input_columns",
    "venue_columns",
]

#: Per-bar on-chain swap flow columns read by the flow features (quote units, counts).
FLOW_COLUMNS = ("buy_volume_quote", "sell_volume_quote", "swap_count")

_NS_PER_HOUR = 3_600_000_000_000
_NS_PER_DAY = 24 * _NS_PER_HOUR


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureSpec:
    """Which features to compute and over which windows (bars).

    Attributes:
        return_horizons: horizons of the log-return features (each >= 1).
        vol_windows: windows of the volatility features, short first (each >= 2); the
            first and last give ``vol_ratio``.
        range_window: window of the mean high-low range.
        trend_window: SMA window of the trend feature.
        volume_window: window of the volume z-score.
        flow_window: window of the optional spread/depth/flow features.
        time_of_day: add ``hour_sin``/``hour_cos``.
    """

    return_horizons: tuple[int, ...] = (1, 3, 12, 48)
    vol_windows: tuple[int, ...] = (12, 48)
    range_window: int = 12
    trend_window: int = 48
    volume_window: int = 48
    flow_window: int = 12
    time_of_day: bool = True

    def __post_init__(self) -> None:
        if not self.return_horizons or min(self.return_horizons) < 1:
            raise ConfigError(f"FeatureSpec return_horizons={self.return_horizons} must be "
                              "non-empty and each >= 1.", setting="return_horizons")
        if not self.vol_windows or min(self.vol_windows) < 2:
            raise ConfigError(f"FeatureSpec vol_windows={self.vol_windows} must be non-empty and"
                              " each >= 2.", setting="vol_windows")
        for name in ("range_window", "trend_window", "volume_window", "flow_window"):
            if getattr(self, name) < 2:
                raise ConfigError(f"FeatureSpec {name}={getattr(self, name)} must be >= 2.",
                                  setting=name)

    @property
    def warmup(self) -> int:
        """Bars needed before every feature is defined (the live buffer's length)."""
        return 1 + max(*self.return_horizons, *self.vol_windows, self.range_window,
                       self.trend_window, self.volume_window, self.flow_window)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for the model registry (JSON)."""
        return {"return_horizons": list(self.return_horizons),
                "vol_windows": list(self.vol_windows), "range_window": self.range_window,
                "trend_window": self.trend_window, "volume_window": self.volume_window,
                "flow_window": self.flow_window, "time_of_day": self.time_of_day}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`to_dict`."""
        v = dict(values)
        v["return_horizons"] = tuple(v.get("return_horizons", (1, 3, 12, 48)))
        v["vol_windows"] = tuple(v.get("vol_windows", (12, 48)))
        return cls(**v)


def venue_columns(columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """The ``<venue>_price`` and ``<venue>_depth`` columns of a frame (sorted)."""
    prices = sorted(c for c in columns if c.endswith("_price") and c != "sol_price")
    depths = sorted(c for c in columns if c.endswith("_depth"))
    return prices, depths


def feature_names(spec: FeatureSpec, columns: Sequence[str] = ()) -> list[str]:
    """The feature columns :func:`compute_features` makes for a frame with ``columns``."""
    names = [f"ret_{h}" for h in spec.return_horizons]
    names += [f"vol_{w}" for w in spec.vol_windows]
    if len(spec.vol_windows) > 1:
        names.append("vol_ratio")
    names += [f"range_{spec.range_window}", f"trend_{spec.trend_window}",
              f"volume_z_{spec.volume_window}"]
    if spec.time_of_day:
        names += ["hour_sin", "hour_cos"]
    w = spec.flow_window
    prices, depths = venue_columns(columns)
    if len(prices) >= 2:
        names += ["xv_spread_bps", f"xv_spread_bps_{w}"]
    if len(depths) >= 2:
        names += ["xv_depth_log", "xv_depth_skew"]
    if "spread_bps" in columns:
        names += ["spread_bps", f"spread_bps_{w}"]
    if "depth_quote" in columns:
        names += ["depth_log", f"depth_chg_{w}"]
    if "buy_volume_quote" in columns and "sell_volume_quote" in columns:
        names.append(f"flow_imbalance_{w}")
    if "swap_count" in columns:
        names.append(f"swap_count_z_{w}")
    return names


# --- fixed-order window kernels ------------------------------------------------------------


def _window_sum(x: np.ndarray, w: int) -> np.ndarray:
    """``x[t-w+1] + ... + x[t]`` added in that order; NaN for ``t < w - 1``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    if n < w:
        return out
    m = n - w + 1
    acc = x[0:m].copy()
    for k in range(1, w):
        acc = acc + x[k:k + m]
    out[w - 1:] = acc
    return out


def _window_mean_std(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling mean and population std, each computed from the window alone."""
    n = x.shape[0]
    mean = _window_sum(x, w) / w
    std = np.full(n, np.nan)
    if n >= w:
        m = n - w + 1
        mu = mean[w - 1:]
        acc = (x[0:m] - mu) ** 2
        for k in range(1, w):
            acc = acc + (x[k:k + m] - mu) ** 2
        std[w - 1:] = np.sqrt(acc / w)
    return mean, std


def _lag(x: np.ndarray, h: int) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    if x.shape[0] > h:
        out[h:] = x[:-h]
    return out


def _zscore(x: np.ndarray, w: int) -> np.ndarray:
    """z-score against the window; 0 for a flat window (std within rounding of zero)."""
    mean, std = _window_mean_std(x, w)
    flat = std <= 1e-12 * (np.abs(mean) + 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - mean) / std
    return np.where(flat, 0.0, np.where(np.isnan(std), np.nan, z))


def _feature_arrays(cols: Mapping[str, np.ndarray], ts_ns: np.ndarray, spec: FeatureSpec
                    ) -> dict[str, np.ndarray]:
    """Every feature from plain float arrays (the one numeric core of both shapes)."""
    close, high, low = cols["close"], cols["high"], cols["low"]
    volume = cols["volume"]
    out: dict[str, np.ndarray] = {}
    log_close = np.log(close)
    for h in spec.return_horizons:
        out[f"ret_{h}"] = log_close - _lag(log_close, h)
    r1 = log_close - _lag(log_close, 1)
    for w in spec.vol_windows:
        # the return at t needs close[t-1]: the window of w returns spans w + 1 closes
        _, sd = _window_mean_std(r1, w)
        out[f"vol_{w}"] = sd
    if len(spec.vol_windows) > 1:
        short, long_ = out[f"vol_{spec.vol_windows[0]}"], out[f"vol_{spec.vol_windows[-1]}"]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["vol_ratio"] = np.where(long_ > 0, short / long_,
                                        np.where(np.isnan(long_), np.nan, 1.0))
    out[f"range_{spec.range_window}"] = _window_sum((high - low) / close,
                                                    spec.range_window) / spec.range_window
    sma = _window_sum(close, spec.trend_window) / spec.trend_window
    out[f"trend_{spec.trend_window}"] = close / sma - 1.0
    out[f"volume_z_{spec.volume_window}"] = _zscore(np.log1p(volume), spec.volume_window)
    if spec.time_of_day:
        angle = 2.0 * math.pi * (ts_ns % _NS_PER_DAY).astype(np.float64) / _NS_PER_DAY
        out["hour_sin"], out["hour_cos"] = np.sin(angle), np.cos(angle)
    w = spec.flow_window
    prices, depths = venue_columns(list(cols))
    if len(prices) >= 2:
        p = np.column_stack([cols[c] for c in prices])
        hi, lo = p.max(axis=1), p.min(axis=1)
        mid = _row_sum(p) / p.shape[1]
        spread = (hi - lo) / mid * 1e4
        out["xv_spread_bps"] = spread
        out[f"xv_spread_bps_{w}"] = _window_sum(spread, w) / w
    if len(depths) >= 2:
        d = np.column_stack([cols[c] for c in depths])
        total = _row_sum(d)
        out["xv_depth_log"] = np.log10(total)
        out["xv_depth_skew"] = d.max(axis=1) / total
    if "spread_bps" in cols:
        s = cols["spread_bps"]
        out["spread_bps"] = s
        out[f"spread_bps_{w}"] = _window_sum(s, w) / w
    if "depth_quote" in cols:
        dl = np.log10(cols["depth_quote"])
        out["depth_log"] = dl
        out[f"depth_chg_{w}"] = dl - _lag(dl, w)
    if "buy_volume_quote" in cols and "sell_volume_quote" in cols:
        b = _window_sum(cols["buy_volume_quote"], w)
        s = _window_sum(cols["sell_volume_quote"], w)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"flow_imbalance_{w}"] = np.where(b + s > 0, (b - s) / (b + s),
                                                  np.where(np.isnan(b + s), np.nan, 0.0))
    if "swap_count" in cols:
        out[f"swap_count_z_{w}"] = _zscore(np.log1p(cols["swap_count"]), w)
    return out


def _row_sum(a: np.ndarray) -> np.ndarray:
    acc = a[:, 0].copy()
    for j in range(1, a.shape[1]):
        acc = acc + a[:, j]
    return acc


def input_columns(columns: Sequence[str]) -> list[str]:
    """The bar columns the features read from a frame with ``columns`` (OHLCV first)."""
    prices, depths = venue_columns(columns)
    extra = [c for c in ("spread_bps", "depth_quote", *FLOW_COLUMNS) if c in columns]
    return ["open", "high", "low", "close", "volume", *prices, *depths, *extra]


def compute_features(bars: pd.DataFrame, spec: FeatureSpec | None = None) -> pd.DataFrame:
    """Features of every bar (research and backtest shape).

    Args:
        bars: OHLCV frame with a UTC ``DatetimeIndex`` and float columns ``open``, ``high``,
            ``low``, ``close`` (> 0), ``volume`` (>= 0); optional columns as in the module
            docstring add their features.
        spec: windows and horizons (default :class:`FeatureSpec`).

    Returns:
        Float64 frame on the same index with the columns of :func:`feature_names`; NaN until
        a feature's window is full (the first ``spec.warmup - 1`` rows at most).

    Raises:
        SchemaError: a required column is missing or the index is not UTC time.
    """
    spec = spec or FeatureSpec()
    _check_frame(bars)
    names = feature_names(spec, list(bars.columns))
    cols = {c: bars[c].to_numpy(dtype=np.float64) for c in input_columns(list(bars.columns))}
    arrays = _feature_arrays(cols, bars.index.as_unit("ns").asi8, spec)
    return pd.DataFrame({n: arrays[n] for n in names}, index=bars.index)


def _check_frame(bars: pd.DataFrame) -> None:
    if not isinstance(bars, pd.DataFrame):
        raise SchemaError(f"bars must be a pandas DataFrame, got {type(bars).__name__}.")
    if not isinstance(bars.index, pd.DatetimeIndex) or bars.index.tz is None:
        raise SchemaError("bars need a tz-aware UTC DatetimeIndex to compute features; "
                          f"got {type(bars.index).__name__}.")
    missing = [c for c in ("open", "high", "low", "close", "volume") if c not in bars.columns]
    if missing:
        raise SchemaError(f"bars lack columns {missing} needed for features; have "
                          f"{list(bars.columns)}.")


@dataclass(slots=True)
class FeatureBuffer:
    """The live shape: push one closed bar at a time, get that bar's features.

    Keeps the last ``spec.warmup`` rows and runs the same numeric core as
    :func:`compute_features` over them, so the numbers are identical bit for bit.

    Attributes:
        spec: the feature spec (must match the model's).
        columns: the input columns, fixed at construction (OHLCV plus optional ones); every
            pushed row must carry them.
    """

    spec: FeatureSpec
    columns: tuple[str, ...] = ("open", "high", "low", "close", "volume")
    _rows: deque[tuple[float, ...]] = field(init=False, repr=False)
    _ts: deque[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.columns = tuple(input_columns(list(self.columns)))
        self._rows = deque(maxlen=self.spec.warmup)
        self._ts = deque(maxlen=self.spec.warmup)

    @property
    def names(self) -> list[str]:
        """Feature names, in the order of :meth:`push`'s result."""
        return feature_names(self.spec, list(self.columns))

    @property
    def is_warm(self) -> bool:
        """True once ``spec.warmup`` bars have been pushed (every feature defined)."""
        return len(self._rows) == self.spec.warmup

    def reset(self) -> None:
        """Forget every bar."""
        self._rows.clear()
        self._ts.clear()

    def push(self, ts_ns: int, values: Mapping[str, Any]) -> np.ndarray:
        """Add the bar opening at ``ts_ns`` (UTC ns); return its features (NaN while warming).

        Raises:
            SchemaError: ``values`` lacks one of :attr:`columns`.
        """
        try:
            row = tuple(float(values[c]) for c in self.columns)
        except KeyError as exc:
            raise SchemaError(f"bar at {ts_ns} lacks column {exc.args[0]!r}; the feature "
                              f"buffer needs {list(self.columns)}.") from None
        self._rows.append(row)
        self._ts.append(int(ts_ns))
        mat = np.array(self._rows, dtype=np.float64)
        cols = {c: np.ascontiguousarray(mat[:, j]) for j, c in enumerate(self.columns)}
        arrays = _feature_arrays(cols, np.array(self._ts, dtype=np.int64), self.spec)
        return np.array([arrays[n][-1] for n in self.names], dtype=np.float64)


def aggregate_swap_flow(trades: pd.DataFrame, timeframe: str = "5m") -> pd.DataFrame:
    """Per-bar on-chain flow from swap trades, for the flow features.

    Args:
        trades: the data layer's trades frame (``workbench.data.swaps.trades_to_frame``):
            UTC ``ts`` index, float ``cost`` (quote units), ``side`` ("buy"/"sell" from the
            taker's side, or a ``Side``).
        timeframe: bar length as a pandas offset alias or workbench timeframe ("5m", "1h").

    Returns:
        Frame on the bar open times with float ``buy_volume_quote``, ``sell_volume_quote`` and
        ``swap_count``; bars without swaps are absent (join and fill with 0).
    """
    if not {"cost", "side"} <= set(trades.columns):
        raise SchemaError(f"trades need 'cost' and 'side' columns; have {list(trades.columns)}.")
    side = trades["side"].map(lambda s: str(getattr(s, "value", s)).lower())
    freq = timeframe.replace("m", "min") if timeframe.endswith("m") else timeframe
    cost = trades["cost"].astype(np.float64)
    frame = pd.DataFrame({"buy_volume_quote": cost.where(side == "buy", 0.0),
                          "sell_volume_quote": cost.where(side == "sell", 0.0),
                          "swap_count": 1.0}, index=trades.index)
    return frame.resample(freq, label="left", closed="left").sum().astype(np.float64)
