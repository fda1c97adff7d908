"""Bulk candle writes and reads on both backends, on the shipped real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import DataError, DataUnavailable, SchemaError
from workbench.samples import load_sample
from workbench.store import Store, candle_summary, load_candles, save_candles
from workbench.store.candles import delete_candles, last_candle_ts


def test_round_trip_real_sample(store: Store) -> None:
    """Real SOL/USDT bars come back exactly as stored, UTC-indexed and sorted."""
    bars = load_sample("SOL/USDT", "5m", bars=5000)
    assert save_candles(store, bars, source="binance", symbol="SOL/USDT", timeframe="5m") == 5000
    out = load_candles(store, "SOL/USDT", "5m")
    pd.testing.assert_frame_equal(out, bars, check_freq=False)
    assert str(out.index.tz) == "UTC"


def test_rerun_stores_no_duplicates(store: Store) -> None:
    """Saving overlapping ranges twice keeps one row per timestamp."""
    bars = load_sample("SOL/USDT", "1h", bars=300)
    save_candles(store, bars.iloc[:200], source="binance", symbol="SOL/USDT", timeframe="1h")
    again = save_candles(store, bars, source="binance", symbol="SOL/USDT", timeframe="1h")
    assert again == 100
    assert len(load_candles(store, "SOL/USDT", "1h")) == 300
    assert save_candles(store, bars, source="binance", symbol="SOL/USDT", timeframe="1h") == 0


def test_bad_rows_are_rejected_not_stored(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """NaN, non-positive prices, negative volume and duplicate timestamps never reach the store."""
    bars = load_sample("SOL/USDT", "1h", bars=10).copy()
    bars.iloc[1, bars.columns.get_loc("close")] = np.nan
    bars.iloc[2, bars.columns.get_loc("open")] = 0.0
    bars.iloc[3, bars.columns.get_loc("volume")] = -1.0
    dup = pd.concat([bars, bars.iloc[[5]]]).sort_index()
    stored = save_candles(store, dup, source="binance", symbol="SOL/USDT", timeframe="1h")
    assert stored == 7
    out = load_candles(store, "SOL/USDT", "1h")
    assert bars.index[1] not in out.index and bars.index[5] in out.index
    assert "rejected 4 of 11 rows" in caplog.text


def test_window_bounds(store: Store) -> None:
    """start is inclusive, end exclusive; naive bounds mean UTC."""
    bars = load_sample("SOL/USDT", "1h", bars=48)
    save_candles(store, bars, source="binance", symbol="SOL/USDT", timeframe="1h")
    out = load_candles(store, "SOL/USDT", "1h", start="2024-01-01 10:00", end="2024-01-01 12:00")
    assert list(out.index.hour) == [10, 11]


def test_missing_series_says_what_to_do(store: Store) -> None:
    """Asking for unstored data raises DataUnavailable with the command that loads it."""
    with pytest.raises(DataUnavailable, match=r"No candles for SOL/USDC 1m.*workbench data"):
        load_candles(store, "SOL/USDC", "1m")


def test_several_sources_must_be_named(store: Store) -> None:
    """With two sources for one symbol, the caller must choose."""
    bars = load_sample("SOL/USDT", "1h", bars=5)
    save_candles(store, bars, source="a", symbol="SOL/USDT", timeframe="1h")
    save_candles(store, bars * 1.01, source="b", symbol="SOL/USDT", timeframe="1h")
    with pytest.raises(DataError, match=r"several sources \['a', 'b'\]"):
        load_candles(store, "SOL/USDT", "1h")
    b = load_candles(store, "SOL/USDT", "1h", source="b")
    assert b["close"].iloc[0] == pytest.approx(bars["close"].iloc[0] * 1.01)


def test_schema_errors(store: Store) -> None:
    """Frames without OHLCV columns or a DatetimeIndex are refused with the fix."""
    with pytest.raises(SchemaError, match="lacks columns"):
        save_candles(store, pd.DataFrame({"close": [1.0]}, index=pd.DatetimeIndex(["2024-01-01"])),
                     source="x", symbol="S", timeframe="1m")
    with pytest.raises(SchemaError, match="DatetimeIndex"):
        save_candles(store, load_sample(bars=3).reset_index(), source="x", symbol="S",
                     timeframe="1m")


def test_summary_and_delete(store: Store) -> None:
    """The summary lists each series with its row count and range; delete removes one series."""
    bars = load_sample("SOL/USDT", "1h", bars=24)
    save_candles(store, bars, source="binance", symbol="SOL/USDT", timeframe="1h")
    summary = candle_summary(store)
    assert summary.to_dict("records")[0]["rows"] == 24
    assert summary["first"].iloc[0] == bars.index[0]
    assert delete_candles(store, source="binance", symbol="SOL/USDT", timeframe="1h") == 24
    assert len(candle_summary(store)) == 0


def test_last_candle_ts(store: Store) -> None:
    """The newest stored open time of a series, None for an unknown series."""
    bars = load_sample("SOL/USDT", "1h", bars=30)
    assert last_candle_ts(store, source="binance", symbol="SOL/USDT", timeframe="1h") is None
    save_candles(store, bars, source="binance", symbol="SOL/USDT", timeframe="1h")
    assert last_candle_ts(store, source="binance", symbol="SOL/USDT",
                          timeframe="1h") == bars.index[-1]


def test_batches_larger_than_one_copy_chunk(store: Store,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch spanning several COPY chunks lands whole and in order; an overlapping re-run
    that straddles chunk boundaries adds only the new rows."""
    import workbench.store.candles as candles

    monkeypatch.setattr(candles, "_PG_CHUNK_ROWS", 700)  # 5,000 bars -> 8 chunks
    bars = load_sample("SOL/USDT", "5m", bars=5000)
    assert save_candles(store, bars.iloc[:3100], source="binance", symbol="SOL/USDT",
                        timeframe="5m") == 3100
    assert save_candles(store, bars.iloc[2000:], source="binance", symbol="SOL/USDT",
                        timeframe="5m") == 1900
    pd.testing.assert_frame_equal(load_candles(store, "SOL/USDT", "5m"), bars, check_freq=False)
