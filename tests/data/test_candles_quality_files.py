"""Candles rebuilt from real trades, the quality gate, and file imports."""

import gzip
import json
import logging

import numpy as np
import pandas as pd
import pytest

from workbench.data.candles import build_candles, mark_gaps, resample_candles
from workbench.data.files import parse_freqtrade_name, read_ohlcv_file, to_ohlcv_frame
from workbench.data.loading import sample_path
from workbench.data.quality import check_bars, check_ticks
from workbench.errors import SchemaError


def _xrp_trades():
    with gzip.open(sample_path("XRP_ETH-trades.json.gz")) as fh:
        rows = json.loads(fh.read())
    ts = np.array([r[0] for r in rows], dtype=np.int64) * 1_000_000
    return ts, np.array([r[4] for r in rows]), np.array([r[5] for r in rows])


@pytest.mark.parametrize("tf", ["1m", "5m"])
def test_candles_from_real_trades_match_freqtrade(tf):
    """12,477 XRP/ETH trades rebuild freqtrade's 1m and 5m candles exactly."""
    ts, px, amt = _xrp_trades()
    ours = build_candles(ts, px, amt, tf)
    ref = read_ohlcv_file(sample_path(f"XRP_ETH-{tf}.feather"))
    assert ours.index.equals(ref.index)
    for col in ["open", "high", "low", "close"]:
        np.testing.assert_array_equal(ours[col].to_numpy(), ref[col].to_numpy())
    np.testing.assert_allclose(ours["volume"], ref["volume"], rtol=1e-12)
    assert ours["trades"].sum() == len(ts)


def test_candles_from_shuffled_trades_are_the_same():
    """Unsorted input is sorted first (stable), giving identical bars."""
    ts, px, amt = _xrp_trades()
    order = np.random.default_rng(1).permutation(len(ts))
    # ties in time keep input order in freqtrade; shuffle only across distinct times
    a = build_candles(ts, px, amt, "5m")
    b = build_candles(ts[order], px[order], amt[order], "5m")
    pd.testing.assert_frame_equal(a[["high", "low", "volume", "trades"]],
                                  b[["high", "low", "volume", "trades"]])


def test_resample_1m_to_5m_matches_direct_build():
    """Resampling 1m bars to 5m equals building 5m bars from the trades."""
    ts, px, amt = _xrp_trades()
    via = resample_candles(build_candles(ts, px, amt, "1m"), "5m")
    direct = build_candles(ts, px, amt, "5m")
    pd.testing.assert_frame_equal(via, direct[["open", "high", "low", "close", "volume"]],
                                  check_freq=False)


def test_mark_gaps_adds_nan_rows_never_prices():
    """Missing minutes become NaN rows flagged is_gap; no price is made up."""
    ts = np.array([0, 30, 180], dtype=np.int64) * 10**9
    bars = build_candles(ts, np.array([1.0, 2.0, 3.0]), np.ones(3), "1m")
    g = mark_gaps(bars, "1m")
    assert g["is_gap"].tolist() == [False, True, True, False]
    assert g["trades"].tolist() == [2, 0, 0, 1]
    assert g.loc[g["is_gap"], "close"].isna().all()
    assert (g.loc[g["is_gap"], "volume"] == 0).all()


def test_tick_gate_counts_each_reason(caplog):
    """NaN, zero, negative, duplicate, out-of-order and a spike are each counted and logged."""
    t = pd.to_datetime([0, 1, 2, 3, 3, 2, 4, 5, 6, 7, 8], unit="s", utc=True)
    price = [100, np.nan, 0, 101, 101, 99, 102, 500, 101, 103, -1]
    with caplog.at_level(logging.WARNING, logger="workbench.data.quality"):
        rep = check_ticks(pd.DataFrame({"price": price}, index=t), max_jump_pct=20)
    assert rep.rejected == {"nan": 1, "non_positive": 2, "duplicate": 1, "out_of_order": 1,
                            "outlier": 1}
    assert rep.accepted["price"].tolist() == [100, 101, 102, 101, 103]
    assert "rejected 6 of 11 ticks" in caplog.text


def test_tick_gate_follows_a_real_move():
    """A lasting 30% move loses only its first ticks, then is accepted."""
    t = pd.to_datetime(range(10), unit="s", utc=True)
    price = [100, 100, 100, 130, 130, 130, 130, 130, 130, 130]
    rep = check_ticks(pd.DataFrame({"price": price}, index=t), max_jump_pct=20)
    assert rep.rejected["outlier"] <= 3
    assert rep.accepted["price"].iloc[-1] == 130


def test_stale_feed_is_flagged():
    """The newest tick older than stale_after_s marks the feed stale."""
    t = pd.to_datetime([0, 1], unit="s", utc=True)
    frame = pd.DataFrame({"price": [1.0, 1.0]}, index=t)
    assert check_ticks(frame, stale_after_s=30, now_ns=100 * 10**9).is_stale
    assert not check_ticks(frame, stale_after_s=30, now_ns=20 * 10**9).is_stale


def test_bar_gate_on_real_data_and_injected_faults():
    """Real SOL bars pass untouched; injected bad bars are rejected, never kept."""
    bars = read_ohlcv_file(sample_path("SOL_USDT-1h.feather"))
    assert check_bars(bars).rejected_total == 0
    bad = bars.iloc[:6].copy()
    bad.iloc[1, 0] = np.nan          # NaN open
    bad.iloc[2, 3] = -1.0            # negative close
    bad.iloc[3, 2] = bad.iloc[3, 1] + 1  # low above high
    bad = pd.concat([bad, bad.iloc[[4]]])  # duplicate timestamp
    rep = check_bars(bad)
    assert rep.rejected == {"nan": 1, "non_positive": 1, "inconsistent": 1,
                            "negative_volume": 0, "duplicate": 1, "out_of_order": 0}
    assert len(rep.accepted) == 3


def test_freqtrade_feather_import_matches_provenance():
    """The SOL/USDT 5m file has the documented 76,948 bars from 2024-01-01, UTC, float64."""
    bars = read_ohlcv_file(sample_path("SOL_USDT-5m.feather"))
    assert len(bars) == 76_948
    assert bars.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert str(bars.index.tz) == "UTC"
    assert (bars.dtypes == np.float64).all()
    assert parse_freqtrade_name("SOL_USDT-5m.feather") == ("SOL/USDT", "5m")
    assert parse_freqtrade_name("XRP_USDT_USDT-1h-futures.feather") == ("XRP/USDT_USDT", "1h")


def test_csv_json_parquet_round_trip(tmp_path):
    """The same bars written as CSV (ms and ISO), freqtrade JSON and Parquet read back equal."""
    bars = read_ohlcv_file(sample_path("SOL_USDT-1h.feather")).iloc[:50]
    ms = bars.reset_index()
    ms["date"] = ms["date"].astype("int64") // 10**6
    ms.to_csv(tmp_path / "a.csv", index=False)
    bars.reset_index().to_csv(tmp_path / "b.csv", index=False)
    (tmp_path / "c.json").write_text(json.dumps(ms.to_numpy().tolist()))
    bars.to_parquet(tmp_path / "d.parquet")
    for name in ["a.csv", "b.csv", "c.json", "d.parquet"]:
        got = read_ohlcv_file(tmp_path / name)
        pd.testing.assert_frame_equal(got, bars, check_freq=False, check_index_type=False,
                                      obj=name)


def test_bad_files_are_schema_errors(tmp_path):
    """Missing columns, unreadable dates, unknown types and missing files name the problem."""
    (tmp_path / "x.csv").write_text("date,open,high\n2024-01-01,1,2\n")
    with pytest.raises(SchemaError, match=r"missing OHLCV columns \['low', 'close', 'volume'\]"):
        read_ohlcv_file(tmp_path / "x.csv")
    (tmp_path / "y.csv").write_text("when,open,high,low,close,volume\nx,1,2,0.5,1,3\n")
    with pytest.raises(SchemaError, match="no time column"):
        read_ohlcv_file(tmp_path / "y.csv")
    with pytest.raises(SchemaError, match="unknown OHLCV file type"):
        read_ohlcv_file(tmp_path / "z.xlsx")
    with pytest.raises(SchemaError, match="does not exist"):
        read_ohlcv_file(tmp_path / "nope.csv")
    (tmp_path / "t.json").write_text('[[1700000000000, 1, 2, 0.5, 1')
    with pytest.raises(SchemaError, match="cannot be read"):
        read_ohlcv_file(tmp_path / "t.json")
    with pytest.raises(SchemaError, match="non-numeric"):
        to_ohlcv_frame(pd.DataFrame({"date": [0], "open": ["a"], "high": [1], "low": [1],
                                     "close": [1], "volume": [1]}))
