"""Collectors write to the lake, the SQL store, or both; the CLI's --store/--no-store."""

import asyncio

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main
from workbench.data.collect import ClosedBars, backfill_ohlcv, collect_ticks
from workbench.data.files import read_ohlcv_file
from workbench.data.loading import sample_path
from workbench.data.quality import TickGate, check_ticks
from workbench.errors import DataError, DataUnavailable
from workbench.store import load_candles
from workbench.store.lake import Lake, LakeKey

KEY = LakeKey(source="binance", symbol="SOL/USDT", timeframe="1h")
OHLCV = ["open", "high", "low", "close", "volume"]


def _bars(n=500):
    return read_ohlcv_file(sample_path("SOL_USDT-1h.feather")).iloc[:n]


def _fetcher(bars, calls=None):
    async def fetch(start_s, end_s):
        if calls is not None:
            calls.append((start_s, end_s))
        lo = pd.Timestamp(start_s, unit="s", tz="UTC")
        hi = pd.Timestamp(end_s, unit="s", tz="UTC")
        return bars[(bars.index >= lo) & (bars.index <= hi)]
    return fetch


def _span(bars):
    return {"start": bars.index[0], "end": bars.index[-1] + pd.Timedelta("1h")}


async def test_backfill_writes_both_sinks_with_equal_values(store, tmp_path):
    """With both sinks, the store holds exactly the bars the lake holds."""
    bars = _bars(300)
    res = await backfill_ohlcv(_fetcher(bars), Lake(tmp_path), KEY, **_span(bars), store=store,
                               sinks=("lake", "store"), bars_per_request=100, progress=False)
    assert res.written_by_sink == {"lake": 300, "store": 300} and res.written == 300
    in_store = load_candles(store, "SOL/USDT", "1h", source="binance")
    np.testing.assert_array_equal(in_store.index.asi8, Lake(tmp_path).read(KEY).index.asi8)
    np.testing.assert_array_equal(in_store[OHLCV].to_numpy(), bars[OHLCV].to_numpy())


async def test_a_sink_added_later_is_filled_from_the_start(store, tmp_path):
    """Resume starts after the newest row *every* sink holds, so a new store gets everything."""
    bars = _bars(500)
    lake = Lake(tmp_path)
    await backfill_ohlcv(_fetcher(bars.iloc[:300]), lake, KEY, **_span(bars), progress=False)
    calls = []
    res = await backfill_ohlcv(_fetcher(bars, calls), lake, KEY, **_span(bars), store=store,
                               progress=False)  # sinks None: both targets given
    assert res.resumed_from is None and calls[0][0] == int(bars.index[0].timestamp())
    assert res.written_by_sink == {"lake": 200, "store": 500}
    calls.clear()
    again = await backfill_ohlcv(_fetcher(bars, calls), lake, KEY, **_span(bars), store=store,
                                 progress=False)
    assert again.resumed_from == bars.index[-1] and calls == []
    assert again.written_by_sink == {}


async def test_store_only_backfill_resumes_from_the_store(store):
    """sinks=('store',) needs no lake and resumes after the newest stored candle."""
    bars = _bars(48)
    first = await backfill_ohlcv(_fetcher(bars.iloc[:24]), None, KEY, **_span(bars), store=store,
                                 sinks=("store",), progress=False)
    assert first.written == 24
    second = await backfill_ohlcv(_fetcher(bars), None, KEY, **_span(bars), store=store,
                                  sinks=("store",), progress=False)
    assert second.resumed_from == bars.index[23] and second.written == 24
    assert len(load_candles(store, "SOL/USDT", "1h")) == 48


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sinks": ("store",)}, "sinks include 'store' but no store was given"),
    ({"sinks": ("lake", "s3")}, r"Unknown sink\(s\) \['s3'\]"),
    ({"sinks": ()}, "A collector needs a sink"),
])
async def test_bad_sinks_are_refused(tmp_path, kwargs, message):
    """A sink without its target, or an unknown one, is a DataError naming it."""
    bars = _bars(5)
    with pytest.raises(DataError, match=message):
        await backfill_ohlcv(_fetcher(bars), Lake(tmp_path), KEY, **_span(bars),
                             progress=False, **kwargs)
    with pytest.raises(DataError, match="sinks include 'lake' but no lake"):
        await backfill_ohlcv(_fetcher(bars), None, KEY, **_span(bars), sinks=("lake",),
                             progress=False)


def test_closed_bars_release_only_closed_fully_observed_bars():
    """Bars are released once a later tick arrives, and never for a period seen only in part."""
    t0 = pd.Timestamp("2024-05-01 00:00:30", tz="UTC")  # collection starts mid-minute
    bars = ClosedBars("1m", t0.value)
    ticks = pd.DataFrame({"price": [10.0, 11.0, 12.0, 9.0, 10.5, 13.0]},
                         index=pd.DatetimeIndex([t0 + pd.Timedelta(s, "s")
                                                 for s in (1, 40, 50, 70, 110, 130)]))
    # ticks at 00:00:31, 00:01:10, 00:01:20 | 00:01:40 | 00:02:20, 00:02:40
    assert bars.add(ticks.iloc[:3]).empty  # 00:00 closed but seen only from 00:00:30
    assert bars.add(ticks.iloc[3:4]).empty  # 00:01 still open
    out = bars.add(ticks.iloc[4:])
    assert out.index.tolist() == [pd.Timestamp("2024-05-01 00:01", tz="UTC")]
    assert out[OHLCV].to_numpy().tolist() == [[11.0, 12.0, 9.0, 9.0, 0.0]]


async def test_collect_ticks_writes_ticks_to_lake_and_closed_bars_to_store(store, tmp_path):
    """Polled ticks go to the lake; the store gets the closed 1m bars the run fully saw."""
    start = pd.Timestamp("2024-05-01 00:00:50", tz="UTC")
    polls = [[(5, 100.0), (20, 101.0)], [(40, 99.0), (65, 100.5)],
             [(80, 102.0), (125, 101.5)], [(190, 103.0)]]
    answers = [pd.DataFrame({"price": [p for _, p in batch]},
                            index=pd.DatetimeIndex([start + pd.Timedelta(s, "s")
                                                    for s, _ in batch], name="date"))
               for batch in polls]

    async def poll():
        return answers.pop(0)

    async def no_sleep(_):
        return None

    key = LakeKey(source="jupiter", symbol="SOL/USD", timeframe="tick")
    res = await collect_ticks(poll, Lake(tmp_path), key, interval_s=1, stop=asyncio.Event(),
                              max_polls=4, sleep=no_sleep, store=store,
                              clock_ns=lambda: start.value)
    assert res.written_by_sink == {"lake": 7, "store": 2}
    bars = load_candles(store, "SOL/USD", "1m", source="jupiter")
    # 00:00 was entered at 00:00:50 (partial, dropped); 00:01 and 00:02 closed; 00:04 is open
    assert bars.index.strftime("%H:%M").tolist() == ["00:01", "00:02"]
    assert bars[OHLCV].to_numpy().tolist() == [[101.0, 101.0, 99.0, 100.5, 0.0],
                                               [102.0, 102.0, 101.5, 101.5, 0.0]]


def test_tick_gate_catches_a_spike_across_one_tick_batches():
    """One tick per batch (a websocket feed): the spike is judged against earlier batches."""
    prices = [100.0, 100.5, 101.0, 160.0, 101.2, 0.0, 101.4]
    idx = pd.date_range("2024-05-01", periods=len(prices), freq="s", tz="UTC")
    gate = TickGate(max_jump_pct=20)
    kept, rejected = [], {}
    for i, p in enumerate(prices):
        rep = gate.check(pd.DataFrame({"price": [p]}, index=idx[i:i + 1]))
        kept += rep.accepted["price"].tolist()
        for k, v in rep.rejected.items():
            rejected[k] = rejected.get(k, 0) + v
    assert kept == [100.0, 100.5, 101.0, 101.2, 101.4]
    assert {k: v for k, v in rejected.items() if v} == {"outlier": 1, "non_positive": 1}
    whole = check_ticks(pd.DataFrame({"price": prices}, index=idx))
    assert whole.accepted["price"].tolist() == kept  # same verdicts as one big batch


def _store_url(store):
    return store.engine.url.render_as_string(hide_password=False)


def test_cli_import_writes_lake_and_store(store, tmp_path, monkeypatch, capsys):
    """`data import` writes the configured store too; --no-store leaves it alone."""
    monkeypatch.setenv("WORKBENCH_DATABASE__URL", _store_url(store))
    path = str(sample_path("ETH_USDT-1h.feather"))
    base = ["data", "import", path, "--source", "binance"]
    assert main([*base, "--no-store", "--lake", str(tmp_path / "a")]) == 0
    with pytest.raises(DataUnavailable):
        load_candles(store, "ETH/USDT", "1h")
    assert main([*base, "--lake", str(tmp_path / "b")]) == 0
    assert main([*base, "--lake", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "6412 new rows stored as binance/ETH/USDT/1h (6412 new in the store)" in out
    assert "0 new rows stored as binance/ETH/USDT/1h (0 new in the store)" in out
    stored = load_candles(store, "ETH/USDT", "1h", source="binance")
    ref = read_ohlcv_file(sample_path("ETH_USDT-1h.feather"))
    np.testing.assert_array_equal(stored[OHLCV].to_numpy(), ref[OHLCV].to_numpy())


def test_cli_store_default_migrates_a_new_sqlite_db(tmp_path, capsys, monkeypatch):
    """With no database configured the store is SQLite in data.dir, created and migrated."""
    data_dir = tmp_path / "fresh"
    monkeypatch.setenv("WORKBENCH_DATA__DIR", str(data_dir))
    assert main(["data", "import", str(sample_path("XRP_ETH-5m.feather")),
                 "--source", "freqtrade"]) == 0
    assert (data_dir / "workbench.db").exists() and (data_dir / "lake").exists()
    from workbench.store import open_store

    st = open_store(f"sqlite:///{data_dir / 'workbench.db'}")
    try:
        assert len(load_candles(st, "XRP/ETH", "5m")) == len(
            read_ohlcv_file(sample_path("XRP_ETH-5m.feather")))
    finally:
        st.dispose()
