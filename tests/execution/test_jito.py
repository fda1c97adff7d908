"""Jito: bundle API on recorded/documented payloads, tip policy, and bundles on LiteSVM through
the executor (a respx block engine that lands bundles on the in-process chain)."""

import base64
import json
import random
from pathlib import Path

import base58
import httpx
import pytest
import respx
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.programs import system_transfer_ix
from workbench.config import ExecutionSettings
from workbench.errors import ConfigError, OrderRejected, RateLimited
from workbench.execution.executor import Executor, ExecutorConfig, SwapIntent
from workbench.execution.jito import (
    JITO_MIN_TIP_LAMPORTS,
    TIP_FLOOR_URL,
    InflightState,
    JitoClient,
    JitoSender,
    TipPolicy,
    parse_tip_floor,
    tip_instruction,
    tip_paid_lamports,
)
from workbench.retry import RetryPolicy
from workbench.testing import paper_market

FIX = Path(__file__).parents[1] / "fixtures" / "jito"
REC = json.loads((FIX / "jito_bundle_api_examples.json").read_text())
BUILT = json.loads((FIX / "built_from_schema.json").read_text())
FLOOR = (FIX / "tip_floor_documented.json").read_bytes()
ENGINE = "https://block-engine.test"
BUNDLES = ENGINE + "/api/v1/bundles"
TIPS = [Pubkey.from_string(a) for a in BUILT["getTipAccounts_response"]["result"]]
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.0, jitter=0.0)


async def _nosleep(_s):
    return None


def _client(http, **kw):
    return JitoClient(http, ENGINE, rate_per_s=1e6, policy=FAST, sleep=_nosleep, **kw)


def _tx(payer=None, n=1):
    payer = payer or Keypair()
    ix = system_transfer_ix(source=payer.pubkey(), destination=Pubkey.new_unique(), lamports=n)
    from solders.hash import Hash

    return VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [ix], [], Hash.default()),
                                [payer])


@pytest.fixture
def mock():
    with respx.mock(assert_all_called=False) as m:
        yield m


def test_tip_floor_documented_payload_in_lamports():
    """SOL percentiles become lamports, rounded up, without float error."""
    floor = parse_tip_floor(FLOOR)
    assert floor.p25_lamports == 1_100_000
    assert floor.p50_lamports == 5_000_001
    assert floor.p75_lamports == 15_550_000
    assert floor.p95_lamports == 93_391_957  # 93_391_956.3999... rounded up
    assert floor.p99_lamports == 484_642_792
    assert floor.ema_p50_lamports == 5_989_478
    assert floor.lamports("ema_50th") == floor.ema_p50_lamports


@pytest.mark.parametrize("body", [b"[]", b"{}", b'[{"time": "x"}]', b"[{",
                                  b'[{"time":"t","landed_tips_25th_percentile":"0.1",'
                                  b'"landed_tips_50th_percentile":1,"landed_tips_75th_percentile":1,'
                                  b'"landed_tips_95th_percentile":1,"landed_tips_99th_percentile":1,'
                                  b'"ema_landed_tips_50th_percentile":1}]'])
def test_tip_floor_malformed(body):
    """Empty lists, missing keys, truncated JSON and strings for numbers are SchemaErrors."""
    from workbench.errors import SchemaError

    with pytest.raises(SchemaError, match="tip floor"):
        parse_tip_floor(body)


def test_tip_policy_percentile_raise_and_cap():
    """The tip follows the percentile, grows x1.5 per miss, stops at the cap, resets on land."""
    floor = parse_tip_floor(FLOOR)
    policy = TipPolicy(cap_lamports=20_000_000, percentile="50th")
    assert policy.tip_lamports(floor) == 5_000_001
    policy.on_not_landed()
    assert policy.tip_lamports(floor) == 7_500_002  # ceil(5_000_001 * 1.5)
    policy.on_not_landed()
    assert policy.tip_lamports(floor) == 11_250_003  # ceil(5_000_001 * 2.25)
    policy.on_not_landed()
    assert policy.tip_lamports(floor) == 16_875_004
    policy.on_not_landed()
    assert policy.tip_lamports(floor) == 20_000_000  # capped
    policy.on_landed()
    assert policy.tip_lamports(floor) == 5_000_001
    assert policy.tip_lamports(None) == JITO_MIN_TIP_LAMPORTS  # no floor known yet


def test_tip_policy_from_settings_and_bad_cap():
    """The cap comes from ExecutionSettings; a cap below Jito's minimum is a ConfigError."""
    policy = TipPolicy.from_settings(ExecutionSettings(jito_tip_cap_lamports=50_000))
    assert policy.tip_lamports(parse_tip_floor(FLOOR)) == 50_000
    with pytest.raises(ConfigError, match=r"jito_tip_cap_lamports=500 is below the minimum"):
        TipPolicy(cap_lamports=500)


def test_tip_instruction_random_account_and_paid_amount():
    """The tip goes to one of the tip accounts, chosen at random, and is measured back."""
    payer = Keypair()
    chosen = set()
    for seed in range(40):
        ix = tip_instruction(payer.pubkey(), 10_000, TIPS, random.Random(seed))
        chosen.add(ix.accounts[1].pubkey)
        from solders.hash import Hash

        msg = MessageV0.try_compile(payer.pubkey(), [ix], [], Hash.default())
        assert tip_paid_lamports(msg, TIPS) == 10_000
        assert tip_paid_lamports(msg, [Pubkey.new_unique()]) == 0
    assert chosen <= set(TIPS) and len(chosen) >= 6
    with pytest.raises(OrderRejected, match="below the minimum"):
        tip_instruction(payer.pubkey(), 999, TIPS)


async def test_send_bundle_encodings_and_size_limit(mock):
    """sendBundle sends 1..5 txs base64 (or base58) and refuses 0 or 6 with a clear error."""
    sent = []

    def engine(request):
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=BUILT["sendBundle_response"])

    mock.post(BUNDLES).mock(side_effect=engine)
    txs = [_tx() for _ in range(6)]
    async with httpx.AsyncClient() as http:
        client = _client(http, auth_uuid="uuid-1")
        bid = await client.send_bundle(txs[:5])
        assert bid == BUILT["sendBundle_response"]["result"]
        params = sent[0]["params"]
        assert [base64.b64decode(x) for x in params[0]] == [bytes(t) for t in txs[:5]]
        assert params[1] == {"encoding": "base64"}
        assert mock.calls[0].request.headers["x-jito-auth"] == "uuid-1"
        await client.send_bundle(txs[:1], encoding="base58")
        assert base58.b58decode(sent[1]["params"][0][0]) == bytes(txs[0])
        with pytest.raises(OrderRejected, match="1 to 5 transactions, got 6") as info:
            await client.send_bundle(txs)
        assert info.value.reason == "bundle_size"
        with pytest.raises(OrderRejected, match="got 0"):
            await client.send_bundle([])
    assert len(sent) == 2


async def test_bundle_statuses_recorded(mock):
    """getBundleStatuses parses Jito's documented example and QuickNode's empty answer."""
    mock.post(BUNDLES).mock(side_effect=[
        httpx.Response(200, json=REC["getBundleStatuses_response"]),
        httpx.Response(200, json=REC["getBundleStatuses_empty_response_quicknode_docs"])])
    ids = REC["getBundleStatuses_request"]["params"][0]
    async with httpx.AsyncClient() as http:
        client = _client(http)
        (st,) = await client.bundle_statuses(ids)
        assert st.bundle_id == ids[0] and st.slot == 242804011 and st.ok
        assert st.confirmation_status == "finalized"
        assert st.transactions[0] == Signature.from_string(
            "3bC2M9fiACSjkTXZDgeNAuQ4ScTsdKGwR42ytFdhUvikqTmBheUxfsR1fDVsM5ADCMMspuwGkdm1uKbU246x5aE3")
        assert await client.bundle_statuses(ids) == []
    assert json.loads(mock.calls[0].request.content)["params"] == [ids]


async def test_inflight_statuses_schema_payload(mock):
    """getInflightBundleStatuses maps each documented status and the landed slot."""
    mock.post(BUNDLES).mock(return_value=httpx.Response(
        200, json=BUILT["getInflightBundleStatuses_response"]))
    ids = REC["getInflightBundleStatuses_request"]["params"][0]
    async with httpx.AsyncClient() as http:
        rows = await _client(http).inflight_bundle_statuses(ids)
    assert [r.status for r in rows] == [InflightState.INVALID, InflightState.PENDING,
                                        InflightState.FAILED, InflightState.LANDED,
                                        InflightState.INVALID]
    assert rows[3].landed_slot == 280999025 and rows[0].landed_slot is None


async def test_tip_accounts_and_tip_floor_with_faults(mock):
    """getTipAccounts parses; the tip floor GET survives a 429 and a 500."""
    mock.post(BUNDLES).mock(return_value=httpx.Response(200,
                                                        json=BUILT["getTipAccounts_response"]))
    mock.get(TIP_FLOOR_URL).mock(side_effect=[
        httpx.Response(429, json={"error": "rate limited"}), httpx.Response(500),
        httpx.Response(200, content=FLOOR)])
    async with httpx.AsyncClient() as http:
        client = _client(http)
        assert await client.tip_accounts() == TIPS
        floor = await client.tip_floor()
    assert floor.p50_lamports == 5_000_001


async def test_jito_rate_limit_body_is_rate_limited(mock):
    """Jito's JSON-RPC 429 error is RateLimited after the retries."""
    body = {"jsonrpc": "2.0", "error": {"code": -32097, "message": "Rate limit exceeded. "
                                        "Limit: 1 per second for txn requests"}, "id": 1}
    mock.post(BUNDLES).mock(return_value=httpx.Response(429, json=body))
    async with httpx.AsyncClient() as http:
        with pytest.raises(RateLimited):
            await _client(http).send_bundle([_tx()])
    assert mock.calls.call_count == 3


class AdvancingChain:
    """LiteSVMChain whose block height moves one block per read, so unlanded bundles expire."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.reports_mainnet_compute_units = inner.name, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def block_height(self):
        return self.inner.advance(1)


class LiteSVMBlockEngine:
    """A block engine that lands each bundle's transactions on LiteSVM, except every send of
    the first ``drop`` distinct transactions (as when their tip keeps losing the auction) and
    the first ``drop_sends`` sends (one lost auction)."""

    def __init__(self, chain, drop=0, drop_sends=0):
        self.chain, self.drop, self.drop_sends = chain, drop, drop_sends
        self.bundles = []
        self.dropped = set()
        self.ids = {}  # bundle id -> its transactions
        self.status_polls = []

    def __call__(self, request):
        body = json.loads(request.content)
        if body["method"] == "getTipAccounts":
            return httpx.Response(200, json=BUILT["getTipAccounts_response"])
        if body["method"] == "getBundleStatuses":
            self.status_polls.append(body["params"][0])
            return httpx.Response(200, json=bundle_statuses_answer(
                self.chain, {i: self.ids[i] for i in body["params"][0]}, body["id"]))
        assert body["method"] == "sendBundle"
        txs = [VersionedTransaction.from_bytes(base64.b64decode(x)) for x in body["params"][0]]
        self.bundles.append(txs)
        first = txs[0].signatures[0]
        if len(self.dropped) < self.drop:
            self.dropped.add(first)
        if first not in self.dropped and len(self.bundles) > self.drop_sends:
            for tx in txs:
                self.chain.send_sync(tx)
        bundle_id = f"bundle-{len(self.bundles)}"
        self.ids[bundle_id] = txs
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"],
                                         "result": bundle_id})


def bundle_statuses_answer(chain, bundles, request_id):
    """``getBundleStatuses`` in the recorded shapes: Jito's documented example with this
    bundle's id, signatures and slot when its transactions landed on ``chain``; QuickNode's
    recorded empty answer when none did."""
    value = []
    for bundle_id, txs in bundles.items():
        landed = [chain.landed(t.signatures[0]) for t in txs]
        if all(landed):
            row = dict(REC["getBundleStatuses_response"]["result"]["value"][0])
            row.update(bundle_id=bundle_id, transactions=[str(t.signatures[0]) for t in txs],
                       slot=landed[0].slot)
            value.append(row)
    if not value:
        body = {k: v for k, v in REC["getBundleStatuses_empty_response_quicknode_docs"].items()
                if not k.startswith("_")}
    else:
        body = json.loads(json.dumps(REC["getBundleStatuses_response"]))
        body["result"]["value"] = value
    return dict(body, id=request_id)


def _tip_balances(pm):
    return {t: pm.chain.svm.get_balance(t) for t in TIPS}


@pytest.mark.integration
async def test_executor_sends_arbitrage_as_one_tipped_bundle(mock):
    """Both arbitrage legs and the tip land in one bundle; the fill's fee includes the tip."""
    pm = paper_market(("140", "160"))
    for t in TIPS:  # mainnet tip accounts exist; make them exist here too
        pm.chain.airdrop(t, 10**9)
    engine = LiteSVMBlockEngine(pm.chain)
    mock.post(BUNDLES).mock(side_effect=engine)
    mock.get(TIP_FLOOR_URL).mock(return_value=httpx.Response(200, content=FLOOR))
    async with httpx.AsyncClient() as http:
        jito = JitoSender(_client(http), TipPolicy(cap_lamports=10**8), rng=random.Random(1))
        await jito.prepare()
        ex = Executor(pm.chain, pm.wallet, pm.venues, sender=jito,
                      config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0))
        route = await ex.router.arbitrage(str(pm.quote.mint), str(pm.base.mint), 1_000 * 10**6)
        before = _tip_balances(pm)
        fill = await ex.execute(SwapIntent(client_order_id="arb-jito",
                                           input_mint=str(pm.quote.mint),
                                           output_mint=str(pm.quote.mint),
                                           in_amount_raw=1_000 * 10**6), route=route)
    (bundle,) = engine.bundles
    assert len(bundle) == 1 and str(bundle[0].signatures[0]) == fill.signature
    gained = {t: pm.chain.svm.get_balance(t) - before[t] for t in TIPS}
    assert sorted(gained.values())[-1] == 5_000_001 and sum(gained.values()) == 5_000_001
    landed = pm.chain.landed(bundle[0].signatures[0])
    assert fill.fee_lamports == landed.fee_lamports + 5_000_001
    assert fill.out_amount_raw > fill.in_amount_raw
    assert jito.bundle_ids[bundle[0].signatures[0]] == "bundle-1"


@pytest.mark.integration
async def test_unlanded_bundle_raises_next_tip(mock):
    """A dropped bundle expires; the re-signed order tips 1.5x and lands exactly once."""
    pm = paper_market(("150",))
    pm.chain.blockhash_validity = 5
    for t in TIPS:
        pm.chain.airdrop(t, 10**9)
    engine = LiteSVMBlockEngine(pm.chain, drop=1)
    mock.post(BUNDLES).mock(side_effect=engine)
    mock.get(TIP_FLOOR_URL).mock(return_value=httpx.Response(200, content=FLOOR))
    async with httpx.AsyncClient() as http:
        jito = JitoSender(_client(http), TipPolicy(cap_lamports=10**8), rng=random.Random(2))
        await jito.prepare()
        chain = AdvancingChain(pm.chain)
        ex = Executor(chain, pm.wallet, pm.venues, sender=jito,
                      config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0,
                                            expired_retries=1))
        before = _tip_balances(pm)
        fill = await ex.execute(SwapIntent(client_order_id="tip-up",
                                           input_mint=str(pm.base.mint),
                                           output_mint=str(pm.quote.mint), in_amount_raw=10**8))
    first, last = engine.bundles[0][0], engine.bundles[-1][0]
    assert first.signatures[0] != last.signatures[0]
    assert tip_paid_lamports(first.message, TIPS) == 5_000_001
    assert tip_paid_lamports(last.message, TIPS) == 7_500_002
    assert sum(pm.chain.svm.get_balance(t) - before[t] for t in TIPS) == 7_500_002
    assert pm.chain.landed(first.signatures[0]) is None
    assert fill.signature == str(last.signatures[0])
    assert jito.policy.misses == 0  # reset by the landing


@pytest.mark.integration
async def test_untipped_transaction_gets_a_tip_transaction(mock):
    """A transaction without a tip goes with a separate tip transaction; none without payer."""
    pm = paper_market(("150",))
    for t in TIPS:
        pm.chain.airdrop(t, 10**9)
    engine = LiteSVMBlockEngine(pm.chain, drop_sends=1)  # the first send does not land
    mock.post(BUNDLES).mock(side_effect=engine)
    payer = pm.chain.funded_keypair(10**9)
    async with httpx.AsyncClient() as http:
        client = _client(http)
        bare = JitoSender(client, TipPolicy(cap_lamports=10**6))
        bare.tip_accounts = TIPS
        ix = system_transfer_ix(source=payer.pubkey(), destination=Pubkey.new_unique(),
                                lamports=10**6)
        tx = VersionedTransaction(MessageV0.try_compile(
            payer.pubkey(), [ix], [], pm.chain.blockhash_info().blockhash), [payer])
        with pytest.raises(OrderRejected, match="pays no Jito tip") as info:
            await bare(tx)
        assert info.value.reason == "no_tip"
        sender = JitoSender(client, TipPolicy(cap_lamports=10**6), tip_payer=payer)
        sender.tip_accounts = TIPS
        await sender(tx)
        assert await sender.bundle_status(tx.signatures[0]) is None  # not landed
        await sender(tx)  # a re-send carries the very same tip transaction
        landed = await sender.bundle_status(tx.signatures[0])
        await sender(tx)  # landed: polled, not sent again
    assert len(engine.bundles) == 2
    assert [bytes(t) for t in engine.bundles[0]] == [bytes(t) for t in engine.bundles[1]]
    assert landed.transactions == tuple(t.signatures[0] for t in engine.bundles[1])
    assert sender.statuses[tx.signatures[0]] == landed and landed.ok
    assert engine.status_polls == [["bundle-1"], ["bundle-1"], ["bundle-2"], ["bundle-2"]]
    main, tip_tx = engine.bundles[0]
    assert tip_paid_lamports(tip_tx.message, TIPS) == JITO_MIN_TIP_LAMPORTS
    assert pm.chain.landed(main.signatures[0]).ok and pm.chain.landed(tip_tx.signatures[0]).ok



async def test_sender_memory_is_bounded(mock):
    """Past max_tracked sends the oldest quarter is forgotten; the newest are kept."""
    mock.post(BUNDLES).mock(side_effect=lambda request: httpx.Response(200, json=dict(
        BUILT["sendBundle_response"], id=json.loads(request.content)["id"],
        result=f"id-{len(mock.calls)}")))
    async with httpx.AsyncClient() as http:
        sender = JitoSender(_client(http), TipPolicy(cap_lamports=10**6), max_tracked=8)
        sender.tip_accounts = TIPS
        payer = Keypair()
        txs = []
        for n in range(20):
            tip = tip_instruction(payer.pubkey(), 2_000, TIPS, random.Random(n))
            from solders.hash import Hash

            txs.append(VersionedTransaction(MessageV0.try_compile(
                payer.pubkey(), [tip], [], Hash.new_unique()), [payer]))
            await sender(txs[-1])
    assert len(sender.bundle_ids) <= 8
    assert txs[-1].signatures[0] in sender.bundle_ids
    assert txs[0].signatures[0] not in sender.bundle_ids
    assert len(sender._tips) == len(sender.bundle_ids)  # tips go with their bundles
