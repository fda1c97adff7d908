"""How much to buy: fixed fractional, volatility targeting, capped Kelly, then the bounds.

The three models answer "what fraction of equity" (or "what amount") from different evidence;
:func:`size_order` turns any of them into an order amount the chain can carry: clipped to the
minimum/maximum notional and the market's depth, then rounded *down* to whole base units with
``to_raw`` (rounding up could spend more than the budget).

Worked example (fixed fractional with a stop): equity $10,000, risk 1% per trade, SOL at
$150 with the stop at $142.50: the stop distance is $7.50 per SOL, so the budget $100 buys
100 / 7.5 = 13.333333333 SOL (rounded down to 9 decimals), a $2,000 position.

Statistics (volatility, win rate) arrive as floats from pandas; they are converted with
``Decimal(str(x))`` and must be finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import numpy as np
import pandas as pd

from workbench.domain import Token, from_raw, to_raw
from workbench.errors import RiskError

__all__ = [
    "SizedOrder",
    "capped_kelly",
    "fixed_fractional",
    "kelly_fraction",
    "realised_volatility",
    "size_order",
    "volatility_target",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)


def _dec(name: str, value: Decimal | float | int, *, positive: bool = False) -> Decimal:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RiskError(f"{name}={value!r} must be finite.")
        value = Decimal(str(value))
    elif isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise RiskError(f"{name}={value!r} must be a finite number.")
    if value < 0 or (positive and value == 0):
        raise RiskError(f"{name}={value} must be {'> 0' if positive else '>= 0'}.")
    return value


def fixed_fractional(
    equity: Decimal,
    fraction: Decimal | float,
    price: Decimal,
    *,
    stop_price: Decimal | None = None,
) -> Decimal:
    """Base amount risking ``fraction`` of equity (unrounded).

    Without a stop, ``fraction`` of equity is spent: ``equity * fraction / price``. With a stop,
    ``fraction`` of equity is what is lost if the stop is hit:
    ``equity * fraction / (price - stop_price)``.

    Raises:
        RiskError: negative or non-finite inputs, ``fraction`` above 1, a stop at or above
            the price.
    """
    equity = _dec("equity", equity)
    fraction = _dec("fraction", fraction)
    price = _dec("price", price, positive=True)
    if fraction > 1:
        raise RiskError(f"fraction={fraction} must be at most 1 (it is a share of equity).")
    if stop_price is None:
        return equity * fraction / price
    stop_price = _dec("stop_price", stop_price)
    if stop_price >= price:
        raise RiskError(f"stop_price={stop_price} must be below price={price} for a long.")
    return equity * fraction / (price - stop_price)


def volatility_target(
    equity: Decimal,
    price: Decimal,
    *,
    target_vol: Decimal | float,
    asset_vol: Decimal | float,
    max_leverage: Decimal | float = _ONE,
) -> Decimal:
    """Base amount whose volatility is ``target_vol`` of equity (unrounded).

    Weight = ``min(target_vol / asset_vol, max_leverage)``; amount = ``equity * weight / price``.
    Both vols must be over the same horizon (e.g. annualised).

    Raises:
        RiskError: non-finite or negative inputs, or ``asset_vol`` of zero.
    """
    equity = _dec("equity", equity)
    price = _dec("price", price, positive=True)
    target = _dec("target_vol", target_vol)
    vol = _dec("asset_vol", asset_vol, positive=True)
    leverage = _dec("max_leverage", max_leverage)
    weight = min(target / vol, leverage)
    return equity * weight / price


def kelly_fraction(
    win_rate: Decimal | float,
    win_loss_ratio: Decimal | float,
    *,
    multiplier: Decimal | float = Decimal("0.5"),
    cap: Decimal | float = Decimal("0.25"),
) -> Decimal:
    """Capped, scaled Kelly fraction ``clip(multiplier * (p - (1 - p) / b), 0, cap)``.

    Full Kelly maximises log growth only when ``p`` and ``b`` are known exactly; estimates are
    noisy, so half Kelly (``multiplier=0.5``) and a hard cap are the usual guard. A negative
    edge gives 0 (do not trade), never a short.

    Args:
        win_rate: probability of a winning trade, 0..1.
        win_loss_ratio: average win / average loss, > 0.
        multiplier: fraction of full Kelly.
        cap: the largest fraction of equity returned.
    """
    p = _dec("win_rate", win_rate)
    b = _dec("win_loss_ratio", win_loss_ratio, positive=True)
    m = _dec("multiplier", multiplier)
    c = _dec("cap", cap)
    if p > 1:
        raise RiskError(f"win_rate={p} must be a probability in 0..1.")
    full = p - (_ONE - p) / b
    return max(_ZERO, min(c, m * full))


def capped_kelly(
    equity: Decimal,
    price: Decimal,
    *,
    win_rate: Decimal | float,
    win_loss_ratio: Decimal | float,
    multiplier: Decimal | float = Decimal("0.5"),
    cap: Decimal | float = Decimal("0.25"),
) -> Decimal:
    """Base amount for the capped Kelly fraction of equity (unrounded)."""
    fraction = kelly_fraction(win_rate, win_loss_ratio, multiplier=multiplier, cap=cap)
    return _dec("equity", equity) * fraction / _dec("price", price, positive=True)


def realised_volatility(close: pd.Series, *, periods_per_year: int) -> float:
    """Annualised standard deviation of log returns of ``close`` (float, a statistic).

    Raises:
        RiskError: fewer than 3 prices or a non-positive price.
    """
    values = close.to_numpy(dtype=float)
    if len(values) < 3:
        raise RiskError(f"realised_volatility needs at least 3 prices, got {len(values)}.")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise RiskError("realised_volatility: prices must be finite and positive.")
    returns = np.diff(np.log(values))
    return float(returns.std(ddof=1) * math.sqrt(periods_per_year))


@dataclass(frozen=True, slots=True, kw_only=True)
class SizedOrder:
    """An amount ready for an order.

    Attributes:
        amount: base amount in human units, a whole number of base units.
        amount_raw: the same in base units.
        notional: ``amount * price * quote_usd``, USD.
        capped_by: which bound cut it ("max_notional", "max_amount", "depth"), or None.
        is_tradeable: False when it fell below a minimum (amount is then 0).
    """

    amount: Decimal
    amount_raw: int
    notional: Decimal
    capped_by: str | None = None
    is_tradeable: bool = True


def size_order(
    amount: Decimal,
    price: Decimal,
    token: Token,
    *,
    quote_usd: Decimal = _ONE,
    min_notional: Decimal = _ZERO,
    max_notional: Decimal | None = None,
    min_amount: Decimal = _ZERO,
    max_amount: Decimal | None = None,
    depth_usd: Decimal | None = None,
    max_depth_fraction: Decimal = Decimal("0.1"),
) -> SizedOrder:
    """Clip a model's amount to the bounds and round it down to the token's base units.

    Args:
        amount: the model's base amount (any precision).
        price: quote per base.
        token: the base token (its decimals set the rounding).
        quote_usd: USD per quote unit (1 for USDC).
        min_notional / max_notional: USD bounds; below the minimum nothing is traded.
        min_amount / max_amount: base-amount bounds.
        depth_usd: liquidity within the allowed price impact, USD; the order's notional is
            kept at or below ``max_depth_fraction`` of it.
        max_depth_fraction: share of depth one order may take.

    Raises:
        RiskError: a negative or non-finite input.
    """
    amount = _dec("amount", amount)
    price = _dec("price", price, positive=True)
    quote_usd = _dec("quote_usd", quote_usd, positive=True)
    unit_usd = price * quote_usd
    capped_by: str | None = None
    bounds: list[tuple[str, Decimal]] = []
    if max_notional is not None:
        bounds.append(("max_notional", _dec("max_notional", max_notional) / unit_usd))
    if max_amount is not None:
        bounds.append(("max_amount", _dec("max_amount", max_amount)))
    if depth_usd is not None:
        fraction = _dec("max_depth_fraction", max_depth_fraction)
        bounds.append(("depth", _dec("depth_usd", depth_usd) * fraction / unit_usd))
    for name, bound in bounds:
        if bound < amount:
            amount, capped_by = bound, name
    raw = to_raw(amount, token.decimals, rounding=ROUND_DOWN)
    rounded = from_raw(raw, token.decimals)
    notional = rounded * unit_usd
    if raw <= 0 or rounded < _dec("min_amount", min_amount) or notional < _dec(
        "min_notional", min_notional
    ):
        return SizedOrder(amount=_ZERO, amount_raw=0, notional=_ZERO, capped_by=capped_by,
                          is_tradeable=False)
    return SizedOrder(amount=rounded, amount_raw=raw, notional=notional, capped_by=capped_by)
