"""Invariants every engine run must keep, shared by the engine and crash tests."""

from __future__ import annotations

from decimal import Decimal

from workbench.domain import WELL_KNOWN, OrderStatus, from_raw
from workbench.live import PaperMarket
from workbench.portfolio import Portfolio, reconcile
from workbench.store import Store, ledger

FINAL = {str(s) for s in OrderStatus if s.is_final}


def ledger_holdings(store: Store) -> dict[str, Decimal]:
    """Holdings rebuilt from the stored starting balances plus every stored fill."""
    account = ledger.get_state(store, "engine_account")
    assert account is not None, "engine never recorded its starting balances"
    bal = {m: int(v) for m, v in account["balances"].items()}
    sol, usdt = WELL_KNOWN["SOL"], WELL_KNOWN["USDT"]
    book = Portfolio(cash={"SOL": from_raw(bal[str(sol.mint)], 9),
                           "USDT": from_raw(bal[str(usdt.mint)], 6)},
                     marks={"SOL": Decimal(account["start_price"]), "USDT": Decimal(1)})
    fills = ledger.load_fills(store)
    from workbench.domain import Fill, Side

    for row in fills.iloc[::-1].itertuples(index=False):
        book.apply_fill(Fill(client_order_id=row.client_order_id, symbol=row.symbol,
                             side=Side(row.side), base_amount=Decimal(row.base_amount),
                             quote_amount=Decimal(row.quote_amount),
                             fee_lamports=int(row.fee_lamports), venue=row.venue,
                             signature=row.signature, ts_event=0))
    return book.holdings


def assert_ledger_matches_chain(store: Store, market: PaperMarket) -> None:
    """Every order is final, fills belong to filled orders, and ledger == chain balances."""
    orders = ledger.load_orders(store)
    assert set(orders["status"]) <= FINAL, orders[~orders["status"].isin(FINAL)]
    assert orders["client_order_id"].is_unique
    fills = ledger.load_fills(store)
    filled = set(orders.loc[orders["status"] == "filled", "client_order_id"])
    assert set(fills["client_order_id"]) == filled
    # one transaction per order: its fills share one signature, no signature serves two orders
    per_order = fills.groupby("client_order_id")["signature"].nunique()
    assert (per_order == 1).all()
    per_sig = fills.groupby("signature")["client_order_id"].nunique()
    assert (per_sig == 1).all()
    diff = reconcile(ledger_holdings(store), market.wallet_raw())
    assert diff.empty, diff.to_string()
