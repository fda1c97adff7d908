"""Risk decisions as event records for the ledger (``risk_events`` table).

``workbench.store`` is a sibling layer, so this module only shapes the dict; the engine passes
it to ``workbench.store.ledger.record_risk_event``. Accepted orders make no event by default:
the ledger already has the order, and only stops and breaches need explaining.
"""

from __future__ import annotations

from typing import Any

from workbench.risk.decision import Action, Decision

__all__ = ["decision_event"]


def decision_event(decision: Decision, *, ts: int | None = None) -> dict[str, Any] | None:
    """The risk-event record for a decision, or None for a plain ACCEPT.

    Args:
        decision: the gate's answer.
        ts: event time, ns; defaults to the order's ``ts_init`` (never wall time, so a backtest
            records bar time).

    Returns:
        ``{ts, kind, rule, detail, client_order_id, strategy}`` with ``kind`` one of
        ``order_rejected`` / ``order_resized``.
    """
    if decision.action is Action.ACCEPT:
        return None
    order = decision.order
    kind = "order_rejected" if decision.action is Action.REJECT else "order_resized"
    return {
        "ts": order.ts_init if ts is None else ts,
        "kind": kind,
        "rule": str(decision.rule) if decision.rule is not None else None,
        "detail": decision.detail,
        "client_order_id": order.client_order_id,
        "strategy": order.strategy,
    }
