"""The data quality gate: bad rows are counted and logged, never stored as data.

Ticks (``price`` column, UTC index) are rejected for, in this order:

- ``nan``: price is NaN or infinite;
- ``non_positive``: price <= 0;
- ``duplicate``: same timestamp and price as the previous accepted tick (a re-sent update);
- ``out_of_order``: earlier than a tick already seen (feeds must be monotonic);
- ``outlier``: more than ``max_jump_pct`` away from the median of the previous five good ticks.
  A median, not the last tick, so one spike is dropped on its own, while a real move survives:
  after three ticks at the new level the median follows it.

A feed is ``stale`` when its newest tick is older than ``stale_after_s`` at ``now_ns``.
Bars are checked for NaN/non-positive prices, high/low that do not contain open/close, negative
volume, and duplicate or out-of-order timestamps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.errors import SchemaError

__all__ = ["QualityReport", "TickGate", "check_bars", "check_ticks"]

log = logging.getLogger("workbench.data.quality")


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityReport:
    """What the gate kept and why it dropped the rest.

    Attributes:
        accepted: the rows that passed (same columns and index type as the input).
        rejected: reason -> number of rows rejected for it.
        is_stale: the newest accepted row is older than the stale limit (ticks only).
    """

    accepted: pd.DataFrame
    rejected: dict[str, int] = field(default_factory=dict)
    is_stale: bool = False

    @property
    def rejected_total(self) -> int:
        """Rows dropped for any reason."""
        return sum(self.rejected.values())


def _log(what: str, counts: dict[str, int], total: int) -> None:
    bad = {k: v for k, v in counts.items() if v}
    if bad:
        log.warning("quality gate rejected %d of %d %s: %s", sum(bad.values()), total, what, bad)


def check_ticks(
    ticks: pd.DataFrame,
    *,
    max_jump_pct: float = 20.0,
    stale_after_s: float = 30.0,
    now_ns: int | None = None,
) -> QualityReport:
    """Run the tick gate.

    Args:
        ticks: UTC-indexed frame with a float ``price`` column (other columns carried along).
        max_jump_pct: outlier threshold versus the recent median.
        stale_after_s: how old the newest tick may be.
        now_ns: "now" for the staleness check; None skips it.

    Raises:
        SchemaError: no ``price`` column or no DatetimeIndex.
    """
    if "price" not in ticks.columns or not isinstance(ticks.index, pd.DatetimeIndex):
        raise SchemaError(f"Ticks need a DatetimeIndex and a 'price' column; got "
                          f"{list(ticks.columns)}.")
    px = ticks["price"].to_numpy(np.float64)
    ts = ticks.index.as_unit("ns").asi8
    n = px.size
    counts = {"nan": 0, "non_positive": 0, "duplicate": 0, "out_of_order": 0, "outlier": 0}
    keep = np.ones(n, dtype=bool)

    bad = ~np.isfinite(px)
    counts["nan"] = int(bad.sum())
    keep &= ~bad
    bad = keep & (px <= 0)
    counts["non_positive"] = int(bad.sum())
    keep &= ~bad

    idx = np.flatnonzero(keep)
    # out of order: earlier than the running max of earlier good timestamps
    if idx.size:
        t = ts[idx]
        run_max = np.maximum.accumulate(t)
        late = np.zeros(idx.size, dtype=bool)
        late[1:] = t[1:] < run_max[:-1]
        counts["out_of_order"] = int(late.sum())
        keep[idx[late]] = False
    idx = np.flatnonzero(keep)
    if idx.size:
        t, p = ts[idx], px[idx]
        dup = np.zeros(idx.size, dtype=bool)
        dup[1:] = (t[1:] == t[:-1]) & (p[1:] == p[:-1])
        counts["duplicate"] = int(dup.sum())
        keep[idx[dup]] = False
    idx = np.flatnonzero(keep)
    if idx.size > 1:
        p = pd.Series(px[idx])
        ref = p.rolling(5, min_periods=1).median().shift(1).to_numpy()
        jump = np.abs(p.to_numpy() / ref - 1.0) * 100.0
        out = np.nan_to_num(jump, nan=0.0) > max_jump_pct
        counts["outlier"] = int(out.sum())
        keep[idx[out]] = False

    accepted = ticks.iloc[np.flatnonzero(keep)]
    stale = False
    if now_ns is not None:
        newest = accepted.index.as_unit("ns").asi8.max() if len(accepted) else None
        stale = newest is None or (now_ns - int(newest)) > stale_after_s * 1e9
        if stale:
            log.warning("feed is stale: newest tick %s, now %s", newest, now_ns)
    _log("ticks", counts, n)
    return QualityReport(accepted=accepted, rejected=counts, is_stale=stale)


def check_bars(bars: pd.DataFrame) -> QualityReport:
    """Run the bar gate on an OHLCV frame.

    Raises:
        SchemaError: missing OHLCV columns or no DatetimeIndex.
    """
    cols = ["open", "high", "low", "close", "volume"]
    missing = [c for c in cols if c not in bars.columns]
    if missing or not isinstance(bars.index, pd.DatetimeIndex):
        raise SchemaError(f"Bars need a DatetimeIndex and columns {cols}; missing {missing}.")
    o, h, lo, c, v = (bars[k].to_numpy(np.float64) for k in cols)
    ts = bars.index.as_unit("ns").asi8
    counts = {"nan": 0, "non_positive": 0, "inconsistent": 0, "negative_volume": 0,
              "duplicate": 0, "out_of_order": 0}
    keep = np.ones(len(bars), dtype=bool)
    prices = np.stack([o, h, lo, c])
    bad = ~np.isfinite(prices).all(axis=0) | ~np.isfinite(v)
    counts["nan"] = int(bad.sum())
    keep &= ~bad
    with np.errstate(invalid="ignore"):
        bad = keep & (prices <= 0).any(axis=0)
        counts["non_positive"] = int(bad.sum())
        keep &= ~bad
        bad = keep & ((lo > np.minimum(o, c)) | (h < np.maximum(o, c)))
        counts["inconsistent"] = int(bad.sum())
        keep &= ~bad
        bad = keep & (v < 0)
        counts["negative_volume"] = int(bad.sum())
        keep &= ~bad
    idx = np.flatnonzero(keep)
    if idx.size:
        t = ts[idx]
        run_max = np.maximum.accumulate(t)
        prev_max = np.concatenate(([np.iinfo(np.int64).min], run_max[:-1]))
        dup = pd.Index(t).duplicated(keep="first")
        late = ~dup & (t < prev_max)
        counts["duplicate"] = int(dup.sum())
        counts["out_of_order"] = int(late.sum())
        keep[idx[dup | late]] = False
    _log("bars", counts, len(bars))
    return QualityReport(accepted=bars.iloc[np.flatnonzero(keep)], rejected=counts)


class TickGate:
    """The tick gate for a live feed that arrives a few ticks at a time.

    :func:`check_ticks` judges a batch on its own; a feed polled every few seconds or pushed
    over a websocket gives one tick per batch, so the outlier rule would never have a median to
    compare with. The gate keeps the last five accepted ticks and judges each batch after
    them. Every rule is causal (a tick is judged only against earlier ticks), so the counts for
    the batch are the counts of history + batch minus those of the history alone.

    Example:
        >>> gate = TickGate(max_jump_pct=20)
        >>> report = gate.check(frame_of_new_ticks)  # doctest: +SKIP
    """

    def __init__(self, *, max_jump_pct: float = 20.0, stale_after_s: float = 30.0,
                 history: int = 5) -> None:
        self.max_jump_pct = max_jump_pct
        self.stale_after_s = stale_after_s
        self._keep = history
        self._history: pd.DataFrame | None = None

    def check(self, ticks: pd.DataFrame, *, now_ns: int | None = None) -> QualityReport:
        """Gate ``ticks`` (a ``price`` column, UTC index) against the ticks accepted before.

        Raises:
            SchemaError: no ``price`` column or no DatetimeIndex.
        """
        if "price" not in ticks.columns or not isinstance(ticks.index, pd.DatetimeIndex):
            raise SchemaError(f"Ticks need a DatetimeIndex and a 'price' column; got "
                              f"{list(ticks.columns)}.")
        hist = self._history
        if hist is None:
            report = check_ticks(ticks, max_jump_pct=self.max_jump_pct,
                                 stale_after_s=self.stale_after_s, now_ns=now_ns)
        else:
            pos = "_wb_pos"  # position in the batch; -1 for history rows
            batch = pd.DataFrame({"price": ticks["price"].to_numpy(np.float64),
                                  pos: np.arange(len(ticks))}, index=ticks.index)
            both = pd.concat([hist.assign(**{pos: -1}), batch])
            full = check_ticks(both, max_jump_pct=self.max_jump_pct,
                               stale_after_s=self.stale_after_s, now_ns=now_ns)
            alone = check_ticks(hist, max_jump_pct=self.max_jump_pct)
            kept = full.accepted[pos].to_numpy()
            counts = {k: full.rejected[k] - alone.rejected.get(k, 0) for k in full.rejected}
            report = QualityReport(accepted=ticks.iloc[kept[kept >= 0]], rejected=counts,
                                   is_stale=full.is_stale)
        if len(report.accepted):
            new = pd.DataFrame({"price": report.accepted["price"].to_numpy(np.float64)},
                               index=report.accepted.index)
            merged = new if hist is None else pd.concat([hist, new])
            self._history = merged.iloc[-self._keep:]
        return report
