"""Collectors resume and stay idempotent; the CLI imports, loads and backfills."""

import asyncio
from functools import partial

import httpx
import numpy as np
import pandas as pd
import pytest
import respx

from workbench.cli import main
from workbench.data.collect import backfill_ohlcv, collect_ticks, run_concurrently
from workbench.data.files import read_ohlcv_file
from workbench.data.http import RetryPolicy
from workbench.data.loading import sample_path
from workbench.data.sources.birdeye import BirdeyeClient, BirdeyeConfig
from workbench.errors import TemporaryVenueError
from workbench.store.lake import Lake, LakeKey

KEY = LakeKey(source="binance", symbol="SOL/USDT", timeframe="1h")


def _fetcher(bars, calls):
    async def fetch(start_s, end_s):
        calls.append((start_s, end_s))
        lo = pd.Timestamp(start_s, unit="s", tz="UTC")
        hi = pd.Timestamp(end_s, unit="s", tz="UTC")
        return bars[(bars.index >= lo) & (bars.index <= hi)]
    return fetch


async def test_backfill_resumes_after_last_stored_bar(tmp_path):
    """A second run starts after the newest stored bar and stores nothing twice."""
    bars = read_ohlcv_file(sample_path("SOL_USDT-1h.feather")).iloc[:500]
    lake, calls = Lake(tmp_path), []
    first = await backfill_ohlcv(_fetcher(bars.iloc[:300], calls), lake, KEY,
                                 start=bars.index[0], end=bars.index[-1] + pd.Timedelta("1h"),
                                 bars_per_request=100, progress=False)
    assert first.written == 300 and first.resumed_from is None
    calls.clear()
    second = await backfill_ohlcv(_fetcher(bars, calls), lake, KEY, start=bars.index[0],
                                  end=bars.index[-1] + pd.Timedelta("1h"),
                                  bars_per_request=100, progress=False)
    assert second.resumed_from == bars.index[299]
    assert second.written == 200
    assert calls[0][0] == int(bars.index[300].timestamp())
    pd.testing.assert_frame_equal(lake.read(KEY), bars, check_freq=False)


async def test_backfill_drops_bad_bars_and_counts_them(tmp_path):
    """Bars failing the gate are counted, not stored."""
    bars = read_ohlcv_file(sample_path("SOL_USDT-1h.feather")).iloc[:10].copy()
    bars.iloc[3, 3] = np.nan
    res = await backfill_ohlcv(_fetcher(bars, []), Lake(tmp_path), KEY, start=bars.index[0],
                               end=bars.index[-1] + pd.Timedelta("1h"), progress=False)
    assert res.written == 9 and res.rejected == {"nan": 1}


@respx.mock
async def test_backfill_from_birdeye_over_http(tmp_path):
    """The Birdeye client feeds the collector end to end (served by respx, one 429 on the way)."""
    body = {"success": True, "data": {"items": [
        {"o": 1.0, "h": 2.0, "l": 0.5, "c": 1.5, "v": 10.0, "unixTime": 1726670700 + 900 * i,
         "address": "So11111111111111111111111111111111111111112", "type": "15m"}
        for i in range(4)]}}
    respx.get("https://be.test/defi/ohlcv").mock(side_effect=[
        httpx.Response(429, text="Too many requests"), httpx.Response(200, json=body)])
    client = BirdeyeClient(BirdeyeConfig(api_key="k", base_url="https://be.test",
                                         requests_per_s=1000),
                           client=httpx.AsyncClient(),
                           retry_policy=RetryPolicy(base_delay_s=0.001))
    key = LakeKey(source="birdeye", symbol="SOL/USD", timeframe="15m")
    sol = "So11111111111111111111111111111111111111112"
    res = await backfill_ohlcv(partial(client.fetch_ohlcv, sol, "15m"),
                               Lake(tmp_path), key, start=pd.Timestamp(1726670700, unit="s"),
                               end=pd.Timestamp(1726670700 + 3600, unit="s"), progress=False)
    assert res.written == 4


async def test_collect_ticks_polls_gates_and_stops(tmp_path):
    """Ticks are gated and stored; old ticks are not stored again; a failed poll is skipped."""
    base = pd.Timestamp.now(tz="UTC").floor("s")
    answers = [
        pd.DataFrame({"price": [100.0, 0.0]}, index=[base, base + pd.Timedelta("1s")]),
        TemporaryVenueError("down"),
        pd.DataFrame({"price": [100.0, 101.0]},
                     index=[base, base + pd.Timedelta("2s")]),
    ]

    async def poll():
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a.rename_axis("date")

    async def no_sleep(_):
        return None

    key = LakeKey(source="jupiter", symbol="SOL/USD", timeframe="tick")
    res = await collect_ticks(poll, Lake(tmp_path), key, interval_s=1, stop=asyncio.Event(),
                              max_polls=3, sleep=no_sleep)
    assert res.written == 2
    assert res.rejected == {"non_positive": 1}
    assert Lake(tmp_path).read(key)["price"].tolist() == [100.0, 101.0]


async def test_run_concurrently_collects_results_and_errors(tmp_path):
    """Jobs run together; a failure is reported after the others finish."""
    bars = read_ohlcv_file(sample_path("SOL_USDT-1h.feather")).iloc[:24]
    lake = Lake(tmp_path)
    ok = backfill_ohlcv(_fetcher(bars, []), lake, KEY, start=bars.index[0],
                        end=bars.index[-1] + pd.Timedelta("1h"), progress=False)

    async def broken():
        raise TemporaryVenueError("source down")

    with pytest.raises(ExceptionGroup) as info:
        await run_concurrently([ok, broken()])
    assert isinstance(info.value.exceptions[0], TemporaryVenueError)
    assert len(lake.read(KEY)) == 24


def test_cli_import_then_load(tmp_path, capsys):
    """`workbench data import` stores a freqtrade file once; `load` shows the window."""
    path = str(sample_path("SOL_USDT-1h.feather"))
    args = ["data", "import", path, "--source", "binance", "--lake", str(tmp_path)]
    assert main(args) == 0
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "6412 new rows stored" in out and "0 new rows stored" in out
    assert main(["data", "load", "SOL/USDT", "1h", "--start", "2024-02-01", "--end",
                 "2024-02-02", "--lake", str(tmp_path)]) == 0
    assert "24 bars" in capsys.readouterr().out


def test_cli_load_missing_prints_one_line_and_fails(tmp_path, capsys):
    """Nothing stored: one clear line and a non-zero exit code."""
    code = main(["data", "load", "SOL/USDC", "5m", "--lake", str(tmp_path)])
    assert code != 0
    err = capsys.readouterr().err
    assert "No 5m bars for SOL/USDC" in err and len(err.strip().splitlines()) == 1
