"""Live price feeds for the engine: a price API polled into closed bars.

The strategies are bar strategies, in paper and in live mode alike. Live, bars are built from
polled prices the way the collectors build them (:class:`workbench.data.ClosedBars`): every
poll is one tick, gated for outliers (:class:`workbench.data.quality.TickGate`), and a bar is
released only once a tick of a later bar shows it closed, and only if the feed saw its whole
period (a bar built from half its ticks would be a made-up price). Volume is 0: a price API
has none.

Sources (both documented public APIs, clients in :mod:`workbench.data.sources`):

* Jupiter Price API v3 (``GET /price/v3?ids=<base>,<quote>``): USD prices by mint. The pair's
  price is ``base_usd / quote_usd``; a quote token the API leaves out counts as 1 USD only when
  it is one of ``risk.cash_tokens`` (USDC, USDT).
* Pyth Hermes (``GET /v2/updates/price/latest``): the feed id's price (SOL/USD by default).

A poll that fails after the client's retries is skipped and logged; the engine's stale-feed
check trips the circuit breaker if the feed stays silent for ``data.stale_after_s``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Protocol

import pandas as pd

from workbench.data import ClosedBars
from workbench.data.quality import TickGate
from workbench.data.sources.jupiter import JupiterClient as JupiterPriceClient
from workbench.data.sources.pyth import HermesClient
from workbench.domain import Bar, Pair
from workbench.errors import DataError, VenueError

__all__ = ["SOL_USD_PYTH_FEED", "JupiterPriceFeed", "PriceFeed", "PythPriceFeed", "live_bars"]

log = logging.getLogger(__name__)

#: Pyth's SOL/USD price feed id (Hermes, mainnet).
SOL_USD_PYTH_FEED = "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d"


class PriceFeed(Protocol):
    """One pair's latest price, in quote per base."""

    name: str

    async def fetch(self) -> Decimal:
        """The current price.

        Raises:
            VenueError / DataError: the source failed or has no price.
        """
        ...


class JupiterPriceFeed:
    """The pair's price from Jupiter Price API v3.

    Args:
        client: a :class:`workbench.data.sources.jupiter.JupiterClient`.
        pair: the traded pair.
        cash_tokens: quote symbols taken as 1 USD when the API has no price for them.
    """

    name = "jupiter"

    def __init__(self, client: JupiterPriceClient, pair: Pair,
                 cash_tokens: tuple[str, ...] = ("USDC", "USDT")) -> None:
        self.client = client
        self.pair = pair
        self.cash_tokens = cash_tokens
        self._base, self._quote = str(pair.base.mint), str(pair.quote.mint)

    async def fetch(self) -> Decimal:
        """``base_usd / quote_usd`` from one request for both mints."""
        prices = {p.mint: p.usd_price for p in await self.client.fetch_prices(
            [self._base, self._quote])}
        base = prices.get(self._base)
        if base is None:
            raise DataError(f"Jupiter Price API v3 returned no price for {self.pair.base} "
                            f"({self._base}); it omits tokens without a reliable price. Trade "
                            "another pair or use engine price_source='pyth'.")
        quote = prices.get(self._quote)
        if quote is None:
            if self.pair.quote.symbol not in self.cash_tokens:
                raise DataError(f"Jupiter Price API v3 returned no price for the quote token "
                                f"{self.pair.quote} ({self._quote}), which is not one of "
                                f"risk.cash_tokens {list(self.cash_tokens)}.")
            quote = Decimal(1)
        return base / quote


class PythPriceFeed:
    """The pair's price from one Pyth price feed (its price, not the EMA).

    Args:
        client: a :class:`workbench.data.sources.pyth.HermesClient`.
        feed_id: hex feed id (e.g. :data:`SOL_USD_PYTH_FEED`); its quote must be the pair's.
    """

    name = "pyth"

    def __init__(self, client: HermesClient, feed_id: str = SOL_USD_PYTH_FEED) -> None:
        self.client = client
        self.feed_id = feed_id.removeprefix("0x").lower()

    async def fetch(self) -> Decimal:
        """The feed's latest price."""
        for price in await self.client.fetch_latest([self.feed_id]):
            if price.feed_id.lower() == self.feed_id:
                return price.price
        raise DataError(f"Pyth Hermes returned no update for feed {self.feed_id}; check the "
                        "feed id at https://pyth.network/developers/price-feed-ids.")


async def live_bars(
    feed: PriceFeed,
    *,
    symbol: str,
    timeframe: str,
    interval_s: float,
    stop: asyncio.Event,
    clock_ns: Callable[[], int] = time.time_ns,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    on_tick: Callable[[int, Decimal], object] | None = None,
    max_jump_pct: float = 20.0,
) -> AsyncIterator[Bar]:
    """Poll ``feed`` every ``interval_s`` and yield each bar once it has closed.

    Args:
        feed: the price source.
        symbol / timeframe: the bars' pair and length.
        interval_s: seconds between polls (respect the API's rate limit).
        stop: polling ends when it is set.
        clock_ns: "now" in UTC ns (a tick's time; tests step it).
        sleep: the pause between polls (tests pass one that returns at once).
        on_tick: ``(ts_ns, price)`` for every accepted tick (feed freshness, marks).
        max_jump_pct: a tick this far from the recent ones is an outlier and dropped.
    """
    closed = ClosedBars(timeframe, clock_ns())
    gate = TickGate(max_jump_pct=max_jump_pct, stale_after_s=float("inf"))
    while not stop.is_set():
        try:
            price = await feed.fetch()
        except (VenueError, DataError) as exc:  # the client retried already
            log.warning("price feed %s: poll failed: %s", feed.name, exc)
            price = None
        if price is not None:
            now = clock_ns()
            ticks = pd.DataFrame({"price": [float(price)]},
                                 index=pd.DatetimeIndex([pd.Timestamp(now, unit="ns",
                                                                      tz="UTC")]))
            accepted = gate.check(ticks, now_ns=now).accepted
            if len(accepted):
                if on_tick is not None:
                    on_tick(now, price)
                bars = closed.add(accepted)
                for ts, o, h, lo, c in zip(bars.index.as_unit("ns").asi8.tolist(),
                                           *(bars[k].tolist() for k in ("open", "high", "low",
                                                                          "close")),
                                           strict=True):
                    yield Bar(symbol=symbol, timeframe=timeframe, ts_event=ts,
                              open=Decimal(repr(o)), high=Decimal(repr(h)), low=Decimal(repr(lo)),
                              close=Decimal(repr(c)), volume=Decimal(0))
            else:
                log.warning("price feed %s: tick %s rejected as an outlier", feed.name, price)
        if stop.is_set():
            return
        await sleep(interval_s)
