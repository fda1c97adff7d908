"""Reconciliation against chain balances, and band rebalancing with fees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solders.pubkey import Pubkey

from workbench.domain import SOL, USDC, Side, Token
from workbench.errors import RiskError
from workbench.portfolio import RECONCILE_STATUS_DESC, plan_rebalance, reconcile

D = Decimal
JUP = Token(mint=Pubkey.from_string("JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"), symbol="JUP",
            decimals=6)
TOKENS = {"SOL": SOL, "USDC": USDC, "JUP": JUP}
SOL_MINT, USDC_MINT, JUP_MINT = str(SOL.mint), str(USDC.mint), str(JUP.mint)


def test_reconcile_reports_every_difference() -> None:
    """Mismatch, missing on chain, not in ledger and unknown mints each get a row; matches not."""
    stray = str(Pubkey.new_unique())
    ledger = {"SOL": D("1.5"), "USDC": D("100"), "JUP": D("7")}
    chain = {SOL_MINT: 1_499_995_000, USDC_MINT: 100_000_000, stray: 42}
    frame = reconcile(ledger, chain, tokens=TOKENS)
    assert frame[["symbol", "status"]].to_numpy().tolist() == [
        ["JUP", "missing_on_chain"], ["SOL", "mismatch"], [None, "unknown_mint"]]
    sol = frame.set_index("status").loc["mismatch"]
    assert (sol["ledger_raw"], sol["chain_raw"], sol["diff_raw"]) == (
        1_500_000_000, 1_499_995_000, -5000)
    assert sol["diff"] == D("-0.000005")
    assert set(frame["status"]) <= set(RECONCILE_STATUS_DESC)


def test_reconcile_all_agree_is_empty_and_include_matches() -> None:
    """When ledger and chain agree the frame is empty, unless matches are asked for."""
    chain = {SOL_MINT: 2_000_000_000, JUP_MINT: 0}
    assert reconcile({"SOL": D(2)}, chain, tokens=TOKENS).empty
    full = reconcile({"SOL": D(2)}, chain, tokens=TOKENS, include_matches=True)
    assert full["symbol"].tolist() == ["JUP", "SOL"]
    assert full["status"].tolist() == ["ok", "ok"]


def test_reconcile_not_in_ledger_and_huge_amounts() -> None:
    """A token only on chain is reported; raw amounts above int64 stay exact."""
    huge = 2**70
    frame = reconcile({}, {JUP_MINT: huge}, tokens=TOKENS)
    assert frame["status"].tolist() == ["not_in_ledger"]
    assert frame["chain_raw"].iloc[0] == huge and frame["diff_raw"].iloc[0] == huge


@pytest.mark.parametrize(("ledger", "chain", "message"), [
    ({"WIF": D(1)}, {}, r"Ledger holds 'WIF', which is not in the token registry"),
    ({"SOL": D("0.0000000001")}, {}, r"more than 9 decimal places"),
    ({}, {SOL_MINT: -1}, r"Chain balance for mint So1.* is -1; expected an int"),
    ({}, {SOL_MINT: 1.5}, r"is 1.5; expected an int of base units"),
])
def test_reconcile_bad_input(ledger, chain, message) -> None:  # type: ignore[no-untyped-def]
    """Unknown ledger tokens, sub-unit ledger amounts and bad chain amounts raise RiskError."""
    with pytest.raises(RiskError, match=message):
        reconcile(ledger, chain, tokens=TOKENS)


def test_rebalance_trades_only_drifted_tokens() -> None:
    """The docstring example: SOL at 62% sells back to 50%, JUP at 28% stays; fees counted."""
    holdings = {"USDC": D(1000), "SOL": D("41.3333333"), "JUP": D(2800)}
    marks = {"SOL": D(150), "JUP": D(1)}
    plan = plan_rebalance(holdings, marks, {"SOL": D("0.5"), "JUP": D("0.3")}, now_ns=7,
                          tokens=TOKENS)
    assert plan.is_triggered
    assert len(plan.orders) == 1
    order = plan.orders[0]
    assert (order.symbol, order.side, order.ts_init) == ("SOL/USDC", Side.SELL, 7)
    equity = D(1000) + D("41.3333333") * 150 + 2800
    expected = (D("41.3333333") * 150 - equity / 2) / 150
    assert expected - D("0.000000001") <= order.amount <= expected
    assert plan.fees_usd == order.amount * 150 * D("0.003")
    assert plan.frame.loc["JUP", "side"] == ""


def test_rebalance_within_band_does_nothing() -> None:
    """Drift inside the threshold triggers no trade and no fee."""
    plan = plan_rebalance({"USDC": D(5000), "SOL": D("33.3")}, {"SOL": D(150)},
                          {"SOL": D("0.5")}, now_ns=0, tokens=TOKENS)
    assert not plan.is_triggered and plan.orders == () and plan.fees_usd == 0


def test_rebalance_scales_buys_to_cash_with_fees() -> None:
    """Buys never spend more cash than there is, fees included."""
    plan = plan_rebalance({"USDC": D(1000)}, {"SOL": D(100), "JUP": D(1)},
                          {"SOL": D("0.6"), "JUP": D("0.4")}, now_ns=0, tokens=TOKENS,
                          fee_bps=D(100), fee_usd_per_trade=D(1))
    spent = sum((o.amount * o.price for o in plan.orders), D(0))
    assert all(o.side is Side.BUY for o in plan.orders) and len(plan.orders) == 2
    assert spent + plan.fees_usd <= D(1000)
    assert spent > D(970)


@pytest.mark.parametrize(("targets", "marks", "message"), [
    ({"SOL": D("0.7"), "JUP": D("0.4")}, {"SOL": D(1), "JUP": D(1)}, "sum to 1.1"),
    ({"SOL": D("-0.1")}, {"SOL": D(1)}, "target weight for SOL is Decimal"),
    ({"SOL": D("0.5")}, {}, "mark for SOL is None"),
])
def test_rebalance_bad_input(targets, marks, message) -> None:  # type: ignore[no-untyped-def]
    """Weights over 1, negative weights and missing marks raise RiskError."""
    with pytest.raises(RiskError, match=message):
        plan_rebalance({"USDC": D(100)}, marks, targets, now_ns=0, tokens=TOKENS)
