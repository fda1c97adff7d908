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


def _minute_bars(n=400_000):
    rng = np.random.default_rng(7)
    idx = pd.date_range("2023-12-01", periods=n, freq="1min", tz="UTC", name="date", unit="ns")
    close = 100 + np.cumsum(rng.normal(0, 0.05, n))
    return pd.DataFrame({"open": close, "high": close + 0.1, "low": close - 0.1,
                         "close": close, "volume": rng.random(n)}, index=idx)


def test_ranged_reads_skip_row_groups_and_match_a_mask(tmp_path):
    """A window inside many row groups and across a year boundary equals a boolean mask."""
    bars = _minute_bars()
    lake = Lake(tmp_path)
    key = LakeKey(source="t", symbol="A/B", timeframe="1m")
    lake.write(bars, key)
    windows = [("2024-01-15 13:07", "2024-02-03 00:01"), ("2023-12-31 23:58", "2024-01-01 00:03"),
               ("2023-12-01", None), (None, "2023-12-01 00:05")]
    for lo, hi in windows:
        got = lake.read(key, lo, hi)
        mask = np.ones(len(bars), dtype=bool)
        if lo:
            mask &= bars.index >= pd.Timestamp(lo, tz="UTC")
        if hi:
            mask &= bars.index < pd.Timestamp(hi, tz="UTC")
        pd.testing.assert_frame_equal(got, bars[mask], check_freq=False)


def test_loaded_frames_are_editable_and_columns_can_be_chosen(tmp_path):
    """Only the asked-for columns are read; the frame may be edited in place."""
    bars = _minute_bars(1000)
    lake = Lake(tmp_path)
    key = LakeKey(source="t", symbol="A/B", timeframe="1m")
    lake.write(bars, key)
    got = load("A/B", "1m", lake=lake, columns=["close"])
    assert list(got.columns) == ["close"] and str(got.index.tz) == "UTC"
    got.iloc[0, 0] = -1.0
    assert got["close"].iloc[0] == -1.0
    with pytest.raises(SchemaError, match=r"has no columns \['vwap'\]"):
        lake.read(key, columns=["vwap"])


def test_older_lz4_files_still_read(tmp_path):
    """Files written before the uncompressed layout (LZ4, one big row group) load the same."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    bars = _minute_bars(5000)
    lake = Lake(tmp_path)
    key = LakeKey(source="t", symbol="A/B", timeframe="1m")
    part = lake.partition(key)
    part.mkdir(parents=True)
    table = pa.table({"date": pa.array(bars.index.asi8).cast(pa.timestamp("ns", tz="UTC")),
                      **{c: bars[c].to_numpy() for c in bars.columns}})
    pq.write_table(table, part / "2023.parquet", compression="lz4", row_group_size=1_000_000)
    pd.testing.assert_frame_equal(lake.read(key, "2023-12-02"), bars[bars.index >= "2023-12-02"],
                                  check_freq=False)
