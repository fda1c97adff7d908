"""AMM math against real mainnet swaps, plus invariants."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.data.amm import (
    Q64,
    bonding_curve_buy_cost,
    bonding_curve_buy_out,
    bonding_curve_sell_out,
    clmm_swap_within_tick,
    cp_swap_in,
    cp_swap_out,
    sqrt_price_x64_from_tick,
)
from workbench.errors import RiskError

TX = Path(__file__).resolve().parents[1] / "fixtures" / "transactions"
RAYDIUM_AUTHORITY = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"


def _vault_moves(name: str):
    tx = json.loads((TX / name).read_text())[0]
    pre = {b["accountIndex"]: b for b in tx["meta"]["preTokenBalances"]}
    post = {b["accountIndex"]: b for b in tx["meta"]["postTokenBalances"]}
    vaults = [i for i, b in pre.items() if b["owner"] == RAYDIUM_AUTHORITY]
    moves = [(int(pre[i]["uiTokenAmount"]["amount"]), int(post[i]["uiTokenAmount"]["amount"]))
             for i in vaults]
    (a0, a1), (b0, b1) = moves
    # the vault that grew took the input
    if a1 > a0:
        return a0, b0, a1 - a0, b0 - b1
    return b0, a0, b1 - b0, a0 - a1


@pytest.mark.parametrize("name", [f"raydiumLiquidityPoolV4_swap_{i}.json" for i in range(3)])
def test_cp_swap_reproduces_mainnet_raydium_swaps_to_the_base_unit(name):
    """Output from the vaults' pre-balances equals what the pool actually paid."""
    reserve_in, reserve_out, amount_in, paid = _vault_moves(name)
    assert cp_swap_out(amount_in, reserve_in, reserve_out) == paid


@pytest.mark.parametrize("name", [f"raydiumLiquidityPoolV4_swap_{i}.json" for i in range(3)])
def test_cp_swap_in_is_the_least_input_for_the_real_output(name):
    """cp_swap_in gives the smallest input paying the real output; one unit less pays less."""
    reserve_in, reserve_out, amount_in, paid = _vault_moves(name)
    need = cp_swap_in(paid, reserve_in, reserve_out)
    assert need <= amount_in
    assert cp_swap_out(need, reserve_in, reserve_out) >= paid
    assert cp_swap_out(need - 1, reserve_in, reserve_out) < paid


def test_cp_swap_known_answer():
    """1e6 into a 1e9/1e9 pool: 997500 enters, 996503 comes out."""
    assert cp_swap_out(1_000_000, 10**9, 10**9) == 10**9 * 997_500 // (10**9 + 997_500)
    assert cp_swap_out(0, 10**9, 10**9) == 0


def test_cp_swap_refuses_bad_input():
    """Floats, negatives and empty pools are errors naming the value."""
    with pytest.raises(RiskError, match=r"amount_in=1\.5"):
        cp_swap_out(1.5, 10, 10)  # type: ignore[arg-type]
    with pytest.raises(RiskError, match="Empty pool"):
        cp_swap_out(1, 0, 10)
    with pytest.raises(RiskError, match="not below reserve_out"):
        cp_swap_in(10, 10, 10)


@given(st.integers(1, 10**15), st.integers(10**3, 10**18), st.integers(10**3, 10**18))
def test_cp_swap_never_breaks_k_and_round_trip_loses(amount, rin, rout):
    """k never falls, and swapping out and straight back returns no more than put in."""
    out = cp_swap_out(amount, rin, rout)
    assert (rin + amount) * (rout - out) >= rin * rout
    back = cp_swap_out(out, rout - out, rin + amount)
    assert back <= amount


def _pump_events(name):
    import base64
    import struct

    tx = json.loads((TX / name).read_text())[0]
    for line in tx["meta"]["logMessages"]:
        if line.startswith("Program data: "):
            raw = base64.b64decode(line[14:])
            if len(raw) >= 113:
                sol, tok = struct.unpack("<QQ", raw[40:56])
                vs, vt = struct.unpack("<QQ", raw[97:113])
                yield sol, tok, bool(raw[56]), vs, vt


@pytest.mark.parametrize("name", ["pumpfun_buy_0.json", "pumpfun_buy_1.json"])
def test_bonding_curve_buy_cost_matches_mainnet_trade_events(name):
    """The program's TradeEvent SOL amount equals our cost for its token amount."""
    (sol, tok, is_buy, vs_after, vt_after), *_ = list(_pump_events(name))
    assert is_buy
    cost, fee = bonding_curve_buy_cost(
        tok, virtual_sol_reserves=vs_after - sol, virtual_token_reserves=vt_after + tok)
    assert cost == sol
    assert fee == sol // 100


def test_bonding_curve_sell_matches_mainnet_trade_event():
    """A real sell's SOL amount is the curve output before the 1% fee."""
    (sol, tok, is_buy, vs_after, vt_after), *_ = list(_pump_events("pumpfun_sell_0.json"))
    assert not is_buy
    out, fee = bonding_curve_sell_out(
        tok, virtual_sol_reserves=vs_after + sol, virtual_token_reserves=vt_after - tok)
    assert out + fee == sol


def test_bonding_curve_buy_out_is_capped_by_real_reserves():
    """A buy bigger than the curve holds gets only the real token reserves."""
    got = bonding_curve_buy_out(10**15, virtual_sol_reserves=30 * 10**9,
                                virtual_token_reserves=1_073 * 10**12,
                                real_token_reserves=793 * 10**12)
    assert got == 793 * 10**12


def test_clmm_step_agrees_with_constant_product_on_virtual_reserves():
    """Within a tick, a Whirlpool swap equals a cp swap on L/sqrtP and L*sqrtP (to rounding)."""
    liq, sp = 10**12, sqrt_price_x64_from_tick(-20_000)  # ~0.135 B per A
    step = clmm_swap_within_tick(10**8, liquidity=liq, sqrt_price_x64=sp, fee_rate=3000,
                                 a_to_b=True)
    x, y = liq * Q64 // sp, liq * sp // Q64
    cp = cp_swap_out(10**8, x, y, fee_numerator=3000, fee_denominator=1_000_000)
    assert abs(step.amount_out - cp) <= 2
    assert step.sqrt_price_x64 < sp
    assert step.fee_amount == -(-10**8 * 3000 // 1_000_000)
    back = clmm_swap_within_tick(step.amount_out, liquidity=liq, sqrt_price_x64=step.sqrt_price_x64,
                                 fee_rate=3000, a_to_b=False)
    assert back.amount_out < 10**8


def test_clmm_step_stops_at_the_price_limit():
    """A swap larger than the range stops at the boundary with input left over."""
    liq, sp = 10**9, sqrt_price_x64_from_tick(0)
    limit = sqrt_price_x64_from_tick(-10)
    step = clmm_swap_within_tick(10**12, liquidity=liq, sqrt_price_x64=sp, fee_rate=3000,
                                 a_to_b=True, sqrt_price_limit_x64=limit)
    assert step.is_limited
    assert step.sqrt_price_x64 == limit
    assert step.amount_in < 10**12
    with pytest.raises(RiskError, match="wrong side"):
        clmm_swap_within_tick(1, liquidity=liq, sqrt_price_x64=sp, fee_rate=3000, a_to_b=False,
                              sqrt_price_limit_x64=limit)


def test_sqrt_price_from_tick_matches_whirlpool_account():
    """The decoded Whirlpool's sqrt price lies between its tick's and the next tick's."""
    import base64

    from workbench.data.decoders import decode_whirlpool

    acc = json.loads((TX.parent / "rpc_accounts" / "orca-whirlpool__whirlpool_account.json")
                     .read_text())
    pool = decode_whirlpool(base64.b64decode(acc["data"]))
    lo = sqrt_price_x64_from_tick(pool.tick_current_index)
    hi = sqrt_price_x64_from_tick(pool.tick_current_index + 1)
    assert lo <= pool.sqrt_price_x64 < hi
