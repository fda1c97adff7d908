"""Priority fees (percentile with a cap), v0 messages with address lookup tables, and venue-built
(prebuilt) transactions signed and sent by the executor."""

import dataclasses
import json
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st
from solders.message import MessageV0, to_bytes_versioned
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.jsonrpc import JsonRpcClient
from workbench.chain.programs import (
    COMPUTE_BUDGET_PROGRAM_ID,
    associated_token_address,
    set_compute_unit_limit_ix,
    set_compute_unit_price_ix,
    transfer_checked_ix,
)
from workbench.chain.rpc import RpcChain
from workbench.errors import InsufficientFunds, OrderRejected
from workbench.execution.executor import Executor, ExecutorConfig, SwapIntent
from workbench.execution.priority_fees import (
    fetch_priority_fee,
    percentile_fee,
    priority_fee_lamports,
)
from workbench.execution.router import Router
from workbench.execution.transactions import sign_prebuilt
from workbench.testing import paper_market, seeded_keypair

DOCS = json.loads((Path(__file__).parents[1] / "fixtures" / "rpc" /
                   "solana_docs_examples.json").read_text())
FAST = ExecutorConfig(poll_interval_s=0, resend_interval_s=0)


# --- priority fee -------------------------------------------------------------------------------


def test_percentile_fee_known_answers():
    """Nearest-rank percentile over the docs' fees, capped; no samples pays nothing."""
    fees = [0, 1000, 500, 0, 1234]  # sorted: 0 0 500 1000 1234
    assert percentile_fee(fees, 75, cap=10**6) == 1000  # rank ceil(3.75) = 4
    assert percentile_fee(fees, 50, cap=10**6) == 500  # rank 3
    assert percentile_fee(fees, 100, cap=10**6) == 1234
    assert percentile_fee(fees, 0, cap=10**6) == 0
    assert percentile_fee(fees, 75, cap=800) == 800
    assert percentile_fee([], 75, cap=800) == 0
    assert priority_fee_lamports(200_000, 1000) == 200  # 200k CU x 0.001 lamport
    assert priority_fee_lamports(1, 1) == 1  # rounds up


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=150), st.integers(0, 100),
       st.integers(0, 10**9))
def test_percentile_fee_properties(fees, pct, cap):
    """The fee is a sample or the cap, never above the cap, and rises with the percentile."""
    fee = percentile_fee(fees, pct, cap)
    assert fee <= cap and (fee in fees or fee == cap)
    assert fee <= percentile_fee(fees, min(100, pct + 10), cap)


async def test_fetch_priority_fee_over_rpc_docs_example():
    """fetch_priority_fee asks the RPC for the accounts and applies percentile and cap."""
    from solders.pubkey import Pubkey

    acct = Pubkey.new_unique()
    with respx.mock() as mock:
        route = mock.post("https://rpc.test/").mock(return_value=httpx.Response(
            200, json=DOCS["getRecentPrioritizationFees"]))
        async with httpx.AsyncClient() as http:
            chain = RpcChain(JsonRpcClient(http, ["https://rpc.test/"]), fees_max_age_s=0)
            assert await fetch_priority_fee(chain, [acct], percentile=75, cap=10**6) == 1000
            assert await fetch_priority_fee(chain, [acct], percentile=75, cap=900) == 900
    assert json.loads(route.calls[0].request.content)["params"] == [[str(acct)]]


class FeeMarketChain:
    """A LiteSVMChain with a fee market: fixed recent fees, and the accounts asked recorded."""

    def __init__(self, inner, fees):
        self.inner, self.fees, self.asked = inner, fees, []
        self.name, self.reports_mainnet_compute_units = inner.name, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def recent_prioritization_fees(self, accounts=()):
        self.asked.append(list(accounts))
        return self.fees


def _compute_budget(tx):
    msg = tx.message
    out = {}
    for ix in msg.instructions:
        if msg.account_keys[ix.program_id_index] == COMPUTE_BUDGET_PROGRAM_ID:
            data = bytes(ix.data)
            out[data[0]] = int.from_bytes(data[1:], "little")
    return out


@pytest.mark.integration
@pytest.mark.parametrize(("cap", "expected"), [(10**6, 300), (250, 250)])
async def test_executor_prices_compute_units_from_fee_market(cap, expected):
    """The landed swap pays the configured percentile of recent fees, within the cap, and the
    fee market is asked about the swap's writable accounts."""
    pm = paper_market(("150",))
    chain = FeeMarketChain(pm.chain, [100, 200, 300, 400])
    rec = Recorder()
    ex = Executor(chain, pm.wallet, pm.venues, hooks=rec, config=dataclasses.replace(
        FAST, priority_fee_percentile=75, priority_fee_cap_microlamports=cap))
    fill = await ex.execute(SwapIntent(client_order_id="fee", input_mint=str(pm.base.mint),
                                       output_mint=str(pm.quote.mint), in_amount_raw=10**8))
    assert pm.chain.landed(Signature.from_string(fill.signature)).ok
    (sub,) = rec.submitted
    assert _compute_budget(VersionedTransaction.from_bytes(sub.tx_bytes)) == {2: 200_000,
                                                                              3: expected}
    pool = pm.venues[0].pool
    w = pm.wallet.pubkey()
    assert set(chain.asked[0]) >= {pool.vault_for(pm.base.mint), pool.vault_for(pm.quote.mint),
                                   associated_token_address(w, pm.base.mint)}
    assert w not in chain.asked[0]  # signers are not fee-market accounts


# --- address lookup tables --------------------------------------------------------------------


class TableVenue:
    """A local AMM venue whose plans reference an address lookup table (like Jupiter's)."""

    def __init__(self, inner, table):
        self.inner, self.table = inner, table
        self.name = inner.name

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def build(self, quote, owner):
        plan = await self.inner.build(quote, owner)
        return dataclasses.replace(plan, lookup_tables=(self.table,))


@pytest.mark.integration
async def test_swap_through_address_lookup_table_v0():
    """A v0 swap compiled with a lookup table lands; token accounts loaded from the table are
    in the chain's pre/post balances, so the fill matches the chain."""
    pm = paper_market(("150",))
    pool, w = pm.venues[0].pool, pm.wallet.pubkey()
    owner_sol = associated_token_address(w, pm.base.mint)
    owner_usdc = associated_token_address(w, pm.quote.mint)
    entries = [pool.vault_for(pm.base.mint), pool.vault_for(pm.quote.mint), owner_sol,
               owner_usdc, pm.base.mint, pm.quote.mint]
    table = pm.chain.create_lookup_table(pm.chain.funded_keypair(10**9), entries)
    rec_plain, rec_tabled = Recorder(), Recorder()
    plain = Executor(pm.chain, pm.wallet, pm.venues, config=FAST, hooks=rec_plain)
    tabled = Executor(pm.chain, pm.wallet, [TableVenue(pm.venues[0], table)], config=FAST,
                      hooks=rec_tabled)
    sol0 = pm.chain.token_amount(owner_sol)
    usdc0 = pm.chain.token_amount(owner_usdc)
    fill = await tabled.execute(SwapIntent(client_order_id="alt", input_mint=str(pm.base.mint),
                                           output_mint=str(pm.quote.mint), in_amount_raw=10**9))
    assert pm.chain.token_amount(owner_sol) == sol0 - 10**9 == sol0 - fill.in_amount_raw
    assert pm.chain.token_amount(owner_usdc) - usdc0 == fill.out_amount_raw > 0
    with_table = VersionedTransaction.from_bytes(rec_tabled.submitted[0].tx_bytes)
    (lookup,) = with_table.message.address_table_lookups
    assert lookup.account_key == table
    assert set(lookup.writable_indexes) == {0, 1, 2, 3}
    await plain.execute(SwapIntent(client_order_id="plain", input_mint=str(pm.base.mint),
                                   output_mint=str(pm.quote.mint), in_amount_raw=10**9))
    without = rec_plain.submitted[0].tx_bytes
    assert len(bytes(with_table)) < len(without) - 4 * 30  # 6 keys of 32 bytes -> 1-byte indexes


# --- prebuilt venue transactions ----------------------------------------------------------------


class PrebuiltVenue:
    """A venue that answers like Jupiter /swap: one whole serialized v0 transaction with our
    wallet as fee payer and its signature slot empty. Here the swap inside is the local AMM's
    (real), its pool authority signs venue-side like an Ultra co-signer."""

    def __init__(self, inner, *, fee_payer=None, venue_signs=True, damage=False):
        self.inner, self.name = inner, "prebuilt:" + inner.name
        self.fee_payer, self.venue_signs, self.damage = fee_payer, venue_signs, damage

    async def quote(self, request):
        return dataclasses.replace(await self.inner.quote(request), venue=self.name)

    async def build(self, quote, owner):
        plan = self.inner.build_sync(dataclasses.replace(quote, venue=self.inner.name), owner)
        chain = self.inner.market.chain
        payer = self.fee_payer or owner
        ixs = [set_compute_unit_limit_ix(90_000), set_compute_unit_price_ix(1_000),
               *plan.instructions]
        msg = MessageV0.try_compile(payer, ixs, [], chain.blockhash_info().blockhash)
        n = msg.header.num_required_signatures
        sigs = [Signature.default()] * n
        authority = self.inner.pool.authority
        idx = list(msg.account_keys[:n]).index(authority.pubkey())
        if self.venue_signs:
            sigs[idx] = authority.sign_message(to_bytes_versioned(msg))
        raw = bytes(VersionedTransaction.populate(msg, sigs))
        if self.damage:
            raw = raw[:-7]
        return dataclasses.replace(plan, venue=self.name, quote=quote, instructions=(),
                                   prebuilt_tx=raw)

    def parse(self, quote, changes):
        return self.inner.parse(quote, changes)


class Recorder:
    def __init__(self):
        self.submitted, self.statuses, self.fills = [], [], []

    def on_submitted(self, s):
        self.submitted.append(s)

    def on_status(self, coid, status, detail):
        self.statuses.append((coid, status, detail))

    def on_fill(self, fill):
        self.fills.append(fill)


def test_sign_prebuilt_keeps_venue_signature_and_refuses_strangers():
    """Our signature fills our slot only; a tx we are not a signer of is refused."""
    pm = paper_market(("150",))
    venue = pm.venues[0]
    q = venue.quote_sync(_req(pm))
    plan = venue.build_sync(q, pm.wallet.pubkey())
    msg = MessageV0.try_compile(pm.wallet.pubkey(), list(plan.instructions), [],
                                pm.chain.blockhash_info().blockhash)
    auth_sig = venue.pool.authority.sign_message(to_bytes_versioned(msg))
    unsigned = VersionedTransaction.populate(msg, [Signature.default(), auth_sig])
    tx = sign_prebuilt(bytes(unsigned), pm.wallet)
    assert tx.signatures[1] == auth_sig
    assert tx.signatures[0] == pm.wallet.sign_message(to_bytes_versioned(msg))
    assert tx.verify_with_results() == [True, True]
    with pytest.raises(OrderRejected, match=r"does not list .* as a signer") as info:
        sign_prebuilt(bytes(unsigned), seeded_keypair("stranger"))
    assert info.value.reason == "wrong_signer"
    with pytest.raises(OrderRejected, match="does not decode") as info:
        sign_prebuilt(bytes(unsigned)[:50], pm.wallet)
    assert info.value.reason == "bad_transaction"


def _req(pm, amount=10**9):
    from workbench.domain import QuoteRequest

    return QuoteRequest(input_mint=str(pm.base.mint), output_mint=str(pm.quote.mint),
                        in_amount_raw=amount)


@pytest.mark.integration
async def test_executor_signs_and_sends_prebuilt_venue_transaction():
    """A venue-built v0 transaction is signed, simulated, persisted, sent as is and filled from
    the chain; its compute budget is the venue's own."""
    pm = paper_market(("150",))
    rec = Recorder()
    venue = PrebuiltVenue(pm.venues[0])
    ex = Executor(pm.chain, pm.wallet, [venue], config=FAST, hooks=rec)
    w = pm.wallet.pubkey()
    usdc0 = pm.chain.token_amount(associated_token_address(w, pm.quote.mint))
    fill = await ex.execute(SwapIntent(client_order_id="pre", input_mint=str(pm.base.mint),
                                       output_mint=str(pm.quote.mint), in_amount_raw=10**9))
    assert pm.chain.token_amount(associated_token_address(w, pm.quote.mint)) - usdc0 \
        == fill.out_amount_raw > 0
    assert fill.in_amount_raw == 10**9
    (sub,) = rec.submitted
    tx = VersionedTransaction.from_bytes(sub.tx_bytes)
    assert _compute_budget(tx) == {2: 90_000, 3: 1_000}
    assert tx.verify_with_results() == [True, True]
    landed = pm.chain.landed(tx.signatures[0])
    assert landed.ok and not any(line == "Program log: pre" for line in landed.logs)  # no memo
    # the venue used our latest blockhash, so its expiry height is exact
    assert sub.last_valid_block_height == pm.chain.blockhash_info().last_valid_block_height


@pytest.mark.integration
@pytest.mark.parametrize(("kwargs", "reason", "match"), [
    ({"fee_payer": "other"}, "foreign_fee_payer", "fee payer is"),
    ({"venue_signs": False}, "missing_signer", "still needs signatures from"),
    ({"damage": True}, "bad_transaction", "does not decode"),
])
async def test_executor_refuses_unsendable_prebuilt(kwargs, reason, match):
    """A foreign fee payer, a missing venue signature or damaged bytes: refused, nothing sent."""
    pm = paper_market(("150",))
    if kwargs.get("fee_payer") == "other":
        kwargs = {"fee_payer": pm.chain.funded_keypair(10**9).pubkey()}
    rec = Recorder()
    ex = Executor(pm.chain, pm.wallet, [PrebuiltVenue(pm.venues[0], **kwargs)], config=FAST,
                  hooks=rec)
    sent0 = pm.chain.sent_count
    with pytest.raises(OrderRejected, match=match) as info:
        await ex.execute(SwapIntent(client_order_id="x", input_mint=str(pm.base.mint),
                                    output_mint=str(pm.quote.mint), in_amount_raw=10**8))
    assert info.value.reason == reason
    assert rec.submitted == [] and pm.chain.sent_count == sent0


@pytest.mark.integration
async def test_prebuilt_simulation_failure_refused():
    """A prebuilt swap the pool can no longer honour fails simulation and is not sent."""
    pm = paper_market(("150",))
    venue = PrebuiltVenue(pm.venues[0])
    ex = Executor(pm.chain, pm.wallet, [venue], config=FAST)
    route = await ex.quote(SwapIntent(client_order_id="s", input_mint=str(pm.base.mint),
                                      output_mint=str(pm.quote.mint), in_amount_raw=10**9))
    # move the wallet's wSOL away so the venue's transfer fails on chain
    w = pm.wallet
    sol_ata = associated_token_address(w.pubkey(), pm.base.mint)
    sink = pm.chain.create_ata(w, pm.chain.funded_keypair(10**9).pubkey(), pm.base.mint)
    pm.chain.run(w, [transfer_checked_ix(
        source=sol_ata, mint=pm.base.mint, destination=sink, owner=w.pubkey(),
        amount_raw=pm.chain.token_amount(sol_ata), decimals=9)])
    sent0 = pm.chain.sent_count
    with pytest.raises(InsufficientFunds, match="Insufficient funds"):
        await ex.execute(SwapIntent(client_order_id="s", input_mint=str(pm.base.mint),
                                    output_mint=str(pm.quote.mint), in_amount_raw=10**9),
                         route=route)
    assert pm.chain.sent_count == sent0


@pytest.mark.integration
async def test_multi_leg_route_with_prebuilt_leg_refused():
    """A prebuilt transaction cannot be merged with another leg: refused with the fix."""
    pm = paper_market(("140", "160"))
    venues = [PrebuiltVenue(pm.venues[0]), pm.venues[1]]
    router = Router(venues)
    route = await router.arbitrage(str(pm.quote.mint), str(pm.base.mint), 1_000 * 10**6)
    assert route is not None
    ex = Executor(pm.chain, pm.wallet, router, config=FAST)
    with pytest.raises(OrderRejected, match="cannot be composed") as info:
        await ex.execute(SwapIntent(client_order_id="arb", input_mint=str(pm.quote.mint),
                                    output_mint=str(pm.quote.mint), in_amount_raw=1_000 * 10**6),
                         route=route)
    assert info.value.reason == "prebuilt_not_composable"



@given(st.binary(min_size=0, max_size=1232), st.integers(0, 2**32))
def test_fast_signer_signatures_identical_to_solders(data, seed):
    """OpenSSL Ed25519 gives the very bytes solders' Keypair signs (deterministic Ed25519)."""
    from workbench.execution.transactions import FastSigner

    kp = seeded_keypair(seed)
    signer = FastSigner(kp)
    assert signer.pubkey == kp.pubkey()
    assert signer.sign(data) == kp.sign_message(data)
    assert repr(signer) == f"FastSigner({kp.pubkey()})"
    assert bytes(kp)[:32].hex() not in repr(signer)
