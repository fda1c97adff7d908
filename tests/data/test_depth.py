"""Depth within a price impact, checked by executing the swap it predicts."""

from decimal import Decimal

import pytest

from workbench.data.amm import Q64, cp_swap_in, cp_swap_out, sqrt_price_x64_from_tick
from workbench.data.depth import (
    aggregate_depth,
    bonding_curve_depth,
    clmm_depth,
    cp_depth,
)
from workbench.errors import RiskError


def test_cp_depth_worked_example():
    """1000 SOL / 150000 USDC at 1%: the docstring's 4.963 SOL for about 747.5 USDC."""
    d = cp_depth(1000 * 10**9, 150_000 * 10**6, impact_bps=100, fee_bps=0)
    assert d.ask_base_raw == pytest.approx(4.963 * 10**9, rel=1e-3)
    assert d.ask_quote_raw == pytest.approx(747.5 * 10**6, rel=1e-3)


def test_cp_depth_moves_the_price_by_the_impact():
    """Buying the ask depth moves the marginal price up by the impact; selling the bid, down."""
    x, y = 5_000 * 10**9, 700_000 * 10**6
    d = cp_depth(x, y, impact_bps=200, fee_bps=25)
    p0 = Decimal(y) / x
    quote_in = cp_swap_in(d.ask_base_raw, y, x)
    assert quote_in <= d.ask_quote_raw + 1
    out = cp_swap_out(d.ask_quote_raw, y, x)
    assert out >= d.ask_base_raw
    p_ask = Decimal(y + quote_in) / (x - d.ask_base_raw)
    assert float(p_ask / p0) == pytest.approx(1.02, abs=2e-4)
    got = cp_swap_out(d.bid_base_raw, x, y)
    assert got >= d.bid_quote_raw - 1
    p_bid = Decimal(y - got) / (x + d.bid_base_raw)
    assert float(p_bid / p0) == pytest.approx(0.98, abs=2e-4)


def test_depth_grows_with_impact():
    """More impact allowed means more size on both sides."""
    small = cp_depth(10**12, 10**12, impact_bps=50)
    big = cp_depth(10**12, 10**12, impact_bps=500)
    assert big.ask_base_raw > small.ask_base_raw > 0
    assert big.bid_base_raw > small.bid_base_raw > 0


def test_clmm_depth_without_bounds_equals_cp_on_virtual_reserves():
    """An unbounded range is the constant-product curve on L/sqrtP, L*sqrtP."""
    liq, sp = 10**13, sqrt_price_x64_from_tick(-15_000)
    c = clmm_depth(liquidity=liq, sqrt_price_x64=sp, impact_bps=100, fee_rate=2500)
    v = cp_depth(liq * Q64 // sp, liq * sp // Q64, impact_bps=100, fee_bps=25)
    assert c.ask_base_raw == pytest.approx(v.ask_base_raw, rel=1e-9)
    assert c.bid_quote_raw == pytest.approx(v.bid_quote_raw, rel=1e-9)


def test_clmm_depth_stops_at_range_bounds():
    """A narrow range caps depth at its edges."""
    liq, tick = 10**13, -15_000
    sp = sqrt_price_x64_from_tick(tick)
    wide = clmm_depth(liquidity=liq, sqrt_price_x64=sp, impact_bps=500)
    narrow = clmm_depth(liquidity=liq, sqrt_price_x64=sp, impact_bps=500,
                        sqrt_price_lower_x64=sqrt_price_x64_from_tick(tick - 10),
                        sqrt_price_upper_x64=sqrt_price_x64_from_tick(tick + 10))
    assert 0 < narrow.ask_base_raw < wide.ask_base_raw
    assert 0 < narrow.bid_base_raw < wide.bid_base_raw


def test_bonding_curve_depth_zero_when_complete_and_capped_by_real_reserves():
    """A graduated curve has no depth; a nearly drained one cannot sell more than it holds."""
    done = bonding_curve_depth(virtual_token_reserves=0, virtual_sol_reserves=0,
                               real_token_reserves=0, impact_bps=100, is_complete=True)
    assert (done.ask_base_raw, done.bid_base_raw) == (0, 0)
    live = bonding_curve_depth(virtual_token_reserves=280_000_000_000_000,
                               virtual_sol_reserves=115 * 10**9,
                               real_token_reserves=100_000_000_000, impact_bps=5_000)
    assert live.ask_base_raw == 100_000_000_000


def test_aggregate_depth_sums_venues_and_refuses_mixed_impacts():
    """The total row sums every venue; mixed impacts are an error."""
    a = cp_depth(10**12, 2 * 10**12, impact_bps=100, venue="raydium")
    b = cp_depth(3 * 10**12, 6 * 10**12, impact_bps=100, venue="orca")
    frame = aggregate_depth([a, b])
    assert list(frame.index) == ["raydium", "orca", "total"]
    assert frame.loc["total", "ask_base_raw"] == a.ask_base_raw + b.ask_base_raw
    assert frame.loc["total", "bid_quote_raw"] == a.bid_quote_raw + b.bid_quote_raw
    with pytest.raises(RiskError, match=r"different impacts \[100, 200\]"):
        aggregate_depth([a, cp_depth(10**12, 10**12, impact_bps=200)])


def test_bad_impact_is_refused():
    """Impact must be a fraction strictly between 0 and 100%."""
    with pytest.raises(RiskError, match="impact_bps=0"):
        cp_depth(10, 10, impact_bps=0)
