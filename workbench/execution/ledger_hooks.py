"""Executor hooks that write the ledger: the intent before the first send, then the chain's fills.

:class:`LedgerHooks` implements :class:`~workbench.execution.executor.ExecutionHooks` over
:mod:`workbench.store.ledger`, so an order's life is in the store whatever happens to the
process:

1. ``track(order, pair)``: the domain order, once the risk gate accepted it (status
   ACCEPTED). An order row without signed bytes was never sent.
2. ``on_submitted``: the signed bytes, signature and ``last_valid_block_height``, committed
   before it returns: the executor broadcasts after it. A tracked order's row is updated to
   SUBMITTED; an order never saved is inserted as one row already SUBMITTED. A crash after
   this point is settled by re-sending the same bytes (``Executor.recover`` or
   ``workbench.live.recovery``), never by signing again.
3. ``on_fill``: fills measured from the confirmed transaction's token balances (never the
   quote) and the order's FILLED status, in one transaction; then a snapshot of the wallet's
   balances read from the chain.
4. ``on_status``: REJECTED, FAILED, EXPIRED with their reason; FILLED once ``on_fill``
   stored it is a no-op.
5. ``forget(client_order_id)`` once the order is final: the hooks keep no memory of it (the
   ledger has it), so a process running for weeks does not grow.

An intent the executor runs without ``track`` (``executor.execute(SwapIntent(...))`` in a
notebook) is still recorded: its order is derived from the signed intent (side from the mints,
size from the input, price from the minimum output), so nothing reaches the chain unrecorded.

These writes are on the executor's path, so they go through
:class:`~workbench.store.ledger.OrderWriter` (one connection kept by the hooks, prepared
statements), not SQLAlchemy per call; :meth:`LedgerHooks.close` releases that connection.

Balance snapshots (``balance_snapshots``, ``source="chain"``) hold one row per token of the
hooks' pairs, keyed by mint, read from the owner's associated token account, plus the wallet's
native lamports under the key :data:`NATIVE_KEY` (decimals 9).

Example:
    >>> hooks = LedgerHooks(store, owner=wallet.pubkey, pairs=[pair], chain=chain)
    >>> ex = Executor(chain, wallet, venues, hooks=hooks)
    >>> hooks.track(order, pair)
    >>> await ex.execute(intent)   # intent.client_order_id == order.client_order_id
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from solders.pubkey import Pubkey
from solders.signature import Signature

from workbench.chain.base import Chain
from workbench.chain.programs import associated_token_address
from workbench.chain.types import ConfirmedTx
from workbench.domain import Fill, Order, OrderStatus, Pair, Side, Token, from_raw
from workbench.errors import StoreError
from workbench.execution.executor import SubmittedTx, SwapFill
from workbench.store import Store, ledger

__all__ = [
    "NATIVE_KEY",
    "LedgerHooks",
    "fills_from_swap",
    "order_from_submitted",
    "pool_owners_of",
    "wallet_balances",
]

log = logging.getLogger(__name__)

NATIVE_KEY = "native"
"""``balance_snapshots.mint`` of the wallet's native SOL (lamports, decimals 9)."""

_VENUE_CHARS = 32  # orders.venue and fills.venue are VARCHAR(32)
_REASON_CHARS = 500


def _pair_for(pairs: Sequence[Pair], input_mint: str, output_mint: str) -> Pair:
    for pair in pairs:
        mints = {str(pair.base.mint), str(pair.quote.mint)}
        if {input_mint, output_mint} <= mints:
            return pair
    known = ", ".join(p.symbol for p in pairs) or "none"
    raise StoreError(
        f"Swap {input_mint} -> {output_mint} is on none of the ledger hooks' pairs ({known}); "
        "pass its Pair to LedgerHooks(pairs=...) or hooks.track(order, pair).")


def pool_owners_of(venues: Iterable[object]) -> dict[str, str]:
    """Pool authority (base58) -> venue name for local AMM venues (others are skipped).

    With it, a split or arbitrage route is booked as one fill per pool, read from the pool
    vaults' balance changes in the same transaction.
    """
    out: dict[str, str] = {}
    for venue in venues:
        pool = getattr(venue, "pool", None)
        authority = getattr(pool, "authority_pubkey", None)
        if authority is not None:
            out[str(authority)] = str(getattr(venue, "name", pool))
    return out


def order_from_submitted(submitted: SubmittedTx, pair: Pair, *, strategy: str) -> Order:
    """The domain order of a signed intent nobody tracked.

    Side from the mints (spending the quote token buys the base), size and price from the
    input and the minimum output: the worst price the transaction accepts.

    Raises:
        StoreError: an arbitrage (input mint == output mint) or a zero minimum output, whose
            price cannot be derived; track the order explicitly.
    """
    base, quote = pair.base, pair.quote
    if submitted.input_mint == submitted.output_mint or submitted.min_out_amount_raw <= 0:
        raise StoreError(
            f"Order {submitted.client_order_id}: cannot derive a price from the intent "
            f"({submitted.in_amount_raw} {submitted.input_mint} -> at least "
            f"{submitted.min_out_amount_raw} {submitted.output_mint}); call "
            "hooks.track(order, pair) before executing it.")
    if submitted.input_mint == str(quote.mint):
        side = Side.BUY
        base_amt = from_raw(submitted.min_out_amount_raw, base.decimals)
        quote_amt = from_raw(submitted.in_amount_raw, quote.decimals)
    else:
        side = Side.SELL
        base_amt = from_raw(submitted.in_amount_raw, base.decimals)
        quote_amt = from_raw(submitted.min_out_amount_raw, quote.decimals)
    return Order(client_order_id=submitted.client_order_id, strategy=strategy,
                 symbol=pair.symbol, side=side, amount=base_amt, price=quote_amt / base_amt,
                 venue=",".join(submitted.venues)[:_VENUE_CHARS] or None)


def fills_from_swap(
    swap: SwapFill,
    pair: Pair,
    *,
    landed: ConfirmedTx | None = None,
    pool_owners: Mapping[str, str] | None = None,
) -> list[Fill]:
    """The fills of a confirmed swap, from the chain's token balance changes.

    * One venue: the owner's base and quote deltas (``swap.changes``, post - pre) are one
      fill; spending quote is a BUY.
    * A split over several pools, or an arbitrage (input mint == output mint), with
      ``landed`` and ``pool_owners``: one fill per pool from its vaults' deltas (the pool
      selling base is our BUY). Their sum is the owner's net change, base unit for base unit.

    The network fee (and tip) is charged once, on the first fill.

    Args:
        swap: the executor's fill.
        pair: base/quote of the swap.
        landed: the confirmed transaction (needed for per-pool legs).
        pool_owners: pool authority (base58) -> venue name (see :func:`pool_owners_of`).

    Returns:
        Fills in leg order (buys first for an arbitrage); empty when no balance moved.
    """
    base_mint, quote_mint = str(pair.base.mint), str(pair.quote.mint)
    bd, qd = pair.base.decimals, pair.quote.decimals
    per_pool = landed is not None and pool_owners and (
        len(swap.venues) > 1 or swap.input_mint == swap.output_mint)
    legs: list[tuple[Side, int, int, str]] = []
    if per_pool:
        assert landed is not None and pool_owners is not None  # narrowed above
        for authority, name in pool_owners.items():
            ch = {c.mint: c.delta_raw for c in landed.token_changes(authority)}
            db, dq = ch.get(base_mint, 0), ch.get(quote_mint, 0)
            if db == 0 and dq == 0:
                continue
            legs.append((Side.BUY if db < 0 else Side.SELL, abs(db), abs(dq), name))
        legs.sort(key=lambda leg: leg[0] is not Side.BUY)
    else:
        ch = {c.mint: c.delta_raw for c in swap.changes}
        db, dq = ch.get(base_mint, 0), ch.get(quote_mint, 0)
        if db != 0 and dq != 0:
            side = Side.BUY if swap.input_mint == quote_mint else Side.SELL
            legs.append((side, abs(db), abs(dq), ",".join(swap.venues)))
    return [Fill(client_order_id=swap.client_order_id, symbol=pair.symbol, side=side,
                 base_amount=from_raw(b, bd), quote_amount=from_raw(q, qd),
                 fee_lamports=swap.fee_lamports if i == 0 else 0,
                 venue=venue[:_VENUE_CHARS], signature=swap.signature, ts_event=swap.ts_event)
            for i, (side, b, q, venue) in enumerate(legs)]


async def wallet_balances(chain: Chain, owner: Pubkey,
                          tokens: Iterable[Token]) -> dict[str, tuple[int, int]]:
    """``owner``'s balances read from the chain: mint -> (amount_raw, decimals).

    One row per token (its associated token account; 0 when missing) and the native lamports
    under :data:`NATIVE_KEY`.
    """
    out: dict[str, tuple[int, int]] = {}
    for token in tokens:
        raw = await chain.token_balance_raw(associated_token_address(owner, token.mint))
        out[str(token.mint)] = (raw, token.decimals)
    out[NATIVE_KEY] = (await chain.balance_lamports(owner), 9)
    return out


class LedgerHooks:
    """:class:`~workbench.execution.executor.ExecutionHooks` that persist to the ledger store.

    Args:
        store: the ledger (SQLite or PostgreSQL), migrated.
        owner: the trading wallet.
        pairs: the pairs traded (token mints and decimals for fills and snapshots).
        chain: the chain the executor sends to; needed for balance snapshots and per-pool
            fills. None stores fills from ``SwapFill.changes`` only, without snapshots.
        pool_owners: pool authority -> venue name (see :func:`pool_owners_of`).
        mode: ``paper`` or ``live``, stored on each order.
        strategy: stored on orders derived from untracked intents and on their fills.
        snapshot_balances: write a chain balance snapshot after every fill.
    """

    def __init__(
        self,
        store: Store,
        *,
        owner: Pubkey,
        pairs: Sequence[Pair],
        chain: Chain | None = None,
        pool_owners: Mapping[str, str] | None = None,
        mode: str = "paper",
        strategy: str = "manual",
        snapshot_balances: bool = True,
    ) -> None:
        if not pairs:
            raise StoreError("LedgerHooks needs at least one Pair to book fills against.")
        self.store = store
        self.owner = owner
        self.pairs = list(pairs)
        self.chain = chain
        self.pool_owners = dict(pool_owners or {})
        self.mode = mode
        self.strategy = strategy
        self.snapshot_balances = snapshot_balances
        self._orders: dict[str, tuple[Order, Pair]] = {}
        self._status: dict[str, OrderStatus] = {}
        self._writer = ledger.OrderWriter(store)

    def __repr__(self) -> str:
        return f"LedgerHooks(owner={self.owner}, pairs={[p.symbol for p in self.pairs]})"

    @property
    def tokens(self) -> list[Token]:
        """Every token of the hooks' pairs, once each, in pair order."""
        seen: dict[Pubkey, Token] = {}
        for pair in self.pairs:
            seen.setdefault(pair.base.mint, pair.base)
            seen.setdefault(pair.quote.mint, pair.quote)
        return list(seen.values())

    def track(self, order: Order, pair: Pair | None = None, *, saved: bool = False) -> None:
        """Register the domain order behind a client order id, before executing it.

        Args:
            order: the order the risk gate accepted (resized, if it was).
            pair: its pair; default: the hooks' pair whose symbol is ``order.symbol``.
            saved: the caller stored it already (the live engine saves ACCEPTED itself);
                otherwise it is stored now with status ACCEPTED.

        Raises:
            StoreError: unknown pair, or the client order id is already in the ledger.
        """
        if pair is None:
            pair = next((p for p in self.pairs if p.symbol == order.symbol), None)
            if pair is None:
                raise StoreError(f"Order {order.client_order_id} is on {order.symbol}, which is "
                                 "none of the ledger hooks' pairs; pass its Pair.")
        if not saved:
            self._writer.insert_order(order, status=OrderStatus.ACCEPTED, mode=self.mode)
        self._orders[order.client_order_id] = (order, pair)
        self._status[order.client_order_id] = OrderStatus.ACCEPTED

    def status_of(self, client_order_id: str) -> OrderStatus | None:
        """The last status these hooks recorded for ``client_order_id`` (None if unknown)."""
        return self._status.get(client_order_id)

    def order_of(self, client_order_id: str) -> Order | None:
        """The tracked (or derived) order of ``client_order_id``, None when unknown."""
        hit = self._orders.get(client_order_id)
        return hit[0] if hit is not None else None

    def forget(self, client_order_id: str, *, force: bool = False) -> bool:
        """Drop a finished order from memory; the ledger keeps it.

        A 24/7 engine tracks every order it sends; without this the hooks grow by one order
        per trade. Call it once the order is final (filled, rejected, expired, failed): a
        replayed fill (recovery) still books, under the hooks' ``strategy``, and
        ``save_fill`` ignores a fill stored before.

        Args:
            client_order_id: the order.
            force: also drop an order still SUBMITTED (its intent may land; a fill arriving
                later is then booked under the hooks' ``strategy``).

        Returns:
            True when the order was tracked here, False when it was unknown.

        Raises:
            StoreError: the order is SUBMITTED and ``force`` is False.
        """
        if self._status.get(client_order_id) is OrderStatus.SUBMITTED and not force:
            raise StoreError(
                f"Order {client_order_id} is still submitted (its transaction may land), so "
                "its tracked order is still needed to book the fill; forget it once it is "
                "final, or pass force=True.")
        known = self._orders.pop(client_order_id, None) is not None
        return self._status.pop(client_order_id, None) is not None or known

    def close(self) -> None:
        """Release the hooks' database connection (a later write opens another)."""
        self._writer.close()

    # --- ExecutionHooks ---------------------------------------------------------------------

    def on_submitted(self, submitted: SubmittedTx) -> None:
        """Store the signed intent; returns once it is committed (the executor sends after).

        One statement: the tracked order's row moves to SUBMITTED, or an order never saved
        is inserted already SUBMITTED.
        """
        coid = submitted.client_order_id
        reason = f"attempt {submitted.attempt}" if submitted.attempt else None
        if coid in self._orders:
            self._writer.set_status(
                coid, OrderStatus.SUBMITTED, signature=submitted.signature,
                signed_tx=submitted.tx_bytes,
                last_valid_block_height=submitted.last_valid_block_height,
                venue=",".join(submitted.venues)[:_VENUE_CHARS] or None, reason=reason)
        else:
            pair = _pair_for(self.pairs, submitted.input_mint, submitted.output_mint)
            order = order_from_submitted(submitted, pair, strategy=self.strategy)
            self._writer.insert_order(
                order, status=OrderStatus.SUBMITTED, mode=self.mode, reason=reason,
                signature=submitted.signature, signed_tx=submitted.tx_bytes,
                last_valid_block_height=submitted.last_valid_block_height)
            self._orders[coid] = (order, pair)
        self._status[coid] = OrderStatus.SUBMITTED

    def on_status(self, client_order_id: str, status: OrderStatus, detail: str) -> None:
        """Record a status change.

        SUBMITTED is written with the intent and FILLED with the fills (``on_fill``), so
        both are skipped here when already stored.
        """
        if status is OrderStatus.SUBMITTED or (
                status is OrderStatus.FILLED
                and self._status.get(client_order_id) is OrderStatus.FILLED):
            return
        try:
            if status is OrderStatus.FILLED:
                self._writer.set_status(client_order_id, status, signature=detail or None)
            else:
                self._writer.set_status(client_order_id, status,
                                        reason=detail[:_REASON_CHARS] or None)
        except StoreError:
            if client_order_id in self._orders:
                raise
            # An untracked intent refused before signing: nothing was sent, no row exists.
            # (An order of an earlier process, resumed with ``Executor.recover``, has its row.)
            log.info("ledger hooks: %s %s before any intent was stored: %s", client_order_id,
                     status, detail)
            return
        self._status[client_order_id] = status

    async def on_fill(self, fill: SwapFill) -> list[Fill]:
        """Store the fills measured on chain and mark the order FILLED (one transaction),
        then snapshot the wallet's balances.

        Returns:
            The fills of the swap (stored now, or already stored by an earlier attempt:
            a fill is stored once per order, signature and venue).
        """
        tracked = self._orders.get(fill.client_order_id)
        pair = tracked[1] if tracked is not None else _pair_for(
            self.pairs, fill.input_mint, fill.output_mint)
        strategy = tracked[0].strategy if tracked is not None else self.strategy
        landed = None
        if self.chain is not None and self.pool_owners and (
                len(fill.venues) > 1 or fill.input_mint == fill.output_mint):
            landed = await self.chain.get_transaction(Signature.from_string(fill.signature))
        fills = fills_from_swap(fill, pair, landed=landed, pool_owners=self.pool_owners)
        _, marked = self._writer.save_fills(fill.client_order_id, fills, strategy=strategy,
                                            signature=fill.signature)
        if marked:  # the executor's FILLED status that follows is then a no-op
            self._status[fill.client_order_id] = OrderStatus.FILLED
        if self.snapshot_balances and self.chain is not None:
            await self.save_balances(ts=fill.ts_event)
        return fills

    # --- balances -------------------------------------------------------------------------

    async def balances(self) -> dict[str, tuple[int, int]]:
        """The wallet's balances on chain now (see :func:`wallet_balances`).

        Raises:
            StoreError: the hooks have no chain.
        """
        if self.chain is None:
            raise StoreError("LedgerHooks has no chain to read balances from; pass chain=.")
        return await wallet_balances(self.chain, self.owner, self.tokens)

    async def save_balances(self, *, ts: int | None = None) -> dict[str, tuple[int, int]]:
        """Snapshot the wallet's chain balances into ``balance_snapshots``; returns them."""
        balances = await self.balances()
        ledger.save_balances(self.store, str(self.owner), balances, source="chain", ts=ts)
        return balances
