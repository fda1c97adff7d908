"""RpcChain and JsonRpcClient on recorded RPC payloads served with respx: failover, 429, 5xx,
timeouts, truncated and mistyped bodies."""

import base64
import json
import struct
from pathlib import Path

import httpx
import pytest
import respx
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain import Chain
from workbench.chain.jsonrpc import JsonRpcClient, RpcEndpoint, safe_url
from workbench.chain.programs import TOKEN_PROGRAM_ID, system_transfer_ix
from workbench.chain.rpc import RpcChain
from workbench.chain.types import Commitment
from workbench.errors import (
    InsufficientFunds,
    OrderRejected,
    RateLimited,
    SchemaError,
    TemporaryVenueError,
    TxError,
    TxExpired,
    VenueError,
)
from workbench.retry import RetryPolicy

FIX = Path(__file__).parents[1] / "fixtures" / "rpc"
PAIRS = json.loads((FIX / "blocto_solana-go-sdk_rpc_request_response_pairs.json").read_text())
SWIFT = json.loads((FIX / "p2p-org_solana-swift_sendTransaction_responses.json").read_text())
RATE = json.loads((FIX / "rate_limit_429_examples.json").read_text())
DOCS = json.loads((FIX / "solana_docs_examples.json").read_text())
ORCA = json.loads((FIX / "getTransaction_orca_whirlpool_swap.json").read_text())[0]
JUP = json.loads((FIX / "getTransaction_jupiter_v0_with_lookup_tables.json").read_text())[0]

A, B = "https://rpc-a.test/?api-key=SECRET", "https://rpc-b.test/"
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, jitter=0.0)


def _pair(method, pred=lambda p: True):
    return next(p for p in PAIRS if p["request"]["method"] == method and pred(p))


def _ok(result):
    return {"jsonrpc": "2.0", "id": 1, "result": result}


class Node:
    """A scripted RPC endpoint: per-method responses, plus a queue of faults served first."""

    def __init__(self, **bodies):
        self.bodies = bodies
        self.faults = []
        self.requests = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, Exception):
                raise fault
            return fault
        resp = self.bodies[body["method"]]
        if isinstance(resp, httpx.Response):
            return resp
        return httpx.Response(200, json=resp)


class Sleeps:
    def __init__(self):
        self.calls = []

    async def __call__(self, s):
        self.calls.append(s)


@pytest.fixture
def mock():
    with respx.mock(assert_all_called=False) as m:
        yield m


def _chain(http, *urls, sleep=None, **kw):
    rpc = JsonRpcClient(http, [RpcEndpoint(url=u, rate_per_s=1e6) for u in urls],
                        policy=FAST, sleep=sleep or Sleeps(), timeout_s=1.0)
    return RpcChain(rpc, **kw)


def _signed_tx(blockhash=None):
    payer = Keypair.from_seed(bytes(32))
    ix = system_transfer_ix(source=payer.pubkey(), destination=Pubkey.default(), lamports=1)
    return VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [ix], [],
                                                      blockhash or Hash.default()),
                                [payer])


def test_rpc_chain_satisfies_chain_protocol():
    """RpcChain has every method the executor needs from a Chain."""
    chain = RpcChain(JsonRpcClient(httpx.AsyncClient(), [A]))
    assert isinstance(chain, Chain)
    assert chain.reports_mainnet_compute_units is True


def test_urls_with_keys_are_redacted():
    """API keys in endpoint URLs never reach a repr or a log line."""
    chain = RpcChain(JsonRpcClient(httpx.AsyncClient(), [A, "https://user:pw@rpc-c.test/k/abc"]))
    text = repr(chain) + repr(chain.rpc) + repr(chain.rpc.endpoints)
    assert "SECRET" not in text and "pw" not in text and "abc" not in text
    assert safe_url(A) == "https://rpc-a.test"


async def test_latest_blockhash_recorded_and_cached(mock):
    """getLatestBlockhash parses the recorded payload, sends the commitment, is reused briefly."""
    pair = _pair("getLatestBlockhash", lambda p: p["request"].get("params") == [
        {"commitment": "confirmed"}])
    node = Node(getLatestBlockhash=pair["response"])
    mock.post(A).mock(side_effect=node)
    now = [100.0]
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A, clock=lambda: now[0])
        info = await chain.latest_blockhash()
        assert str(info.blockhash) == "FXuaK93DmxWt98bv3wYMdE3TMnY2o8e3h85KrGWEUAzv"
        assert info.last_valid_block_height == 92247899 and info.slot == 112871311
        assert node.requests[0]["params"] == [{"commitment": "confirmed"}]
        now[0] += 1.0
        assert await chain.latest_blockhash() == info
        assert len(node.requests) == 1
        now[0] += 1.5
        await chain.latest_blockhash()
        assert len(node.requests) == 2
        await chain.latest_blockhash(Commitment.FINALIZED)  # another commitment: not cached
        assert node.requests[-1]["params"] == [{"commitment": "finalized"}]


async def test_simulate_units_and_logs(mock):
    """simulateTransaction returns logs and unitsConsumed; a failure keeps the raw error."""
    ok = _pair("simulateTransaction", lambda p: "unitsConsumed" in p["response"]["result"][
        "value"])["response"]
    bad = _pair("simulateTransaction", lambda p: p["response"]["result"]["value"]["err"] is not None
                and p["response"]["result"]["value"]["logs"])["response"]
    node = Node(simulateTransaction=ok)
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        tx = _signed_tx()
        sim = await chain.simulate(tx)
        assert sim.ok and sim.units_consumed == 185
        assert sim.logs[-1].endswith("success")
        params = node.requests[0]["params"]
        assert base64.b64decode(params[0]) == bytes(tx)
        assert params[1]["encoding"] == "base64" and params[1]["replaceRecentBlockhash"] is False
        node.bodies["simulateTransaction"] = bad
        sim = await chain.simulate(tx)
        assert not sim.ok and sim.err_raw == {"InstructionError": [0, {"Custom": 1}]}
        assert "insufficient lamports" in sim.logs[1]


async def test_send_returns_own_signature_and_options(mock):
    """sendTransaction goes base64 with maxRetries 0 and returns the tx's own signature."""
    tx = _signed_tx()
    node = Node(sendTransaction=_ok(str(tx.signatures[0])))
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        assert await chain.send_transaction(tx) == tx.signatures[0]
        params = node.requests[0]["params"]
        assert base64.b64decode(params[0]) == bytes(tx)
        assert params[1] == {"encoding": "base64", "skipPreflight": True, "maxRetries": 0}
        await chain.send_raw(bytes(tx), skip_preflight=False)
        assert node.requests[1]["params"][1]["preflightCommitment"] == "confirmed"


async def test_send_recorded_preflight_errors_are_classified(mock):
    """Recorded -32002 BlockhashNotFound is TxExpired; -32602 bad params is OrderRejected."""
    node = Node(sendTransaction=SWIFT["sendTransactionBlockhashNotFound"])
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        with pytest.raises(TxExpired, match="rebuild with a fresh blockhash"):
            await chain.send_raw(bytes(_signed_tx()), skip_preflight=False)
        assert len(node.requests) == 1  # an answer, not a fault: no retry, no failover
        node.bodies["sendTransaction"] = _pair(
            "sendTransaction", lambda p: p["response"].get("error", {}).get("code") == -32602
        )["response"]
        with pytest.raises(OrderRejected, match="failed to fill whole buffer") as info:
            await chain.send_raw(bytes(_signed_tx()))
        assert info.value.reason == "invalid_request"


async def test_send_refuses_a_node_that_echoes_another_signature(mock):
    """A node echoing a different signature is failed over from, never trusted."""
    tx = _signed_tx()
    wrong = _pair("sendTransaction", lambda p: "result" in p["response"])["response"]
    mock.post(A).mock(side_effect=Node(sendTransaction=wrong))
    node_b = Node(sendTransaction=_ok(str(tx.signatures[0])))
    mock.post(B).mock(side_effect=node_b)
    async with httpx.AsyncClient() as http:
        assert await _chain(http, A, B).send_transaction(tx) == tx.signatures[0]
        assert len(node_b.requests) == 1


@pytest.mark.parametrize("example", range(3))
async def test_recorded_429_fails_over_to_second_endpoint(mock, example):
    """Each recorded HTTP 429 body on endpoint A sends the call to endpoint B at once."""
    ex = RATE["examples"][example]
    content = ex["body_raw"].encode() if "body_raw" in ex else json.dumps(ex["body"]).encode()
    node_a = Node(getBlockHeight=httpx.Response(429, content=content,
                                                headers={"retry-after": "3"}))
    node_b = Node(getBlockHeight=DOCS["getBlockHeight"])
    mock.post(A).mock(side_effect=node_a)
    mock.post(B).mock(side_effect=node_b)
    sleeps = Sleeps()
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A, B, sleep=sleeps)
        assert await chain.block_height() == 1233
        assert sleeps.calls == []  # failover needs no backoff
        # A now cools down for max(cooldown 5 s, Retry-After 3 s): the next call goes to B
        assert await chain.block_height() == 1233
        assert len(node_a.requests) == 1 and len(node_b.requests) == 2


async def test_all_endpoints_429_backs_off_with_retry_after_then_raises(mock):
    """When every endpoint is rate-limited the retry backs off (honouring Retry-After), then
    raises RateLimited carrying the hint."""
    body = json.dumps(RATE["examples"][0]["body"]).encode()
    for url in (A, B):
        mock.post(url).mock(return_value=httpx.Response(429, content=body,
                                                        headers={"retry-after": "0.5"}))
    sleeps = Sleeps()
    async with httpx.AsyncClient() as http:
        with pytest.raises(RateLimited, match="rate-limited getBlockHeight") as info:
            await _chain(http, A, B, sleep=sleeps).block_height()
    assert info.value.retry_after_s == 0.5
    assert info.value.payload["code"] == 429
    assert [round(s, 3) for s in sleeps.calls] == [0.5, 0.5]  # hint beats 0.01, 0.02 backoff
    assert mock.calls.call_count == 6  # 3 attempts x 2 endpoints


async def test_jsonrpc_429_in_a_200_body_is_rate_limited(mock):
    """A JSON-RPC error code 429 inside an HTTP 200 is RateLimited too."""
    mock.post(A).mock(return_value=httpx.Response(200, json=RATE["examples"][0]["body"]))
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        with pytest.raises(RateLimited):
            await chain.block_height()


@pytest.mark.parametrize("fault", [
    httpx.Response(500, text="Internal Server Error"),
    httpx.Response(503, text="<html>upstream unavailable</html>"),
    httpx.ReadTimeout("read timed out"),
    httpx.ConnectError("connection refused"),
    httpx.Response(200, content=b'{"jsonrpc":"2.0","result":{"context":{"slot":1},"val'),
    httpx.Response(200, json={"jsonrpc": "2.0", "id": 1}),
    httpx.Response(200, json=_ok("1233")),  # wrong type: a string block height
    httpx.Response(200, json=_ok(12.5)),
    _pair("sendTransaction", lambda p: p["response"].get("error", {}).get("code") == -32005),
])
async def test_faults_on_first_endpoint_fail_over(mock, fault):
    """5xx, timeouts, connection errors, truncated JSON, missing result, wrong field types
    and node-behind on endpoint A all fail over to B, which answers."""
    if isinstance(fault, dict):
        fault = httpx.Response(200, json=fault["response"])
    node_a = Node(getBlockHeight=DOCS["getBlockHeight"])
    node_a.faults.append(fault)
    node_b = Node(getBlockHeight=DOCS["getBlockHeight"])
    mock.post(A).mock(side_effect=node_a)
    mock.post(B).mock(side_effect=node_b)
    async with httpx.AsyncClient() as http:
        assert await _chain(http, A, B).block_height() == 1233
    assert len(node_a.requests) == 1 and len(node_b.requests) == 1


async def test_single_endpoint_retries_with_backoff_then_succeeds(mock):
    """With one endpoint a 500 then a timeout are retried with doubling delays."""
    node = Node(getBlockHeight=DOCS["getBlockHeight"])
    node.faults += [httpx.Response(500), httpx.ReadTimeout("t")]
    mock.post(A).mock(side_effect=node)
    sleeps = Sleeps()
    async with httpx.AsyncClient() as http:
        assert await _chain(http, A, sleep=sleeps).block_height() == 1233
    assert sleeps.calls == [0.01, 0.02]


async def test_persistent_truncated_json_raises_temporary_from_schema(mock):
    """A body that stays malformed ends as TemporaryVenueError, never a fake value."""
    mock.post(A).mock(return_value=httpx.Response(200, content=b'{"jsonrpc":"2.0","res'))
    async with httpx.AsyncClient() as http:
        with pytest.raises(TemporaryVenueError, match="not JSON for getBlockHeight") as info:
            await _chain(http, A).block_height()
    assert isinstance(info.value.__cause__, SchemaError)


async def test_http_401_is_not_retried(mock):
    """A refused key is a config problem: VenueError at once, naming the fix."""
    mock.post(A).mock(return_value=httpx.Response(401, text="invalid api key"))
    async with httpx.AsyncClient() as http:
        with pytest.raises(VenueError, match=r"HTTP 401.*API key") as info:
            await _chain(http, A, B).block_height()
    assert not isinstance(info.value, TemporaryVenueError)
    assert mock.calls.call_count == 1


async def test_signature_statuses_docs_example_and_chunks(mock):
    """getSignatureStatuses maps found/unknown entries, and asks 256 at most per call."""
    node = Node(getSignatureStatuses=DOCS["getSignatureStatuses"])
    mock.post(A).mock(side_effect=node)
    sigs = [Signature.new_unique() for _ in range(2)]
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        st = await chain.signature_statuses(sigs)
        assert st[1] is None and st[0].slot == 48 and st[0].confirmation_status == "finalized"
        assert Commitment.CONFIRMED.satisfied_by(st[0].confirmation_status)
        assert node.requests[0]["params"][1] == {"searchTransactionHistory": False}
        many = [Signature.new_unique() for _ in range(300)]

        def answer(request):
            n = len(json.loads(request.content)["params"][0])
            return httpx.Response(200, json=_ok({"context": {"slot": 1}, "value": [None] * n}))

        mock.post(A).mock(side_effect=answer)
        assert await chain.signature_statuses(many) == [None] * 300
        sizes = [len(json.loads(c.request.content)["params"][0]) for c in mock.calls[-2:]]
        assert sizes == [256, 44]


async def test_get_transaction_token_changes_recorded(mock):
    """getTransaction on the recorded Orca swap gives the signer's exact token deltas."""
    node = Node(getTransaction=_ok(ORCA))
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        tx = await _chain(http, A, commitment=Commitment.PROCESSED).get_transaction(
            Signature.from_string(ORCA["transaction"]["signatures"][0]))
    assert node.requests[0]["params"][1] == {"encoding": "json", "commitment": "confirmed",
                                             "maxSupportedTransactionVersion": 0}
    assert tx.ok and tx.fee_lamports == 15527 and tx.slot == ORCA["slot"]
    signer = ORCA["transaction"]["message"]["accountKeys"][0]
    changes = {c.mint: c.delta_raw for c in tx.token_changes(signer)}
    pre = {b["mint"]: int(b["uiTokenAmount"]["amount"]) for b in ORCA["meta"]["preTokenBalances"]
           if b["owner"] == signer}
    post = {b["mint"]: int(b["uiTokenAmount"]["amount"])
            for b in ORCA["meta"]["postTokenBalances"] if b["owner"] == signer}
    assert changes == {m: post.get(m, 0) - pre.get(m, 0) for m in set(pre) | set(post)
                       if post.get(m, 0) != pre.get(m, 0)}
    assert tx.lamport_change(signer) == ORCA["meta"]["postBalances"][0] - ORCA["meta"][
        "preBalances"][0]


async def test_get_transaction_v0_loaded_addresses_index(mock):
    """Token balances of lookup-table accounts resolve to the loaded addresses."""
    mock.post(A).mock(return_value=httpx.Response(200, json=_ok(JUP)))
    async with httpx.AsyncClient() as http:
        tx = await _chain(http, A).get_transaction(Signature.default())
    writable = JUP["meta"]["loadedAddresses"]["writable"]
    assert len(tx.account_keys) == 10 + len(writable) + len(JUP["meta"]["loadedAddresses"][
        "readonly"])
    b = next(b for b in tx.pre_token_balances if b.account_index == 10)
    assert b.account == writable[0] and b.amount_raw == 57916123652 and b.decimals == 9


async def test_get_transaction_not_found_and_mistyped(mock):
    """A null result is 'not yet'; a string fee is a malformed node answer (failover)."""
    bad = json.loads(json.dumps(ORCA))
    bad["meta"]["fee"] = "15527"
    node = Node(getTransaction=_ok(None))
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        assert await chain.get_transaction(Signature.default()) is None
        node.bodies["getTransaction"] = _ok(bad)
        with pytest.raises(TemporaryVenueError, match=r"meta.fee should be an integer") as info:
            await chain.get_transaction(Signature.default())
    assert isinstance(info.value.__cause__, SchemaError)


async def test_prioritization_fees_docs_example_cached(mock):
    """getRecentPrioritizationFees sends the accounts, returns fees, caches per account set."""
    node = Node(getRecentPrioritizationFees=DOCS["getRecentPrioritizationFees"])
    mock.post(A).mock(side_effect=node)
    acct = Pubkey.from_string("CxELquR1gPP8wHe33gZ4QxqGB3sZ9RSwsJ2KshVewkFY")
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A, clock=lambda: 0.0)
        assert await chain.recent_prioritization_fees([acct]) == [0, 1000, 500, 0, 1234]
        assert node.requests[0]["params"] == [[str(acct)]]
        await chain.recent_prioritization_fees([acct])
        assert len(node.requests) == 1
        await chain.recent_prioritization_fees([])
        assert node.requests[1]["params"] == [[]]


async def test_multiple_accounts_balance_and_token_amount(mock):
    """getMultipleAccounts (docs example), getBalance, and a token account's amount."""
    mint, owner = Pubkey.new_unique(), Pubkey.new_unique()
    data = bytes(mint) + bytes(owner) + struct.pack("<Q", 123_456_789) + bytes(165 - 72)
    token_acc = {"data": [base64.b64encode(data).decode(), "base64"], "executable": False,
                 "lamports": 2039280, "owner": str(TOKEN_PROGRAM_ID), "rentEpoch": 0,
                 "space": 165}
    node = Node(getMultipleAccounts=DOCS["getMultipleAccounts"], getBalance=DOCS["getBalance"])
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        a, b = await chain.multiple_accounts([Pubkey.new_unique(), Pubkey.new_unique()])
        assert a.lamports == 88849814690250 and bytes(a.data) == b""
        assert str(b.owner) == "2WRuhE4GJFoE23DYzp2ij6ZnuQ8p9mJeU6gDgfsjR4or"
        assert await chain.balance_lamports(Pubkey.new_unique()) == 0
        node.bodies["getMultipleAccounts"] = _ok({"context": {"slot": 1}, "value": [token_acc]})
        assert await chain.token_balance_raw(Pubkey.new_unique()) == 123_456_789
        node.bodies["getMultipleAccounts"] = _ok({"context": {"slot": 1}, "value": [None]})
        assert await chain.token_balance_raw(Pubkey.new_unique()) == 0


async def test_token_accounts_by_owner(mock):
    """getTokenAccountsByOwner decodes mint, owner and amount from base64 account data."""
    mint, owner, addr = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    data = bytes(mint) + bytes(owner) + struct.pack("<Q", 42) + bytes(165 - 72)
    value = [{"pubkey": str(addr), "account": {
        "data": [base64.b64encode(data).decode(), "base64"], "executable": False,
        "lamports": 2039280, "owner": str(TOKEN_PROGRAM_ID), "rentEpoch": 0, "space": 165}}]
    node = Node(getTokenAccountsByOwner=_ok({"context": {"slot": 9}, "value": value}))
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        (acc,) = await chain.token_accounts_by_owner(owner, mint=mint)
        assert (acc.address, acc.mint, acc.owner, acc.amount_raw) == (addr, mint, owner, 42)
        assert node.requests[0]["params"][1] == {"mint": str(mint)}
        await chain.token_accounts_by_owner(owner, program_id=TOKEN_PROGRAM_ID)
        assert node.requests[1]["params"][1] == {"programId": str(TOKEN_PROGRAM_ID)}
        with pytest.raises(ValueError, match="exactly one of mint= or program_id="):
            await chain.token_accounts_by_owner(owner)


async def test_lookup_table_account(mock):
    """An address lookup table is read with getMultipleAccounts and deserialized."""
    addrs = [Pubkey.new_unique() for _ in range(3)]
    # LookupTableMeta: u32 type=1, u64 deactivation=MAX, u64 last_extended, u8 idx,
    # Option<Pubkey> authority, u16 padding; then the addresses.
    meta = struct.pack("<IQQB", 1, 2**64 - 1, 7, 0) + b"\x01" + bytes(Pubkey.new_unique()) \
        + b"\x00\x00"
    data = meta + b"".join(bytes(a) for a in addrs)
    key = Pubkey.new_unique()
    acc = {"data": [base64.b64encode(data).decode(), "base64"], "executable": False,
           "lamports": 1, "owner": "AddressLookupTab1e1111111111111111111111111", "rentEpoch": 0}
    node = Node(getMultipleAccounts=_ok({"context": {"slot": 1}, "value": [acc]}))
    mock.post(A).mock(side_effect=node)
    async with httpx.AsyncClient() as http:
        chain = _chain(http, A)
        table = await chain.lookup_table(key)
        assert table == AddressLookupTableAccount(key=key, addresses=addrs)
        node.bodies["getMultipleAccounts"] = _ok({"context": {"slot": 1}, "value": [None]})
        with pytest.raises(TxError, match="does not exist on this cluster"):
            await chain.lookup_table(key)


async def test_simulate_insufficient_funds_is_classified_by_executor_classifier(mock):
    """The recorded insufficient-lamports simulation classifies as InsufficientFunds."""
    from workbench.chain.classify import classify_tx_error

    bad = _pair("simulateTransaction", lambda p: p["response"]["result"]["value"]["err"] is not None
                and p["response"]["result"]["value"]["logs"])["response"]
    mock.post(A).mock(return_value=httpx.Response(200, json=bad))
    async with httpx.AsyncClient() as http:
        sim = await _chain(http, A).simulate(_signed_tx())
    assert isinstance(classify_tx_error(sim.err_raw, sim.logs), InsufficientFunds)


async def test_from_settings_derives_the_websocket_for_confirmation():
    """``execution.ws_url`` when set, else the first RPC URL with http(s) -> ws(s)."""
    from workbench.config import ExecutionSettings

    async with httpx.AsyncClient() as http:
        derived = RpcChain.from_settings(http, ExecutionSettings(
            rpc_urls=("https://rpc-a.test/?api-key=k", "https://rpc-b.test/")))
        explicit = RpcChain.from_settings(http, ExecutionSettings(
            rpc_urls=("https://rpc-a.test/",), ws_url="wss://ws.test/"))
    assert derived.ws_url == "wss://rpc-a.test/?api-key=k"
    assert explicit.ws_url == "wss://ws.test/"
