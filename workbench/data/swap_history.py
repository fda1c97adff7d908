"""Backfill a pool's (or a whole program's) swaps from chain into the ledger store.

``getSignaturesForAddress`` lists an address's transactions newest first, a page of up to 1000
at a time, each page continuing ``before`` the last signature of the previous one. Every
successful signature is fetched with ``getTransaction`` and read with
:func:`~workbench.data.swaps.parse_pool_swap` for each pool asked for; the trades go to the
``market_trades`` table page by page, so a killed run keeps what it fetched.

Resuming. With trades already stored for the pools, a run fetches two stretches of history:

1. newer than the newest stored trade (``until`` its signature, and stopping below its slot);
2. older than the oldest stored trade (``before`` its signature), down to ``since``/``min_slot``.

The first catches up after a pause, the second finishes a backfill that was cut short. Rows are
keyed by ``(venue, signature, seq)`` so overlap stores nothing twice.

Failed transactions (``err`` in the signature list) are skipped without fetching them, since
their balances move only by fees. A transaction the node does not have, or one whose payload is
malformed, is counted and logged, never stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
from tqdm.auto import tqdm

from workbench.data.sources.rpc.parse import SignatureInfo
from workbench.data.swaps import market_trades_frame, parse_pool_swap, pool_seq
from workbench.domain import Trade
from workbench.errors import DataError, SchemaError
from workbench.store.db import Store
from workbench.store.trades import market_trade_marks, save_market_trades

__all__ = ["PoolSpec", "SwapBackfillResult", "SwapRpc", "backfill_swaps"]

log = logging.getLogger("workbench.data.swap_history")


class SwapRpc(Protocol):
    """The two RPC reads a swap backfill needs (``SolanaRpcSource`` has them)."""

    async def fetch_signatures(self, address: str, *, before: str | None = None,
                               until: str | None = None, limit: int = 1000,
                               ) -> list[SignatureInfo]:
        """One page of signatures touching ``address``, newest first."""
        ...

    async def fetch_transaction(self, signature: str) -> dict[str, Any] | None:
        """A ``getTransaction`` result, or None when the node does not have it."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolSpec:
    """One pool whose trades to extract from transactions.

    Attributes:
        venue: venue name stored with the trades (``raydium_amm_v4``, ``pumpfun``, ...).
        symbol: pair symbol stored with the trades, e.g. ``"BONK/SOL"``.
        pool_owner: owner of the pool's vault token accounts (Raydium v4: the AMM authority
            ``5Q544f...``; Pump.fun: the bonding curve, which also holds SOL as lamports).
        base_mint / quote_mint: the pair's mints; prices are quote per base.
        vaults: the pool's vault addresses. Give them when ``pool_owner`` holds many pools'
            vaults (Raydium's authority does) and a transaction may route through several.
    """

    venue: str
    symbol: str
    pool_owner: str
    base_mint: str
    quote_mint: str
    vaults: tuple[str, ...] | None = None

    def trade(self, tx: dict[str, Any]) -> tuple[Trade, int] | None:
        """This pool's trade in ``tx`` with its seq, or None when it did not trade."""
        trade = parse_pool_swap(tx, pool_owner=self.pool_owner, base_mint=self.base_mint,
                                quote_mint=self.quote_mint, venue=self.venue,
                                symbol=self.symbol, vaults=self.vaults)
        if trade is None:
            return None
        return trade, pool_seq(tx, pool_owner=self.pool_owner, base_mint=self.base_mint,
                               quote_mint=self.quote_mint, vaults=self.vaults)


@dataclass(slots=True, kw_only=True)
class SwapBackfillResult:
    """What a swap backfill did.

    Attributes:
        address: the pool or program whose history was listed.
        signatures: signatures listed (both stretches).
        skipped_failed: failed transactions not fetched.
        fetched: transactions fetched.
        trades: trades found for the pools.
        written: trades new to the store.
        rejected: transactions not used, by reason (``missing``, ``malformed``).
        resumed_after: the newest stored trade's signature the run caught up to, if any.
        resumed_before: the oldest stored trade's signature it continued below, if any.
    """

    address: str
    signatures: int = 0
    skipped_failed: int = 0
    fetched: int = 0
    trades: int = 0
    written: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    resumed_after: str | None = None
    resumed_before: str | None = None

    def _reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1


def _utc_s(value: pd.Timestamp | str | None) -> int | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return int(ts.timestamp())


async def backfill_swaps(
    rpc: SwapRpc,
    store: Store,
    address: str,
    pools: Sequence[PoolSpec],
    *,
    since: pd.Timestamp | str | None = None,
    min_slot: int | None = None,
    page_size: int = 1000,
    concurrency: int = 4,
    max_signatures: int | None = None,
    progress: bool = True,
) -> SwapBackfillResult:
    """Fetch and store the swaps of ``pools`` from the history of ``address``.

    Args:
        rpc: an RPC reader, e.g. ``SolanaRpcSource(RpcConfig(url=...))`` (its rate limit and
            retries apply to every call).
        store: the ledger store (migrated); trades go to ``market_trades``.
        address: whose signatures to list: a pool account (one pool) or a program id (all its
            pools; list the ones wanted in ``pools``).
        pools: the pools to extract; a transaction may yield one trade per pool.
        since: oldest block time wanted (UTC); older history is not listed.
        min_slot: oldest slot wanted.
        page_size: signatures per ``getSignaturesForAddress`` call (the node caps it at 1000).
        concurrency: ``getTransaction`` calls in flight at once (the rate limit still spaces
            them).
        max_signatures: stop after listing this many in the older stretch (one bounded run of
            a long backfill; the next run continues below).
        progress: show a tqdm bar (terminal or notebook).

    Returns:
        A SwapBackfillResult with counts.

    Raises:
        DataError: no pools, or page_size outside 1..1000.
        TemporaryVenueError, VenueError: the RPC failed after retries (stored pages stay).

    Example:
        Inside a notebook cell (top-level ``await``)::

            spec = PoolSpec(venue="raydium_amm_v4", symbol="BONK/SOL", pool_owner=RAY_AUTH,
                            base_mint=BONK, quote_mint=NATIVE_SOL, vaults=(vault_a, vault_b))
            rpc = SolanaRpcSource(RpcConfig(url=settings.execution.rpc_urls[0]))
            res = await backfill_swaps(rpc, store, POOL, [spec], since="2024-09-01")
    """
    if not pools:
        raise DataError(f"backfill_swaps({address!r}) needs at least one PoolSpec in pools.")
    if not 1 <= page_size <= 1000:
        raise DataError(f"page_size={page_size} must be in 1..1000 (getSignaturesForAddress).")
    result = SwapBackfillResult(address=address)
    marks = market_trade_marks(store, venue={p.venue for p in pools},
                               symbol={p.symbol for p in pools})
    since_s = _utc_s(since)
    sem = asyncio.Semaphore(max(1, concurrency))
    with tqdm(desc=f"swaps {address[:8]}", unit="sig", disable=not progress,
              leave=False) as bar:
        if marks is not None:
            newest, oldest = marks
            result.resumed_after = newest.signature
            await _scan(rpc, store, address, pools, result, bar, sem, before=None,
                        until=newest.signature, stop_below_slot=newest.slot, since_s=since_s,
                        min_slot=min_slot, page_size=page_size, max_signatures=None)
            result.resumed_before = oldest.signature
            before: str | None = oldest.signature
        else:
            before = None
        await _scan(rpc, store, address, pools, result, bar, sem, before=before, until=None,
                    stop_below_slot=None, since_s=since_s, min_slot=min_slot,
                    page_size=page_size, max_signatures=max_signatures)
    log.info("swap backfill %s: %d signatures, %d fetched, %d trades, %d new, rejected %s",
             address, result.signatures, result.fetched, result.trades, result.written,
             result.rejected)
    return result


async def _scan(
    rpc: SwapRpc, store: Store, address: str, pools: Sequence[PoolSpec],
    result: SwapBackfillResult, bar: Any, sem: asyncio.Semaphore, *,
    before: str | None, until: str | None, stop_below_slot: int | None, since_s: int | None,
    min_slot: int | None, page_size: int, max_signatures: int | None,
) -> None:
    """List signatures page by page (newest first) and store each page's trades."""
    listed = 0
    while True:
        page = await rpc.fetch_signatures(address, before=before, until=until, limit=page_size)
        if not page:
            return
        keep: list[SignatureInfo] = []
        done = len(page) < page_size
        for info in page:
            if ((stop_below_slot is not None and info.slot < stop_below_slot)
                    or (min_slot is not None and info.slot < min_slot)
                    or (since_s is not None and info.block_time_s is not None
                        and info.block_time_s < since_s)
                    or (max_signatures is not None and listed >= max_signatures)):
                done = True
                break
            keep.append(info)
            listed += 1
        await _store_page(rpc, store, pools, keep, result, sem)
        bar.update(len(keep))
        if done:
            return
        before = page[-1].signature


async def _store_page(
    rpc: SwapRpc, store: Store, pools: Sequence[PoolSpec], page: list[SignatureInfo],
    result: SwapBackfillResult, sem: asyncio.Semaphore,
) -> None:
    result.signatures += len(page)
    wanted = [i for i in page if not i.is_failed]
    result.skipped_failed += len(page) - len(wanted)

    async def one(info: SignatureInfo) -> dict[str, Any] | SchemaError | None:
        async with sem:
            try:
                return await rpc.fetch_transaction(info.signature)
            except SchemaError as exc:  # one bad payload must not end a long backfill
                return exc

    txs = await asyncio.gather(*(one(i) for i in wanted))
    found: list[tuple[Trade, int]] = []
    for info, tx in zip(wanted, txs, strict=True):
        if tx is None:
            log.warning("getTransaction %s: the node does not have it; skipped", info.signature)
            result._reject("missing")
            continue
        try:
            if isinstance(tx, SchemaError):
                raise tx
            result.fetched += 1
            trades = [t for spec in pools if (t := spec.trade(tx)) is not None]
        except SchemaError as exc:
            log.warning("getTransaction %s is malformed (%s); skipped", info.signature, exc)
            result._reject("malformed")
            continue
        found.extend(trades)
    result.trades += len(found)
    if found:
        result.written += save_market_trades(store, market_trades_frame(found))
