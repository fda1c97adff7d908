"""Swap backfill from chain: paginated, resumable, idempotent, on recorded mainnet transactions.

A small JSON-RPC node is served with respx. It answers ``getTransaction`` with the three
recorded Raydium AMM v4 swaps (tests/fixtures/transactions) and ``getSignaturesForAddress``
from those same transactions' signature, slot, blockTime and err, newest first, honouring
``before``, ``until`` and ``limit`` as a Solana node does.
"""

import copy
import json
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from workbench.data.http import RetryPolicy
from workbench.data.sources.rpc import RpcConfig, SolanaRpcSource
from workbench.data.swap_history import PoolSpec, backfill_swaps
from workbench.data.swaps import NATIVE_SOL, parse_pool_swap
from workbench.errors import DataError, TemporaryVenueError
from workbench.store.trades import load_market_trades

TX = Path(__file__).resolve().parents[1] / "fixtures" / "transactions"
URL = "https://rpc.test/"
RAY_PROGRAM = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"
RAY_AUTH = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"
MINTS = ["2CrtdajpSb7DpMRLKP4yMtFLbCsWZjMkEvgSTf4Ypump",
         "E8yBUD4AGdxK7MbQEf85oaAvVBuSoRsGCvX2sMxSpump",
         "AaJ6gmTzaQw9zxfK6BD9N89wzZLuSuwTRbi8YrTCpump"]
SPECS = [PoolSpec(venue="raydium_amm_v4", symbol=f"{m[:4]}/SOL", pool_owner=RAY_AUTH,
                  base_mint=m, quote_mint=NATIVE_SOL) for m in MINTS]


def _txs():
    return [json.loads((TX / f"raydiumLiquidityPoolV4_swap_{i}.json").read_text())[0]
            for i in range(3)]


def _sig(tx):
    return tx["transaction"]["signatures"][0]


def _keys(tx):
    msg = tx["transaction"]["message"]["accountKeys"]
    loaded = tx["meta"].get("loadedAddresses") or {}
    return [k if isinstance(k, str) else k["pubkey"] for k in msg] + loaded.get(
        "writable", []) + loaded.get("readonly", [])


class Node:
    """Answers JSON-RPC from recorded transactions; ``visible`` limits what it knows."""

    def __init__(self, txs):
        self.txs = sorted(txs, key=lambda t: t["slot"], reverse=True)
        self.visible = {_sig(t) for t in txs}
        self.calls = []
        self.script = {}  # signature -> list of httpx.Response to send first
        self.failed = set()  # signatures listed with err (their meta.err is set too)
        self.first_list_responses = []

    def __call__(self, request):
        body = json.loads(request.content)
        method, params = body["method"], body["params"]
        self.calls.append((method, params))
        if method == "getSignaturesForAddress":
            if self.first_list_responses:
                return self.first_list_responses.pop(0)
            addr, opts = params
            rows = [t for t in self.txs if _sig(t) in self.visible and addr in _keys(t)]
            sigs = [_sig(t) for t in rows]
            if opts.get("before") in sigs:
                rows = rows[sigs.index(opts["before"]) + 1:]
            if opts.get("until") in [_sig(t) for t in rows]:
                rows = rows[:[_sig(t) for t in rows].index(opts["until"])]
            rows = rows[: opts.get("limit", 1000)]
            result = [{"signature": _sig(t), "slot": t["slot"], "blockTime": t["blockTime"],
                       "err": ({"InstructionError": [4, {"Custom": 30}]}
                               if _sig(t) in self.failed else t["meta"]["err"]),
                       "memo": None, "confirmationStatus": "finalized"} for t in rows]
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"],
                                             "result": result})
        if method == "getTransaction":
            sig = params[0]
            if self.script.get(sig):
                return self.script[sig].pop(0)
            tx = next((t for t in self.txs if _sig(t) == sig and sig in self.visible), None)
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": tx})
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"],
                                         "error": {"code": -32601, "message": "not found"}})

    def fetched(self):
        return [p[0] for m, p in self.calls if m == "getTransaction"]

    def listing_opts(self):
        return [p[1] for m, p in self.calls if m == "getSignaturesForAddress"]


@pytest.fixture
def node():
    n = Node(_txs())
    with respx.mock(assert_all_called=False) as mock:
        mock.post(URL).mock(side_effect=n)
        yield n


def _rpc(attempts=5):
    return SolanaRpcSource(RpcConfig(url=URL, requests_per_s=10_000), client=httpx.AsyncClient(),
                           retry_policy=RetryPolicy(max_attempts=attempts, base_delay_s=0.001,
                                                    max_delay_s=0.002))


async def test_program_backfill_pages_and_stores_each_pools_trade(store, node):
    """Listing the program in pages of 2 stores the three pools' trades, once; a 429 is retried."""
    node.first_list_responses = [httpx.Response(429, text="Too many requests")]
    res = await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, page_size=2, progress=False)
    assert (res.signatures, res.fetched, res.trades, res.written) == (3, 3, 3, 3)
    assert res.resumed_after is None and res.resumed_before is None
    opts = node.listing_opts()
    assert opts[1] == {"limit": 2, "commitment": "confirmed"}
    assert opts[2]["before"] == _sig(node.txs[1])  # page 2 continues below page 1
    got = load_market_trades(store, venue="raydium_amm_v4")
    assert got["slot"].tolist() == [292734971, 293583913, 305539244]
    for tx, spec in zip(_txs(), SPECS, strict=True):
        want = parse_pool_swap(tx, pool_owner=RAY_AUTH, base_mint=spec.base_mint,
                               quote_mint=NATIVE_SOL, venue="raydium_amm_v4",
                               symbol=spec.symbol)
        row = got[got["signature"] == want.signature].iloc[0]
        assert row["symbol"] == spec.symbol and row["side"] == want.side
        assert row["base_amount"] == float(want.base_amount)
        assert row["quote_amount"] == float(want.quote_amount)
    # a second run lists only above the newest and below the oldest stored trade
    node.calls.clear()
    again = await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, page_size=2,
                                 progress=False)
    assert again.written == 0 and node.fetched() == []
    assert again.resumed_after == _sig(node.txs[0])
    assert again.resumed_before == _sig(node.txs[2])
    assert node.listing_opts()[0]["until"] == _sig(node.txs[0])
    assert node.listing_opts()[1]["before"] == _sig(node.txs[2])
    assert len(load_market_trades(store)) == 3


async def test_new_swaps_after_a_pause_are_fetched_alone(store, node):
    """The node later has a newer swap: only that one is fetched and stored."""
    newest = _sig(node.txs[0])
    node.visible.discard(newest)
    first = await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, progress=False)
    assert first.written == 2
    node.visible.add(newest)
    node.calls.clear()
    second = await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, progress=False)
    assert node.fetched() == [newest]
    assert second.written == 1
    assert len(load_market_trades(store)) == 3


async def test_cut_short_backfill_continues_below_what_it_stored(store, node):
    """A run that dies on page 2 keeps page 1; the next run fetches only the rest."""
    oldest = _sig(node.txs[2])
    node.script[oldest] = [httpx.Response(503, text="upstream down")] * 2
    with pytest.raises(TemporaryVenueError, match="HTTP 503"):
        await backfill_swaps(_rpc(attempts=2), store, RAY_PROGRAM, SPECS, page_size=2,
                             progress=False)
    assert len(load_market_trades(store)) == 2
    node.calls.clear()
    res = await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, page_size=2, progress=False)
    assert node.fetched() == [oldest]
    assert res.written == 1 and res.resumed_before == _sig(node.txs[1])
    assert len(load_market_trades(store)) == 3


async def test_failed_missing_and_malformed_are_counted_not_stored(store, node):
    """A failed signature is not fetched; an unknown or malformed transaction is counted."""
    failed, missing, malformed = (_sig(t) for t in node.txs)
    node.failed.add(failed)  # listed with err set, as the node lists failed transactions
    node.script[missing] = [httpx.Response(200, json={"jsonrpc": "2.0", "id": 1,
                                                      "result": None})]
    bad = copy.deepcopy(node.txs[2])
    bad["meta"]["postTokenBalances"][0]["uiTokenAmount"] = "lots"
    node.script[malformed] = [httpx.Response(200, json={"jsonrpc": "2.0", "id": 1,
                                                        "result": bad})]
    res = await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, progress=False)
    assert failed not in node.fetched()
    assert res.skipped_failed == 1
    assert res.rejected == {"missing": 1, "malformed": 1}
    assert res.written == 0


async def test_truncated_rpc_body_is_counted_as_malformed(store, node):
    """A getTransaction body that is not JSON skips that transaction, not the backfill."""
    sig = _sig(node.txs[1])
    node.script[sig] = [httpx.Response(200, text='{"jsonrpc": "2.0", "result": {"slot": 29')]
    res = await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, progress=False)
    assert res.rejected == {"malformed": 1} and res.written == 2


async def test_pool_backfill_by_vault(store, node):
    """Listing one pool's vault with the vaults given stores that pool's trade with its seq."""
    tx = node.txs[2]  # slot 292734971, the oldest
    vaults = ("2uBUq62d4HcDMTSg9ZuBySw4KGaMZi2mvaWatcXWkj4b",
              "4veQuvzFqRiibczQWZj8ZX4QdVLsB4N882b5wBNFxTA8")
    spec = PoolSpec(venue="raydium_amm_v4", symbol="2Crt/SOL", pool_owner=RAY_AUTH,
                    base_mint=MINTS[0], quote_mint=NATIVE_SOL, vaults=vaults)
    res = await backfill_swaps(_rpc(), store, vaults[1], [spec], progress=False)
    got = load_market_trades(store)
    assert res.written == 1 and got["signature"].tolist() == [_sig(tx)]
    assert got["seq"].tolist() == [5]  # the WSOL vault's account index in that transaction


@pytest.mark.parametrize("bound", ["since", "min_slot"])
async def test_backfill_stops_at_the_time_or_slot_bound(store, node, bound):
    """History older than `since` (or below `min_slot`) is neither fetched nor stored."""
    middle = node.txs[1]
    kw = ({"since": pd.Timestamp(middle["blockTime"], unit="s", tz="UTC")} if bound == "since"
          else {"min_slot": middle["slot"]})
    res = await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, progress=False, **kw)
    assert _sig(node.txs[2]) not in node.fetched()
    assert res.written == 2 and res.signatures == 2


async def test_arguments_are_checked(store):
    """No pools, or a page size the node refuses, are errors naming the value."""
    with pytest.raises(DataError, match="at least one PoolSpec"):
        await backfill_swaps(_rpc(), store, RAY_PROGRAM, [], progress=False)
    with pytest.raises(DataError, match="page_size=5000"):
        await backfill_swaps(_rpc(), store, RAY_PROGRAM, SPECS, page_size=5000, progress=False)
