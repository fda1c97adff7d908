"""LiteSVMChain.export_state / import_state / forget_landed, which the paper market's snapshot
file is made of."""

from __future__ import annotations

import pickle

import pytest
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from workbench.chain.litesvm import LiteSVMChain
from workbench.chain.programs import associated_token_address, memo_ix
from workbench.errors import TxError
from workbench.testing import paper_market

pytestmark = pytest.mark.integration


def test_state_round_trips_balances_height_blockhash_and_landed_transactions():
    """After export -> pickle -> import, balances, height, blockhash and the kept landed
    transactions are the same; re-sending a kept transaction's bytes does not land it twice."""
    pm = paper_market(("150",))
    chain = pm.chain
    chain.advance(200)  # past one blockhash expiry: the sequence must be replayed on import
    owner = pm.wallet.pubkey()
    msg = MessageV0.try_compile(owner, [memo_ix("before the snapshot")], [],
                                chain.blockhash_info().blockhash)
    raw = bytes(VersionedTransaction(msg, [pm.wallet]))
    landed = chain.landed(chain.send_sync(VersionedTransaction.from_bytes(raw)))
    other = chain.run(pm.wallet, [memo_ix("not kept")])
    usdc = associated_token_address(owner, pm.quote.mint)
    state = pickle.loads(pickle.dumps(chain.export_state([owner],
                                                         signatures=[landed.signature])))
    back = LiteSVMChain.import_state(state)
    assert back.height == chain.height
    assert back.blockhash_info().blockhash == chain.blockhash_info().blockhash
    assert back.blockhash_info().last_valid_block_height == \
        chain.blockhash_info().last_valid_block_height
    assert back.token_amount(usdc) == chain.token_amount(usdc) > 0
    assert back.svm.get_balance(owner) == chain.svm.get_balance(owner)
    assert back.landed(landed.signature) == landed
    assert back.landed(other.signature) is None
    lamports = back.svm.get_balance(owner)
    assert back.send_sync(VersionedTransaction.from_bytes(raw)) == landed.signature
    assert back.svm.get_balance(owner) == lamports  # the kept transaction is not paid twice
    fresh = back.run(pm.wallet, [memo_ix("after the restore")])
    assert fresh.ok and back.svm.get_balance(owner) == lamports - fresh.fee_lamports


def test_forget_landed_drops_only_the_record():
    """forget_landed removes the in-process records, never the balances they moved."""
    pm = paper_market(("150",))
    owner = pm.wallet.pubkey()
    a = pm.chain.run(pm.wallet, [memo_ix("a")])
    b = pm.chain.run(pm.wallet, [memo_ix("b")])
    before = pm.chain.svm.get_balance(owner)
    pm.chain.forget_landed([a.signature])
    assert pm.chain.landed(a.signature) is None and pm.chain.landed(b.signature) == b
    assert pm.chain.svm.get_balance(owner) == before


def test_import_refuses_a_foreign_blockhash():
    """A snapshot whose blockhash LiteSVM never produces is refused, naming it."""
    state = paper_market(("150",)).chain.export_state()
    state["blockhash"] = "11111111111111111111111111111111"
    with pytest.raises(TxError, match="11111111111111111111111111111111 is not one LiteSVM"):
        LiteSVMChain.import_state(state, max_blockhashes=50)
