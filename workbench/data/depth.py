"""Depth from AMM curves: how much trades within a given price impact, both sides.

This is the DEX order book of the project. For a curve with marginal price ``p`` (quote per
base), the *ask depth* at impact ``X`` is the base a taker can buy before the pool's marginal
price rises to ``p * (1 + X)``; the *bid depth* is the base a taker can sell before it falls to
``p * (1 - X)``. For a constant-product pool with reserves ``x`` (base) and ``y`` (quote),
``k = x * y`` and the marginal price after the trade is ``y' / x'``, so::

    buy:  x' = sqrt(k / (p * (1 + X)))   base out = x - x'   quote in = (k / x' - y) / (1 - fee)
    sell: x' = sqrt(k / (p * (1 - X)))   base in  = (x' - x) / (1 - fee)   quote out = y - k / x'

Worked example: x = 1,000 SOL, y = 150,000 USDC (p = 150), X = 1%: a buyer takes
1000 - sqrt(150e6 / 151.5) = 4.963 SOL for 747.5 USDC before fees. The fee is paid on the input
and does not move the curve, so it raises the quote paid but not the base depth.

A concentrated-liquidity range is the same curve on virtual reserves ``L / sqrt(P)`` and
``L * sqrt(P)``, cut at the range's price bounds. Across ranges (:func:`clmm_depth_across_ticks`)
the walk goes tick by tick: between two initialized ticks liquidity ``L`` is constant and moving
the sqrt price from ``a`` to ``b`` trades ``L * (1/a - 1/b)`` of token A against
``L * (b - a)`` of token B; crossing a tick upward adds its ``liquidity_net`` to ``L``, crossing
downward subtracts it. Worked example: L = 1e9 from sqrt price 1.00 up to a tick at 1.01 whose
liquidity_net is +2e9, so L = 3e9 above it; moving to 1.02 pays out
1e9 * (1 - 1/1.01) + 3e9 * (1/1.01 - 1/1.02) = 39,021,549 of A for
1e9 * 0.01 + 3e9 * 0.01 = 40,000,000 of B (before the fee).

A bonding curve is the same on its virtual reserves, capped by its real token reserves.
Results are integers in base units, rounded against the taker (less base out, more quote
in), computed with 50-digit Decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

import pandas as pd

from workbench.data.amm import Q64
from workbench.data.decoders.whirlpool import TickArray, Whirlpool
from workbench.errors import RiskError

__all__ = [
    "MAX_TICK_INDEX",
    "MIN_TICK_INDEX",
    "CurveDepth",
    "aggregate_depth",
    "bonding_curve_depth",
    "clmm_depth",
    "clmm_depth_across_ticks",
    "clmm_depth_from_tick_arrays",
    "cp_depth",
]

MIN_TICK_INDEX = -443636
MAX_TICK_INDEX = 443636
"""Whirlpool's tick bounds (sqrt prices 2**-64 .. 2**64)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CurveDepth:
    """Tradable size within ``impact_bps`` of one venue's marginal price, base units.

    Attributes:
        venue: venue or pool name.
        impact_bps: the price move allowed, basis points.
        ask_base_raw: base a taker can buy.
        ask_quote_raw: quote it pays for that, fee included.
        bid_base_raw: base a taker can sell.
        bid_quote_raw: quote it receives for that, fee deducted.
    """

    venue: str
    impact_bps: int
    ask_base_raw: int
    ask_quote_raw: int
    bid_base_raw: int
    bid_quote_raw: int


def _check(impact_bps: int, fee_bps: float) -> None:
    if not 0 < impact_bps < 10_000:
        raise RiskError(f"impact_bps={impact_bps} must be in 1..9999.")
    if not 0 <= fee_bps < 10_000:
        raise RiskError(f"fee_bps={fee_bps} must be in 0..9999.")


def _virtual_depth(
    x: Decimal, y: Decimal, impact_bps: int, fee_bps: float,
    x_min: Decimal | None = None, x_max: Decimal | None = None,
) -> tuple[int, int, int, int]:
    """(ask_base, ask_quote, bid_base, bid_quote) for virtual reserves x, y (base units)."""
    k = x * y
    p = y / x
    imp = Decimal(impact_bps) / 10_000
    keep = 1 - Decimal(str(fee_bps)) / 10_000
    x_buy = (k / (p * (1 + imp))).sqrt()
    if x_min is not None:
        x_buy = max(x_buy, x_min)
    x_sell = (k / (p * (1 - imp))).sqrt()
    if x_max is not None:
        x_sell = min(x_sell, x_max)
    ask_base = (x - x_buy).to_integral_value(ROUND_FLOOR)
    ask_quote = ((k / x_buy - y) / keep).to_integral_value(ROUND_CEILING)
    bid_base = ((x_sell - x) / keep).to_integral_value(ROUND_FLOOR)
    bid_quote = (y - k / x_sell).to_integral_value(ROUND_FLOOR)
    return int(ask_base), int(ask_quote), int(bid_base), int(bid_quote)


def cp_depth(
    base_reserve_raw: int,
    quote_reserve_raw: int,
    *,
    impact_bps: int,
    fee_bps: float = 25,
    venue: str = "cp",
) -> CurveDepth:
    """Depth of a constant-product pool (Raydium v4 style) within ``impact_bps``.

    Raises:
        RiskError: empty reserves or impact outside 1..9999 bps.
    """
    _check(impact_bps, fee_bps)
    if base_reserve_raw <= 0 or quote_reserve_raw <= 0:
        raise RiskError(
            f"Pool {venue} has reserves base={base_reserve_raw} quote={quote_reserve_raw}; "
            "both must be > 0."
        )
    with localcontext() as ctx:
        ctx.prec = 50
        a_b, a_q, b_b, b_q = _virtual_depth(
            Decimal(base_reserve_raw), Decimal(quote_reserve_raw), impact_bps, fee_bps
        )
    return CurveDepth(venue=venue, impact_bps=impact_bps, ask_base_raw=a_b, ask_quote_raw=a_q,
                      bid_base_raw=b_b, bid_quote_raw=b_q)


def clmm_depth(
    *,
    liquidity: int,
    sqrt_price_x64: int,
    impact_bps: int,
    fee_rate: int = 3000,
    base_is_a: bool = True,
    sqrt_price_lower_x64: int | None = None,
    sqrt_price_upper_x64: int | None = None,
    venue: str = "clmm",
) -> CurveDepth:
    """Depth of a concentrated-liquidity pool, assuming ``liquidity`` holds in the range.

    Args:
        liquidity: active liquidity L.
        sqrt_price_x64: current sqrt price (B per A), Q64.64.
        impact_bps: price move allowed.
        fee_rate: fee in millionths (Whirlpool units).
        base_is_a: True when token A is the base (price quoted as B per A).
        sqrt_price_lower_x64 / sqrt_price_upper_x64: the current range's bounds; the depth
            stops there, since beyond them liquidity is unknown to this function.
        venue: name for the result.

    Raises:
        RiskError: non-positive liquidity or price.
    """
    fee_bps = fee_rate / 100
    _check(impact_bps, fee_bps)
    if liquidity <= 0 or sqrt_price_x64 <= 0:
        raise RiskError(f"liquidity={liquidity} and sqrt_price_x64={sqrt_price_x64} must be > 0.")
    with localcontext() as ctx:
        ctx.prec = 50
        liq = Decimal(liquidity)
        sp = Decimal(sqrt_price_x64) / Q64
        xa, yb = liq / sp, liq * sp  # virtual reserves of A and B
        lo = Decimal(sqrt_price_lower_x64) / Q64 if sqrt_price_lower_x64 else None
        hi = Decimal(sqrt_price_upper_x64) / Q64 if sqrt_price_upper_x64 else None
        if base_is_a:
            # x (A) shrinks as price (B per A) rises to the upper bound: x_min = L / sp_upper
            x_min = liq / hi if hi else None
            x_max = liq / lo if lo else None
            res = _virtual_depth(xa, yb, impact_bps, fee_bps, x_min, x_max)
        else:
            # base B, price A per B = 1 / P: x is the B reserve, bounds swap roles
            x_min = liq * lo if lo else None
            x_max = liq * hi if hi else None
            res = _virtual_depth(yb, xa, impact_bps, fee_bps, x_min, x_max)
    return CurveDepth(venue=venue, impact_bps=impact_bps, ask_base_raw=res[0],
                      ask_quote_raw=res[1], bid_base_raw=res[2], bid_quote_raw=res[3])


def _sqrt_at_tick(tick: int) -> Decimal:
    return (Decimal("1.0001") ** tick).sqrt()


def _walk(
    sp: Decimal, target: Decimal, liq: Decimal, boundaries: list[tuple[int, int]], *,
    up: bool, stop_tick: int,
) -> tuple[Decimal, Decimal]:
    """Token A and B amounts traded moving the sqrt price from ``sp`` to ``target``.

    ``boundaries`` are (tick, liquidity_net) in the walking order; the walk stops at
    ``target`` or at ``stop_tick`` (the edge of what the caller knows), whichever is first.
    """
    amount_a = amount_b = Decimal(0)
    stop_sp = _sqrt_at_tick(stop_tick)
    end = min(target, stop_sp) if up else max(target, stop_sp)
    for tick, net in [*boundaries, (stop_tick, 0)]:
        edge = _sqrt_at_tick(tick)
        nxt = min(edge, end) if up else max(edge, end)
        lo, hi = (sp, nxt) if up else (nxt, sp)
        if hi > lo and liq > 0:
            amount_a += liq * (1 / lo - 1 / hi)
            amount_b += liq * (hi - lo)
        sp = nxt
        if sp == end:
            break
        liq += net if up else -net
        if liq < 0:
            raise RiskError(f"Liquidity turns negative ({liq}) after crossing tick {tick}; the "
                            "tick arrays do not belong to this pool state.")
    return amount_a, amount_b


def clmm_depth_across_ticks(
    *,
    liquidity: int,
    sqrt_price_x64: int,
    tick_current_index: int,
    ticks: Iterable[tuple[int, int]],
    impact_bps: int,
    fee_rate: int = 3000,
    base_is_a: bool = True,
    tick_lower_bound: int = MIN_TICK_INDEX,
    tick_upper_bound: int = MAX_TICK_INDEX,
    venue: str = "clmm",
) -> CurveDepth:
    """Depth of a concentrated-liquidity pool within ``impact_bps``, crossing initialized ticks.

    Args:
        liquidity: active liquidity L at the current price.
        sqrt_price_x64: current sqrt price (B per A in base units), Q64.64.
        tick_current_index: the pool's current tick (ticks above it are crossed going up,
            ticks at or below it going down, as Whirlpool does).
        ticks: ``(tick_index, liquidity_net)`` of the initialized ticks (any order; others
            are ignored by the walk only if outside the bounds).
        impact_bps: price move allowed, in the base's human price.
        fee_rate: fee in millionths, taken from the input.
        base_is_a: True when token A is the base (price quoted as B per A).
        tick_lower_bound / tick_upper_bound: the ticks the caller knows the liquidity between
            (the span of the tick arrays read); the depth stops there rather than assume
            what lies beyond.
        venue: name for the result.

    Returns:
        CurveDepth in base units, rounded against the taker.

    Raises:
        RiskError: non-positive price, negative liquidity, an impact outside 1..9999 bps, or
            bounds that do not contain the current tick.
    """
    fee_bps = fee_rate / 100
    _check(impact_bps, fee_bps)
    if sqrt_price_x64 <= 0 or liquidity < 0:
        raise RiskError(f"sqrt_price_x64={sqrt_price_x64} must be > 0 and liquidity={liquidity} "
                        ">= 0.")
    if not tick_lower_bound <= tick_current_index < tick_upper_bound:
        raise RiskError(
            f"The known ticks [{tick_lower_bound}, {tick_upper_bound}) do not contain the current "
            f"tick {tick_current_index}; read the tick array holding it (start index "
            "tick_array_start_index(tick_current_index, tick_spacing)).")
    pairs = sorted((int(t), int(n)) for t, n in ticks)
    above = [(t, n) for t, n in pairs if tick_current_index < t < tick_upper_bound]
    below = [(t, n) for t, n in reversed(pairs) if tick_lower_bound < t <= tick_current_index]
    with localcontext() as ctx:
        ctx.prec = 50
        sp = Decimal(sqrt_price_x64) / Q64
        liq = Decimal(liquidity)
        imp = Decimal(impact_bps) / 10_000
        keep = 1 - Decimal(fee_rate) / 1_000_000
        rise, fall = (1 + imp).sqrt(), (1 - imp).sqrt()
        if base_is_a:
            # buying A lifts the B-per-A price; selling A lowers it
            up_a, up_b = _walk(sp, sp * rise, liq, above, up=True, stop_tick=tick_upper_bound)
            dn_a, dn_b = _walk(sp, sp * fall, liq, below, up=False, stop_tick=tick_lower_bound)
            ask_base, ask_quote, bid_base, bid_quote = up_a, up_b / keep, dn_a / keep, dn_b
        else:
            # base B, human price A per B = 1 / P: buying B lowers P, selling B lifts it
            dn_a, dn_b = _walk(sp, sp / rise, liq, below, up=False, stop_tick=tick_lower_bound)
            up_a, up_b = _walk(sp, sp / fall, liq, above, up=True, stop_tick=tick_upper_bound)
            ask_base, ask_quote, bid_base, bid_quote = dn_b, dn_a / keep, up_b / keep, up_a
        return CurveDepth(
            venue=venue, impact_bps=impact_bps,
            ask_base_raw=int(ask_base.to_integral_value(ROUND_FLOOR)),
            ask_quote_raw=int(ask_quote.to_integral_value(ROUND_CEILING)),
            bid_base_raw=int(bid_base.to_integral_value(ROUND_FLOOR)),
            bid_quote_raw=int(bid_quote.to_integral_value(ROUND_FLOOR)),
        )


def clmm_depth_from_tick_arrays(
    pool: Whirlpool,
    arrays: Sequence[TickArray],
    *,
    impact_bps: int,
    base_is_a: bool = True,
    venue: str = "whirlpool",
) -> CurveDepth:
    """Depth of a decoded Whirlpool using the initialized ticks of its decoded tick arrays.

    The arrays should cover the current tick and its neighbours (Whirlpool swaps read the
    current array and the next two in the swap's direction); the depth stops at the edge of
    the span they cover.

    Raises:
        RiskError: no arrays, or arrays with another tick spacing than the pool's.
    """
    if not arrays:
        raise RiskError("clmm_depth_from_tick_arrays needs at least one tick array.")
    spacing = {a.tick_spacing for a in arrays}
    if spacing != {pool.tick_spacing}:
        raise RiskError(f"Tick arrays use tick_spacing {sorted(spacing)}, the pool "
                        f"{pool.tick_spacing}; decode them with the pool's spacing.")
    span = 88 * pool.tick_spacing
    lower = max(MIN_TICK_INDEX, min(a.start_tick_index for a in arrays))
    upper = min(MAX_TICK_INDEX, max(a.start_tick_index for a in arrays) + span)
    ticks = [(t.tick_index, t.liquidity_net) for a in arrays for t in a.initialized()]
    return clmm_depth_across_ticks(
        liquidity=pool.liquidity, sqrt_price_x64=pool.sqrt_price_x64,
        tick_current_index=pool.tick_current_index, ticks=ticks, impact_bps=impact_bps,
        fee_rate=pool.fee_rate, base_is_a=base_is_a, tick_lower_bound=lower,
        tick_upper_bound=upper, venue=venue)


def bonding_curve_depth(
    *,
    virtual_token_reserves: int,
    virtual_sol_reserves: int,
    real_token_reserves: int,
    impact_bps: int,
    fee_bps: float = 100,
    is_complete: bool = False,
    venue: str = "pumpfun",
) -> CurveDepth:
    """Depth of a Pump.fun bonding curve (base = token, quote = SOL); zero once complete."""
    _check(impact_bps, fee_bps)
    if is_complete or virtual_token_reserves == 0:
        return CurveDepth(venue=venue, impact_bps=impact_bps, ask_base_raw=0, ask_quote_raw=0,
                          bid_base_raw=0, bid_quote_raw=0)
    with localcontext() as ctx:
        ctx.prec = 50
        x = Decimal(virtual_token_reserves)
        x_min = x - Decimal(real_token_reserves)
        res = _virtual_depth(x, Decimal(virtual_sol_reserves), impact_bps, fee_bps, x_min, None)
    return CurveDepth(venue=venue, impact_bps=impact_bps, ask_base_raw=res[0],
                      ask_quote_raw=res[1], bid_base_raw=res[2], bid_quote_raw=res[3])


def aggregate_depth(depths: Iterable[CurveDepth]) -> pd.DataFrame:
    """Depth of a pair across venues, one row per venue plus a ``total`` row.

    Returns:
        DataFrame indexed by ``venue`` (str) with int64 columns ``ask_base_raw``,
        ``ask_quote_raw``, ``bid_base_raw``, ``bid_quote_raw`` and ``impact_bps``.

    Raises:
        RiskError: the depths were computed for different impacts.
    """
    rows = list(depths)
    impacts = {d.impact_bps for d in rows}
    if len(impacts) > 1:
        raise RiskError(f"Cannot add depths at different impacts {sorted(impacts)} bps.")
    cols = ["ask_base_raw", "ask_quote_raw", "bid_base_raw", "bid_quote_raw"]
    frame = pd.DataFrame(
        [{"venue": d.venue, "impact_bps": d.impact_bps, **{c: getattr(d, c) for c in cols}}
         for d in rows],
        columns=["venue", "impact_bps", *cols],
    ).set_index("venue")
    total = frame[cols].sum()
    frame.loc["total", cols] = total
    frame.loc["total", "impact_bps"] = next(iter(impacts), 0)
    return frame.astype("int64")
