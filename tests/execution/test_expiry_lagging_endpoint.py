"""Expiry over two endpoints, one lagging: the block height past ``lastValidBlockHeight`` is
read from endpoint A, while A fails ``getSignatureStatuses`` (HTTP 500) so every status
answer comes from endpoint B, which is behind. A "not found" from B at a slot before the one
where A saw the expired height says nothing; only a status answer at or past that slot may
declare expiry (and so allow a second transaction to be signed).

Both endpoints answer from one real LiteSVM chain (respx): a real transfer lands on it or is
swallowed. B's lag is its ``context.slot`` (and a null status) while lagging. ``getEpochInfo``
is built in the layout of the Solana docs' example (no recording of it is in the fixtures):
``{"absoluteSlot", "blockHeight", "epoch", "slotIndex", "slotsInEpoch", "transactionCount"}``.
"""

import asyncio
import base64

import httpx
import pytest
import respx
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from tests.execution.test_executor_rpc import A, B, LiteSVMRpcNode, _rpc_chain
from workbench.errors import TemporaryVenueError, TxExpired
from workbench.execution.confirm import send_and_confirm
from workbench.testing import paper_market

pytestmark = pytest.mark.integration


def _epoch_info(chain):
    slot = chain.svm.get_clock().slot
    return {"absoluteSlot": slot, "blockHeight": chain.height, "epoch": 0, "slotIndex": slot,
            "slotsInEpoch": 432_000, "transactionCount": None}


class Ahead(LiteSVMRpcNode):
    """Endpoint A: current; each block-height read moves the chain past every blockhash's
    validity; its getSignatureStatuses fails (500), so statuses fail over to B. With
    ``swallow`` its sendTransaction returns the signature without processing it."""

    def __init__(self, chain, *, swallow=False):
        super().__init__(chain)
        self.swallow = swallow
        self.faults = {"getSignatureStatuses": [httpx.Response(500)] * 10_000}
        self.epoch_slots = []

    def _answer(self, method, params):
        if method == "getBlockHeight":
            c = self.chain
            return c.advance(c.blockhash_info().last_valid_block_height - c.height + 1)
        if method == "getEpochInfo":
            info = _epoch_info(self.chain)
            self.epoch_slots.append(info["absoluteSlot"])
            return info
        if method == "sendTransaction" and self.swallow:
            tx = VersionedTransaction.from_bytes(base64.b64decode(params[0]))
            return str(tx.signatures[0])
        return super()._answer(method, params)


class Behind(LiteSVMRpcNode):
    """Endpoint B: its first ``lag`` status answers come from ``stale_slot`` (null for every
    signature: it has not seen them); then it has caught up and answers from the chain."""

    def __init__(self, chain, stale_slot, lag):
        super().__init__(chain)
        self.stale_slot, self.lag = stale_slot, lag
        self.answer_slots = []

    def _answer(self, method, params):
        if method == "getSignatureStatuses" and self.lag > 0:
            self.lag -= 1
            self.answer_slots.append(self.stale_slot)
            return {"context": {"slot": self.stale_slot}, "value": [None] * len(params[0])}
        out = super()._answer(method, params)
        if method == "getSignatureStatuses":
            self.answer_slots.append(out["context"]["slot"])
        return out


def _transfer(pm):
    w = pm.wallet.pubkey()
    ix = transfer(TransferParams(from_pubkey=w, to_pubkey=Pubkey.new_unique(), lamports=10**6))
    msg = MessageV0.try_compile(w, [ix], [], pm.chain.blockhash_info().blockhash)
    return VersionedTransaction(msg, [pm.wallet])


async def _confirm(pm, a, b, tx, **kw):
    with respx.mock() as mock:
        mock.post(A).mock(side_effect=a)
        mock.post(B).mock(side_effect=b)
        async with httpx.AsyncClient() as http:
            chain = _rpc_chain(http, A, B)
            assert chain.expiry_by_slot  # on by default with two endpoints
            lvbh = pm.chain.blockhash_info().last_valid_block_height
            async with asyncio.timeout(30):
                return await send_and_confirm(chain, tx, lvbh, poll_interval_s=0,
                                              resend_interval_s=0, **kw)


async def test_landed_tx_is_not_expired_on_a_lagging_answer():
    """The transfer landed on A; the height passed its lastValidBlockHeight; B answers "not
    found" from a slot before the landing three times. Those answers are re-checked, not taken
    as expiry; B's fourth answer is current and shows the transfer confirmed."""
    pm = paper_market()
    stale = pm.chain.svm.get_clock().slot - 1  # B has not seen the slot it lands in
    a, b = Ahead(pm.chain), Behind(pm.chain, stale_slot=stale, lag=3)
    tx = _transfer(pm)
    status = await _confirm(pm, a, b, tx)
    landed = pm.chain.landed(tx.signatures[0])
    assert landed is not None and landed.ok and landed.slot > stale
    assert status.slot == landed.slot and status.err is None
    assert b.lag == 0 and b.answer_slots[:3] == [stale] * 3 and b.answer_slots[3] > stale
    assert a.epoch_slots and all(s > stale for s in a.epoch_slots)
    assert "getEpochInfo" not in b.calls  # the height and its slot come from the node ahead


async def test_lagging_for_good_is_reported_not_expired():
    """B never catches up: after ``max_lagging_checks`` stale answers the confirmation gives
    up with TemporaryVenueError (the order stays SUBMITTED for reconciliation), never
    TxExpired, although the transfer landed."""
    pm = paper_market()
    stale = pm.chain.svm.get_clock().slot - 1  # B has not seen the slot it lands in
    a, b = Ahead(pm.chain), Behind(pm.chain, stale_slot=stale, lag=10**6)
    tx = _transfer(pm)
    with pytest.raises(TemporaryVenueError, match="must be reconciled"):
        await _confirm(pm, a, b, tx, max_lagging_checks=4)
    assert pm.chain.landed(tx.signatures[0]).ok
    # each lagging final check was judged against a fresh getEpochInfo of A
    assert a.calls.count("getEpochInfo") == 4
    assert set(b.answer_slots) == {stale}


async def test_swallowed_tx_expires_once_an_answer_is_current():
    """A swallows the transfer: it never lands. B's two stale "not found" answers do not
    expire it; its first current one does, and the transfer can no longer land."""
    pm = paper_market()
    stale = pm.chain.svm.get_clock().slot - 1  # B has not seen the slot it lands in
    a, b = Ahead(pm.chain, swallow=True), Behind(pm.chain, stale_slot=stale, lag=2)
    tx = _transfer(pm)
    with pytest.raises(TxExpired, match="did not land before block height"):
        await _confirm(pm, a, b, tx)
    assert b.lag == 0 and len(b.answer_slots) >= 3
    assert b.answer_slots[-1] >= a.epoch_slots[-1]  # expiry on a current answer only
    assert pm.chain.landed(tx.signatures[0]) is None
    with pytest.raises(TxExpired, match="Blockhash not found"):
        pm.chain.send_sync(tx)


async def test_one_endpoint_asks_no_epoch_info():
    """With one endpoint the height and status come from one node: no extra call."""
    pm = paper_market()
    a = Ahead(pm.chain, swallow=True)
    a.faults = {}
    tx = _transfer(pm)
    with respx.mock() as mock:
        mock.post(A).mock(side_effect=a)
        async with httpx.AsyncClient() as http:
            chain = _rpc_chain(http, A)
            assert not chain.expiry_by_slot
            lvbh = pm.chain.blockhash_info().last_valid_block_height
            with pytest.raises(TxExpired):
                await send_and_confirm(chain, tx, lvbh, poll_interval_s=0, resend_interval_s=0)
    assert "getEpochInfo" not in a.calls
