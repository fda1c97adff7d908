"""Swap math of the AMM curves the workbench trades on, in exact integer base units.

These functions are the DEX order book of the project: the backtester and the router call them
to price a size, so they are pure, typed, and round exactly as the programs do.

Constant product (Raydium AMM v4)
    The fee is taken from the input first: with Raydium's 25/10000 fee, 1_000_000 in becomes
    ``1_000_000 * 9975 // 10000 = 997_500`` that enters the curve; the output is
    ``reserve_out * in_after_fee // (reserve_in + in_after_fee)``, floored, so the pool never
    pays out a fraction of a base unit it does not have. This reproduces mainnet Raydium v4 swaps
    to the base unit (see tests/data/test_amm.py).

Concentrated liquidity (Orca Whirlpool), within one tick range
    With liquidity ``L`` and ``sqrt_price`` in Q64.64, the range behaves like a constant-product
    pool on virtual reserves ``x = L / sqrt(P)``, ``y = L * sqrt(P)``. The fee (``fee_rate`` in
    millionths) is rounded up and taken from the input. Selling A moves the sqrt price down to
    ``ceil(L * sp / (L + dx * sp / 2**64))``; selling B moves it up by ``dy * 2**64 / L``.

Bonding curve (Pump.fun)
    Constant product on virtual reserves; buys are capped by the real token reserves, and the
    protocol fee (basis points) is charged on the SOL side.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.errors import RiskError

__all__ = [
    "Q64",
    "RAYDIUM_FEE_DENOMINATOR",
    "RAYDIUM_FEE_NUMERATOR",
    "ClmmStep",
    "bonding_curve_buy_cost",
    "bonding_curve_buy_out",
    "bonding_curve_sell_out",
    "clmm_swap_within_tick",
    "cp_swap_in",
    "cp_swap_out",
    "sqrt_price_x64_from_tick",
]

RAYDIUM_FEE_NUMERATOR = 25
RAYDIUM_FEE_DENOMINATOR = 10_000
Q64 = 1 << 64


def _check_amount(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RiskError(f"{name}={value!r} must be an int of base units.")
    if value < 0:
        raise RiskError(f"{name}={value} must not be negative.")


def cp_swap_out(
    amount_in: int,
    reserve_in: int,
    reserve_out: int,
    *,
    fee_numerator: int = RAYDIUM_FEE_NUMERATOR,
    fee_denominator: int = RAYDIUM_FEE_DENOMINATOR,
) -> int:
    """Output of a constant-product swap with the fee taken from the input.

    Args:
        amount_in: exact input, base units.
        reserve_in / reserve_out: pool reserves of the input and output tokens, base units.
        fee_numerator / fee_denominator: the fee fraction (Raydium v4: 25/10000).

    Returns:
        Output amount in base units, floored as the program does.

    Raises:
        RiskError: negative or non-integer amounts, or an empty pool.

    Example:
        >>> cp_swap_out(1_000_000, 10**9, 10**9)
        996503
    """
    for name, v in (("amount_in", amount_in), ("reserve_in", reserve_in),
                    ("reserve_out", reserve_out)):
        _check_amount(name, v)
    if reserve_in == 0 or reserve_out == 0:
        raise RiskError(f"Empty pool (reserve_in={reserve_in}, reserve_out={reserve_out}).")
    in_after_fee = amount_in * (fee_denominator - fee_numerator) // fee_denominator
    return reserve_out * in_after_fee // (reserve_in + in_after_fee)


def cp_swap_in(
    amount_out: int,
    reserve_in: int,
    reserve_out: int,
    *,
    fee_numerator: int = RAYDIUM_FEE_NUMERATOR,
    fee_denominator: int = RAYDIUM_FEE_DENOMINATOR,
) -> int:
    """Smallest input that yields at least ``amount_out`` from a constant-product pool.

    Raises:
        RiskError: the pool cannot pay ``amount_out`` (it must stay below ``reserve_out``).
    """
    for name, v in (("amount_out", amount_out), ("reserve_in", reserve_in),
                    ("reserve_out", reserve_out)):
        _check_amount(name, v)
    if amount_out >= reserve_out:
        raise RiskError(
            f"amount_out={amount_out} is not below reserve_out={reserve_out}; no input buys it."
        )
    if amount_out == 0:
        return 0
    # in_after_fee >= reserve_in * out / (reserve_out - out), rounded up
    need = -(-reserve_in * amount_out // (reserve_out - amount_out))
    keep = fee_denominator - fee_numerator
    amount_in = -(-need * fee_denominator // keep)
    # floor division of the fee can leave us one unit short; step up until it pays
    while cp_swap_out(amount_in, reserve_in, reserve_out, fee_numerator=fee_numerator,
                      fee_denominator=fee_denominator) < amount_out:
        amount_in += 1
    return amount_in


@dataclass(frozen=True, slots=True, kw_only=True)
class ClmmStep:
    """Result of a concentrated-liquidity swap inside one tick range.

    Attributes:
        amount_in: input consumed including the fee, base units.
        amount_out: output paid, base units.
        fee_amount: fee part of ``amount_in``.
        sqrt_price_x64: the pool's sqrt price after the step (Q64.64).
        is_limited: True when the step stopped at ``sqrt_price_limit_x64`` with input left over
            (the rest must cross into the next tick range).
    """

    amount_in: int
    amount_out: int
    fee_amount: int
    sqrt_price_x64: int
    is_limited: bool


def _fee_up(amount: int, fee_rate: int) -> int:
    return -(-amount * fee_rate // 1_000_000)


def clmm_swap_within_tick(
    amount_in: int,
    *,
    liquidity: int,
    sqrt_price_x64: int,
    fee_rate: int,
    a_to_b: bool,
    sqrt_price_limit_x64: int | None = None,
) -> ClmmStep:
    """Swap an exact input through one tick range of a Whirlpool-style pool.

    Args:
        amount_in: exact input including the fee, base units.
        liquidity: active liquidity L of the range.
        sqrt_price_x64: current sqrt price, Q64.64.
        fee_rate: fee in millionths (Whirlpool ``fee_rate``; 3000 = 0.30%).
        a_to_b: True to sell token A for B (price falls), False to sell B for A.
        sqrt_price_limit_x64: the range boundary (or a price limit); the step stops there.

    Returns:
        A ClmmStep; when ``is_limited`` the remaining input must cross a tick.

    Raises:
        RiskError: non-positive liquidity or price, or a limit on the wrong side.
    """
    _check_amount("amount_in", amount_in)
    if liquidity <= 0 or sqrt_price_x64 <= 0:
        raise RiskError(f"liquidity={liquidity} and sqrt_price_x64={sqrt_price_x64} must be > 0.")
    if not 0 <= fee_rate < 1_000_000:
        raise RiskError(f"fee_rate={fee_rate} must be in 0..999999 millionths.")
    if sqrt_price_limit_x64 is not None and (
        (a_to_b and sqrt_price_limit_x64 > sqrt_price_x64)
        or (not a_to_b and sqrt_price_limit_x64 < sqrt_price_x64)
    ):
        raise RiskError(
            f"sqrt_price_limit_x64={sqrt_price_limit_x64} is on the wrong side of "
            f"sqrt_price_x64={sqrt_price_x64} for a_to_b={a_to_b}."
        )
    sp, liq = sqrt_price_x64, liquidity
    fee = _fee_up(amount_in, fee_rate)
    net = amount_in - fee
    if a_to_b:
        # new sqrt price from adding dx of A, rounded up (the pool keeps the rounding)
        new_sp = -(-(liq * sp * Q64) // (liq * Q64 + net * sp)) if net else sp
        if sqrt_price_limit_x64 is not None and new_sp < sqrt_price_limit_x64:
            new_sp = sqrt_price_limit_x64
            net = -(-(liq * Q64 * (sp - new_sp)) // (sp * new_sp))
            fee = -(-net * fee_rate // (1_000_000 - fee_rate))
            limited = True
        else:
            limited = False
        out = liq * (sp - new_sp) // Q64
    else:
        new_sp = sp + net * Q64 // liq
        if sqrt_price_limit_x64 is not None and new_sp > sqrt_price_limit_x64:
            new_sp = sqrt_price_limit_x64
            net = -(-(liq * (new_sp - sp)) // Q64)
            fee = -(-net * fee_rate // (1_000_000 - fee_rate))
            limited = True
        else:
            limited = False
        out = liq * Q64 * (new_sp - sp) // (new_sp * sp)
    return ClmmStep(
        amount_in=net + fee if limited else amount_in,
        amount_out=out,
        fee_amount=fee,
        sqrt_price_x64=new_sp,
        is_limited=limited,
    )


def sqrt_price_x64_from_tick(tick: int) -> int:
    """sqrt(1.0001**tick) in Q64.64, to the precision of a 60-digit Decimal."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        return int((Decimal("1.0001") ** tick).sqrt() * Q64)


def bonding_curve_buy_out(
    sol_in_lamports: int,
    *,
    virtual_sol_reserves: int,
    virtual_token_reserves: int,
    real_token_reserves: int,
    fee_bps: int = 100,
) -> int:
    """Tokens (base units) a Pump.fun buy of ``sol_in_lamports`` (fee included) receives.

    The fee is charged on the SOL side, so ``sol_in * 10000 // (10000 + fee_bps)`` reaches the
    curve; the output is capped by the real token reserves.
    """
    _check_amount("sol_in_lamports", sol_in_lamports)
    net = sol_in_lamports * 10_000 // (10_000 + fee_bps)
    out = virtual_token_reserves * net // (virtual_sol_reserves + net)
    return min(out, real_token_reserves)


def bonding_curve_buy_cost(
    token_amount: int,
    *,
    virtual_sol_reserves: int,
    virtual_token_reserves: int,
    fee_bps: int = 100,
) -> tuple[int, int]:
    """(sol_cost, fee) in lamports for buying exactly ``token_amount``, as the program computes.

    Pump.fun: ``sol_cost = token_amount * v_sol // (v_token - token_amount) + 1`` and
    ``fee = sol_cost * fee_bps // 10000`` on top.

    Raises:
        RiskError: ``token_amount`` is not below the virtual token reserves.
    """
    _check_amount("token_amount", token_amount)
    if token_amount >= virtual_token_reserves:
        raise RiskError(
            f"token_amount={token_amount} must be below virtual_token_reserves="
            f"{virtual_token_reserves}."
        )
    cost = token_amount * virtual_sol_reserves // (virtual_token_reserves - token_amount) + 1
    return cost, cost * fee_bps // 10_000


def bonding_curve_sell_out(
    token_amount: int,
    *,
    virtual_sol_reserves: int,
    virtual_token_reserves: int,
    fee_bps: int = 100,
) -> tuple[int, int]:
    """(sol_out_after_fee, fee) in lamports for selling ``token_amount`` into the curve."""
    _check_amount("token_amount", token_amount)
    gross = token_amount * virtual_sol_reserves // (virtual_token_reserves + token_amount)
    fee = gross * fee_bps // 10_000
    return gross - fee, fee
