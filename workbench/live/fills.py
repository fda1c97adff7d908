"""Fills measured from a landed transaction: the chain's balance changes, never the quote.

One function serves the normal path and recovery after a crash, so an order filled before a
restart and one reconciled after it are booked identically.

* A single swap: the wallet's base and quote token deltas (``post - pre``) are the fill.
* An arbitrage (two pools in one transaction): each pool's vault deltas are one leg, read from
  the same transaction's token balances under the pool authority (the pool sold base on the
  buy leg and bought it back on the sell leg).
"""

from __future__ import annotations

from collections.abc import Mapping

from workbench.chain import ConfirmedTx
from workbench.domain import Fill, Pair, Side, from_raw

__all__ = ["fills_from_landed"]


def fills_from_landed(
    *,
    client_order_id: str,
    side: Side,
    pair: Pair,
    owner: str,
    landed: ConfirmedTx,
    venue: str,
    ts_event: int,
    pool_owners: Mapping[str, str] | None = None,
    is_arbitrage: bool = False,
) -> list[Fill]:
    """The fills of one landed, successful transaction.

    Args:
        client_order_id: the order.
        side: the order's side (for an arbitrage: BUY, the first leg).
        pair: the traded pair (mints and decimals).
        owner: the wallet (base58).
        landed: the confirmed transaction.
        venue: venue name(s) recorded on the order (comma-separated for routes).
        ts_event: time booked on the fill (bar time in paper mode), ns.
        pool_owners: pool authority (base58) -> venue name, for arbitrage legs.
        is_arbitrage: book one fill per pool leg instead of the wallet's net change.

    Returns:
        Fills in leg order; the network fee is charged once, on the first.
    """
    base_mint, quote_mint = str(pair.base.mint), str(pair.quote.mint)
    bd, qd = pair.base.decimals, pair.quote.decimals
    if is_arbitrage and pool_owners:
        legs = []
        for authority, name in pool_owners.items():
            ch = {c.mint: c.delta_raw for c in landed.token_changes(authority)}
            db, dq = ch.get(base_mint, 0), ch.get(quote_mint, 0)
            if db == 0 and dq == 0:
                continue
            leg_side = Side.BUY if db < 0 else Side.SELL  # the pool sold base: we bought
            legs.append((leg_side, abs(db), abs(dq), name))
        legs.sort(key=lambda leg: leg[0] is not Side.BUY)
        return [Fill(client_order_id=client_order_id, symbol=pair.symbol, side=s,
                     base_amount=from_raw(b, bd), quote_amount=from_raw(q, qd),
                     fee_lamports=landed.fee_lamports if i == 0 else 0, venue=name,
                     signature=str(landed.signature), ts_event=ts_event)
                for i, (s, b, q, name) in enumerate(legs)]
    ch = {c.mint: c.delta_raw for c in landed.token_changes(owner)}
    db, dq = ch.get(base_mint, 0), ch.get(quote_mint, 0)
    if db == 0 or dq == 0:
        return []
    return [Fill(client_order_id=client_order_id, symbol=pair.symbol, side=side,
                 base_amount=from_raw(abs(db), bd), quote_amount=from_raw(abs(dq), qd),
                 fee_lamports=landed.fee_lamports, venue=venue,
                 signature=str(landed.signature), ts_event=ts_event)]
