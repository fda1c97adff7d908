"""Property: over generated sequences of prices and orders, no order the gate lets through
breaks an active limit once filled.

Each example builds random limits, a random account and a sequence of (price move, order);
every allowed order is filled at its price and the account checked against every limit the
gate claims to enforce, computed here independently of the gate.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.domain import Side
from workbench.risk import Action, PortfolioSnapshot, RiskLimits, TradingState, check_order

from .conftest import NOW, TOKENS, make_order

D = Decimal
RISKY = ["SOL", "JUP", "BONK"]
HUNDRED = D(100)


def dec(lo: int, hi: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(lo, hi).map(lambda n: D(n).scaleb(-places))


limits_st = st.builds(
    lambda mx, mn, pos, gross, conc, gconc, opn, loss, dd, rate, slip, dev, depth, grouped:
    RiskLimits(max_order_notional=mx, min_order_notional=min(mn, mx), max_position_notional=pos,
               max_gross_exposure=gross, max_concentration_pct=conc,
               max_group_concentration_pct=gconc, max_open_positions=opn, max_daily_loss=loss,
               max_drawdown_pct=dd, max_orders_per_minute=rate, max_slippage_bps=slip,
               max_price_deviation_pct=dev, max_depth_fraction=depth,
               groups={"SOL": "g", "JUP": "g"} if grouped else {}),
    dec(1, 50_000, 0), dec(1, 500, 1), dec(1, 60_000, 0), dec(1, 100_000, 0), dec(1, 100, 0),
    dec(1, 100, 0), st.integers(1, 3), dec(0, 5_000, 0), dec(1, 100, 0), st.integers(1, 6),
    st.integers(50, 300), dec(1, 20, 0), dec(1, 100, 2), st.booleans())

step_st = st.tuples(
    st.sampled_from(RISKY),                   # token
    st.sampled_from([Side.BUY, Side.SELL]),
    dec(1, 20_000, 0),                        # intended notional, USD
    st.integers(-300, 300),                   # price offset from mark, bps
    st.integers(0, 120),                      # slippage bps
    st.sampled_from([False, False, False, True]),  # reduce_only
    st.one_of(st.none(), dec(0, 10**7, 0)),   # depth
    st.integers(-1500, 1500),                 # mark move of the token, bps
    st.integers(1, 40),                       # seconds since the previous order
)


def value(holdings: dict[str, Decimal], marks: dict[str, Decimal], tokens: list[str]) -> Decimal:
    return sum((holdings.get(t, D(0)) * marks[t] for t in tokens), D(0))


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(limits=limits_st,
       cash=dec(0, 200_000, 2),
       start=st.lists(dec(0, 10**6, 3), min_size=3, max_size=3),
       marks0=st.tuples(dec(1, 50_000, 2), dec(1, 5_000, 3), dec(1, 500, 7)),
       steps=st.lists(step_st, min_size=1, max_size=6),
       state=st.sampled_from([TradingState.ACTIVE] * 6 + [TradingState.REDUCING,
                                                          TradingState.HALTED]))
def test_no_allowed_order_breaks_a_limit(limits, cash, start, marks0, steps, state) -> None:  # type: ignore[no-untyped-def]
    """Every ACCEPT/RESIZE, once filled, leaves the account within every active limit."""
    marks = dict(zip(RISKY, marks0, strict=True))
    holdings = {"USDC": cash, **dict(zip(RISKY, start, strict=True))}
    equity0 = holdings["USDC"] + value(holdings, marks, RISKY)
    peak = equity0
    recent: list[int] = []
    now = NOW
    for token, side, want_usd, offset, slip, reduce_only, depth, move, gap in steps:
        now += gap * 1_000_000_000
        marks[token] = max(D("0.0000001"), marks[token] * (1 + D(move) / 10_000))
        price = (marks[token] * (1 + D(offset) / 10_000)).quantize(D("0.0000001"))
        if price <= 0:
            continue
        amount = (want_usd / price).quantize(D("0.000001"), rounding=ROUND_DOWN)
        if amount <= 0:
            continue
        equity = holdings["USDC"] + value(holdings, marks, RISKY)
        peak = max(peak, equity)
        snap = PortfolioSnapshot(holdings=dict(holdings), equity=equity, peak_equity=peak,
                                 day_pnl=equity - equity0, recent_order_ts=tuple(recent))
        order = make_order(f"{token}/USDC", side, str(amount), str(price),
                           max_slippage_bps=slip, reduce_only=reduce_only, ts_init=now)
        decision = check_order(order, snap, marks, limits, tokens=TOKENS, depth_usd=depth,
                               state=state)
        if decision.action is Action.REJECT:
            assert decision.rule is not None and decision.detail
            continue
        sent = decision.order
        assert decision.action is Action.ACCEPT or decision.rule is not None
        assert sent.amount <= amount and sent.amount > 0
        assert (sent.symbol, sent.side, sent.price, sent.reduce_only) == (
            order.symbol, order.side, order.price, order.reduce_only)
        decimals = TOKENS[token].decimals
        assert sent.amount == sent.amount.quantize(D(1).scaleb(-decimals), rounding=ROUND_DOWN)
        # checks any order must pass
        assert state is not TradingState.HALTED
        assert sent.max_slippage_bps <= limits.max_slippage_bps
        assert abs(price - marks[token]) / marks[token] * HUNDRED <= limits.max_price_deviation_pct
        assert sum(1 for t in recent if now - 60_000_000_000 < t <= now) < \
            limits.max_orders_per_minute
        notional = sent.amount * price
        if depth is not None:
            assert notional <= depth * limits.max_depth_fraction
        if side is Side.SELL:
            assert sent.amount <= holdings[token]
            if not reduce_only:
                assert limits.min_order_notional <= notional <= limits.max_order_notional
            holdings[token] -= sent.amount
            holdings["USDC"] += notional
        else:
            assert state is TradingState.ACTIVE and not reduce_only
            assert snap.day_pnl > -limits.max_daily_loss
            assert equity > 0 and (peak - equity) / peak * HUNDRED < limits.max_drawdown_pct
            assert limits.min_order_notional <= notional <= limits.max_order_notional
            assert notional <= holdings["USDC"]
            held_before = [t for t in RISKY if holdings[t] > 0]
            if holdings[token] == 0:
                assert len(held_before) < limits.max_open_positions
            holdings[token] += sent.amount
            holdings["USDC"] -= notional
            position = holdings[token] * marks[token]
            assert position <= limits.max_position_notional
            assert value(holdings, marks, RISKY) <= limits.max_gross_exposure
            assert position <= equity * limits.max_concentration_pct / HUNDRED
            if token in limits.groups:
                group = value(holdings, marks, [t for t in RISKY if t in limits.groups])
                assert group <= equity * limits.max_group_concentration_pct / HUNDRED
        recent.append(now)
