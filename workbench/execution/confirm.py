"""Confirm a transaction by re-broadcasting the SAME signed bytes until it lands or expires.

Why the same bytes: a signature is the transaction's identity. Re-sending it can land it at
most once, so retrying through timeouts, 429s and dropped packets is safe. Signing a *new*
transaction for the order while the first could still land risks filling twice; a new one is
only allowed once the chain's block height has passed the first one's
``lastValidBlockHeight`` and a final status check still does not find it (:class:`TxExpired`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.base import Chain
from workbench.chain.classify import classify_tx_error
from workbench.chain.types import Commitment, SignatureStatus
from workbench.errors import TemporaryVenueError, TxExpired

__all__ = ["Sender", "send_and_confirm"]

log = logging.getLogger(__name__)

Sender = Callable[[VersionedTransaction], Awaitable[object]]


async def _status(chain: Chain, sig: Signature) -> SignatureStatus | None:
    try:
        return (await chain.signature_statuses([sig]))[0]
    except TemporaryVenueError as exc:
        log.info("confirm %s: status check failed (%s); will retry", sig, exc)
        return None


async def send_and_confirm(
    chain: Chain,
    tx: VersionedTransaction,
    last_valid_block_height: int,
    *,
    commitment: Commitment = Commitment.CONFIRMED,
    poll_interval_s: float = 0.4,
    resend_interval_s: float = 2.0,
    send: Sender | None = None,
    max_polls: int = 100_000,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> SignatureStatus:
    """Broadcast ``tx`` and keep re-broadcasting it until confirmed or expired.

    Args:
        chain: where statuses and block heights are read (and ``tx`` sent by default).
        tx: the signed transaction; only these bytes are ever sent.
        last_valid_block_height: from the blockhash ``tx`` was signed with.
        commitment: the confirmation level to wait for.
        poll_interval_s: pause between status checks.
        resend_interval_s: pause between re-broadcasts.
        send: alternative broadcaster (a Jito bundle sender); defaults to ``chain``.
        max_polls: safety bound; reaching it raises ``TemporaryVenueError`` and the order
            stays SUBMITTED for reconciliation (it may still land).

    Returns:
        The signature's status once it reaches ``commitment`` without error.

    Raises:
        TxFailed: it landed and failed (fee paid, no token movement).
        TxExpired: the chain passed ``last_valid_block_height`` and it had not landed.
    """
    sig = tx.signatures[0]
    sender: Sender = send or (lambda t: chain.send_transaction(t, skip_preflight=True))
    last_send = -1e18
    for _ in range(max_polls):
        now = time.monotonic()
        if now - last_send >= resend_interval_s:
            last_send = now
            try:
                await sender(tx)
            except TemporaryVenueError as exc:
                log.info("confirm %s: send failed (%s); will re-send the same bytes", sig, exc)
            except TxExpired:
                log.info("confirm %s: node reports blockhash not found", sig)
        status = await _status(chain, sig)
        if status is not None:
            if status.err is not None:
                landed = await chain.get_transaction(sig)
                raise classify_tx_error(status.err, landed.logs if landed else (),
                                        signature=str(sig), landed=True, venue=chain.name)
            if commitment.satisfied_by(status.confirmation_status):
                return status
        try:
            height = await chain.block_height()
        except TemporaryVenueError:
            height = -1
        if height > last_valid_block_height:
            final = await _status(chain, sig)
            if final is None:
                raise TxExpired(
                    f"Transaction {sig} did not land before block height "
                    f"{last_valid_block_height} (now {height}); it can no longer land. "
                    "A new transaction may be signed for the order.",
                    signature=str(sig),
                )
            continue  # it landed at the last moment: next loop classifies it
        await sleep(poll_interval_s)
    raise TemporaryVenueError(
        f"Transaction {sig} still unconfirmed after {max_polls} polls; the order stays "
        "SUBMITTED and must be reconciled (it may still land).",
        venue=chain.name,
    )
