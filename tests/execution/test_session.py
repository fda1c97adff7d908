"""TradingSession: the gate sees the chain, every order ends in a final ledger status, and the
reconciliation finds a balance change the ledger did not book."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workbench.domain import Side
from workbench.errors import ConfigError, OrderRejected
from workbench.execution.session import TradingSession, open_local_market, outcomes_frame
from workbench.risk import Action, RejectReason, RiskGate, RiskLimits
from workbench.store import ledger
from workbench.testing import seeded_keypair

pytestmark = pytest.mark.integration


def _session(store, limits=None, prices=("150",), seed="session"):
    kp = seeded_keypair(seed)
    setup = open_local_market(prices, owner=kp.pubkey())
    session = TradingSession(chain=setup.chain, wallet=kp, venues=setup.venues, pair=setup.pair,
                             store=store, gate=RiskGate(limits=limits or RiskLimits()),
                             strategy="test")
    return setup, session


async def test_buy_size_is_the_amount_over_the_mark(store):
    """100 USDC at a 150 mark is an order for 0.666666666 SOL; exactly 100 USDC is spent."""
    _setup, session = _session(store)
    await session.start()
    assert session.marks() == {"SOL": Decimal(150)}
    out = await session.swap("USDC", "SOL", "100")
    assert out.decision.action is Action.ACCEPT
    assert (out.order.side, out.order.amount, out.spend_raw) == (
        Side.BUY, Decimal("0.666666666"), 100_000_000)
    assert out.fill.in_amount_raw == 100_000_000
    assert [f.quote_amount for f in out.fills] == [Decimal("100.000000")]
    frame = outcomes_frame([out])
    assert frame.loc[0, "signature"] == out.fill.signature


async def test_gate_sees_the_wallet_on_chain(store):
    """Selling more SOL than the wallet's token account holds is cut to what it holds."""
    setup, session = _session(store, RiskLimits(max_order_notional=Decimal(10_000)))
    await session.start()
    out = await session.swap("SOL", "USDC", "50")
    assert out.decision.action is Action.RESIZE
    assert out.decision.rule is RejectReason.INSUFFICIENT_BALANCE
    assert out.order.amount == Decimal(10) and out.spend_raw == 10 * 10**9
    assert (await session.chain_raw())[str(setup.pair.base.mint)] == \
        setup.chain.svm.get_balance(session.owner)  # no wSOL left, only native SOL
    assert (await session.reconcile(include_matches=False)).empty


async def test_rate_limit_counts_orders_of_earlier_sessions(store):
    """The orders-per-minute window reads the ledger, so it spans sessions (CLI runs)."""
    limits = RiskLimits(max_orders_per_minute=2)
    for seed in ("a", "b"):
        _, first = _session(store, limits, seed=seed)
        out = await first.swap("USDC", "SOL", "10")
        assert out.decision.action is Action.ACCEPT
    _, third = _session(store, limits, seed="c")
    out = await third.swap("USDC", "SOL", "10")
    assert out.is_rejected and out.decision.rule is RejectReason.RATE_LIMIT
    assert out.fill is None and out.fills == ()
    statuses = sorted(ledger.load_orders(store)["status"])
    assert statuses == ["filled", "filled", "rejected"]


async def test_no_route_leaves_no_open_order(store):
    """A forced unknown venue fails before signing; the ledger order is REJECTED, not open."""
    _setup, session = _session(store)
    with pytest.raises(OrderRejected, match="Venue 'local:nope' is not enabled"):
        await session.swap("USDC", "SOL", "10", venue="local:nope")
    assert ledger.open_orders(store) == []
    assert list(ledger.load_orders(store)["status"]) == ["rejected"]


async def test_reconcile_reports_a_transfer_the_ledger_missed(store):
    """One USDC base unit arriving outside any order shows as a one-unit difference."""
    setup, session = _session(store)
    await session.start()
    await session.swap("USDC", "SOL", "25")
    assert (await session.reconcile(include_matches=False)).empty
    setup.market.fund(session.owner, setup.pair.quote, 1)
    diff = await session.reconcile(include_matches=False)
    assert list(diff["symbol"]) == ["USDC"] and list(diff["diff_raw"]) == [1]
    assert list(diff["status"]) == ["mismatch"]


def test_reconcile_needs_opening_balances(store):
    """Reconciling without start() is a ConfigError that says what to call."""
    _, session = _session(store)
    with pytest.raises(ConfigError, match=r"Call `await session.start\(\)` before trading"):
        import asyncio

        asyncio.run(session.reconcile())


def test_open_local_market_checks_prices():
    """A non-positive pool price is refused with the value."""
    with pytest.raises(ConfigError, match=r"Pool prices \['0'\] must be"):
        open_local_market(["0"], owner=seeded_keypair(1).pubkey())
