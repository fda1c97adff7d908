"""Whirlpool tick arrays: decoding a real account, and depth that crosses initialized ticks."""

import base64
import json
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from pathlib import Path

import pytest

from workbench.data.amm import Q64, sqrt_price_x64_from_tick
from workbench.data.decoders.whirlpool import (
    TICK_ARRAY_SIZE,
    TickArray,
    WhirlpoolTick,
    decode_tick_array,
    decode_whirlpool,
    tick_array_start_index,
)
from workbench.data.depth import (
    MAX_TICK_INDEX,
    MIN_TICK_INDEX,
    clmm_depth,
    clmm_depth_across_ticks,
    clmm_depth_from_tick_arrays,
)
from workbench.errors import RiskError, SchemaError

ACC = Path(__file__).resolve().parents[1] / "fixtures" / "rpc_accounts"
SPACING = 32896


def _fixture():
    return json.loads((ACC / "orca-whirlpool__tick_array_account.json").read_text())


def _raw():
    return base64.b64decode(_fixture()["data"])


def _pool():
    return decode_whirlpool(base64.b64decode(json.loads(
        (ACC / "orca-whirlpool__whirlpool_account.json").read_text())["data"]))


def test_tick_array_decodes_like_carbon():
    """Every field of all 88 ticks matches carbon's independent decoding of the account."""
    fx = _fixture()
    raw = _raw()
    assert len(raw) == TICK_ARRAY_SIZE == fx["space"]
    arr = decode_tick_array(raw, tick_spacing=SPACING)
    want = fx["data_decoded"]
    assert arr.start_tick_index == int(want["startTickIndex"]["data"])
    assert str(arr.whirlpool) == want["whirlpool"]["data"]
    assert len(arr.ticks) == len(want["ticks"]["data"]) == 88
    for i, (got, exp) in enumerate(zip(arr.ticks, want["ticks"]["data"], strict=True)):
        assert got.tick_index == arr.start_tick_index + i * SPACING
        assert got.initialized == exp["initialized"]
        assert got.liquidity_net == int(exp["liquidityNet"])
        assert got.liquidity_gross == int(exp["liquidityGross"])
        assert got.fee_growth_outside_a == int(exp["feeGrowthOutsideA"])
        assert got.fee_growth_outside_b == int(exp["feeGrowthOutsideB"])
        assert list(got.reward_growths_outside) == [int(x) for x in exp["rewardGrowthsOutside"]]
    assert [t.tick_index for t in arr.initialized()] == [-427648]


def test_tick_array_agrees_with_its_pool():
    """The one position's lower tick is the full-range bound, and its net is the pool's L."""
    arr = decode_tick_array(_raw(), tick_spacing=SPACING)
    pool = _pool()
    assert pool.tick_spacing == SPACING
    (tick,) = arr.initialized()
    # full range at this spacing: the smallest multiple of the spacing above MIN_TICK_INDEX
    assert tick.tick_index == -(-MIN_TICK_INDEX // SPACING) * SPACING
    # liquidity at the current tick = sum of liquidity_net of initialized ticks below it
    assert tick.tick_index <= pool.tick_current_index
    assert sum(t.liquidity_net for t in arr.initialized()) == pool.liquidity == 141421356
    assert tick_array_start_index(tick.tick_index, SPACING) == arr.start_tick_index
    assert tick_array_start_index(pool.tick_current_index, SPACING) == 0


def test_negative_liquidity_net_is_read_as_signed_i128():
    """An upper-bound tick subtracts liquidity: its i128 is read with its sign."""
    raw = bytearray(_raw())
    off = 12 + 75 * 113 + 1  # tick 75's liquidity_net
    raw[off:off + 16] = (-141421356).to_bytes(16, "little", signed=True)
    tick = decode_tick_array(bytes(raw), tick_spacing=SPACING).ticks[75]
    assert tick.liquidity_net == -141421356 and tick.liquidity_gross == 141421356


def test_tick_array_errors_name_the_problem():
    """Other accounts, short data and a wrong spacing are SchemaErrors that say what to do."""
    whirl = base64.b64decode(json.loads(
        (ACC / "orca-whirlpool__whirlpool_account.json").read_text())["data"])
    with pytest.raises(SchemaError, match="fewer than the 9988"):
        decode_tick_array(whirl, tick_spacing=SPACING)
    with pytest.raises(SchemaError, match="discriminator 3f95d10ce1806309"):
        decode_tick_array(whirl.ljust(TICK_ARRAY_SIZE, b"\0"), tick_spacing=SPACING)
    # 88 * 448 = 39,424 does not divide the start index -2,894,848
    with pytest.raises(SchemaError, match=r"not a multiple of 88 \* tick_spacing \(448\)"):
        decode_tick_array(_raw(), tick_spacing=448)


# ---------------------------------------------------------------- depth across ticks

def _hand(liq_segments, fee_rate):
    """Sum L*(1/a - 1/b) and L*(b - a) over (L, a, b) segments, as one would on paper."""
    a_sum = sum(L * (1 / a - 1 / b) for L, a, b in liq_segments)
    b_sum = sum(L * (b - a) for L, a, b in liq_segments)
    keep = 1 - Decimal(fee_rate) / 1_000_000
    return a_sum, b_sum, keep


def _sp(tick):
    return (Decimal("1.0001") ** tick).sqrt()


def test_no_tick_within_reach_equals_single_range_depth():
    """With no initialized tick inside the impact, the walk is the single-range formula."""
    sp = sqrt_price_x64_from_tick(10)
    for base_is_a in (True, False):
        walk = clmm_depth_across_ticks(liquidity=5 * 10**12, sqrt_price_x64=sp,
                                       tick_current_index=10, ticks=[(-5000, 5 * 10**12)],
                                       impact_bps=100, base_is_a=base_is_a)
        one = clmm_depth(liquidity=5 * 10**12, sqrt_price_x64=sp, impact_bps=100,
                         base_is_a=base_is_a)
        for f in ("ask_base_raw", "ask_quote_raw", "bid_base_raw", "bid_quote_raw"):
            assert abs(getattr(walk, f) - getattr(one, f)) <= 1, (base_is_a, f)


def test_crossing_up_adds_liquidity_net_hand_computed():
    """Ask side: L = 1e12 to tick 64, then L = 3e12 (net +2e12) up to the 2% target."""
    L0, net, fee = 10**12, 2 * 10**12, 3000
    sp0 = Decimal(sqrt_price_x64_from_tick(0)) / Q64
    with localcontext() as ctx:
        ctx.prec = 50
        target = sp0 * Decimal("1.02").sqrt()
        a, b, keep = _hand([(L0, sp0, _sp(64)), (L0 + net, _sp(64), target)], fee)
        want_base = int(a.to_integral_value(ROUND_FLOOR))
        want_quote = int((b / keep).to_integral_value(ROUND_CEILING))
    d = clmm_depth_across_ticks(liquidity=L0, sqrt_price_x64=sqrt_price_x64_from_tick(0),
                                tick_current_index=0, ticks=[(64, net), (-64, L0)],
                                impact_bps=200, fee_rate=fee)
    assert (d.ask_base_raw, d.ask_quote_raw) == (want_base, want_quote)
    # more than the single range gives (the extra liquidity above tick 64 counts)
    assert d.ask_base_raw > clmm_depth(liquidity=L0, sqrt_price_x64=sqrt_price_x64_from_tick(0),
                                       impact_bps=200, fee_rate=fee).ask_base_raw


def test_crossing_down_subtracts_liquidity_net_hand_computed():
    """Bid side: crossing tick -64 (net +4e11) downward leaves L = 6e11 below it."""
    L0, fee = 10**12, 500
    sp0 = Decimal(sqrt_price_x64_from_tick(0)) / Q64
    with localcontext() as ctx:
        ctx.prec = 50
        target = sp0 * Decimal("0.98").sqrt()
        a, b, keep = _hand([(L0, _sp(-64), sp0), (L0 - 4 * 10**11, target, _sp(-64))], fee)
        want_base = int((a / keep).to_integral_value(ROUND_FLOOR))
        want_quote = int(b.to_integral_value(ROUND_FLOOR))
    d = clmm_depth_across_ticks(liquidity=L0, sqrt_price_x64=sqrt_price_x64_from_tick(0),
                                tick_current_index=0, ticks=[(-64, 4 * 10**11), (640, -L0)],
                                impact_bps=200, fee_rate=fee)
    assert (d.bid_base_raw, d.bid_quote_raw) == (want_base, want_quote)


def test_position_end_caps_depth_like_a_range_bound():
    """Liquidity ends at tick 64 (net -L): ask depth is the range-bounded single-range depth."""
    L0 = 10**12
    sp = sqrt_price_x64_from_tick(0)
    walk = clmm_depth_across_ticks(liquidity=L0, sqrt_price_x64=sp, tick_current_index=0,
                                   ticks=[(-64, L0), (64, -L0)], impact_bps=500)
    bounded = clmm_depth(liquidity=L0, sqrt_price_x64=sp, impact_bps=500,
                         sqrt_price_upper_x64=sqrt_price_x64_from_tick(64))
    assert abs(walk.ask_base_raw - bounded.ask_base_raw) <= 1
    assert abs(walk.ask_quote_raw - bounded.ask_quote_raw) <= 1
    wider = clmm_depth_across_ticks(liquidity=L0, sqrt_price_x64=sp, tick_current_index=0,
                                    ticks=[(-64, L0), (64, -L0)], impact_bps=2000)
    assert wider.ask_base_raw == walk.ask_base_raw  # nothing to buy beyond the position


def test_liquidity_beyond_an_empty_gap_is_reached():
    """A gap with no liquidity costs nothing to cross; the next position's depth counts."""
    L0 = 10**12
    sp = sqrt_price_x64_from_tick(0)
    ticks = [(-64, L0), (64, -L0), (128, L0), (192, -L0)]
    d = clmm_depth_across_ticks(liquidity=L0, sqrt_price_x64=sp, tick_current_index=0,
                                ticks=ticks, impact_bps=500, fee_rate=0)
    with localcontext() as ctx:
        ctx.prec = 50
        a, _, _ = _hand([(L0, Decimal(sp) / Q64, _sp(64)), (L0, _sp(128), _sp(192))], 0)
    assert d.ask_base_raw == int(a.to_integral_value(ROUND_FLOOR))


def test_known_span_stops_the_walk_and_must_hold_the_current_tick():
    """The walk stops at the edge of the ticks read; a span missing the current tick is refused."""
    L0 = 10**12
    sp = sqrt_price_x64_from_tick(0)
    capped = clmm_depth_across_ticks(liquidity=L0, sqrt_price_x64=sp, tick_current_index=0,
                                     ticks=[], impact_bps=500, tick_upper_bound=64)
    bounded = clmm_depth(liquidity=L0, sqrt_price_x64=sp, impact_bps=500,
                         sqrt_price_upper_x64=sqrt_price_x64_from_tick(64))
    assert abs(capped.ask_base_raw - bounded.ask_base_raw) <= 1
    with pytest.raises(RiskError, match="do not contain the current tick 100"):
        clmm_depth_across_ticks(liquidity=L0, sqrt_price_x64=sqrt_price_x64_from_tick(100),
                                tick_current_index=100, ticks=[], impact_bps=50,
                                tick_upper_bound=64)
    with pytest.raises(RiskError, match="Liquidity turns negative"):
        clmm_depth_across_ticks(liquidity=L0, sqrt_price_x64=sp, tick_current_index=0,
                                ticks=[(64, -2 * L0)], impact_bps=500)


def test_depth_of_the_real_pool_from_its_tick_array():
    """The recorded pool with its recorded tick array: the full-range position is all there is
    near the price, so the walk equals the single-range depth of the pool's own L."""
    pool = _pool()
    arr = decode_tick_array(_raw(), tick_spacing=SPACING)
    ticks = [(t.tick_index, t.liquidity_net) for t in arr.initialized()]
    walk = clmm_depth_across_ticks(liquidity=pool.liquidity, sqrt_price_x64=pool.sqrt_price_x64,
                                   tick_current_index=pool.tick_current_index, ticks=ticks,
                                   impact_bps=100, fee_rate=pool.fee_rate,
                                   tick_lower_bound=max(MIN_TICK_INDEX, arr.start_tick_index),
                                   tick_upper_bound=MAX_TICK_INDEX)
    one = clmm_depth(liquidity=pool.liquidity, sqrt_price_x64=pool.sqrt_price_x64,
                     impact_bps=100, fee_rate=pool.fee_rate)
    assert walk.ask_base_raw > 0 and walk.bid_base_raw > 0
    for f in ("ask_base_raw", "ask_quote_raw", "bid_base_raw", "bid_quote_raw"):
        assert abs(getattr(walk, f) - getattr(one, f)) <= 1
    # the recorded array alone does not cover the current tick: refused, not guessed
    with pytest.raises(RiskError, match="do not contain the current tick 223338"):
        clmm_depth_from_tick_arrays(pool, [arr], impact_bps=100)


def test_depth_from_tick_arrays_uses_their_span():
    """clmm_depth_from_tick_arrays walks the arrays' ticks within the span they cover."""
    L0 = 10**12
    mk = lambda i, net: WhirlpoolTick(tick_index=i * 64, initialized=net != 0,  # noqa: E731
                                      liquidity_net=net, liquidity_gross=abs(net),
                                      fee_growth_outside_a=0, fee_growth_outside_b=0,
                                      reward_growths_outside=(0, 0, 0))
    nets = {10: L0, 20: -L0}
    arr = TickArray(whirlpool=_pool().whirlpools_config, start_tick_index=0, tick_spacing=64,
                    ticks=tuple(mk(i, nets.get(i, 0)) for i in range(88)))
    pool = _pool()
    pool = type(pool)(**{**{f: getattr(pool, f) for f in pool.__slots__},
                         "tick_spacing": 64, "liquidity": L0, "tick_current_index": 15 * 64,
                         "sqrt_price_x64": sqrt_price_x64_from_tick(15 * 64), "fee_rate": 0})
    got = clmm_depth_from_tick_arrays(pool, [arr], impact_bps=9000)
    want = clmm_depth(liquidity=L0, sqrt_price_x64=pool.sqrt_price_x64, impact_bps=9000,
                      fee_rate=0, sqrt_price_lower_x64=sqrt_price_x64_from_tick(640),
                      sqrt_price_upper_x64=sqrt_price_x64_from_tick(1280))
    assert abs(got.ask_base_raw - want.ask_base_raw) <= 1
    assert abs(got.bid_base_raw - want.bid_base_raw) <= 1
    with pytest.raises(RiskError, match=r"tick_spacing \[64\], the pool 128"):
        clmm_depth_from_tick_arrays(type(pool)(**{**{f: getattr(pool, f)
                                                     for f in pool.__slots__},
                                                  "tick_spacing": 128}), [arr], impact_bps=10)
