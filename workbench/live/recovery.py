"""Recovery after a restart: reconcile every unfinished order with the chain, then resume.

Every order row not in a final state is one of:

* ``new``/``accepted`` with no signed bytes: it was never signed, so it was never sent and
  cannot be on chain. It is CANCELLED ("not sent before the restart"); the strategy decides
  again on live data rather than trading at a stale price.
* ``submitted`` (signed bytes, signature and ``last_valid_block_height`` stored before the first
  broadcast): its signature is looked up. Landed and succeeded -> its fills are read from the
  chain and stored (``save_fill`` is idempotent, so a fill stored before the crash is not
  doubled) and it is FILLED; landed and failed -> FAILED. Not found -> the SAME bytes are
  re-broadcast until they land or the chain passes their ``last_valid_block_height``
  (:func:`workbench.execution.confirm.send_and_confirm`), then EXPIRED. Never re-signed, so an
  order can never fill twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain import Chain, ConfirmedTx
from workbench.domain import Fill, OrderStatus
from workbench.errors import TemporaryVenueError, TxError, TxExpired
from workbench.execution.confirm import send_and_confirm
from workbench.store import Store, ledger

__all__ = ["RecoveryReport", "recover_orders"]

log = logging.getLogger(__name__)

FillsFor = Callable[[Mapping[str, Any], ConfirmedTx], list[Fill]]


@dataclass(slots=True, kw_only=True)
class RecoveryReport:
    """What recovery did, by client order id.

    Attributes:
        cancelled: never signed, cancelled.
        filled: found (or landed on re-broadcast) and booked.
        failed: landed and failed on chain.
        expired: proven expired.
        pending: still undecided (chain unreachable); retried on the next start.
        fills: fills stored by recovery.
    """

    cancelled: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Counts, for logs and engine state."""
        return {k: len(getattr(self, k)) for k in ("cancelled", "filled", "failed", "expired",
                                                    "pending")}


async def recover_orders(
    store: Store,
    chain: Chain,
    fills_for: FillsFor,
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    poll_interval_s: float = 0.4,
    on_fill: Callable[[Mapping[str, Any], Fill], Any] | None = None,
) -> RecoveryReport:
    """Bring every unfinished order to a final state consistent with the chain.

    Args:
        store: the ledger.
        chain: the chain the orders were sent to.
        fills_for: ``(order_row, landed) -> fills`` (the engine books them with
            :func:`workbench.execution.ledger_hooks.fills_from_swap`).
        sleep: the confirm loop's pause (paper mode passes one that advances the chain).
        poll_interval_s: pause between status checks while re-broadcasting.
        on_fill: called for every fill newly stored (book it, tell the strategy).
    """
    report = RecoveryReport()
    for row in ledger.open_orders(store):
        coid = row["client_order_id"]
        if not row.get("signed_tx"):
            ledger.set_order_status(store, coid, OrderStatus.CANCELLED,
                                    reason="not signed before the engine restarted; never sent")
            report.cancelled.append(coid)
            continue
        sig = Signature.from_string(row["signature"])
        try:
            landed = await chain.get_transaction(sig)
            if landed is None:
                tx = VersionedTransaction.from_bytes(row["signed_tx"])
                kw: dict[str, Any] = {"poll_interval_s": poll_interval_s,
                                      "resend_interval_s": poll_interval_s}
                if sleep is not None:
                    kw["sleep"] = sleep
                try:
                    await send_and_confirm(chain, tx, int(row["last_valid_block_height"]), **kw)
                except TxExpired as exc:
                    ledger.set_order_status(store, coid, OrderStatus.EXPIRED,
                                            reason=f"recovery: {exc}")
                    report.expired.append(coid)
                    continue
                except TxError:
                    pass  # landed and failed: read it below
                landed = await chain.get_transaction(sig)
        except TemporaryVenueError as exc:
            log.warning("recovery: %s undecided (%s); will retry on next start", coid, exc)
            report.pending.append(coid)
            continue
        if landed is None:
            report.pending.append(coid)
            continue
        if not landed.ok:
            ledger.set_order_status(store, coid, OrderStatus.FAILED,
                                    reason=f"recovery: landed and failed: {landed.err}")
            report.failed.append(coid)
            continue
        for fill in fills_for(row, landed):
            if ledger.save_fill(store, fill, strategy=row["strategy"]):
                report.fills.append(fill)
                if on_fill is not None:
                    on_fill(row, fill)
        ledger.set_order_status(store, coid, OrderStatus.FILLED,
                                reason="recovery: found on chain", signature=str(sig))
        report.filled.append(coid)
    return report
