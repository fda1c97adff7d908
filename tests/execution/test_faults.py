"""Fault injection on LiteSVM: timeouts, 429s, drops, late landings, blockhash expiry."""

import random
from collections import Counter

import pytest
from solders.signature import Signature

from workbench.chain.programs import associated_token_address
from workbench.domain import OrderStatus
from workbench.errors import RateLimited, TemporaryVenueError, TxExpired
from workbench.execution.executor import Executor, ExecutorConfig, SwapIntent
from workbench.testing import paper_market

pytestmark = pytest.mark.integration


class FaultyChain:
    """Wraps a LiteSVMChain; every call may fail the way a real RPC does.

    The chain advances one block per block-height read, so dropped transactions really expire
    (LiteSVM then refuses their blockhash).
    """

    def __init__(self, inner, seed, *, p_timeout_landed=0.1, p_timeout_dropped=0.1,
                 p_429=0.1, p_silent_drop=0.1, p_delay=0.15, p_status_error=0.1):
        self.inner = inner
        self.rng = random.Random(seed)
        self.name = inner.name
        self.reports_mainnet_compute_units = False
        self.p = {"timeout_landed": p_timeout_landed, "timeout_dropped": p_timeout_dropped,
                  "r429": p_429, "silent": p_silent_drop, "delay": p_delay}
        self.p_status_error = p_status_error
        self.held = []
        self.events = Counter()

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _flush_held(self):
        keep = []
        for tx in self.held:
            if self.rng.random() < 0.5:
                try:
                    self.inner.send_sync(tx)
                    self.events["late_landing"] += 1
                except TxExpired:
                    self.events["late_refused_expired"] += 1
            else:
                keep.append(tx)
        self.held = keep

    async def send_transaction(self, tx, *, skip_preflight=True):
        r = self.rng.random()
        acc, kind = 0.0, "ok"
        for name, p in self.p.items():
            acc += p
            if r < acc:
                kind = name
                break
        self.events[f"send_{kind}"] += 1
        if kind == "timeout_landed":
            try:
                self.inner.send_sync(tx)
            except TxExpired:
                pass
            raise TemporaryVenueError("read timeout after landing", venue="faulty")
        if kind == "timeout_dropped":
            raise TemporaryVenueError("connect timeout", venue="faulty")
        if kind == "r429":
            raise RateLimited("429 Too Many Requests", venue="faulty")
        if kind == "silent":
            return tx.signatures[0]
        if kind == "delay":
            self.held.append(tx)
            return tx.signatures[0]
        return self.inner.send_sync(tx)

    async def signature_statuses(self, sigs):
        self._flush_held()
        if self.rng.random() < self.p_status_error:
            raise TemporaryVenueError("status timeout", venue="faulty")
        return await self.inner.signature_statuses(sigs)

    async def block_height(self):
        return self.inner.advance(1)

    async def get_transaction(self, sig):
        if self.rng.random() < 0.1:
            return None  # node lagging behind its own status
        return await self.inner.get_transaction(sig)


class Ledger:
    def __init__(self):
        self.submitted, self.fills, self.status = {}, {}, {}

    def on_submitted(self, s):
        self.submitted.setdefault(s.client_order_id, []).append(s)

    def on_status(self, coid, status, detail):
        self.status[coid] = status

    def on_fill(self, fill):
        assert fill.client_order_id not in self.fills
        self.fills[fill.client_order_id] = fill


@pytest.mark.parametrize("seed", [1, 2])
async def test_hundreds_of_orders_no_double_spend_no_lost_fill(seed):
    """Under faults every landed swap has exactly one fill and the ledger sums to the chain."""
    pm = paper_market(("150",), wallet_sol=1_000, wallet_usdc=200_000)
    pm.chain.blockhash_validity = 8  # short-lived blockhashes: expiry mid-confirmation is common
    pm.chain.advance(200)
    chain = FaultyChain(pm.chain, seed)
    ledger = Ledger()
    ex = Executor(chain, pm.wallet, pm.venues, hooks=ledger,
                  config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0,
                                        expired_retries=2))
    w = pm.wallet.pubkey()
    sol_ata = associated_token_address(w, pm.base.mint)
    usdc_ata = associated_token_address(w, pm.quote.mint)
    sol0, usdc0 = pm.chain.token_amount(sol_ata), pm.chain.token_amount(usdc_ata)
    n = 150
    outcomes = Counter()
    for i in range(n):
        sell = i % 2 == 0
        intent = SwapIntent(
            client_order_id=f"o{i}",
            input_mint=str(pm.base.mint if sell else pm.quote.mint),
            output_mint=str(pm.quote.mint if sell else pm.base.mint),
            in_amount_raw=10**8 if sell else 15 * 10**6)
        try:
            await ex.execute(intent)
            outcomes["filled"] += 1
        except TxExpired:
            outcomes["expired"] += 1
    # Every order ends final and the ledger agrees with the outcome.
    assert len(ledger.status) == n
    assert Counter(ledger.status.values()) == Counter(
        {OrderStatus.FILLED: outcomes["filled"], OrderStatus.EXPIRED: outcomes["expired"]} if
        outcomes["expired"] else {OrderStatus.FILLED: outcomes["filled"]})
    # No double spend: at most one successful landed tx per client order id (memo), and each
    # order with a landed tx has its fill for exactly that signature.
    landed_by_coid = Counter()
    for sig, tx in pm.chain._landed.items():
        memos = [line.removeprefix("Program log: ") for line in tx.logs
                 if line.startswith("Program log: o")]
        if memos and tx.ok:
            landed_by_coid[memos[0]] += 1
            assert ledger.fills[memos[0]].signature == str(sig)
    assert all(c == 1 for c in landed_by_coid.values())
    assert set(landed_by_coid) == set(ledger.fills)
    # Several transactions may have been signed for one order, but only after expiry.
    for subs in ledger.submitted.values():
        for earlier in subs[:-1]:
            assert pm.chain.landed(Signature.from_string(earlier.signature)) is None
    # No lost fill: the ledger's fills sum to the wallet's on-chain change.
    d_sol = sum(c.delta_raw for f in ledger.fills.values() for c in f.changes
                if c.mint == str(pm.base.mint))
    d_usdc = sum(c.delta_raw for f in ledger.fills.values() for c in f.changes
                 if c.mint == str(pm.quote.mint))
    assert pm.chain.token_amount(sol_ata) - sol0 == d_sol
    assert pm.chain.token_amount(usdc_ata) - usdc0 == d_usdc
    # The faults really happened.
    assert chain.events["send_timeout_landed"] > 0 and chain.events["send_r429"] > 0
    assert chain.events["late_landing"] > 0
    assert outcomes["filled"] > n // 2
    print(dict(outcomes), dict(chain.events))


async def test_blockhash_expiry_mid_confirmation():
    """A transaction dropped until its blockhash lapses reports TxExpired and can never land."""
    pm = paper_market()
    pm.chain.blockhash_validity = 3
    chain = FaultyChain(pm.chain, 0, p_timeout_landed=0, p_timeout_dropped=0, p_429=0,
                        p_silent_drop=1.0, p_delay=0, p_status_error=0)
    ledger = Ledger()
    ex = Executor(chain, pm.wallet, pm.venues, hooks=ledger,
                  config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0))
    with pytest.raises(TxExpired, match="did not land before block height"):
        await ex.execute(SwapIntent(client_order_id="x", input_mint=str(pm.base.mint),
                                    output_mint=str(pm.quote.mint), in_amount_raw=10**8))
    assert ledger.status["x"] is OrderStatus.EXPIRED
    stale = ledger.submitted["x"][0]
    from solders.transaction import VersionedTransaction

    with pytest.raises(TxExpired, match="Blockhash not found"):
        pm.chain.send_sync(VersionedTransaction.from_bytes(stale.tx_bytes))
    assert pm.chain.landed(Signature.from_string(stale.signature)) is None


async def test_lands_after_timeout_is_filled_once():
    """A send that times out after landing is confirmed by re-sending the same bytes."""
    pm = paper_market()
    chain = FaultyChain(pm.chain, 0, p_timeout_landed=1.0, p_timeout_dropped=0, p_429=0,
                        p_silent_drop=0, p_delay=0, p_status_error=0)
    ledger = Ledger()
    ex = Executor(chain, pm.wallet, pm.venues, hooks=ledger,
                  config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0))
    fill = await ex.execute(SwapIntent(client_order_id="t", input_mint=str(pm.base.mint),
                                       output_mint=str(pm.quote.mint), in_amount_raw=10**8))
    assert len(ledger.submitted["t"]) == 1
    assert ledger.fills["t"] == fill
    assert fill.in_amount_raw == 10**8


class StatusOutageChain:
    """A LiteSVM chain whose first ``outage`` status checks time out, and whose block height
    jumps past every blockhash's validity at each read."""

    def __init__(self, inner, outage):
        self.inner, self.outage = inner, outage
        self.name, self.reports_mainnet_compute_units = inner.name, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def signature_statuses(self, sigs):
        if self.outage:
            self.outage -= 1
            raise TemporaryVenueError("getSignatureStatuses timed out", venue="faulty")
        return await self.inner.signature_statuses(sigs)

    async def block_height(self):
        return self.inner.advance(self.inner.blockhash_validity + 1)


async def test_failed_final_status_check_is_not_expiry():
    """The transaction landed at once, then the chain passed its lastValidBlockHeight while
    every status check timed out. A failed check is not "not found": the executor keeps asking
    instead of declaring expiry and signing a second swap (which would spend twice)."""
    pm = paper_market()
    chain = StatusOutageChain(pm.chain, outage=5)
    ledger = Ledger()
    ex = Executor(chain, pm.wallet, pm.venues, hooks=ledger,
                  config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0,
                                        expired_retries=3))
    sol = associated_token_address(pm.wallet.pubkey(), pm.base.mint)
    before = pm.chain.token_amount(sol)
    fill = await ex.execute(SwapIntent(client_order_id="f", input_mint=str(pm.base.mint),
                                       output_mint=str(pm.quote.mint), in_amount_raw=10**8))
    assert chain.outage == 0  # every failure was served
    assert len(ledger.submitted["f"]) == 1 and ledger.fills["f"] == fill
    assert before - pm.chain.token_amount(sol) == 10**8 == fill.in_amount_raw
