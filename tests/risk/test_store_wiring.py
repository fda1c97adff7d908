"""Risk events and limit-change audits are shaped for the lead's ledger API (SQLite)."""

from __future__ import annotations

from decimal import Decimal

from workbench.risk import (
    PortfolioSnapshot,
    RiskLimits,
    change_limit,
    check_order,
    decision_event,
)
from workbench.store import open_store
from workbench.store.ledger import audit, load_audit, load_risk_events, record_risk_event

from .conftest import TOKENS, make_order


def test_rejection_and_limit_change_round_trip_through_the_ledger(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A rejected order's event and a limit change's audit record persist and read back."""
    store = open_store(f"sqlite:///{tmp_path / 'wb.db'}")
    store.upgrade()
    snapshot = PortfolioSnapshot(holdings={"USDC": Decimal(100)}, equity=Decimal(100),
                                 peak_equity=Decimal(200))
    decision = check_order(make_order(), snapshot, {"SOL": Decimal(150)}, RiskLimits(),
                           tokens=TOKENS)
    event = decision_event(decision)
    assert event is not None
    record_risk_event(store, event)
    _, change = change_limit(RiskLimits(), "max_drawdown_pct", "30", actor="ana")
    audit(store, actor=change["actor"], action="risk.limit_change", detail=change)
    events = load_risk_events(store)
    assert events[["kind", "rule", "client_order_id", "strategy"]].iloc[0].tolist() == [
        "order_rejected", "drawdown", "t-1", "test"]
    assert events["detail"].iloc[0].startswith("drawdown 50.00% from peak 200.00")
    log = load_audit(store)
    assert log["detail"].iloc[0] == {"actor": "ana", "field": "max_drawdown_pct", "old": "20",
                                     "new": "30"}
