"""Live pool prices from ``accountSubscribe``: decoder + quality gate over a reconnecting socket.

Each websocket notification carries the whole account, so a price follows from one message:

- Orca Whirlpool: the pool account's sqrt price (:meth:`Whirlpool.price`);
- Pump.fun: the bonding curve's virtual reserves (a completed curve gives no price: trading
  moved to an AMM);
- Raydium AMM v4: the pool account does not change on a swap, its two vault token accounts do,
  so both vaults are subscribed and the price is taken from the pool state's
  :meth:`RaydiumAmmV4Pool.price` once both balances are known.

Ticks then pass two gates: the slot must not go backwards (a reconnect may resend an older
state: ``out_of_order``; the same slot again is a ``duplicate``), and the price goes through
:class:`~workbench.data.quality.TickGate` (NaN, non-positive, outliers against the previous
ticks). Rejected updates are counted in :attr:`PoolStream.rejected` and logged, never yielded.

Reconnecting is the job of :mod:`workbench.chain.ws`: a dropped socket is reopened with backoff
and the subscription renewed; the next notification brings the current state back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from solders.pubkey import Pubkey

from workbench.data.decoders import (
    RaydiumAmmV4Pool,
    decode_bonding_curve,
    decode_token_amounts,
    decode_whirlpool,
)
from workbench.data.quality import TickGate
from workbench.errors import DataError, SchemaError

__all__ = ["PoolStream", "PoolTick", "PoolWatch", "stream_pool"]

log = logging.getLogger("workbench.data.pool_stream")

Pricer = Callable[[dict[str, bytes]], Decimal | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolTick:
    """A pool's marginal price after an account update.

    Attributes:
        venue: ``whirlpool``, ``pumpfun`` or ``raydium_amm_v4``.
        symbol: the pair, e.g. ``"SOL/USDC"``.
        slot: the slot of the update (chain time).
        price: quote per base, human units.
        ts_init: when it was received, UTC ns.
    """

    venue: str
    symbol: str
    slot: int
    price: Decimal
    ts_init: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolWatch:
    """What to subscribe to and how to price it; build one with the class methods.

    Attributes:
        venue: venue name of the ticks.
        symbol: pair symbol of the ticks.
        accounts: the accounts to subscribe to (base58).
        pricer: latest bytes per account -> price, or None when not yet known.
    """

    venue: str
    symbol: str
    accounts: tuple[str, ...]
    pricer: Pricer

    @classmethod
    def whirlpool(cls, address: Pubkey | str, *, symbol: str, decimals_a: int, decimals_b: int,
                  base_is_a: bool = True) -> PoolWatch:
        """An Orca Whirlpool; price B per A (or A per B when ``base_is_a`` is False)."""
        addr = str(address)

        def price(latest: dict[str, bytes]) -> Decimal | None:
            p = decode_whirlpool(latest[addr]).price(decimals_a, decimals_b)
            return p if base_is_a else (1 / p if p else p)

        return cls(venue="whirlpool", symbol=symbol, accounts=(addr,), pricer=price)

    @classmethod
    def pumpfun(cls, curve: Pubkey | str, *, symbol: str) -> PoolWatch:
        """A Pump.fun bonding curve; price in SOL per token, none once complete."""
        addr = str(curve)

        def price(latest: dict[str, bytes]) -> Decimal | None:
            c = decode_bonding_curve(latest[addr])
            return None if c.is_complete or c.virtual_token_reserves == 0 else c.price_sol()

        return cls(venue="pumpfun", symbol=symbol, accounts=(addr,), pricer=price)

    @classmethod
    def raydium_amm_v4(cls, pool: RaydiumAmmV4Pool, *, symbol: str) -> PoolWatch:
        """A Raydium AMM v4 pool (decoded once): its two vaults are watched."""
        coin, pc = str(pool.coin_vault), str(pool.pc_vault)

        def price(latest: dict[str, bytes]) -> Decimal | None:
            if coin not in latest or pc not in latest:
                return None
            amounts = decode_token_amounts([latest[coin], latest[pc]])
            return pool.price(int(amounts[0]), int(amounts[1]))

        return cls(venue="raydium_amm_v4", symbol=symbol, accounts=(coin, pc), pricer=price)


class PoolStream:
    """Async iterator of gated :class:`PoolTick` from websocket account updates.

    Attributes:
        rejected: updates not yielded, by reason (``out_of_order``, ``duplicate``,
            ``complete``, ``malformed`` and the TickGate's reasons).
        subscriptions: the underlying :class:`workbench.chain.ws.Subscription` objects.
    """

    def __init__(self, url: str, watch: PoolWatch, *, max_jump_pct: float = 20.0,
                 clock_ns: Callable[[], int] = time.time_ns, **ws_kw: Any) -> None:
        from workbench.chain.ws import account_subscribe

        self.watch = watch
        self.rejected: dict[str, int] = {}
        self._gate = TickGate(max_jump_pct=max_jump_pct)
        self._clock = clock_ns
        self.subscriptions = [account_subscribe(url, Pubkey.from_string(a), **ws_kw)
                              for a in watch.accounts]
        self._gen: AsyncIterator[PoolTick] | None = None

    def __aiter__(self) -> PoolStream:
        return self

    async def __anext__(self) -> PoolTick:
        if self._gen is None:
            self._gen = self._run()
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        """Close the sockets and stop."""
        if self._gen is not None:
            await self._gen.aclose()  # type: ignore[attr-defined]

    def _reject(self, reason: str, n: int = 1) -> None:
        if n:
            self.rejected[reason] = self.rejected.get(reason, 0) + n
            log.warning("%s %s: update rejected (%s)", self.watch.venue, self.watch.symbol,
                        reason)

    async def _run(self) -> AsyncIterator[PoolTick]:
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def pump(account: str, sub: Any) -> None:
            try:
                async for note in sub:
                    await queue.put((account, note))
            except Exception as exc:  # handed to the consumer, which re-raises it
                await queue.put(("", exc))

        tasks = [asyncio.create_task(pump(a, s))
                 for a, s in zip(self.watch.accounts, self.subscriptions, strict=True)]
        latest: dict[str, bytes] = {}
        last_slot: dict[str, int] = {}
        try:
            while True:
                account, note = await queue.get()
                if isinstance(note, Exception):
                    raise note
                prev = last_slot.get(account)
                if prev is not None and note.slot <= prev:
                    self._reject("duplicate" if note.slot == prev else "out_of_order")
                    continue
                last_slot[account] = note.slot
                latest[account] = note.data
                try:
                    price = self.watch.pricer(latest)
                except SchemaError as exc:
                    log.warning("%s update at slot %d is malformed: %s", account, note.slot, exc)
                    self._reject("malformed")
                    continue
                if price is None:
                    if len(latest) == len(self.watch.accounts):
                        self._reject("complete")
                    continue
                now = self._clock()
                frame = pd.DataFrame({"price": [float(price)]},
                                     index=pd.DatetimeIndex([now], dtype="datetime64[ns, UTC]"))
                report = self._gate.check(frame, now_ns=None)
                for reason, n in report.rejected.items():
                    self._reject(reason, n)
                if len(report.accepted):
                    yield PoolTick(venue=self.watch.venue, symbol=self.watch.symbol,
                                   slot=note.slot, price=price, ts_init=now)
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            for s in self.subscriptions:
                with contextlib.suppress(Exception):
                    await s.aclose()


def stream_pool(url: str, watch: PoolWatch, *, max_jump_pct: float = 20.0,
                **ws_kw: Any) -> PoolStream:
    """Live, gated prices of one pool from ``accountSubscribe``, surviving dropped sockets.

    Args:
        url: websocket endpoint (``workbench.chain.ws.ws_url_for(rpc_url)``).
        watch: the pool, e.g. ``PoolWatch.whirlpool(addr, symbol="SOL/USDC", decimals_a=9,
            decimals_b=6)``.
        max_jump_pct: outlier threshold of the tick gate.
        **ws_kw: passed to ``account_subscribe`` (``commitment``, ``policy`` for reconnect
            backoff, ``open_timeout_s``, ``on_reconnect``).

    Returns:
        A :class:`PoolStream`; iterate it with ``async for tick in stream`` and read
        ``stream.rejected`` for what the gates dropped.

    Raises:
        DataError: the watch has no accounts.
        TemporaryVenueError: (while iterating) reconnecting failed too many times in a row.

    Example:
        Inside a notebook cell::

            async for tick in stream_pool(ws, PoolWatch.pumpfun(curve, symbol="X/SOL")):
                print(tick.slot, tick.price)
    """
    if not watch.accounts:
        raise DataError(f"PoolWatch for {watch.symbol} has no accounts to subscribe to.")
    return PoolStream(url, watch, max_jump_pct=max_jump_pct, **ws_kw)
