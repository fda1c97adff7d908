"""RpcChain's two reads for judging expiry across endpoints: ``height_and_slot``
(``getEpochInfo``) and ``signature_statuses_at`` (``getSignatureStatuses`` with its
``context.slot``)."""

import httpx
import pytest
import respx
from solders.signature import Signature

from tests.chain.test_rpc import DOCS, A, B, Node, _chain, _ok
from workbench.errors import TemporaryVenueError

# getEpochInfo is not in the recorded fixtures: this is the Solana docs' example result
# (https://solana.com/docs/rpc/http/getepochinfo), copied as documented.
EPOCH_INFO_DOCS = {"absoluteSlot": 166598, "blockHeight": 166500, "epoch": 27,
                   "slotIndex": 2790, "slotsInEpoch": 8192, "transactionCount": 22661093}


@pytest.fixture
def mock():
    with respx.mock(assert_all_called=False) as m:
        yield m


async def test_height_and_slot_from_epoch_info(mock):
    """One getEpochInfo gives the height and the slot it was read at, at the commitment."""
    node = Node(getEpochInfo=_ok(EPOCH_INFO_DOCS))
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        assert await _chain(http, A).height_and_slot() == (166500, 166598)
    assert node.requests[0]["params"] == [{"commitment": "confirmed"}]


async def test_epoch_info_without_slot_fails_over(mock):
    """An answer without absoluteSlot is that node's fault: the next endpoint answers."""
    bad = Node(getEpochInfo=_ok({"blockHeight": 166500}))
    good = Node(getEpochInfo=_ok(EPOCH_INFO_DOCS))
    mock.post(A).mock(side_effect=bad)
    mock.post(B).mock(side_effect=good)
    async with httpx.AsyncClient() as http:
        assert await _chain(http, A, B).height_and_slot() == (166500, 166598)
    assert len(bad.requests) == 1 and len(good.requests) == 1


async def test_signature_statuses_at_gives_the_context_slot(mock):
    """The docs example: the answer's context.slot alongside the statuses."""
    mock.post(A).mock(side_effect=Node(getSignatureStatuses=DOCS["getSignatureStatuses"]))
    async with httpx.AsyncClient() as http:
        slot, (found, unknown) = await _chain(http, A).signature_statuses_at(
            [Signature.new_unique(), Signature.new_unique()])
    assert slot == 341197053 and found.slot == 48 and unknown is None


async def test_statuses_without_context_slot_are_not_an_answer(mock):
    """A status answer that cannot say where its node stood cannot decide expiry."""
    body = _ok({"context": {}, "value": [None]})
    mock.post(A).mock(side_effect=Node(getSignatureStatuses=body))
    async with httpx.AsyncClient() as http:
        with pytest.raises(TemporaryVenueError, match="unexpected shape"):
            await _chain(http, A).signature_statuses_at([Signature.new_unique()])


async def test_expiry_by_slot_defaults_to_several_endpoints():
    """On by default with failover; can be forced for one load-balanced URL."""
    async with httpx.AsyncClient() as http:
        assert _chain(http, A, B).expiry_by_slot
        assert not _chain(http, A).expiry_by_slot
        assert _chain(http, A, expiry_by_slot=True).expiry_by_slot
