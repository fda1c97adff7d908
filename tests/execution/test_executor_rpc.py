"""The live path: the same Executor over RpcChain, against an RPC node served with respx whose
state is a real LiteSVM chain (JSON shapes as the Solana RPC documents them), with faults."""

import base64
import json

import httpx
import pytest
import respx
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.classify import tx_error_to_json
from workbench.chain.jsonrpc import JsonRpcClient, RpcEndpoint
from workbench.chain.programs import COMPUTE_BUDGET_PROGRAM_ID, associated_token_address
from workbench.chain.rpc import RpcChain
from workbench.domain import OrderStatus
from workbench.errors import TxExpired
from workbench.execution.executor import Executor, ExecutorConfig, SwapIntent
from workbench.execution.transactions import compute_unit_limit
from workbench.retry import RetryPolicy
from workbench.testing import paper_market

pytestmark = pytest.mark.integration

A, B = "https://rpc-a.test/", "https://rpc-b.test/"


class LiteSVMRpcNode:
    """Answers Solana JSON-RPC from a LiteSVMChain. ``faults`` maps a method to a list of
    faults served before real answers: an httpx exception, an httpx.Response, or
    ("land_then", exc) to process a sendTransaction and then fail the HTTP exchange."""

    def __init__(self, chain, fees=(0,)):
        self.chain, self.fees = chain, list(fees)
        self.faults = {}
        self.calls = []
        self.simulated_units = []

    def __call__(self, request):
        body = json.loads(request.content)
        method, params = body["method"], body.get("params", [])
        self.calls.append(method)
        queue = self.faults.get(method)
        if queue:
            fault = queue.pop(0)
            if isinstance(fault, tuple):
                self._answer(method, params)
                raise fault[1]
            if isinstance(fault, Exception):
                raise fault
            return fault
        try:
            result = self._answer(method, params)
        except TxExpired:
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": {
                "code": -32002, "message": "Transaction simulation failed: Blockhash not found",
                "data": {"err": "BlockhashNotFound", "logs": []}}})
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})

    def _ctx(self, value):
        return {"context": {"slot": self.chain.svm.get_clock().slot}, "value": value}

    def _answer(self, method, params):
        c = self.chain
        if method == "getLatestBlockhash":
            info = c.blockhash_info()
            return self._ctx({"blockhash": str(info.blockhash),
                              "lastValidBlockHeight": info.last_valid_block_height})
        if method == "getBlockHeight":
            return c.height
        if method == "getRecentPrioritizationFees":
            return [{"slot": i, "prioritizationFee": f} for i, f in enumerate(self.fees)]
        if method == "simulateTransaction":
            sim = c.simulate_sync(VersionedTransaction.from_bytes(base64.b64decode(params[0])))
            self.simulated_units.append(sim.units_consumed)
            return self._ctx({"err": sim.err_raw, "logs": list(sim.logs), "accounts": None,
                              "unitsConsumed": sim.units_consumed})
        if method == "sendTransaction":
            tx = VersionedTransaction.from_bytes(base64.b64decode(params[0]))
            return str(c.send_sync(tx, skip_preflight=params[1]["skipPreflight"]))
        if method == "getSignatureStatuses":
            out = []
            for s in params[0]:
                tx = c.landed(Signature.from_string(s))
                out.append(None if tx is None else {
                    "slot": tx.slot, "confirmations": None, "err": tx_error_to_json(tx.err),
                    "confirmationStatus": "confirmed"})
            return self._ctx(out)
        if method == "getTransaction":
            tx = c.landed(Signature.from_string(params[0]))
            return None if tx is None else self._transaction_json(tx)
        raise AssertionError(f"unexpected method {method}")

    @staticmethod
    def _transaction_json(tx):
        keys = list(tx.account_keys)
        loaded = []

        def balances(items):
            out = []
            for b in items:
                if b.account not in keys + loaded:
                    loaded.append(b.account)
                out.append({"accountIndex": (keys + loaded).index(b.account), "mint": b.mint,
                            "owner": b.owner, "programId": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss"
                            "623VQ5DA", "uiTokenAmount": {"amount": str(b.amount_raw),
                                                          "decimals": b.decimals}})
            return out

        pre, post = balances(tx.pre_token_balances), balances(tx.post_token_balances)
        return {"slot": tx.slot, "blockTime": tx.block_time_s, "version": 0,
                "meta": {"err": tx_error_to_json(tx.err), "fee": tx.fee_lamports,
                         "preBalances": list(tx.pre_lamports),
                         "postBalances": list(tx.post_lamports),
                         "preTokenBalances": pre, "postTokenBalances": post,
                         "logMessages": list(tx.logs),
                         "loadedAddresses": {"writable": loaded, "readonly": []}},
                "transaction": {"signatures": [str(tx.signature)],
                                "message": {"accountKeys": keys}}}


async def _nosleep(_s):
    return None


def _rpc_chain(http, *urls):
    rpc = JsonRpcClient(http, [RpcEndpoint(url=u, rate_per_s=1e6) for u in urls],
                        policy=RetryPolicy(max_attempts=4, base_delay_s=0.0, jitter=0.0),
                        sleep=_nosleep, cooldown_s=0.0)
    return RpcChain(rpc, blockhash_max_age_s=0.0, fees_max_age_s=0.0)


class Recorder:
    def __init__(self):
        self.submitted, self.statuses, self.fills = [], [], []

    def on_submitted(self, s):
        self.submitted.append(s)

    def on_status(self, coid, status, detail):
        self.statuses.append(status)

    def on_fill(self, fill):
        self.fills.append(fill)


def _cu(tx_bytes):
    tx = VersionedTransaction.from_bytes(tx_bytes)
    msg = tx.message
    return {bytes(ix.data)[0]: int.from_bytes(bytes(ix.data)[1:], "little")
            for ix in msg.instructions
            if msg.account_keys[ix.program_id_index] == COMPUTE_BUDGET_PROGRAM_ID}


async def test_executor_over_rpc_fills_like_paper_with_cu_from_simulation():
    """Over RPC the executor simulates, sets the CU limit from the simulation plus margin,
    sends, confirms and fills exactly what the chain moved."""
    pm = paper_market(("150",))
    node = LiteSVMRpcNode(pm.chain, fees=[10, 20, 30, 40])
    rec = Recorder()
    with respx.mock() as mock:
        mock.post(A).mock(side_effect=node)
        async with httpx.AsyncClient() as http:
            ex = Executor(_rpc_chain(http, A), pm.wallet, pm.venues, hooks=rec,
                          config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0))
            w = pm.wallet.pubkey()
            usdc = associated_token_address(w, pm.quote.mint)
            before = pm.chain.token_amount(usdc)
            fill = await ex.execute(SwapIntent(client_order_id="live-1",
                                               input_mint=str(pm.base.mint),
                                               output_mint=str(pm.quote.mint),
                                               in_amount_raw=10**9))
    assert fill.out_amount_raw == pm.chain.token_amount(usdc) - before > 0
    assert fill.in_amount_raw == 10**9
    assert rec.statuses == [OrderStatus.SUBMITTED, OrderStatus.FILLED]
    (sub,) = rec.submitted
    assert _cu(sub.tx_bytes) == {2: compute_unit_limit(node.simulated_units[0], 15), 3: 30}
    assert node.calls.index("simulateTransaction") < node.calls.index("sendTransaction")


async def test_executor_over_rpc_survives_faults_and_fails_over():
    """429 on the blockhash, a send that times out after landing, 500s on statuses and a
    getTransaction that lags: endpoint B takes over and the order fills exactly once."""
    pm = paper_market(("150",))
    node_a = LiteSVMRpcNode(pm.chain)
    node_b = LiteSVMRpcNode(pm.chain)
    node_a.faults = {
        "getLatestBlockhash": [httpx.Response(429, json={"jsonrpc": "2.0", "id": 1, "error": {
            "code": 429, "message": "Too many requests for a specific RPC call"}})],
        "sendTransaction": [("land_then", httpx.ReadTimeout("timed out after landing"))],
        "getSignatureStatuses": [httpx.Response(500)] * 3,
        "getTransaction": [httpx.Response(200, content=b'{"jsonrpc":"2.0","result":{"slo')],
    }
    rec = Recorder()
    with respx.mock() as mock:
        mock.post(A).mock(side_effect=node_a)
        mock.post(B).mock(side_effect=node_b)
        async with httpx.AsyncClient() as http:
            ex = Executor(_rpc_chain(http, A, B), pm.wallet, pm.venues, hooks=rec,
                          config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0))
            fill = await ex.execute(SwapIntent(client_order_id="live-2",
                                               input_mint=str(pm.base.mint),
                                               output_mint=str(pm.quote.mint),
                                               in_amount_raw=10**8))
    assert rec.fills == [fill] and len(rec.submitted) == 1
    assert pm.chain.landed(Signature.from_string(fill.signature)).ok
    assert "getLatestBlockhash" in node_b.calls and "getSignatureStatuses" in node_b.calls
    assert pm.chain.sent_count >= 2  # the re-send of landed bytes was harmless
