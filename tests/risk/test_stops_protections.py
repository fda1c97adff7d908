"""Stops on marks, and freqtrade-style protections over closed trades."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from workbench.domain import Side
from workbench.errors import RiskError, SchemaError
from workbench.risk import (
    EXIT_REASON_DESC,
    ClosedTrade,
    CooldownPeriod,
    ExitReason,
    LowProfitPairs,
    MaxDrawdown,
    StoplossGuard,
    StopPosition,
    StopRule,
    compute_pauses,
    evaluate_stops,
    is_paused,
    trades_from_frame,
)

from .conftest import TOKENS

D = Decimal
S = 1_000_000_000


def pos(**kw: object) -> StopPosition:
    base = {"symbol": "SOL/USDC", "amount": D(2), "entry_price": D(100), "opened_ns": 0}
    base.update(kw)
    return StopPosition(**base)  # type: ignore[arg-type]


RULE = StopRule(stop_loss_pct=D(5), take_profit_pct=D(20), trailing_pct=D(10),
                trail_after_pct=D(5), max_hold_s=3600)


@pytest.mark.parametrize(("price", "reason"), [
    ("95", ExitReason.STOP_LOSS), ("120", ExitReason.TAKE_PROFIT), ("101", None)])
def test_stop_loss_and_take_profit(price: str, reason: ExitReason | None) -> None:
    """At -5% the stop-loss fires, at +20% take-profit, in between nothing."""
    exits, kept = evaluate_stops([pos()], {"SOL/USDC": D(price)}, now_ns=S, rule=RULE,
                                 tokens=TOKENS)
    if reason is None:
        assert exits == () and len(kept) == 1
        return
    (exit_,) = exits
    assert exit_.reason is reason and kept == ()
    o = exit_.order
    assert (o.side, o.amount, o.reduce_only, o.price, o.ts_init) == (
        Side.SELL, D(2), True, D(price), S)


def test_trailing_stop_docstring_example() -> None:
    """High water 120 then 108: the trailing stop fires (120 * 0.9 = 108)."""
    _, kept = evaluate_stops([pos()], {"SOL/USDC": D(119)}, now_ns=S, rule=RULE, tokens=TOKENS)
    assert kept[0].high_water == D(119)
    rule = StopRule(trailing_pct=D(10), trail_after_pct=D(5))
    _, kept = evaluate_stops([pos()], {"SOL/USDC": D(120)}, now_ns=S, rule=rule, tokens=TOKENS)
    exits, kept = evaluate_stops(kept, {"SOL/USDC": D(108)}, now_ns=2 * S, rule=rule,
                                 tokens=TOKENS)
    assert exits[0].reason is ExitReason.TRAILING_STOP
    assert exits[0].detail == ("SOL/USDC 108 <= 108.0 (10% below high 120); entry 100")


def test_trailing_not_armed_below_offset() -> None:
    """Below the arming offset the trailing stop waits."""
    rule = StopRule(trailing_pct=D(2), trail_after_pct=D(5))
    exits, _ = evaluate_stops([pos(high_water=D(103))], {"SOL/USDC": D(100)}, now_ns=S,
                              rule=rule, tokens=TOKENS)
    assert exits == ()


def test_time_stop_and_priority() -> None:
    """After max_hold_s the time stop fires; a stop-loss on the same mark wins."""
    exits, _ = evaluate_stops([pos()], {"SOL/USDC": D(101)}, now_ns=3600 * S, rule=RULE,
                              tokens=TOKENS)
    assert exits[0].reason is ExitReason.TIME_STOP
    assert exits[0].detail == "SOL/USDC held 3600s; max_hold_s=3600"
    exits, _ = evaluate_stops([pos()], {"SOL/USDC": D(90)}, now_ns=3600 * S, rule=RULE,
                              tokens=TOKENS)
    assert exits[0].reason is ExitReason.STOP_LOSS


def test_position_rule_overrides_and_missing_price_keeps() -> None:
    """A position's own rule wins over the default; no price keeps the position."""
    exits, kept = evaluate_stops([pos(rule=StopRule(stop_loss_pct=D(50)))],
                                 {"SOL/USDC": D(90)}, now_ns=S, rule=RULE, tokens=TOKENS)
    assert exits == () and len(kept) == 1
    exits, kept = evaluate_stops([pos()], {}, now_ns=S, rule=RULE, tokens=TOKENS)
    assert exits == () and kept[0] == pos()


def test_stops_bad_input() -> None:
    """NaN prices, bad rules and bad positions raise RiskError naming the value."""
    with pytest.raises(RiskError, match=r"price for SOL/USDC is Decimal\('NaN'\)"):
        evaluate_stops([pos()], {"SOL/USDC": D("NaN")}, now_ns=0, rule=RULE, tokens=TOKENS)
    with pytest.raises(RiskError, match=r"stop_loss_pct=Decimal\('-1'\) must be a positive"):
        StopRule(stop_loss_pct=D(-1))
    with pytest.raises(RiskError, match="entry_price=0 must be > 0"):
        pos(entry_price=D(0))
    with pytest.raises(RiskError, match="max_hold_s=0 must be > 0"):
        StopRule(max_hold_s=0)
    assert set(EXIT_REASON_DESC) == set(ExitReason)


def trade(symbol: str, t: int, ratio: str, reason: str = "stop_loss", usd: str = "0"):  # type: ignore[no-untyped-def]
    return ClosedTrade(symbol=symbol, closed_ns=t * S, profit_ratio=D(ratio),
                       profit_usd=D(usd), exit_reason=reason)


def test_stoploss_guard_global_and_per_pair() -> None:
    """Two stop-outs within the lookback pause everything (or the token) until last + duration."""
    trades = [trade("SOL", 100, "-0.05"), trade("JUP", 150, "-0.03"), trade("SOL", 160, "0.1",
                                                                           "take_profit")]
    guard = StoplossGuard(lookback_s=3600, trade_limit=2, stop_duration_s=600)
    assert compute_pauses(trades, 200 * S, [guard]) == {"*": 750 * S}
    per_pair = StoplossGuard(lookback_s=3600, trade_limit=2, stop_duration_s=600,
                             only_per_pair=True)
    assert compute_pauses(trades, 200 * S, [per_pair]) == {}
    assert compute_pauses(trades, 800 * S, [guard]) == {}  # expired


def test_cooldown_and_no_lookahead() -> None:
    """Cooldown pauses a token after a close; trades closing later than now do not count."""
    trades = [trade("SOL", 100, "0.01", "signal"), trade("JUP", 500, "0.01", "signal")]
    pauses = compute_pauses(trades, 120 * S, [CooldownPeriod(stop_duration_s=60)])
    assert pauses == {"SOL": 160 * S}
    assert is_paused(pauses, "SOL", 159 * S) and not is_paused(pauses, "SOL", 160 * S)
    assert not is_paused(pauses, "JUP", 120 * S)


def test_low_profit_pairs() -> None:
    """A token whose recent trades sum below the required profit pauses."""
    trades = [trade("SOL", 10, "-0.02", "signal"), trade("SOL", 20, "0.01", "signal"),
              trade("JUP", 20, "0.05", "signal")]
    rule = LowProfitPairs(lookback_s=100, trade_limit=2, stop_duration_s=50)
    assert compute_pauses(trades, 30 * S, [rule]) == {"SOL": 70 * S}


def test_max_drawdown_pause() -> None:
    """Closed-trade equity falling more than the ratio from its peak pauses all trading."""
    trades = [trade("SOL", 10, "0.1", "signal", "100"), trade("SOL", 20, "-0.2", "x", "-250"),
              trade("JUP", 30, "0", "x", "-10")]
    rule = MaxDrawdown(lookback_s=100, trade_limit=3, stop_duration_s=50,
                       max_allowed_drawdown=D("0.2"))
    assert compute_pauses(trades, 40 * S, [rule], starting_equity=D(1000)) == {"*": 80 * S}
    assert compute_pauses(trades, 40 * S, [rule], starting_equity=D(10000)) == {}
    with pytest.raises(RiskError, match="MaxDrawdown needs starting_equity > 0, got None"):
        compute_pauses(trades, 40 * S, [rule])


def test_trades_from_frame() -> None:
    """A backtest trades frame converts to ClosedTrade records; missing columns are named."""
    frame = pd.DataFrame({"symbol": ["SOL"], "exit_ts": pd.to_datetime([5], unit="s", utc=True),
                          "profit_ratio": [-0.05], "exit_reason": ["stop_loss"]})
    (t,) = trades_from_frame(frame)
    assert (t.symbol, t.closed_ns, t.profit_ratio, t.exit_reason) == (
        "SOL", 5 * S, D("-0.05"), "stop_loss")
    with pytest.raises(SchemaError, match=r"lacks columns \['profit_ratio'\]"):
        trades_from_frame(frame.drop(columns="profit_ratio"))
