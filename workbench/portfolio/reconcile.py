"""Reconcile the ledger's holdings against on-chain balances, reporting every difference.

The ledger is built from fills; the chain is the truth. A difference means a missed fill, a
transfer we did not book, rent or dust, or a bug. Comparison is in integer base units, so no
rounding can hide a one-unit difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from workbench.domain import WELL_KNOWN, Token, from_raw, to_raw
from workbench.errors import RiskError

__all__ = ["RECONCILE_STATUS_DESC", "reconcile"]

RECONCILE_STATUS_DESC: dict[str, str] = {
    "ok": "ledger and chain agree to the base unit",
    "mismatch": "both hold the token but the amounts differ",
    "missing_on_chain": "the ledger holds it, the chain shows none",
    "not_in_ledger": "the chain holds it, the ledger shows none",
    "unknown_mint": "the chain holds a mint that is not in the token registry",
}

COLUMNS = ["mint", "symbol", "decimals", "ledger_raw", "chain_raw", "diff_raw", "diff",
           "status"]


def reconcile(
    ledger: Mapping[str, Decimal],
    chain_raw: Mapping[str, int],
    *,
    tokens: Mapping[str, Token] = WELL_KNOWN,
    include_matches: bool = False,
) -> pd.DataFrame:
    """Compare ledger holdings with chain balances.

    Args:
        ledger: token symbol -> amount (human Decimal), e.g. ``Portfolio.holdings``.
        chain_raw: base58 mint -> raw amount from the chain (token accounts summed by mint;
            native SOL in lamports under the wrapped-SOL mint).
        tokens: token registry (symbol -> Token), which links symbols to mints and decimals.
        include_matches: also list tokens that agree (status ``ok``).

    Returns:
        One row per difference, sorted by symbol: ``mint`` (str), ``symbol`` (str or None),
        ``decimals`` (int or None), ``ledger_raw``, ``chain_raw``, ``diff_raw`` (Python ints
        in object columns: raw amounts exceed int64), ``diff`` (Decimal, chain - ledger,
        human units) and ``status`` (see ``RECONCILE_STATUS_DESC``). Empty when all agree.

    Raises:
        RiskError: a ledger token is not in the registry, a ledger amount is not a whole
            number of base units, or a chain amount is not a non-negative int.
    """
    by_mint = {str(t.mint): t for t in tokens.values()}
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for symbol, amount in ledger.items():
        token = tokens.get(symbol)
        if token is None:
            raise RiskError(f"Ledger holds {symbol!r}, which is not in the token registry; add "
                            "its Token (mint, decimals) to reconcile it.")
        mint = str(token.mint)
        seen.add(mint)
        ledger_units = to_raw(amount, token.decimals)
        chain_units = _chain_amount(chain_raw, mint)
        rows.append(_row(mint, token, ledger_units, chain_units))
    for mint in chain_raw:
        if mint in seen:
            continue
        chain_units = _chain_amount(chain_raw, mint)
        token = by_mint.get(mint)
        if token is None:
            if chain_units:
                rows.append({"mint": mint, "symbol": None, "decimals": None, "ledger_raw": 0,
                             "chain_raw": chain_units, "diff_raw": chain_units, "diff": None,
                             "status": "unknown_mint"})
            continue
        rows.append(_row(mint, token, 0, chain_units))
    if not include_matches:
        rows = [r for r in rows if r["status"] != "ok"]
    rows.sort(key=lambda r: (r["symbol"] is None, str(r["symbol"]), str(r["mint"])))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("symbol", "decimals", "ledger_raw", "chain_raw", "diff_raw", "diff"):
        frame[col] = pd.Series([r[col] for r in rows], index=frame.index, dtype=object)
    return frame


def _chain_amount(chain_raw: Mapping[str, int], mint: str) -> int:
    raw = chain_raw.get(mint, 0)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise RiskError(f"Chain balance for mint {mint} is {raw!r}; expected an int of base "
                        "units >= 0.")
    return raw


def _row(mint: str, token: Token, ledger_units: int, chain_units: int) -> dict[str, object]:
    diff = chain_units - ledger_units
    if diff == 0:
        status = "ok"
    elif chain_units == 0:
        status = "missing_on_chain"
    elif ledger_units == 0:
        status = "not_in_ledger"
    else:
        status = "mismatch"
    return {"mint": mint, "symbol": token.symbol, "decimals": token.decimals,
            "ledger_raw": ledger_units, "chain_raw": chain_units, "diff_raw": diff,
            "diff": from_raw(diff, token.decimals), "status": status}
