"""Parquet lake writes are idempotent; load() and replay read it back."""

import numpy as np
import pandas as pd
import pytest

from workbench.data.files import read_ohlcv_file
from workbench.data.loading import load, sample_path
from workbench.data.replay import replay_bars, replay_rows
from workbench.errors import DataError, DataUnavailable, SchemaError
from workbench.store.lake import Lake, LakeKey

KEY = LakeKey(source="binance", symbol="SOL/USDT", timeframe="1h")


@pytest.fixture
def sol_1h():
    return read_ohlcv_file(sample_path("SOL_USDT-1h.feather"))


def test_write_is_idempotent_and_round_trips(tmp_path, sol_1h):
    """Writing twice stores each bar once; reading returns the exact frame."""
    lake = Lake(tmp_path)
    assert lake.write(sol_1h, KEY) == len(sol_1h)
    assert lake.write(sol_1h, KEY) == 0
    got = lake.read(KEY)
    pd.testing.assert_frame_equal(got, sol_1h, check_freq=False)
    assert (tmp_path / "source=binance" / "symbol=SOL_USDT" / "timeframe=1h" / "2024.parquet"
            ).exists()


def test_overlapping_write_adds_only_new_and_replaces_values(tmp_path, sol_1h):
    """An overlapping batch counts only new dates; a corrected value replaces the old one."""
    lake = Lake(tmp_path)
    lake.write(sol_1h.iloc[:100], KEY)
    patch = sol_1h.iloc[90:120].copy()
    patch.iloc[0, 3] = 999.0
    assert lake.write(patch, KEY) == 20
    got = lake.read(KEY)
    assert len(got) == 120
    assert got["close"].iloc[90] == 999.0
    assert got.index.is_unique and got.index.is_monotonic_increasing


def test_read_window_and_last_timestamp(tmp_path, sol_1h):
    """start <= date < end; last_timestamp comes from Parquet statistics."""
    lake = Lake(tmp_path)
    lake.write(sol_1h, KEY)
    win = lake.read(KEY, start="2024-03-01", end="2024-03-02")
    assert len(win) == 24
    assert win.index[0] == pd.Timestamp("2024-03-01", tz="UTC")
    assert lake.last_timestamp(KEY) == sol_1h.index[-1]
    assert lake.last_timestamp(LakeKey(source="x", symbol="A/B", timeframe="1h")) is None


def test_years_split_into_files(tmp_path):
    """Bars across a new year land in two files and read back as one series."""
    idx = pd.date_range("2023-12-31 22:00", periods=4, freq="1h", tz="UTC")
    df = pd.DataFrame({c: np.arange(4.0) + 1 for c in ["open", "high", "low", "close", "volume"]},
                      index=idx)
    lake = Lake(tmp_path)
    lake.write(df, KEY)
    assert sorted(p.name for p in lake.partition(KEY).glob("*.parquet")) == ["2023.parquet",
                                                                            "2024.parquet"]
    assert len(lake.read(KEY)) == 4


def test_write_refuses_other_columns_and_bad_names(tmp_path, sol_1h):
    """A different column set is a SchemaError; path-unsafe names are refused."""
    lake = Lake(tmp_path)
    lake.write(sol_1h.iloc[:5], KEY)
    with pytest.raises(SchemaError, match="refusing rows"):
        lake.write(sol_1h.iloc[5:8][["close"]], KEY)
    with pytest.raises(DataError, match=r"source='\.\./x'"):
        LakeKey(source="../x", symbol="A/B", timeframe="1h")


def test_load_picks_the_only_source_and_errors_helpfully(tmp_path, sol_1h):
    """load() finds the one source; nothing stored or two sources are clear errors."""
    lake = Lake(tmp_path)
    with pytest.raises(DataUnavailable, match="workbench data import"):
        load("SOL/USDT", "1h", lake=lake)
    lake.write(sol_1h, KEY)
    bars = load("SOL/USDT", "1h", start="2024-02-01", end="2024-02-02", lake=tmp_path)
    assert len(bars) == 24 and str(bars.index.tz) == "UTC"
    lake.write(sol_1h.iloc[:3], LakeKey(source="other", symbol="SOL/USDT", timeframe="1h"))
    with pytest.raises(DataError, match=r"several sources \['binance', 'other'\]"):
        load("SOL/USDT", "1h", lake=lake)
    assert len(load("SOL/USDT", "1h", source="other", lake=lake)) == 3
    with pytest.raises(DataUnavailable, match="between"):
        load("SOL/USDT", "1h", start="2030-01-01", source="binance", lake=lake)


async def test_replay_bars_in_order_as_domain_bars(sol_1h):
    """Replay at speed 0 yields every bar in order as exact Bars."""
    bars = [b async for b in replay_bars(sol_1h.iloc[:50], symbol="SOL/USDT", timeframe="1h")]
    assert len(bars) == 50
    assert [b.ts_event for b in bars] == sol_1h.index[:50].asi8.tolist()
    assert float(bars[0].close) == sol_1h["close"].iloc[0]


async def test_replay_speed_scales_the_waits(sol_1h):
    """At speed 3600 an hour bar waits one second; gaps in the data are kept."""
    waits = []

    async def fake_sleep(s):
        waits.append(s)

    frame = sol_1h.iloc[[0, 1, 3]]
    _ = [r async for r in replay_rows(frame, speed=3600, sleep=fake_sleep)]
    assert waits == [1.0, 2.0]
    with pytest.raises(DataError, match="speed=-1"):
        _ = [r async for r in replay_rows(frame, speed=-1)]


async def test_replay_skips_gap_rows():
    """NaN rows from mark_gaps are not replayed as bars."""
    from workbench.data.candles import build_candles, mark_gaps

    bars = mark_gaps(build_candles(np.array([0, 120]) * 10**9, np.array([1.0, 2.0]),
                                   np.ones(2), "1m"), "1m")
    got = [b async for b in replay_bars(bars, symbol="X/Y", timeframe="1m")]
    assert len(got) == 2
