"""Portfolio accounting: known answers, bad input, and properties over generated fills."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from workbench.domain import SOL, USDC, Fill, Side, Token
from workbench.errors import RiskError
from workbench.portfolio import Portfolio, Position, replay_equity

D = Decimal
JUP = Token(mint=Pubkey.from_string("JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"), symbol="JUP",
            decimals=6)
TOKENS = {"SOL": SOL, "USDC": USDC, "JUP": JUP}
TOL = D("1e-40")  # 60-digit arithmetic; a real leak would be far larger


def fill(symbol: str = "SOL/USDC", side: Side = Side.BUY, base: str = "2", quote: str = "300",
         fee: int = 0, ts: int = 1, cid: str = "f") -> Fill:
    return Fill(client_order_id=cid, symbol=symbol, side=side, base_amount=D(base),
                quote_amount=D(quote), fee_lamports=fee, venue="test", signature=None,
                ts_event=ts)


def book(cash: str = "1000", sol: str = "150") -> Portfolio:
    return Portfolio(cash={"USDC": D(cash)}, marks={"SOL": D(sol)}, tokens=TOKENS)


def test_docstring_worked_example() -> None:
    """Buy 2 SOL for 300 USDC with a 5,000-lamport fee, mark at 160: the numbers in the doc."""
    b = book()
    b.apply_fill(fill(fee=5000))
    b.set_marks({"SOL": D("160")})
    assert b.holdings == {"USDC": D("700"), "SOL": D("1.999995")}
    assert b.equity_usd == D("1019.99920")
    assert b.fees_usd == D("0.00075") and b.fees_lamports == 5000
    assert b.unrealised_usd == D("19.99995")
    assert b.realised_usd == 0
    assert b.equity_usd - b.start_equity_usd == b.realised_usd + b.unrealised_usd - b.fees_usd


def test_average_cost_and_realised_pnl() -> None:
    """Two buys average their cost; a sell realises against the average."""
    b = book(cash="10000")
    b.apply_fill(fill(base="1", quote="100"))
    b.apply_fill(fill(base="1", quote="200"))
    sol = b.positions["SOL"]
    assert sol.avg_cost_usd == D("150")
    b.apply_fill(fill(side=Side.SELL, base="1", quote="180"))
    sol = b.positions["SOL"]
    assert sol.amount == D("1") and sol.cost_usd == D("150")
    assert sol.realised_usd == D("30")
    assert b.realised_usd == D("30")


def test_realised_in_sol_book() -> None:
    """In the SOL book, USDC is what moves: selling SOL above cost shows SOL-book PnL."""
    b = book(cash="1500", sol="150")
    b.apply_fill(fill(base="10", quote="1500"))  # all USDC -> 10 SOL at 150
    b.set_marks({"SOL": D("300")})
    b.apply_fill(fill(side=Side.SELL, base="5", quote="1500"))  # 5 SOL -> 1500 USDC at 300
    # the SOL book: start 10 SOL equivalent, now 5 SOL + 1500 USDC (= 5 SOL) => no SOL-book PnL
    assert b.equity_sol == D("10")
    assert b.equity_sol - b.start_equity_sol == b.realised_sol + b.unrealised_sol - b.fees_sol
    assert b.positions["SOL"].realised_usd == D("750")


def test_position_through_zero_opens_the_rest_at_trade_price() -> None:
    """A disposal larger than the holding closes it and opens the rest at the trade's value."""
    p = Position(token="X", amount=D(2), cost_usd=D(20), cost_sol=D(2))
    after = p.traded(D(-3), D(-45), D(-3))
    assert after.amount == D(-1)
    assert after.realised_usd == D(10)  # 2 sold for 30 against cost 20
    assert after.cost_usd == D(-15)


def test_jup_sol_fill_uses_quote_mark() -> None:
    """A JUP/SOL fill is valued at the SOL mark and marks JUP when it has no mark."""
    b = Portfolio(cash={"USDC": D(0), "SOL": D(10)}, marks={"SOL": D(150)}, tokens=TOKENS)
    b.apply_fill(fill("JUP/SOL", base="1000", quote="5"))
    assert b.marks["JUP"] == D("0.75")
    assert b.positions["JUP"].cost_usd == D("750")
    assert b.holdings["SOL"] == D(5)


@pytest.mark.parametrize(("kw", "message"), [
    ({"base": "NaN"}, r"base_amount: Decimal\('NaN'\) must be a finite Decimal > 0"),
    ({"base": "-1"}, r"base_amount: Decimal\('-1'\) must be a finite Decimal > 0"),
    ({"quote": "0"}, r"quote_amount: Decimal\('0'\) must be a finite Decimal > 0"),
    ({"fee": -1}, r"fee_lamports=-1 must be an int >= 0"),
    ({"symbol": "WIF/USDC"}, r"'WIF/USDC' has unknown token 'WIF'"),
])
def test_bad_fills_rejected(kw: dict[str, object], message: str) -> None:
    """NaN, negative or zero amounts, negative fees and unknown tokens raise RiskError."""
    with pytest.raises(RiskError, match=message):
        book().apply_fill(fill(**kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(("marks", "message"), [
    ({"SOL": D("NaN")}, r"Mark SOL=Decimal\('NaN'\) must be a finite positive"),
    ({"SOL": D("-3")}, r"Mark SOL=Decimal\('-3'\) must be a finite positive"),
    ({"WIF": D("1")}, r"Mark for unknown token 'WIF'"),
    ({"USDC": D("0.99")}, r"USDC is the numeraire and stays at \$1, got 0.99"),
])
def test_bad_marks_rejected(marks: dict[str, Decimal], message: str) -> None:
    """Bad marks raise RiskError naming the value."""
    with pytest.raises(RiskError, match=message):
        book().set_marks(marks)


def test_missing_sol_mark_is_explained() -> None:
    """Without a SOL mark the SOL book and fees cannot be kept; the error says what to do."""
    b = Portfolio(cash={"USDC": D(100)}, tokens=TOKENS)
    with pytest.raises(RiskError, match=r"No USD mark for SOL.*set_marks\(\{'SOL': price\}\)"):
        b.apply_fill(fill("JUP/USDC", base="10", quote="10"))


def test_snapshot_tracks_peak_and_day() -> None:
    """The snapshot's peak is the highest equity seen; day PnL restarts each UTC day."""
    b = book(cash="1000")
    b.apply_fill(fill(base="2", quote="300"))
    day = 86_400 * 10**9
    s1 = b.snapshot(day * 100)
    b.set_marks({"SOL": D(200)})
    s2 = b.snapshot(day * 100 + 1, recent_order_ts=(5,))
    b.set_marks({"SOL": D(100)})
    s3 = b.snapshot(day * 101)
    assert (s1.equity, s2.equity, s3.equity) == (D(1000), D(1100), D(900))
    assert s2.day_pnl == D(100) and s3.day_pnl == 0
    assert s3.peak_equity == D(1100) and s2.recent_order_ts == (5,)


def test_equity_curve_frame() -> None:
    """The equity curve is a UTC-indexed float frame with a drawdown column."""
    b = book()
    b.apply_fill(fill())
    b.record_equity(10**18)
    b.set_marks({"SOL": D(75)})
    b.record_equity(10**18 + 60 * 10**9)
    curve = b.equity_curve()
    assert str(curve.index.tz) == "UTC"
    assert list(curve.columns) == ["equity_usd", "equity_sol", "realised_usd",
                                   "unrealised_usd", "fees_usd", "drawdown_pct"]
    assert curve["equity_usd"].tolist() == [1000.0, 850.0]
    assert curve["drawdown_pct"].tolist() == [0.0, 15.0]
    assert book().equity_curve().empty


def test_positions_frame() -> None:
    """positions_frame shows amount, marks and PnL per token."""
    b = book()
    b.apply_fill(fill())
    frame = b.positions_frame()
    assert list(frame.index) == ["SOL", "USDC"]
    assert frame.loc["SOL", "amount"] == D(2)
    assert frame.loc["SOL", "value_usd"] == 300.0


def test_replay_equity_over_prices() -> None:
    """replay_equity applies fills as their time comes and marks each row."""
    idx = pd.date_range("2024-01-01", periods=3, freq="1min", tz="UTC")
    prices = pd.DataFrame({"SOL": [100.0, 110.0, 90.0]}, index=idx)
    fills = [fill(base="1", quote="100", ts=idx[0].value)]
    b, curve = replay_equity(fills, prices, cash={"USDC": D(1000)}, tokens=TOKENS)
    assert curve["equity_usd"].tolist() == [1000.0, 1010.0, 990.0]
    assert b.fill_count == 1


# -- properties ------------------------------------------------------------------------------

def _amount(decimals: int) -> st.SearchStrategy[Decimal]:
    return st.integers(1, 10**12).map(lambda raw: D(raw).scaleb(-decimals))


fill_st = st.tuples(
    st.sampled_from(["SOL/USDC", "JUP/USDC", "JUP/SOL"]),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(1, 10**12),           # base raw units
    st.integers(1, 10**12),           # quote raw units
    st.integers(0, 2_000_000),        # fee lamports
    st.tuples(st.integers(1, 10**9), st.integers(1, 10**8)),  # new marks SOL, JUP (scaled)
)


def _apply(steps):  # type: ignore[no-untyped-def]
    b = Portfolio(cash={"USDC": D(10_000), "SOL": D(50), "JUP": D(1000)},
                  marks={"SOL": D(150), "JUP": D("0.8")}, tokens=TOKENS)
    fills = []
    for i, (symbol, side, base_raw, quote_raw, fee, (sol_m, jup_m)) in enumerate(steps):
        base, quote = symbol.split("/")
        f = fill(symbol, side, str(D(base_raw).scaleb(-TOKENS[base].decimals)),
                 str(D(quote_raw).scaleb(-TOKENS[quote].decimals)), fee, ts=i, cid=f"c{i}")
        b.apply_fill(f)
        b.set_marks({"SOL": D(sol_m).scaleb(-6), "JUP": D(jup_m).scaleb(-8)})
        fills.append(f)
    return b, fills


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(fill_st, max_size=8))
def test_positions_are_sums_of_fills_and_pnl_adds_up(steps) -> None:  # type: ignore[no-untyped-def]
    """Two properties on each generated fill sequence (one test, to generate once).

    1. Each token's holding is its deposit plus the signed sum of its fills, minus SOL fees.
    2. equity change == realised + unrealised - fees, in the USD book and in the SOL book.
    """
    b, fills = _apply(steps)
    expected = {"USDC": D(10_000), "SOL": D(50), "JUP": D(1000)}
    for f in fills:
        base, quote = f.symbol.split("/")
        sign = 1 if f.side is Side.BUY else -1
        expected[base] += sign * f.base_amount
        expected[quote] -= sign * f.quote_amount
        expected["SOL"] -= D(f.fee_lamports).scaleb(-9)
    assert b.holdings == {k: v for k, v in expected.items() if v}
    assert b.fill_count == len(fills)
    assert b.fees_lamports == sum(f.fee_lamports for f in fills)
    with decimal.localcontext(decimal.Context(prec=60)):
        for equity, start, realised, unrealised, fees in (
            (b.equity_usd, b.start_equity_usd, b.realised_usd, b.unrealised_usd, b.fees_usd),
            (b.equity_sol, b.start_equity_sol, b.realised_sol, b.unrealised_sol, b.fees_sol),
        ):
            gap = (equity - start) - (realised + unrealised - fees)
            scale = max(D(1), abs(equity), abs(start), abs(realised), abs(unrealised))
            assert abs(gap) <= TOL * scale, (gap, scale)
