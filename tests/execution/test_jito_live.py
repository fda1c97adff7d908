"""Jito in live mode, end to end: the Executor over RpcChain (JSON-RPC served with respx from a
LiteSVM chain) sends arbitrage orders as Jito bundles to a respx block engine.

Payloads: ``getBundleStatuses`` answers use the recorded shapes of
``tests/fixtures/jito/jito_bundle_api_examples.json`` (= /work/shared/fixtures/api/jito: Jito's
documented example for a landed bundle, QuickNode's empty answer); ``getTipAccounts`` and the
``sendBundle`` envelope come from ``built_from_schema.json`` (NOT recorded, see the fixture
README); the tip floor is the documented example. The block engine behaves as Jito documents:
a bundle id is the SHA-256 of its signatures, an accepted bundle lands in a later slot (here:
when the chain moves, i.e. on the next ``getBlockHeight``) or, when its tip loses the auction,
never; re-sending the same bytes gives the same id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random

import httpx
import pytest
import respx
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from tests.execution.test_executor_rpc import LiteSVMRpcNode, Recorder
from tests.execution.test_jito import BUILT, FLOOR, TIPS, bundle_statuses_answer
from workbench.chain.jsonrpc import JsonRpcClient, RpcEndpoint
from workbench.chain.programs import associated_token_address
from workbench.chain.rpc import RpcChain
from workbench.domain import OrderStatus
from workbench.errors import TxExpired
from workbench.execution.executor import Executor, ExecutorConfig, SwapIntent
from workbench.execution.jito import (
    TIP_FLOOR_URL,
    JitoClient,
    JitoSender,
    TipPolicy,
    tip_paid_lamports,
)
from workbench.retry import RetryPolicy
from workbench.testing import paper_market

pytestmark = pytest.mark.integration

RPC = "https://rpc.jito-live.test/"
ENGINE = "https://block-engine.jito-live.test"
BUNDLES = ENGINE + "/api/v1/bundles"
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.0, jitter=0.0)


async def _nosleep(_s):
    return None


class BlockEngine:
    """Jito's bundle API over a LiteSVM chain.

    Args:
        chain: where bundles land.
        losing: how many orders (distinct first signatures, in arrival order) lose every
            auction: their bundles are accepted and never land.
    """

    def __init__(self, chain, losing=0):
        self.chain, self.losing = chain, losing
        self.sends = []  # (block height at arrival, encoding, [tx])
        self.polls = []  # bundle ids asked by getBundleStatuses
        self.ids = {}
        self.lost = set()
        self._pending = []

    def __call__(self, request):
        body = json.loads(request.content)
        method, params, rid = body["method"], body["params"], body["id"]
        if method == "getTipAccounts":
            return httpx.Response(200, json=dict(BUILT["getTipAccounts_response"], id=rid))
        if method == "getBundleStatuses":
            self.polls.append(params[0])
            return httpx.Response(200, json=bundle_statuses_answer(
                self.chain, {i: self.ids[i] for i in params[0]}, rid))
        assert method == "sendBundle", method
        txs = [VersionedTransaction.from_bytes(base64.b64decode(x)) for x in params[0]]
        self.sends.append((self.chain.height, params[1]["encoding"], txs))
        bundle_id = hashlib.sha256(b"".join(bytes(t.signatures[0]) for t in txs)).hexdigest()
        self.ids[bundle_id] = txs
        first = txs[0].signatures[0]
        seen = {s[2][0].signatures[0] for s in self.sends[:-1]}
        if first not in seen and len(self.lost) < self.losing:
            self.lost.add(first)
        if first not in self.lost:
            self._pending.append(txs)
        return httpx.Response(200, json=dict(BUILT["sendBundle_response"], id=rid,
                                             result=bundle_id))

    def next_slot(self):
        """The leader processes the bundles that won: all transactions or none."""
        for txs in self._pending:
            if self.chain.landed(txs[0].signatures[0]) is None:
                for tx in txs:
                    self.chain.send_sync(tx)
        self._pending.clear()

    def sent_signatures(self):
        return [s[2][0].signatures[0] for s in self.sends]


class Node(LiteSVMRpcNode):
    """The RPC node; every ``getBlockHeight`` is a new slot: bundles land, the chain moves."""

    def __init__(self, chain, engine):
        super().__init__(chain)
        self.engine = engine

    def _answer(self, method, params):
        if method == "getBlockHeight":
            self.engine.next_slot()
            return self.chain.advance(1)
        return super()._answer(method, params)


class HeightRecorder(Recorder):
    """Records each signed intent with the chain height when it was stored."""

    def __init__(self, chain):
        super().__init__()
        self.chain = chain
        self.heights = []

    def on_submitted(self, s):
        super().on_submitted(s)
        self.heights.append(self.chain.height)


def _market(validity=8):
    pm = paper_market(("140", "160"))
    for t in TIPS:  # mainnet's tip accounts exist
        pm.chain.airdrop(t, 10**9)
    pm.chain.blockhash_validity = validity
    pm.chain.advance(151)  # past the genesis blockhash: from now on short-lived blockhashes
    return pm


def _live(http, pm, engine, rec, cap, expired_retries=0):
    rpc = JsonRpcClient(http, [RpcEndpoint(url=RPC, rate_per_s=1e6)], policy=FAST,
                        sleep=_nosleep, cooldown_s=0.0)
    chain = RpcChain(rpc, blockhash_max_age_s=0.0, fees_max_age_s=0.0)
    jito = JitoSender(JitoClient(http, ENGINE, rate_per_s=1e6, policy=FAST, sleep=_nosleep),
                      TipPolicy(cap_lamports=cap), rng=random.Random(7))
    ex = Executor(chain, pm.wallet, pm.venues, sender=jito, hooks=rec,
                  config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0,
                                        expired_retries=expired_retries))
    return ex, jito


def _serve(mock, pm, engine):
    mock.post(RPC).mock(side_effect=Node(pm.chain, engine))
    mock.post(BUNDLES).mock(side_effect=engine)
    mock.get(TIP_FLOOR_URL).mock(return_value=httpx.Response(200, content=FLOOR))


def _tips(pm):
    return sum(pm.chain.svm.get_balance(t) for t in TIPS)


def _usdc(pm):
    return pm.chain.token_amount(associated_token_address(pm.wallet.pubkey(), pm.quote.mint))


async def _arbitrage(ex, pm, coid, amount_raw=1_000 * 10**6):
    quote = str(pm.quote.mint)
    route = await ex.router.arbitrage(quote, str(pm.base.mint), amount_raw)
    assert route is not None and route.kind == "arbitrage"
    return await ex.execute(SwapIntent(client_order_id=coid, input_mint=quote,
                                       output_mint=quote, in_amount_raw=amount_raw),
                            route=route)


async def test_live_arbitrage_is_one_tipped_bundle_polled_until_landed():
    """Both legs and the tip in one base64 bundle; the re-broadcast polls getBundleStatuses,
    sees it landed and sends nothing more; the fill is what the chain moved."""
    pm = _market()
    engine = BlockEngine(pm.chain)
    rec = HeightRecorder(pm.chain)
    with respx.mock() as mock:
        _serve(mock, pm, engine)
        async with httpx.AsyncClient() as http:
            ex, jito = _live(http, pm, engine, rec, cap=10**8)
            await jito.prepare()
            assert jito.tip_accounts == TIPS  # from getTipAccounts
            tips0, usdc0 = _tips(pm), _usdc(pm)
            fill = await _arbitrage(ex, pm, "arb-live-1")

    ((_, encoding, bundle),) = engine.sends  # one sendBundle
    assert encoding == "base64" and len(bundle) == 1
    tx = bundle[0]
    assert str(tx.signatures[0]) == fill.signature == rec.submitted[0].signature
    assert bytes(tx) == rec.submitted[0].tx_bytes  # the stored intent is what was bundled
    assert tip_paid_lamports(tx.message, TIPS) == 5_000_001  # p50 of the tip floor
    assert _tips(pm) - tips0 == 5_000_001
    bundle_id = jito.bundle_ids[tx.signatures[0]]
    assert engine.polls == [[bundle_id]]
    status = jito.statuses[tx.signatures[0]]
    assert status.ok and status.transactions == (tx.signatures[0],)
    landed = pm.chain.landed(tx.signatures[0])
    assert status.slot == landed.slot and landed.ok
    assert len(fill.venues) == 2 and fill.out_amount_raw > fill.in_amount_raw
    assert _usdc(pm) - usdc0 == fill.out_amount_raw - fill.in_amount_raw
    assert fill.fee_lamports == landed.fee_lamports + 5_000_001
    assert rec.statuses == [OrderStatus.SUBMITTED, OrderStatus.FILLED]


async def test_live_lost_bundle_is_resent_unchanged_until_expiry_then_tip_rises_to_the_cap():
    """A bundle that loses every auction: the same bytes are re-sent (each after a
    getBundleStatuses poll) until the chain passes its lastValidBlockHeight, nothing else is
    signed, and the next order tips 1.5x, capped."""
    pm = _market()
    engine = BlockEngine(pm.chain, losing=1)
    rec = HeightRecorder(pm.chain)
    with respx.mock() as mock:
        _serve(mock, pm, engine)
        async with httpx.AsyncClient() as http:
            ex, jito = _live(http, pm, engine, rec, cap=6_000_000)
            await jito.prepare()
            tips0, usdc0 = _tips(pm), _usdc(pm)
            with pytest.raises(TxExpired, match="can no longer land"):
                await _arbitrage(ex, pm, "arb-lost")
            expired_at = pm.chain.height
            assert jito.policy.misses == 1
            assert _tips(pm) == tips0 and _usdc(pm) == usdc0  # nothing landed, nothing paid
            lost_sends = len(engine.sends)
            fill = await _arbitrage(ex, pm, "arb-next")

    (first,) = rec.submitted[:1]
    lvbh = first.last_valid_block_height
    lost = engine.sends[:lost_sends]
    assert len(lost) >= 2 and {bytes(s[2][0]) for s in lost} == {first.tx_bytes}
    assert all(h <= lvbh for h, _, _ in lost)  # every send while it could still land
    assert expired_at > lvbh
    bundle_id = jito.bundle_ids[Signature.from_string(first.signature)]
    assert engine.polls[:lost_sends - 1] == [[bundle_id]] * (lost_sends - 1)
    assert pm.chain.landed(Signature.from_string(first.signature)) is None
    assert tip_paid_lamports(VersionedTransaction.from_bytes(first.tx_bytes).message,
                             TIPS) == 5_000_001
    # the next order: 5_000_001 * 1.5 = 7_500_002 is above the cap
    nxt = engine.sends[lost_sends][2][0]
    assert str(nxt.signatures[0]) == fill.signature
    assert tip_paid_lamports(nxt.message, TIPS) == 6_000_000
    assert _tips(pm) - tips0 == 6_000_000
    assert jito.policy.misses == 0
    assert [s.client_order_id for s in rec.submitted] == ["arb-lost", "arb-next"]
    assert rec.statuses.count(OrderStatus.EXPIRED) == 1


async def test_live_order_is_re_signed_only_after_its_bundle_expired():
    """expired_retries=1: the order's second transaction is signed (and stored) only once the
    chain passed the first one's lastValidBlockHeight; it tips more and fills once."""
    pm = _market()
    engine = BlockEngine(pm.chain, losing=1)
    rec = HeightRecorder(pm.chain)
    with respx.mock() as mock:
        _serve(mock, pm, engine)
        async with httpx.AsyncClient() as http:
            ex, jito = _live(http, pm, engine, rec, cap=10**8, expired_retries=1)
            await jito.prepare()
            tips0 = _tips(pm)
            fill = await ex.execute(SwapIntent(
                client_order_id="swap-resign", input_mint=str(pm.base.mint),
                output_mint=str(pm.quote.mint), in_amount_raw=10**8))

    first, second = rec.submitted
    assert (first.attempt, second.attempt) == (0, 1)
    assert rec.heights[1] > first.last_valid_block_height
    sigs = engine.sent_signatures()
    k = sigs.index(Signature.from_string(second.signature))
    assert set(sigs[:k]) == {Signature.from_string(first.signature)}
    assert all(h <= first.last_valid_block_height for h, _, _ in engine.sends[:k])
    assert set(sigs[k:]) == {Signature.from_string(second.signature)}
    assert fill.signature == second.signature
    assert pm.chain.landed(Signature.from_string(first.signature)) is None
    assert tip_paid_lamports(engine.sends[k][2][0].message, TIPS) == 7_500_002
    assert _tips(pm) - tips0 == 7_500_002
    assert rec.statuses.count(OrderStatus.FILLED) == 1
