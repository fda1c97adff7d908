"""Live price feeds into closed bars, on recorded Pyth Hermes and Jupiter Price v3 payloads."""

from __future__ import annotations

import asyncio
import copy
import json
from decimal import Decimal

import httpx
import pytest
import respx

from workbench.data.http import RetryPolicy
from workbench.data.sources.jupiter import JupiterClient, JupiterConfig
from workbench.data.sources.pyth import HermesClient, HermesConfig
from workbench.domain import WELL_KNOWN, Pair
from workbench.errors import DataError
from workbench.live import JupiterPriceFeed, PythPriceFeed, live_bars

from .livenet import FIXTURES

HERMES = "https://hermes.test"
PYTH_FX = json.loads((FIXTURES / "pyth/hermes_v2_updates_price_latest_pyth-client-py.json")
                     .read_text())
FEED = PYTH_FX["parsed"][0]["id"]  # BTC/USD in the recorded response
T0 = 1_700_000_040 * 10**9  # a minute boundary


def _hermes(price_raw: str):
    body = copy.deepcopy(PYTH_FX)
    body["parsed"][0]["price"]["price"] = price_raw  # expo -8
    return httpx.Response(200, json=body)


async def _collect(feed, answers, clock, n_polls):
    stop = asyncio.Event()
    out = []
    ticks = []

    async def sleep(_s):
        clock[0] += 20 * 10**9
        if len(ticks) + answers.skipped >= n_polls:
            stop.set()

    async for bar in live_bars(feed, symbol="BTC/USD", timeframe="1m", interval_s=5,
                               stop=stop, clock_ns=lambda: clock[0], sleep=sleep,
                               on_tick=lambda ts, p: ticks.append((ts, p)), max_jump_pct=20):
        out.append(bar)
    return out, ticks


class _Answers:
    def __init__(self, responses):
        self.responses = list(responses)
        self.skipped = 0

    def __call__(self, request):
        resp = self.responses.pop(0)
        if resp.status_code != 200 or b"99999999999999" in resp.content:
            self.skipped += 1
        return resp


async def test_pyth_ticks_become_bars_once_closed_and_fully_observed():
    """Polled Pyth prices make 1m bars: the half-seen first bar is dropped, a bar is released
    only when a later tick closes it, a 500 is skipped and a 20x outlier never reaches a bar."""
    prices = ["5190075917635", "5200000000000", httpx.Response(500, text="upstream"),
              "5210000000000", "5180000000000", "99999999999999", "5195000000000",
              "5185000000000", "5220000000000", "5230000000000"]
    answers = _Answers([_hermes(p) if isinstance(p, str) else p for p in prices])
    clock = [T0 + 10 * 10**9]  # starts 10 s into a minute: that minute is not fully observed
    with respx.mock() as mock:
        mock.get(f"{HERMES}/v2/updates/price/latest").mock(side_effect=answers)
        async with httpx.AsyncClient() as http:
            client = HermesClient(HermesConfig(base_url=HERMES, requests_per_s=1e6),
                                  client=http, retry_policy=RetryPolicy(max_attempts=1))
            bars, ticks = await _collect(PythPriceFeed(client, FEED), answers, clock,
                                         len(prices))
    assert len(ticks) == len(prices) - 2
    # ticks at +10 s and +30 s (the first minute, partly seen: dropped), the 500 at +50 s,
    # then +70 s, +90 s, the outlier at +110 s, +130 s ... every 20 s; the tick at +190 s
    # closes the second bar, and the third stays open
    assert [b.ts_event for b in bars] == [T0 + 60 * 10**9, T0 + 120 * 10**9]
    first, second = bars
    assert (first.open, first.high, first.low, first.close) == (
        Decimal("52100.0"), Decimal("52100.0"), Decimal("51800.0"), Decimal("51800.0"))
    assert (second.open, second.high, second.low, second.close) == (
        Decimal("51950.0"), Decimal("52200.0"), Decimal("51850.0"), Decimal("52200.0"))
    assert all(b.high < 60_000 for b in bars)  # the outlier never made a bar


async def test_jupiter_feed_prices_the_pair_and_refuses_a_missing_quote():
    """Price v3 gives base_usd / quote_usd; a missing cash quote is 1 USD, any other missing
    quote is a DataError naming it."""
    body = json.loads((FIXTURES / "jupiter_price/price_v3_example.json").read_text())
    sol, jup = WELL_KNOWN["SOL"], body["JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"]
    with respx.mock() as mock:
        mock.get("https://jup.test/price/v3").mock(return_value=httpx.Response(200, json=body))
        async with httpx.AsyncClient() as http:
            client = JupiterClient(JupiterConfig(base_url="https://jup.test",
                                                 requests_per_s=1e6), client=http)
            usdt = await JupiterPriceFeed(client, Pair(base=sol, quote=WELL_KNOWN["USDT"])
                                          ).fetch()
            assert usdt == Decimal("147.4789340738336")
            from workbench.domain import Token
            from workbench.testing import stub_mint

            jup_token = Token(mint=stub_mint("jup"), symbol="JUP", decimals=6)
            with pytest.raises(DataError, match=r"quote token JUP .* not one of"):
                await JupiterPriceFeed(client, Pair(base=sol, quote=jup_token)).fetch()
    assert jup["usdPrice"] > 0
