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

Depth: :class:`DepthPublisher` turns the paper pools' reserves, which the engine reads every
bar anyway, into depth snapshots (:func:`workbench.data.depth.cp_depth`) published as
``depth:<pair>:<venue>``, throttled.
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
from workbench.data.depth import cp_depth
from workbench.data.quality import TickGate
from workbench.data.sources.jupiter import JupiterClient as JupiterPriceClient
from workbench.data.sources.pyth import HermesClient
from workbench.domain import Bar, Pair
from workbench.errors import DataError, VenueError

__all__ = [
    "DEPTH_IMPACTS_BPS",
    "SOL_USD_PYTH_FEED",
    "DepthPublisher",
    "JupiterPriceFeed",
    "PriceFeed",
    "PythPriceFeed",
    "depth_snapshot",
    "live_bars",
]

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


#: Price impacts a published depth snapshot has levels at, bps.
DEPTH_IMPACTS_BPS: tuple[int, ...] = (5, 10, 25, 50, 100, 150, 200, 300, 500)


def depth_snapshot(*, symbol: str, venue: str, timeframe: str, ts: int, base_raw: int,
                   quote_raw: int, base_decimals: int, quote_decimals: int, fee_bps: float,
                   impacts_bps: tuple[int, ...] = DEPTH_IMPACTS_BPS) -> dict[str, object]:
    """One pool's depth as published under ``depth:<symbol>:<venue>``: the constant-product
    curve of its reserves walked by :func:`workbench.data.depth.cp_depth` at each impact.

    Amounts are decimal strings in human units (exact: base units / 10**decimals), so JSON
    loses nothing. ``levels`` rows: ``impact_bps``, ``bid_base``/``ask_base`` (base a taker
    can sell/buy within that impact), ``bid_quote``/``ask_quote`` (quote received/paid).
    """
    b_scale, q_scale = Decimal(10) ** base_decimals, Decimal(10) ** quote_decimals
    levels = []
    for bps in impacts_bps:
        d = cp_depth(base_raw, quote_raw, impact_bps=bps, fee_bps=fee_bps, venue=venue)
        levels.append({"impact_bps": bps,
                       "bid_base": str(Decimal(d.bid_base_raw) / b_scale),
                       "ask_base": str(Decimal(d.ask_base_raw) / b_scale),
                       "bid_quote": str(Decimal(d.bid_quote_raw) / q_scale),
                       "ask_quote": str(Decimal(d.ask_quote_raw) / q_scale)})
    price = (Decimal(quote_raw) / q_scale) / (Decimal(base_raw) / b_scale)
    return {"ts": ts, "symbol": symbol, "venue": venue, "timeframe": timeframe,
            "price": str(price), "fee_bps": fee_bps, "base_reserve_raw": base_raw,
            "quote_reserve_raw": quote_raw, "levels": levels}


class DepthPublisher:
    """Publishes each pool's depth at most once per ``min_interval_s`` of wall time.

    The engine already reads the pools' reserves for its strategies; computing nine curve
    walks per pool and writing a state row every bar of a fast replay would cost more than
    the dashboard can show, so snapshots are throttled (the first bar always publishes).

    Args:
        publish: ``(key, snapshot)`` called per pool, key ``depth:<symbol>:<venue>``.
        min_interval_s: least wall time between two publications.
        clock: monotonic seconds (tests step it).
    """

    def __init__(self, publish: Callable[[str, dict[str, object]], object], *,
                 min_interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._publish = publish
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._last: float | None = None
        self.published = 0

    def maybe_publish(self, *, symbol: str, timeframe: str, ts: int,
                      reserves: dict[str, tuple[int, int]], fee_bps: dict[str, float],
                      base_decimals: int, quote_decimals: int) -> bool:
        """Publish every pool's snapshot unless one was published too recently; returns True
        when it published. Pools with an empty side are skipped (no curve to walk)."""
        now = self._clock()
        if self._last is not None and now - self._last < self.min_interval_s:
            return False
        self._last = now
        for venue, (base_raw, quote_raw) in reserves.items():
            if base_raw <= 0 or quote_raw <= 0:
                continue
            snap = depth_snapshot(symbol=symbol, venue=venue, timeframe=timeframe, ts=ts,
                                  base_raw=base_raw, quote_raw=quote_raw,
                                  base_decimals=base_decimals, quote_decimals=quote_decimals,
                                  fee_bps=fee_bps.get(venue, 25))
            self._publish(f"depth:{symbol}:{venue}", snap)
            self.published += 1
        return True
