"""Swaps from chain: ``getTransaction`` results turned into trades of one pool.

A pool is identified by the owner of its vault token accounts (Raydium v4: the program
authority ``5Q544f...``; Pump.fun: the bonding curve account) and, where one owner holds many
pools' vaults, by the vault addresses. The pool's change in each mint across the transaction
(post - pre token balances) is the trade, from the pool's side: if the pool's base balance fell,
a taker bought base. Native SOL held as lamports (Pump.fun curves) is read from the owner
account's ``preBalances``/``postBalances``.

Worked example (Raydium v4, slot 292734971): the pool's SOL vault fell 352,936,256 lamports and
its token vault rose 836,112,233,953 base units, so a taker sold 836,112.233953 tokens for
0.352936256 SOL at 4.2212e-7 SOL per token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from workbench.domain import Trade
from workbench.errors import SchemaError

__all__ = [
    "NATIVE_SOL",
    "market_trades_frame",
    "parse_pool_swap",
    "pool_seq",
    "trades_to_frame",
]

NATIVE_SOL = "So11111111111111111111111111111111111111112"


def _account_keys(tx: Mapping[str, Any]) -> list[str]:
    msg = tx["transaction"]["message"]
    keys = [k if isinstance(k, str) else k["pubkey"] for k in msg["accountKeys"]]
    loaded = (tx.get("meta") or {}).get("loadedAddresses") or {}
    return keys + list(loaded.get("writable", [])) + list(loaded.get("readonly", []))


def _owner_deltas(
    meta: Mapping[str, Any], keys: list[str], owner: str, vaults: set[str] | None
) -> dict[str, tuple[int, int]]:
    """mint -> (delta_raw, decimals) summed over the owner's (or the given) token accounts."""
    out: dict[str, list[int]] = {}
    for sign, field in ((-1, "preTokenBalances"), (1, "postTokenBalances")):
        for bal in meta.get(field) or []:
            idx = bal["accountIndex"]
            address = keys[idx] if idx < len(keys) else None
            if vaults is not None:
                if address not in vaults:
                    continue
            elif bal.get("owner") != owner:
                continue
            amount = int(bal["uiTokenAmount"]["amount"])
            decimals = int(bal["uiTokenAmount"]["decimals"])
            acc = out.setdefault(bal["mint"], [0, decimals])
            acc[0] += sign * amount
    return {m: (v[0], v[1]) for m, v in out.items()}


def parse_pool_swap(
    tx: Mapping[str, Any],
    *,
    pool_owner: str,
    base_mint: str,
    quote_mint: str,
    venue: str,
    symbol: str,
    vaults: Iterable[str] | None = None,
) -> Trade | None:
    """The trade one pool made in a confirmed transaction, or None if it did not trade.

    Args:
        tx: a ``getTransaction`` result (encoding ``json`` or ``jsonParsed``), or the one-element
            list some recorders wrap it in.
        pool_owner: owner of the pool's vaults (and holder of native SOL for bonding curves).
        base_mint / quote_mint: the pair's mints; price is quote per base.
        venue: venue name for the Trade.
        symbol: pair symbol for the Trade, e.g. ``"SOL/USDC"``.
        vaults: the pool's vault addresses, when the owner holds several pools' vaults.

    Returns:
        A Trade (side of the taker, human amounts, ``ts_event`` from ``blockTime`` in ns), or
        None for failed transactions and ones where the pool's balances did not move both ways.

    Raises:
        SchemaError: the payload lacks ``meta``, ``slot`` or the token balances.
    """
    if isinstance(tx, list):
        if len(tx) != 1:
            raise SchemaError(f"Expected one transaction, got a list of {len(tx)}.",
                              source="getTransaction")
        tx = tx[0]
    try:
        meta = tx["meta"]
        slot = int(tx["slot"])
        keys = _account_keys(tx)
        signature = tx["transaction"]["signatures"][0]
        block_time = tx.get("blockTime")
        if meta is None:
            raise KeyError("meta")
        if meta.get("err") is not None:
            return None
        deltas = _owner_deltas(meta, keys, pool_owner, set(vaults) if vaults else None)
        if quote_mint == NATIVE_SOL and NATIVE_SOL not in deltas and pool_owner in keys:
            i = keys.index(pool_owner)
            deltas[NATIVE_SOL] = (int(meta["postBalances"][i]) - int(meta["preBalances"][i]), 9)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SchemaError(
            f"getTransaction payload is missing or mistypes {exc}; expected a json-encoded "
            "transaction with meta.pre/postTokenBalances.",
            source="getTransaction",
        ) from exc
    if base_mint not in deltas or quote_mint not in deltas:
        return None
    base_delta, base_dec = deltas[base_mint]
    quote_delta, quote_dec = deltas[quote_mint]
    if base_delta == 0 or quote_delta == 0 or (base_delta > 0) == (quote_delta > 0):
        return None
    base_amount = Decimal(abs(base_delta)).scaleb(-base_dec)
    quote_amount = Decimal(abs(quote_delta)).scaleb(-quote_dec)
    return Trade(
        venue=venue,
        symbol=symbol,
        ts_event=int(block_time) * 1_000_000_000 if block_time is not None else 0,
        side="buy" if base_delta < 0 else "sell",
        price=quote_amount / base_amount,
        base_amount=base_amount,
        quote_amount=quote_amount,
        signature=signature,
        slot=slot,
    )


def trades_to_frame(trades: Iterable[Trade]) -> pd.DataFrame:
    """Trades as a DataFrame for candle building.

    Returns:
        DataFrame indexed by UTC ``ts`` with float64 ``price``, ``amount`` (base), ``cost``
        (quote), str ``side``, int64 ``slot`` (-1 unknown) and str ``signature``; sorted by
        time then slot.
    """
    rows = list(trades)
    frame = pd.DataFrame(
        {
            "price": np.array([float(t.price) for t in rows], dtype=np.float64),
            "amount": np.array([float(t.base_amount) for t in rows], dtype=np.float64),
            "cost": np.array([float(t.quote_amount) for t in rows], dtype=np.float64),
            "side": [t.side for t in rows],
            "slot": np.array([t.slot if t.slot is not None else -1 for t in rows], dtype=np.int64),
            "signature": [t.signature or "" for t in rows],
        },
        index=pd.DatetimeIndex(pd.to_datetime([t.ts_event for t in rows], unit="ns", utc=True),
                               name="ts"),
    )
    return frame.sort_values(["ts", "slot"], kind="stable")


def pool_seq(
    tx: Mapping[str, Any], *, pool_owner: str, base_mint: str, quote_mint: str,
    vaults: Iterable[str] | None = None,
) -> int:
    """A stable number telling one pool's trade apart from others in the same transaction.

    It is the smallest account index among the pool's vault token balances (the given
    ``vaults``, else the owner's accounts in the pair's mints), or 0 when none is listed (a
    bonding curve holding only lamports). The same transaction and pool always give the same
    number, so ``(venue, signature, seq)`` identifies a stored trade across re-runs and across
    backfills of the pool and of its program.
    """
    if isinstance(tx, list):
        tx = tx[0]
    meta = tx.get("meta") or {}
    keys = _account_keys(tx)
    vault_set = set(vaults) if vaults else None
    mints = {base_mint, quote_mint}
    found: list[int] = []
    for field in ("preTokenBalances", "postTokenBalances"):
        for bal in meta.get(field) or []:
            idx = int(bal["accountIndex"])
            if vault_set is not None:
                if idx < len(keys) and keys[idx] in vault_set:
                    found.append(idx)
            elif bal.get("owner") == pool_owner and bal.get("mint") in mints:
                found.append(idx)
    return min(found) if found else 0


def market_trades_frame(items: Iterable[tuple[Trade, int]]) -> pd.DataFrame:
    """Trades with their ``seq`` as a frame for ``workbench.store.trades.save_market_trades``.

    Returns:
        DataFrame indexed by UTC ``ts`` with str ``venue symbol side signature``, float64
        ``price base_amount quote_amount`` (human units) and int64 ``seq slot`` (-1 unknown).
    """
    rows = list(items)
    return pd.DataFrame(
        {
            "venue": [t.venue for t, _ in rows],
            "symbol": [t.symbol for t, _ in rows],
            "side": [t.side for t, _ in rows],
            "price": np.array([float(t.price) for t, _ in rows], dtype=np.float64),
            "base_amount": np.array([float(t.base_amount) for t, _ in rows], dtype=np.float64),
            "quote_amount": np.array([float(t.quote_amount) for t, _ in rows], dtype=np.float64),
            "signature": [t.signature or "" for t, _ in rows],
            "seq": np.array([s for _, s in rows], dtype=np.int64),
            "slot": np.array([t.slot if t.slot is not None else -1 for t, _ in rows],
                             dtype=np.int64),
        },
        index=pd.DatetimeIndex(pd.to_datetime([t.ts_event for t, _ in rows], unit="ns",
                                              utc=True), name="ts"),
    )
