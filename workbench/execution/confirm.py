"""Confirm a transaction by re-broadcasting the SAME signed bytes until it lands or expires.

Why the same bytes: a signature is the transaction's identity. Re-sending it can land it at
most once, so retrying through timeouts, 429s and dropped packets is safe. Signing a *new*
transaction for the order while the first could still land risks filling twice; a new one is
only allowed once the chain's block height has passed the first one's
``lastValidBlockHeight`` and a final status check still does not find it (:class:`TxExpired`).

How the outcome is learnt: by polling ``getSignatureStatuses``, or, given a websocket URL, by a
``signatureSubscribe`` that replaces the status polls while the socket is up: on the chain's
one shared PubSub connection when it has one for that URL (``RpcChain.signature_pubsub``,
:class:`~workbench.chain.ws.SharedSignatureWatch`), else on a socket of its own
(:class:`~workbench.chain.ws.SignatureWatch`). The subscription only changes how fast and how
cheaply the answer arrives, never the safety rules:

* while the socket is down (connecting, dropped, reconnecting, given up) the loop polls;
* after every (re)subscription one status poll covers a notification lost while it was down;
* re-broadcasting the same bytes and the block-height expiry check go on either way, and
  expiry is still declared only after a final ``getSignatureStatuses`` finds nothing.

With several endpoints, expiry is not judged on one node's word against another's: the
final "not found" must come from a node that had reached the slot at which the height past
``lastValidBlockHeight`` was read (:func:`_final_check`); a lagging answer is re-checked,
never a reason to sign again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial

from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.base import Chain
from workbench.chain.classify import classify_tx_error
from workbench.chain.types import Commitment, SignatureStatus
from workbench.chain.ws import SharedSignatureWatch, SignatureNotification, SignatureWatch
from workbench.errors import TemporaryVenueError, TxExpired, WorkbenchError
from workbench.retry import RetryPolicy

__all__ = ["Sender", "send_and_confirm"]

log = logging.getLogger(__name__)

Sender = Callable[[VersionedTransaction], Awaitable[object]]


async def _status(chain: Chain, sig: Signature) -> SignatureStatus | None:
    try:
        return (await chain.signature_statuses([sig]))[0]
    except TemporaryVenueError as exc:
        log.info("confirm %s: status check failed (%s); will retry", sig, exc)
        return None


async def _landed_failure(chain: Chain, sig: Signature, err: object,
                          sleep: Callable[[float], Awaitable[None]], pause_s: float,
                          tries: int = 3) -> WorkbenchError:
    """The error of a transaction that landed and failed, with its logs when the node has
    them (the logs tell insufficient funds or slippage from other failures)."""
    landed = None
    for i in range(tries):
        try:
            landed = await chain.get_transaction(sig)
        except TemporaryVenueError:
            landed = None
        if landed is not None:
            break
        if i + 1 < tries:
            await sleep(pause_s)
    return classify_tx_error(err, landed.logs if landed else (), signature=str(sig),
                             landed=True, venue=chain.name)


async def _final_check(chain: Chain, sig: Signature,
                       last_valid_block_height: int) -> tuple[bool, SignatureStatus | None]:
    """The status that decides expiry, and whether a "not found" in it may be believed.

    With several endpoints the block height past ``last_valid_block_height`` may come from one
    node and the status from another that lags, which would not yet see a transaction that
    landed. A chain with ``expiry_by_slot`` (RpcChain over several endpoints) makes one extra
    call, ``getEpochInfo`` (``height_and_slot``): expiry holds only if that node's height is
    past too and the status answer's ``context.slot`` (``signature_statuses_at``) is at least
    that node's slot. Other chains (LiteSVM, one endpoint) answer from one state.

    Raises:
        TemporaryVenueError: a call failed; that is not "not found".
    """
    if not getattr(chain, "expiry_by_slot", False):
        return True, (await chain.signature_statuses([sig]))[0]
    height, seen_slot = await chain.height_and_slot()  # type: ignore[attr-defined]
    answered_slot, (final,) = await chain.signature_statuses_at([sig])  # type: ignore[attr-defined]
    return height > last_valid_block_height and answered_slot >= seen_slot, final


def _from_notification(note: SignatureNotification, commitment: Commitment) -> SignatureStatus:
    # the notification is sent at the subscribed commitment, so it satisfies it
    return SignatureStatus(slot=note.slot, err=note.err, confirmation_status=str(commitment))


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
    ws_url: str | None = None,
    ws_policy: RetryPolicy | None = None,
    subscribed_poll_interval_s: float = 5.0,
    max_lagging_checks: int = 50,
) -> SignatureStatus:
    """Broadcast ``tx`` and keep re-broadcasting it until confirmed or expired.

    Args:
        chain: where statuses and block heights are read (and ``tx`` sent by default).
        tx: the signed transaction; only these bytes are ever sent.
        last_valid_block_height: from the blockhash ``tx`` was signed with.
        commitment: the confirmation level to wait for.
        poll_interval_s: pause between status checks (while polling).
        resend_interval_s: pause between re-broadcasts; while subscribed, also the pause
            between block-height (expiry) checks unless a notification comes first.
        send: alternative broadcaster (a Jito bundle sender); defaults to ``chain``.
        max_polls: safety bound on loop turns; reaching it raises ``TemporaryVenueError``
            and the order stays SUBMITTED for reconciliation (it may still land).
        ws_url: confirm by ``signatureSubscribe`` on this websocket, polling only while it is
            down; None polls throughout.
        ws_policy: reconnect backoff of the subscription.
        subscribed_poll_interval_s: while subscribed, statuses are still polled this often,
            in case a notification never comes (a node that lost the subscription on its
            side while the socket stayed up).
        max_lagging_checks: final status answers from a node behind the expiry
            (see :func:`_final_check`) before giving up with ``TemporaryVenueError`` (the
            order stays SUBMITTED); never reason to sign again.

    Returns:
        The signature's status once it reaches ``commitment`` without error.

    Raises:
        TxFailed: it landed and failed (fee paid, no token movement).
        TxExpired: the chain passed ``last_valid_block_height`` and it had not landed.
    """
    run = partial(_confirm_loop, chain, tx, last_valid_block_height, commitment=commitment,
                  poll_interval_s=poll_interval_s, resend_interval_s=resend_interval_s,
                  send=send, max_polls=max_polls, sleep=sleep,
                  subscribed_poll_interval_s=subscribed_poll_interval_s,
                  max_lagging_checks=max_lagging_checks)
    if not ws_url:
        return await run(None)
    shared = getattr(chain, "signature_pubsub", None)
    pubsub = shared(ws_url, ws_policy) if shared is not None else None
    watch: SignatureWatch | SharedSignatureWatch = (
        pubsub.watch(tx.signatures[0], commitment=commitment) if pubsub is not None
        else SignatureWatch(ws_url, tx.signatures[0], commitment=commitment, policy=ws_policy))
    async with watch:
        return await run(watch)


async def _confirm_loop(
    chain: Chain, tx: VersionedTransaction, last_valid_block_height: int,
    watch: SignatureWatch | SharedSignatureWatch | None, *, commitment: Commitment,
    poll_interval_s: float, resend_interval_s: float, send: Sender | None, max_polls: int,
    sleep: Callable[[float], Awaitable[None]], subscribed_poll_interval_s: float,
    max_lagging_checks: int,
) -> SignatureStatus:
    sig = tx.signatures[0]
    sender: Sender = send or (lambda t: chain.send_transaction(t, skip_preflight=True))
    last_send = last_poll = -1e18
    lagging = 0  # final status answers from a node behind the observed expiry
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
        note = watch.notification if watch is not None else None
        if note is not None:
            if note.err is not None:
                raise await _landed_failure(chain, sig, note.err, sleep, poll_interval_s)
            return _from_notification(note, commitment)
        # poll unless a live subscription will tell; once after each (re)subscription, and
        # now and then while subscribed
        if (watch is None or not watch.live or watch.take_recheck()
                or time.monotonic() - last_poll >= subscribed_poll_interval_s):
            last_poll = time.monotonic()
            status = await _status(chain, sig)
            if status is not None:
                if status.err is not None:
                    raise await _landed_failure(chain, sig, status.err, sleep, poll_interval_s)
                if commitment.satisfied_by(status.confirmation_status):
                    return status
        try:
            height = await chain.block_height()
        except TemporaryVenueError:
            height = -1
        if height > last_valid_block_height:
            try:  # a failed check is not "not found": expiring on it could fill twice
                expired, final = await _final_check(chain, sig, last_valid_block_height)
            except TemporaryVenueError as exc:
                log.info("confirm %s: final status check failed (%s); will retry", sig, exc)
                await sleep(poll_interval_s)
                continue
            if final is None:
                if watch is not None and watch.notification is not None:
                    continue  # the notification beat the node's status: next loop reads it
                if not expired:  # the answer came from a node behind the expiry it confirms
                    lagging += 1
                    if lagging >= max_lagging_checks:
                        raise TemporaryVenueError(
                            f"Transaction {sig}: the chain passed block height "
                            f"{last_valid_block_height}, but {lagging} final status answers "
                            "came from nodes behind that point, so it may still have landed; "
                            "the order stays SUBMITTED and must be reconciled.",
                            venue=chain.name)
                    log.info("confirm %s: final status answer lags the expiry; re-checking", sig)
                    await sleep(poll_interval_s)
                    continue
                raise TxExpired(
                    f"Transaction {sig} did not land before block height "
                    f"{last_valid_block_height} (now {height}); it can no longer land. "
                    "A new transaction may be signed for the order.",
                    signature=str(sig),
                )
            if final.err is not None:
                raise await _landed_failure(chain, sig, final.err, sleep, poll_interval_s)
            if commitment.satisfied_by(final.confirmation_status):
                return final
            await sleep(poll_interval_s)  # landed at the last moment, not yet at commitment
            continue
        if watch is not None and watch.live:
            # woken early by a notification or a drop; else the next re-send is due
            await watch.wait(max(poll_interval_s, last_send + resend_interval_s
                                 - time.monotonic()))
        else:
            await sleep(poll_interval_s)
    raise TemporaryVenueError(
        f"Transaction {sig} still unconfirmed after {max_polls} polls; the order stays "
        "SUBMITTED and must be reconciled (it may still land).",
        venue=chain.name,
    )
