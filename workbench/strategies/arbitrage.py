"""Cross-DEX arbitrage: buy on the cheap pool and sell on the dear one in one transaction.

Both legs are instructions of one atomic transaction (or one Jito bundle), so either both
fill or neither does: there is no leg risk and no inventory. A trade is taken when its profit
at the optimal size beats both pool fees, both price impacts, the network and priority fees
and the tip. The size is the closed-form optimum for two constant-product pools
(:func:`workbench.strategies._numeric.cp_two_pool_optimum`), capped by a fraction of the
thinner pool's depth and by the cash available.

Data: a frame with ``<venue>_price`` (quote per base) and ``<venue>_depth`` (quote reserve of
the pool, quote units) columns per venue, UTC-indexed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from workbench.domain import Fill, Side
from workbench.errors import SchemaError
from workbench.strategies._numeric import arb_best
from workbench.strategies.base import Decision, EventStrategy, require

__all__ = [
    "ArbitrageParams",
    "ArbitrageStrategy",
    "VenueSnapshot",
    "compute_arbitrage_signals",
    "venue_arrays",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArbitrageParams:
    """Cross-venue arbitrage of one pair.

    Attributes:
        venues: venue names; the data has ``<venue>_price`` and ``<venue>_depth`` columns.
        fee_bps: pool fee of each venue in bps, same order as ``venues`` (0..10000).
        max_depth_frac: the largest input as a fraction of the thinner pool's quote depth
            (0 < x <= 1).
        min_profit_quote: the least net profit worth a transaction, quote units (>= 0).
    """

    venues: tuple[str, ...] = ("a", "b")
    fee_bps: tuple[float, ...] = (25.0, 25.0)
    max_depth_frac: float = 0.05
    min_profit_quote: float = 0.0

    def __post_init__(self) -> None:
        require(len(self.venues) >= 2, f"arbitrage: venues={self.venues} needs at least two.",
                setting="venues")
        require(len(self.fee_bps) == len(self.venues),
                f"arbitrage: fee_bps={self.fee_bps} must have one entry per venue "
                f"({len(self.venues)} venues={self.venues}).", setting="fee_bps")
        require(all(0 <= float(f) < 10_000 for f in self.fee_bps),
                f"arbitrage: fee_bps={self.fee_bps} must each be in [0, 10000).",
                setting="fee_bps")
        require(0 < self.max_depth_frac <= 1,
                f"arbitrage: max_depth_frac={self.max_depth_frac} must be in (0, 1].",
                setting="max_depth_frac")
        require(self.min_profit_quote >= 0,
                f"arbitrage: min_profit_quote={self.min_profit_quote} must be >= 0.",
                setting="min_profit_quote")

    @property
    def gamma(self) -> np.ndarray:
        """1 - fee per venue."""
        return 1.0 - np.asarray([float(f) for f in self.fee_bps]) / 10_000.0


def venue_arrays(data: pd.DataFrame, venues: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(prices, depths) as ``(n_bars, n_venues)`` float arrays.

    Raises:
        SchemaError: a ``<venue>_price`` / ``<venue>_depth`` column is missing or not positive.
    """
    cols = [f"{v}_{k}" for v in venues for k in ("price", "depth")]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise SchemaError(
            f"arbitrage data lacks columns {missing}; have {list(data.columns)}. Build it with "
            "workbench.backtest.make_venue_frame."
        )
    prices = np.column_stack([data[f"{v}_price"].to_numpy(np.float64) for v in venues])
    depths = np.column_stack([data[f"{v}_depth"].to_numpy(np.float64) for v in venues])
    if not (np.isfinite(prices).all() and (prices > 0).all() and (depths > 0).all()):
        raise SchemaError("arbitrage data has NaN, zero or negative prices or depths.")
    return prices, depths


def compute_arbitrage_signals(
    data: pd.DataFrame, params: ArbitrageParams, *, fixed_cost_quote: float | np.ndarray = 0.0,
    cash: float = np.inf, min_quote: float = 0.0,
) -> pd.DataFrame:
    """Return a copy of ``data`` with the best trade per bar.

    Columns added: int ``buy_venue``/``sell_venue`` (index into ``params.venues``, -1 = no
    trade), float ``quote_in``, ``base``, ``quote_out``, ``profit`` (net of ``fixed_cost_quote``)
    and bool ``trade``. ``cash`` caps the input (the backtester passes its running cash).
    """
    prices, depths = venue_arrays(data, params.venues)
    n = prices.shape[0]
    fixed = np.broadcast_to(np.asarray(fixed_cost_quote, dtype=np.float64), (n,))
    gamma = params.gamma
    rows = [arb_best(prices[i], depths[i], gamma, fixed[i], cash, params.max_depth_frac,
                     min_quote) for i in range(n)]
    out = data.copy()
    arr = np.array(rows, dtype=np.float64).reshape(n, 5)
    out["buy_venue"] = arr[:, 0].astype(np.int64)
    out["sell_venue"] = arr[:, 1].astype(np.int64)
    out["quote_in"], out["base"], out["quote_out"] = arr[:, 2], arr[:, 3], arr[:, 4]
    out["profit"] = np.where(out["buy_venue"] >= 0, arr[:, 4] - arr[:, 2] - fixed, 0.0)
    out["trade"] = (out["buy_venue"] >= 0) & (out["profit"] > params.min_profit_quote)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueSnapshot:
    """Prices and pool depths of one pair on several venues at one time.

    Attributes:
        ts_event: UTC ns.
        prices: venue -> quote per base.
        depths: venue -> pool quote reserve, quote units.
        fixed_cost_quote: network + priority fee + tip of one transaction, in quote.
    """

    ts_event: int
    prices: dict[str, Decimal]
    depths: dict[str, Decimal]
    fixed_cost_quote: Decimal = Decimal(0)


class ArbitrageStrategy(EventStrategy[ArbitrageParams]):
    """Event shape: one atomic two-leg decision per snapshot when the spread pays.

    It sizes with its cash as the backtest kernel does: the input is capped by
    ``cash - fixed cost``, and when both legs of a decision have filled the cash moves by
    ``(sell quote - buy quote) - fixed cost``, the kernel's arithmetic in the kernel's order,
    so both shapes take the same trades even when cash binds (``tests/strategies``). The live
    engine may overwrite ``cash`` from its portfolio before each bar.

    Args:
        params: the strategy's parameters.
        init_cash: starting quote cash; None for unbounded (size by depth only).
        min_trade_quote: the least input worth a transaction (the cost model's minimum).
    """

    name = "arbitrage"

    def __init__(self, params: ArbitrageParams, *, init_cash: Decimal | float | None = None,
                 min_trade_quote: Decimal | float = 0.0) -> None:
        super().__init__(params)
        self.init_cash = init_cash
        self.min_trade_quote = float(min_trade_quote)

    def on_start(self) -> None:
        self.cash: float = float("inf") if self.init_cash is None else float(self.init_cash)
        self._pending: dict[str, float] = {}

    def on_bar(self, bar: VenueSnapshot) -> list[Decision]:
        p = self.params
        prices = np.array([float(bar.prices[v]) for v in p.venues])
        depths = np.array([float(bar.depths[v]) for v in p.venues])
        fixed = float(bar.fixed_cost_quote)
        i, j, q, base, out = arb_best.py_func(prices, depths, p.gamma, fixed, self.cash,
                                              p.max_depth_frac, self.min_trade_quote)
        if i < 0 or out - q - fixed <= p.min_profit_quote:
            return []
        self._pending = {"fixed": fixed}
        legs = ((p.venues[i], Side.BUY, Decimal(repr(float(q)))),
                (p.venues[j], Side.SELL, Decimal(repr(float(out)))))
        return [Decision(ts_event=bar.ts_event, side=Side.BUY, amount=Decimal(repr(float(base))),
                         reason="arb", legs=legs)]

    def on_fill(self, fill: Fill) -> None:
        """Book one leg; when both legs of the pending decision are in, move the cash."""
        if "fixed" not in self._pending:
            return
        key = "buy" if fill.side is Side.BUY else "sell"
        self._pending[key] = self._pending.get(key, 0.0) + float(fill.quote_amount)
        if "buy" in self._pending and "sell" in self._pending:
            d = self._pending
            self.cash += d["sell"] - d["buy"] - d["fixed"]
            self._pending = {}
