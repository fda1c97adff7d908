"""One test per gate rule, asserting the action, the rule and the message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workbench.domain import Side
from workbench.errors import RiskError
from workbench.risk import (
    REJECT_REASON_DESC,
    Action,
    PortfolioSnapshot,
    RejectReason,
    RiskGate,
    RiskLimits,
    TradingState,
    check_order,
    orders_in_window,
)

from .conftest import BONK, JUP, NOW, TOKENS, make_order

D = Decimal
SOL_MARKS = {"SOL": D("150"), "JUP": D("1"), "BONK": D("0.00002")}
WIDE = RiskLimits(max_order_notional=D("100000"), max_position_notional=D("100000"),
                  max_gross_exposure=D("100000"), max_concentration_pct=D("100"),
                  max_group_concentration_pct=D("100"))


def snap(holdings: dict[str, str] | None = None, equity: str = "10000", peak: str | None = None,
         day_pnl: str = "0", recent: tuple[int, ...] = ()) -> PortfolioSnapshot:
    held = {k: D(v) for k, v in (holdings or {"USDC": equity}).items()}
    return PortfolioSnapshot(holdings=held, equity=D(equity), peak_equity=D(peak or equity),
                             day_pnl=D(day_pnl), recent_order_ts=recent)


def check(order=None, snapshot=None, limits=WIDE, marks=SOL_MARKS, **kw):  # type: ignore[no-untyped-def]
    return check_order(order or make_order(), snapshot or snap(), marks, limits, tokens=TOKENS,
                       **kw)


def test_plain_buy_is_accepted_unchanged() -> None:
    """A small buy within every limit passes as it is."""
    order = make_order(amount="1")
    decision = check(order)
    assert decision.action is Action.ACCEPT
    assert decision.order is order
    assert decision.rule is None and decision.is_allowed and decision.description == ""


def test_every_reason_has_a_description() -> None:
    """The description table covers every rule."""
    assert set(REJECT_REASON_DESC) == set(RejectReason)
    assert all(REJECT_REASON_DESC.values())


def test_unknown_token_rejected() -> None:
    """A pair whose token is not in the registry is rejected naming the token."""
    decision = check_order(make_order(symbol="WIF/USDC"), snap(), SOL_MARKS, WIDE, tokens=TOKENS)
    assert decision.action is Action.REJECT
    assert decision.rule is RejectReason.UNKNOWN_TOKEN
    assert "'WIF' is not in the registry" in decision.detail


def test_malformed_symbol_rejected_as_unknown() -> None:
    """A symbol without a quote is an unknown token, not a crash."""
    decision = check(make_order(symbol="SOL"))
    assert decision.rule is RejectReason.UNKNOWN_TOKEN
    assert "token '' is not in the registry" in decision.detail


def test_halted_rejects_even_exits() -> None:
    """HALTED lets nothing through, not even reduce-only sells."""
    order = make_order(side=Side.SELL, reduce_only=True)
    decision = check(order, snap({"USDC": "9850", "SOL": "1"}), state=TradingState.HALTED)
    assert (decision.action, decision.rule) == (Action.REJECT, RejectReason.HALTED)
    assert decision.detail == "trading is HALTED by the circuit breaker."


def test_reducing_rejects_buys_and_passes_sells() -> None:
    """REDUCING rejects a buy and lets a sell of holdings through."""
    held = snap({"USDC": "9850", "SOL": "1"})
    buy = check(make_order(), held, state=TradingState.REDUCING)
    assert buy.rule is RejectReason.REDUCING
    assert buy.detail == "breaker is REDUCING; buy of 1 SOL adds exposure."
    sell = check(make_order(side=Side.SELL, reduce_only=True), held, state=TradingState.REDUCING)
    assert sell.action is Action.ACCEPT


def test_reduce_only_buy_rejected() -> None:
    """A reduce-only buy would add exposure in a long-only account."""
    decision = check(make_order(reduce_only=True))
    assert decision.rule is RejectReason.REDUCE_ONLY
    assert "reduce-only buy of 1 SOL would increase exposure" in decision.detail


def test_denied_mint_rejected_but_can_be_sold() -> None:
    """Buying a denied mint is rejected with the mint; selling it is allowed."""
    limits = RiskLimits(denied_mints=frozenset({str(JUP.mint)}))
    decision = check(make_order("JUP/USDC", amount="10", price="1"), limits=limits)
    assert decision.rule is RejectReason.DENIED_MINT
    assert decision.detail == f"JUP mint {JUP.mint} is on the denied list."
    sell = check(make_order("JUP/USDC", Side.SELL, amount="10", price="1"),
                 snap({"USDC": "9990", "JUP": "10"}), limits=limits)
    assert sell.action is Action.ACCEPT


def test_allowed_list_blocks_others() -> None:
    """With an allowed list, a mint not on it cannot be bought."""
    limits = RiskLimits(allowed_mints=frozenset({str(JUP.mint)}))
    decision = check(make_order(), limits=limits)
    assert decision.rule is RejectReason.MINT_NOT_ALLOWED
    assert "is not on the allowed list (1 mints)" in decision.detail
    assert check(make_order("JUP/USDC", amount="10", price="1"), limits=limits).is_allowed


def test_paused_token_and_global_pause() -> None:
    """A protection pause on the token or on all tokens rejects new entries until it ends."""
    decision = check(paused={"SOL": NOW + 1})
    assert decision.rule is RejectReason.PAUSED
    assert decision.detail == f"entries on SOL are paused until {NOW + 1} ns (order at {NOW})."
    everything = check(paused={"*": NOW + 5})
    assert "entries on all tokens are paused" in everything.detail
    assert check(paused={"SOL": NOW}).action is Action.ACCEPT  # ended exactly now


@pytest.mark.parametrize("bad", [None, D("NaN"), D("0"), D("-1")])
def test_bad_mark_rejected(bad: Decimal | None) -> None:
    """A missing, NaN, zero or negative mark rejects with BAD_MARK naming the value."""
    marks = {} if bad is None else {"SOL": bad}
    decision = check(marks=marks)
    assert decision.rule is RejectReason.BAD_MARK
    assert decision.detail.startswith(f"SOL/USDC: marks SOL={bad} USDC=1")


def test_bad_mark_of_a_held_token_rejects_buys() -> None:
    """A held token without a mark makes the portfolio unvaluable, so buys stop."""
    decision = check(snapshot=snap({"USDC": "9000", "WIF": "5"}))
    assert decision.rule is RejectReason.BAD_MARK
    assert decision.detail.startswith("held token WIF has mark None")


def test_price_deviation_rejected() -> None:
    """An order priced 10% off the mark is a fat finger."""
    decision = check(make_order(price="165"))
    assert decision.rule is RejectReason.PRICE_DEVIATION
    assert decision.detail == ("SOL/USDC order price 165 is 10.00% from mark 150; "
                               "max_price_deviation_pct=5.")


def test_slippage_above_limit_rejected() -> None:
    """An order tolerating more slippage than allowed is rejected with both numbers."""
    decision = check(make_order(max_slippage_bps=300))
    assert decision.rule is RejectReason.MAX_SLIPPAGE
    assert decision.detail == ("max_slippage_bps=300 is above the limit 100; lower the order's "
                               "slippage.")


def test_rate_limit_counts_a_sliding_minute() -> None:
    """The 61st order within 60 s is rejected; older orders fall out of the window."""
    recent = tuple(NOW - 59_000_000_000 + i * 100_000_000 for i in range(60))
    decision = check(snapshot=snap(recent=recent))
    assert decision.rule is RejectReason.RATE_LIMIT
    assert decision.detail == "60 orders in the last 60 s; max_orders_per_minute=60."
    old = tuple(NOW - 61_000_000_000 + i for i in range(60))
    assert check(snapshot=snap(recent=old)).action is Action.ACCEPT
    assert orders_in_window(recent, NOW) == 60 and orders_in_window(old, NOW) == 0


def test_daily_loss_stops_buys() -> None:
    """Once the day's loss reaches the limit, only exits pass."""
    decision = check(snapshot=snap(day_pnl="-500"))
    assert decision.rule is RejectReason.DAILY_LOSS
    assert decision.detail == ("day PnL -500.00 USD reached max_daily_loss=500; only exits "
                               "until tomorrow.")


def test_drawdown_stops_buys() -> None:
    """Equity 20% below its peak stops buys."""
    decision = check(snapshot=snap(equity="8000", peak="10000"))
    assert decision.rule is RejectReason.DRAWDOWN
    assert decision.detail == ("drawdown 20.00% from peak 10000.00 to 8000.00 USD reached "
                               "max_drawdown_pct=20.")


def test_no_equity_rejects_buys() -> None:
    """With zero equity no share-of-equity limit can be met."""
    decision = check(snapshot=snap({"USDC": "0"}, equity="0", peak="0"))
    assert decision.rule is RejectReason.NO_EQUITY
    assert decision.detail == "equity is 0.00 USD."


def test_min_notional_rejected() -> None:
    """A buy worth less than the minimum is rejected with its notional."""
    decision = check(make_order(amount="0.001"))
    assert decision.rule is RejectReason.MIN_NOTIONAL
    assert decision.detail == "notional 0.15 USD is below min_order_notional=1."


def test_max_notional_resizes_down() -> None:
    """A buy above max notional is resized to the cap, rounded down to 9 decimals."""
    decision = check(make_order(amount="10"), limits=RiskLimits())
    assert decision.action is Action.RESIZE
    assert decision.rule is RejectReason.MAX_NOTIONAL
    assert decision.order.amount == D("6.666666666")
    assert decision.detail == ("notional 1500.00 USD, max_order_notional=1000: resized 10 -> "
                               "6.666666666 SOL (999.99 USD).")


def test_position_limit_resizes_to_headroom() -> None:
    """Holding $4,500 of SOL under a $5,000 cap leaves room for $500 more."""
    limits = RiskLimits(max_order_notional=D("100000"), max_gross_exposure=D("100000"),
                        max_concentration_pct=D("100"))
    decision = check(make_order(amount="10"), snap({"USDC": "10000", "SOL": "30"},
                                                   equity="14500"), limits=limits)
    assert decision.rule is RejectReason.POSITION_LIMIT
    assert decision.order.amount == D("3.333333333")
    assert decision.detail.startswith("SOL position 4500.00 USD, max_position_notional=5000: "
                                      "resized 10 -> 3.333333333 SOL")


def test_position_limit_full_rejects() -> None:
    """With no room left, the order is rejected naming the position."""
    decision = check(make_order(), snap({"USDC": "5000", "SOL": "40"}),
                     limits=RiskLimits(max_concentration_pct=D("100")))
    assert decision.action is Action.REJECT
    assert decision.rule is RejectReason.POSITION_LIMIT
    assert decision.detail == ("no room: SOL position 6000.00 USD, "
                               "max_position_notional=5000.")


def test_gross_exposure_resizes() -> None:
    """Gross exposure counts every non-cash token."""
    limits = RiskLimits(max_order_notional=D("100000"), max_position_notional=D("100000"),
                        max_gross_exposure=D("1000"), max_concentration_pct=D("100"))
    decision = check(make_order("JUP/USDC", amount="500", price="1"),
                     snap({"USDC": "9000", "SOL": "6"}), limits=limits)
    assert decision.rule is RejectReason.GROSS_EXPOSURE
    assert decision.order.amount == D("100")
    assert decision.detail.startswith("gross exposure 900.00 USD, max_gross_exposure=1000")


def test_concentration_resizes_to_share_of_equity() -> None:
    """The worked example in the module docstring: 60% of $10,000 at $150 is 40 SOL."""
    limits = RiskLimits(max_order_notional=D("100000"), max_position_notional=D("100000"),
                        max_gross_exposure=D("100000"))
    decision = check(make_order(amount="50"), limits=limits)
    assert decision.rule is RejectReason.CONCENTRATION
    assert decision.order.amount == D("40")
    assert "SOL 0.00 of equity 10000.00 USD, max_concentration_pct=60" in decision.detail


def test_group_concentration_caps_correlated_tokens_together() -> None:
    """SOL and JUP in one group share the group cap."""
    limits = RiskLimits(max_order_notional=D("100000"), max_position_notional=D("100000"),
                        max_gross_exposure=D("100000"), max_concentration_pct=D("100"),
                        max_group_concentration_pct=D("50"), groups={"SOL": "g", "JUP": "g"})
    decision = check(make_order(amount="20"), snap({"USDC": "6000", "JUP": "4000"}),
                     limits=limits)
    assert decision.rule is RejectReason.GROUP_CONCENTRATION
    assert decision.order.amount == D("6.666666666")
    assert decision.detail.startswith("group 'g' 4000.00 of equity 10000.00 USD, "
                                      "max_group_concentration_pct=50")


def test_open_positions_limit() -> None:
    """A new token beyond the open-position count is rejected; adding to a held one is not."""
    limits = RiskLimits(max_open_positions=1)
    held = snap({"USDC": "9000", "JUP": "1000"})
    decision = check(make_order(), held, limits=limits)
    assert decision.rule is RejectReason.OPEN_POSITIONS
    assert decision.detail == "1 positions open; max_open_positions=1."
    assert check(make_order("JUP/USDC", amount="10", price="1"), held, limits=limits).is_allowed


def test_market_depth_resizes() -> None:
    """An order is kept within 10% of the depth available within the price impact."""
    decision = check(make_order(amount="10"), depth_usd=D("3000"))
    assert decision.rule is RejectReason.MARKET_DEPTH
    assert decision.order.amount == D("2")
    assert decision.detail.startswith("depth 3000.00 USD within 100 bps, "
                                      "max_depth_fraction=0.1: resized 10 -> 2")


def test_depth_required_but_missing() -> None:
    """require_depth rejects orders without a depth number."""
    decision = check(limits=RiskLimits(require_depth=True))
    assert decision.rule is RejectReason.NO_DEPTH
    assert decision.detail == "SOL/USDC: require_depth is set and no depth_usd was given."


def test_negative_depth_rejected() -> None:
    """A negative depth number is rejected, not used as a cap."""
    decision = check(depth_usd=D("-5"))
    assert decision.rule is RejectReason.MARKET_DEPTH
    assert decision.detail == "depth_usd=-5 must be a finite number >= 0."


def test_buy_limited_by_cash() -> None:
    """A buy cannot spend more quote than is held."""
    decision = check(make_order(amount="10"), snap({"USDC": "300", "SOL": "64.666"}))
    assert decision.rule is RejectReason.INSUFFICIENT_BALANCE
    assert decision.order.amount == D("2")


def test_sell_without_holding_rejected_and_oversell_resized() -> None:
    """Selling nothing is rejected; selling more than held is resized to the holding."""
    none = check(make_order(side=Side.SELL))
    assert none.rule is RejectReason.INSUFFICIENT_BALANCE
    assert none.detail == "sell of 1 SOL but none is held."
    over = check(make_order(side=Side.SELL, amount="5"), snap({"USDC": "9700", "SOL": "2"}))
    assert (over.action, over.rule, over.order.amount) == (
        Action.RESIZE, RejectReason.INSUFFICIENT_BALANCE, D("2"))


def test_exits_ignore_exposure_limits_and_notional_bounds() -> None:
    """A reduce-only sell passes in a drawdown, over the daily loss and above max notional."""
    held = snap({"USDC": "1000", "SOL": "20"}, equity="4000", peak="10000", day_pnl="-900")
    decision = check(make_order(side=Side.SELL, amount="20", reduce_only=True), held,
                     limits=RiskLimits())
    assert decision.action is Action.ACCEPT


def test_plain_sell_above_max_notional_is_resized() -> None:
    """A non-exit sell obeys the order notional bounds."""
    decision = check(make_order(side=Side.SELL, amount="20"), snap({"USDC": "0", "SOL": "20"},
                     equity="3000"), limits=RiskLimits())
    assert decision.rule is RejectReason.MAX_NOTIONAL
    assert decision.order.amount == D("6.666666666")


def test_precision_rounds_down() -> None:
    """An amount with more decimals than the token is rounded down and flagged."""
    decision = check(make_order("BONK/USDC", amount="100000.123456", price="0.00002"))
    assert (decision.action, decision.rule) == (Action.RESIZE, RejectReason.PRECISION)
    assert decision.order.amount == D("100000.12345")
    assert decision.detail == "amount 100000.123456 rounded down to 100000.12345 BONK (decimals=5)."


def test_resize_below_min_notional_rejects_with_binding_rule() -> None:
    """If the room left is worth less than the minimum notional, reject with the cap's rule."""
    decision = check(make_order(amount="5"), snap({"USDC": "10000", "SOL": "33.33"}),
                     limits=RiskLimits(max_concentration_pct=D("100"),
                                       max_position_notional=D("5000.2")))
    assert decision.action is Action.REJECT
    assert decision.rule is RejectReason.POSITION_LIMIT
    assert "below min_order_notional=1" in decision.detail


def test_bad_snapshot_input_raises() -> None:
    """NaN equity or a negative holding is impossible input: RiskError naming it."""
    with pytest.raises(RiskError, match=r"PortfolioSnapshot equity=Decimal\('NaN'\) must be a"):
        PortfolioSnapshot(holdings={}, equity=D("NaN"), peak_equity=D(1))
    with pytest.raises(RiskError, match="holding SOL=Decimal\\('-1'\\) must be a finite"):
        PortfolioSnapshot(holdings={"SOL": D(-1)}, equity=D(1), peak_equity=D(1))


def test_order_with_bad_price_cannot_be_built() -> None:
    """NaN or negative order prices never reach the gate."""
    with pytest.raises(RiskError, match=r"price=NaN must be a finite positive price"):
        make_order(price="NaN")
    with pytest.raises(RiskError, match=r"price=-1 must be a finite positive price"):
        make_order(price="-1")


def test_gate_object_binds_limits_and_tokens() -> None:
    """RiskGate.check equals check_order with its limits; with_limits swaps them."""
    gate = RiskGate(limits=RiskLimits(), tokens=TOKENS)
    order = make_order(amount="10")
    assert gate.check(order, snap(), SOL_MARKS) == check(order, limits=RiskLimits())
    assert gate.with_limits(WIDE).check(order, snap(), SOL_MARKS).action is Action.ACCEPT
    assert BONK.symbol in gate.tokens
