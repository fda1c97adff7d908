from decimal import Decimal

import pytest

from workbench.chain.programs import associated_token_address
from workbench.domain import Order, OrderStatus, Pair, Side
from workbench.errors import InsufficientFunds, OrderRejected, SlippageExceeded
from workbench.execution.executor import Executor, ExecutorConfig, SwapIntent
from workbench.execution.local_amm import amount_out
from workbench.execution.router import Router
from workbench.testing import paper_market

pytestmark = pytest.mark.integration

FAST = ExecutorConfig(poll_interval_s=0, resend_interval_s=0)


class Recorder:
    """In-memory ExecutionHooks that also checks the intent is stored before the send."""

    def __init__(self, chain):
        self.chain = chain
        self.submitted, self.fills, self.statuses = [], [], []

    def on_submitted(self, s):
        # Persisted BEFORE broadcast: the chain must not know the signature yet.
        assert self.chain.landed(__import__("solders.signature").signature.Signature.from_string(
            s.signature)) is None
        self.submitted.append(s)

    def on_status(self, coid, status, detail):
        self.statuses.append((coid, status))

    def on_fill(self, fill):
        self.fills.append(fill)


def _balances(pm):
    w = pm.wallet.pubkey()
    return (pm.chain.token_amount(associated_token_address(w, pm.base.mint)),
            pm.chain.token_amount(associated_token_address(w, pm.quote.mint)))


async def test_swap_fill_matches_chain():
    """A routed swap lands; the fill equals the wallet's on-chain balance change and CP math."""
    pm = paper_market(("150",))
    rec = Recorder(pm.chain)
    ex = Executor(pm.chain, pm.wallet, pm.venues, config=FAST, hooks=rec)
    sol0, usdc0 = _balances(pm)
    r_sol, r_usdc = pm.market.reserves(pm.venues[0].pool)
    fill = await ex.execute(SwapIntent(client_order_id="o-1", input_mint=str(pm.base.mint),
                                       output_mint=str(pm.quote.mint), in_amount_raw=10**9))
    sol1, usdc1 = _balances(pm)
    assert fill.in_amount_raw == sol0 - sol1 == 10**9
    assert fill.out_amount_raw == usdc1 - usdc0 == amount_out(10**9, r_sol, r_usdc, 25)
    assert fill.fee_lamports == 2 * 5_000  # owner + pool authority signatures
    assert [s for _, s in rec.statuses] == [OrderStatus.SUBMITTED, OrderStatus.FILLED]
    assert rec.fills == [fill]
    landed = pm.chain.landed(__import__("solders.signature").signature.Signature.from_string(
        fill.signature))
    assert "Program log: o-1" in landed.logs  # memo carries the client order id


async def test_duplicate_client_order_id_refused():
    """A client order id executes at most once."""
    pm = paper_market()
    ex = Executor(pm.chain, pm.wallet, pm.venues, config=FAST)
    intent = SwapIntent(client_order_id="dup", input_mint=str(pm.base.mint),
                        output_mint=str(pm.quote.mint), in_amount_raw=10**8)
    await ex.execute(intent)
    with pytest.raises(OrderRejected, match="already sent") as info:
        await ex.execute(intent)
    assert info.value.reason == "duplicate"


async def test_simulation_refuses_insufficient_funds():
    """Simulation refuses a swap larger than the wallet; nothing is sent, nothing moves."""
    pm = paper_market(wallet_sol=1)
    rec = Recorder(pm.chain)
    ex = Executor(pm.chain, pm.wallet, pm.venues, config=FAST, hooks=rec)
    before = _balances(pm)
    with pytest.raises(InsufficientFunds, match=r"Insufficient funds .*custom program error 0x1"):
        await ex.execute(SwapIntent(client_order_id="big", input_mint=str(pm.base.mint),
                                    output_mint=str(pm.quote.mint), in_amount_raw=2 * 10**9))
    assert _balances(pm) == before
    assert rec.submitted == []
    assert rec.statuses == [("big", OrderStatus.FAILED)]


async def test_risk_gate_rejects():
    """The check callable stops the order before signing, with its reason."""
    pm = paper_market()

    class Decision:
        allowed, reason, detail = False, "MAX_NOTIONAL", "too big"

    ex = Executor(pm.chain, pm.wallet, pm.venues, config=FAST, check=lambda route: Decision())
    with pytest.raises(OrderRejected, match="MAX_NOTIONAL") as info:
        await ex.execute(SwapIntent(client_order_id="r", input_mint=str(pm.base.mint),
                                    output_mint=str(pm.quote.mint), in_amount_raw=10**8))
    assert info.value.reason == "MAX_NOTIONAL"


async def test_router_prefers_better_pool_and_splits():
    """The router picks the pool paying more, and splits a large order across two pools."""
    pm = paper_market(("150", "151"))
    router = Router(pm.venues)
    from workbench.domain import QuoteRequest

    small = await router.route(QuoteRequest(input_mint=str(pm.base.mint),
                                            output_mint=str(pm.quote.mint), in_amount_raw=10**7))
    assert small.kind == "single" and small.venues == (pm.venues[1].name,)
    big_req = QuoteRequest(input_mint=str(pm.base.mint), output_mint=str(pm.quote.mint),
                           in_amount_raw=100 * 10**9)
    big = await router.route(big_req)
    assert big.kind == "split"
    singles = [(await v.quote(big_req)).out_amount_raw for v in pm.venues]
    assert big.out_amount_raw > max(singles)
    ex = Executor(pm.chain, pm.wallet, router, config=FAST)
    sol0, usdc0 = _balances(pm)
    fill = await ex.execute(SwapIntent(client_order_id="split", input_mint=str(pm.base.mint),
                                       output_mint=str(pm.quote.mint),
                                       in_amount_raw=100 * 10**9), route=big)
    sol1, usdc1 = _balances(pm)
    assert fill.in_amount_raw == sol0 - sol1 == 100 * 10**9
    assert fill.out_amount_raw == usdc1 - usdc0 == big.out_amount_raw


class QuoteOnly:
    """A local pool seen as a network venue: ``quote`` only, no ``quote_sync``/``out_curve``."""

    def __init__(self, venue):
        self._venue, self.name = venue, venue.name
        self.asked = []

    async def quote(self, request):
        self.asked.append(request.in_amount_raw)
        return await self._venue.quote(request)

    async def build(self, quote, owner):
        return await self._venue.build(quote, owner)

    def cosigners(self, plan):
        return self._venue.cosigners(plan)

    def parse(self, quote, changes):
        return self._venue.parse(quote, changes)


async def test_split_search_on_curves_matches_quoting():
    """The split found on the pools' pure out-curves is the one found by quoting every step,
    and both beat every single venue."""
    from workbench.domain import QuoteRequest

    pm = paper_market(("150", "151"))
    for amount in (37 * 10**9, 100 * 10**9, 400 * 10**9):
        req = QuoteRequest(input_mint=str(pm.base.mint), output_mint=str(pm.quote.mint),
                           in_amount_raw=amount)
        fast = await Router(pm.venues).route(req)
        quote_only = [QuoteOnly(v) for v in pm.venues]
        slow = await Router(quote_only).route(req)
        asked = {v.name: v.asked for v in quote_only}
        for leg in slow.legs:  # the chosen split is not quoted again at the end
            assert asked[leg.venue.name].count(leg.quote.in_amount_raw) == 1
        assert fast.kind == slow.kind == "split"
        assert [leg.quote.in_amount_raw for leg in fast.legs] == \
            [leg.quote.in_amount_raw for leg in slow.legs]
        assert fast.out_amount_raw == slow.out_amount_raw == sum(
            leg.quote.out_amount_raw for leg in fast.legs)
        singles = [(await v.quote(req)).out_amount_raw for v in pm.venues]
        assert fast.out_amount_raw > max(singles)


async def test_arbitrage_both_legs_one_transaction():
    """An arbitrage between mispriced pools lands both legs in one tx and profits on chain."""
    pm = paper_market(("140", "160"))
    router = Router(pm.venues)
    route = await router.arbitrage(str(pm.quote.mint), str(pm.base.mint), 1_000 * 10**6)
    assert route is not None and route.kind == "arbitrage"
    ex = Executor(pm.chain, pm.wallet, router, config=FAST)
    sol0, usdc0 = _balances(pm)
    fill = await ex.execute(SwapIntent(client_order_id="arb", input_mint=str(pm.quote.mint),
                                       output_mint=str(pm.quote.mint),
                                       in_amount_raw=1_000 * 10**6), route=route)
    sol1, usdc1 = _balances(pm)
    assert sol1 == sol0  # the SOL bought is all sold in the same transaction
    assert fill.out_amount_raw - fill.in_amount_raw == usdc1 - usdc0 > 0
    assert fill.out_amount_raw == route.out_amount_raw


async def test_stale_quote_slippage():
    """If the pool moves below the quote's minimum before build, SlippageExceeded, nothing sent."""
    pm = paper_market()
    venue = pm.venues[0]
    from workbench.domain import QuoteRequest

    q = await venue.quote(QuoteRequest(input_mint=str(pm.base.mint),
                                       output_mint=str(pm.quote.mint), in_amount_raw=10**9,
                                       slippage_bps=10))
    pm.market.track_price(venue.pool, Decimal("140"))
    with pytest.raises(SlippageExceeded, match="below the minimum"):
        await venue.build(q, pm.wallet.pubkey())


async def test_execute_order_domain_fill():
    """execute_order turns an Order into a Fill whose Decimal amounts match the chain."""
    pm = paper_market()
    ex = Executor(pm.chain, pm.wallet, pm.venues, config=FAST)
    pair = Pair(base=pm.base, quote=pm.quote)
    sol0, usdc0 = _balances(pm)
    fill = await ex.execute_order(Order(client_order_id="b1", strategy="t", symbol="SOL/USDC",
                                        side=Side.BUY, amount=Decimal("2"),
                                        price=Decimal("150")), pair)
    sol1, usdc1 = _balances(pm)
    assert fill.quote_amount == Decimal(usdc0 - usdc1) / 10**6 == Decimal("300")
    assert fill.base_amount == Decimal(sol1 - sol0) / 10**9
    assert Decimal("148") < fill.price < Decimal("152")


async def test_track_price_moves_pool_with_real_transactions():
    """track_price sets the spot price and keeps k within rounding."""
    pm = paper_market()
    pool = pm.venues[0].pool
    b0, q0 = pm.market.reserves(pool)
    b1, q1 = pm.market.track_price(pool, Decimal("175.5"))
    assert abs(pm.market.spot_price(pool) - Decimal("175.5")) < Decimal("0.0001")
    assert abs(b1 * q1 - b0 * q0) / (b0 * q0) < 1e-9
