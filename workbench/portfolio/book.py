"""Fills -> positions, cash, realised and unrealised PnL in USD and in SOL; pure accounting.

Every token, cash included, is a position with an average cost in two books, USD and SOL.
A swap disposes of one token and acquires the other at the same value ``V`` (the quote
amount times the quote's USD price), so:

* the acquired side's cost basis grows by ``V``;
* the disposed side realises ``V - removed_cost`` where ``removed_cost`` is its average cost
  times the amount disposed;
* fees (lamports) dispose of SOL at the SOL mark and are counted apart as ``fees``.

Because the same ``removed_cost`` leaves the basis and enters realised PnL, the books balance
exactly: ``equity_now - equity_start == realised + unrealised - fees`` in each book (the
property test checks it on thousands of generated fill sequences).

Worked example: start with 1,000 USDC. Buy 2 SOL for 300 USDC paying 5,000 lamports at
SOL = $150: SOL basis $300; fee 0.000005 SOL = $0.00075 taken from the 2 SOL. Mark SOL at
$160: equity = 700 + 1.999995 * 160 = $1019.9992; unrealised = 1.999995 * 160 - (300 -
0.000005 * 150) = $20.0000; realised 0; fees $0.00075; 20.0000 - 0.00075 = 19.9992. ✓

Marks are USD per token (``{"SOL": Decimal("150")}``); USDC is the numeraire at exactly $1.
Amounts are human Decimals, exact images of on-chain base units. Short positions are not a
trading feature; a token goes negative only if fees exceed the SOL held, and the books still
balance.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import pandas as pd

from workbench.domain import LAMPORTS_PER_SOL, WELL_KNOWN, Fill, Side, Token
from workbench.errors import RiskError

__all__ = ["NUMERAIRE", "Portfolio", "PortfolioState", "Position", "replay_equity"]

NUMERAIRE = "USDC"
_ZERO = Decimal(0)
_ONE = Decimal(1)
_DAY_NS = 86_400 * 1_000_000_000
# Wide enough that amount (up to 18 decimals) times price never rounds in a product.
_CTX = decimal.Context(prec=60)


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """One token's holding and its books.

    Attributes:
        token: token symbol.
        amount: amount held, human units.
        cost_usd / cost_sol: cost basis of ``amount`` (average cost times amount).
        realised_usd / realised_sol: profit realised by disposals so far.
    """

    token: str
    amount: Decimal = _ZERO
    cost_usd: Decimal = _ZERO
    cost_sol: Decimal = _ZERO
    realised_usd: Decimal = _ZERO
    realised_sol: Decimal = _ZERO

    @property
    def avg_cost_usd(self) -> Decimal:
        """USD cost per token; 0 when flat."""
        return self.cost_usd / self.amount if self.amount else _ZERO

    @property
    def avg_cost_sol(self) -> Decimal:
        """SOL cost per token; 0 when flat."""
        return self.cost_sol / self.amount if self.amount else _ZERO

    def traded(self, qty: Decimal, value_usd: Decimal, value_sol: Decimal) -> Position:
        """The position after acquiring (``qty > 0``) or disposing (``qty < 0``) of ``|qty|``
        worth ``|value|`` (values carry ``qty``'s sign)."""
        amount, cost_usd, cost_sol = self.amount, self.cost_usd, self.cost_sol
        realised_usd, realised_sol = self.realised_usd, self.realised_sol
        if amount == 0 or (amount > 0) == (qty > 0):
            return replace(self, amount=amount + qty, cost_usd=cost_usd + value_usd,
                           cost_sol=cost_sol + value_sol)
        if abs(qty) <= abs(amount):
            close_qty, close_usd, close_sol = qty, value_usd, value_sol
        else:  # goes through zero: close all, open the rest at the trade's price
            close_qty = -amount
            close_usd = value_usd * close_qty / qty
            close_sol = value_sol * close_qty / qty
        share = -close_qty / amount  # fraction of the position closed, in (0, 1]
        removed_usd = cost_usd if share == 1 else cost_usd * share
        removed_sol = cost_sol if share == 1 else cost_sol * share
        return replace(
            self,
            amount=amount + qty,
            cost_usd=cost_usd - removed_usd + (value_usd - close_usd),
            cost_sol=cost_sol - removed_sol + (value_sol - close_sol),
            realised_usd=realised_usd - close_usd - removed_usd,
            realised_sol=realised_sol - close_sol - removed_sol,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioState:
    """A snapshot the risk gate can read (same fields as ``risk.PortfolioSnapshot``).

    Attributes:
        holdings: token -> amount held (tokens with a zero amount omitted).
        equity: USD.
        peak_equity: highest equity seen, USD.
        day_pnl: equity change since the UTC day began, USD.
        recent_order_ts: passed through from the caller (orders-per-minute window).
    """

    holdings: Mapping[str, Decimal]
    equity: Decimal
    peak_equity: Decimal
    day_pnl: Decimal
    recent_order_ts: tuple[int, ...] = ()


class Portfolio:
    """The book of one account: apply fills and marks, read positions, PnL and equity.

    Args:
        cash: initial holdings (token -> amount), booked at the current marks (so they start
            with zero unrealised PnL); non-USDC tokens need a mark.
        marks: initial USD marks (token -> price).
        tokens: token registry; fills on other tokens are rejected.
        fees_from_balance: fees reduce the SOL holding (true on chain).

    Example:
        >>> book = Portfolio(cash={"USDC": Decimal(1000)}, marks={"SOL": Decimal(150)})
        >>> book.apply_fill(fill)
        >>> book.set_marks({"SOL": Decimal(160)})
        >>> book.unrealised_usd, book.equity_usd
    """

    def __init__(
        self,
        *,
        cash: Mapping[str, Decimal] | None = None,
        marks: Mapping[str, Decimal] | None = None,
        tokens: Mapping[str, Token] = WELL_KNOWN,
        fees_from_balance: bool = True,
    ) -> None:
        self.tokens = dict(tokens)
        self.fees_from_balance = fees_from_balance
        self._marks: dict[str, Decimal] = {NUMERAIRE: _ONE}
        self._positions: dict[str, Position] = {}
        self.fees_usd = _ZERO
        self.fees_sol = _ZERO
        self.fees_lamports = 0
        self.fill_count = 0
        self._curve: list[tuple[int, float, float, float, float, float]] = []
        self._peak: Decimal | None = None
        self._day: int | None = None
        self._day_start_equity = _ZERO
        if marks:
            self.set_marks(marks)
        for token, amount in (cash or {}).items():
            self.deposit(token, amount)
        self.start_equity_usd = self.equity_usd
        self.start_equity_sol = self.equity_sol if "SOL" in self._marks else _ZERO

    # -- marks ---------------------------------------------------------------------------
    def set_marks(self, marks: Mapping[str, Decimal]) -> None:
        """Update USD marks.

        Raises:
            RiskError: a mark is not a finite positive Decimal, or names an unknown token, or
                tries to move the USDC numeraire off $1.
        """
        for token, price in marks.items():
            if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
                raise RiskError(f"Mark {token}={price!r} must be a finite positive Decimal USD "
                                "price.")
            if token not in self.tokens:
                raise RiskError(f"Mark for unknown token {token!r}; add it to tokens=.")
            if token == NUMERAIRE and price != _ONE:
                raise RiskError(f"{NUMERAIRE} is the numeraire and stays at $1, got {price}.")
            self._marks[token] = price

    @property
    def marks(self) -> dict[str, Decimal]:
        """Current USD marks (a copy)."""
        return dict(self._marks)

    def _mark(self, token: str) -> Decimal:
        try:
            return self._marks[token]
        except KeyError:
            raise RiskError(f"No USD mark for {token}; call set_marks({{{token!r}: price}}) "
                            "first.") from None

    # -- booking -------------------------------------------------------------------------
    def _position(self, token: str) -> Position:
        return self._positions.get(token) or Position(token=token)

    def _book(self, token: str, qty: Decimal, value_usd: Decimal) -> None:
        value_sol = value_usd / self._mark("SOL") if "SOL" in self._marks else _ZERO
        self._positions[token] = self._position(token).traded(qty, value_usd, value_sol)

    def deposit(self, token: str, amount: Decimal) -> None:
        """Book ``amount`` of ``token`` arriving at its current mark (no PnL)."""
        self._check_amount(f"deposit {token}", amount, allow_zero=True)
        if token not in self.tokens:
            raise RiskError(f"Deposit of unknown token {token!r}; add it to tokens=.")
        if amount:
            with decimal.localcontext(_CTX):
                self._book(token, amount, amount * self._mark(token))

    @staticmethod
    def _check_amount(what: str, value: Decimal, *, allow_zero: bool = False) -> None:
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or (
            value == 0 and not allow_zero
        ):
            raise RiskError(f"{what}: {value!r} must be a finite Decimal "
                            f"{'>= 0' if allow_zero else '> 0'}.")

    def apply_fill(self, fill: Fill) -> None:
        """Book one fill: base and quote change hands at the fill's value; fees leave SOL.

        If the base token has no mark yet it is marked at the fill price; the quote token
        must have a mark (USDC always does).

        Raises:
            RiskError: a NaN/zero/negative amount, a negative fee, an unknown token, or a
                needed mark is missing.
        """
        self._check_amount(f"fill {fill.client_order_id} base_amount", fill.base_amount)
        self._check_amount(f"fill {fill.client_order_id} quote_amount", fill.quote_amount)
        if not isinstance(fill.fee_lamports, int) or fill.fee_lamports < 0:
            raise RiskError(f"fill {fill.client_order_id} fee_lamports={fill.fee_lamports!r} "
                            "must be an int >= 0.")
        base, sep, quote = fill.symbol.partition("/")
        for token in (base, quote):
            if not sep or token not in self.tokens:
                raise RiskError(f"fill {fill.client_order_id}: {fill.symbol!r} has unknown token "
                                f"{token!r}; add it to the portfolio's tokens=.")
        with decimal.localcontext(_CTX):
            quote_usd = self._mark(quote)
            if base not in self._marks:
                self._marks[base] = fill.price * quote_usd
            if "SOL" not in self._marks:
                raise RiskError("No USD mark for SOL: the SOL book and fees need one; call "
                                "set_marks({'SOL': price}) first.")
            value = fill.quote_amount * quote_usd
            sign = 1 if fill.side is Side.BUY else -1
            self._book(base, sign * fill.base_amount, sign * value)
            self._book(quote, -sign * fill.quote_amount, -sign * value)
            if fill.fee_lamports:
                fee_sol = Decimal(fill.fee_lamports) / LAMPORTS_PER_SOL
                fee_usd = fee_sol * self._marks["SOL"]
                self.fees_lamports += fill.fee_lamports
                self.fees_sol += fee_sol
                self.fees_usd += fee_usd
                if self.fees_from_balance:
                    self._book("SOL", -fee_sol, -fee_usd)
                else:
                    self._book(NUMERAIRE, -fee_usd, -fee_usd)
        self.fill_count += 1

    def apply_fills(self, fills: Iterable[Fill]) -> None:
        """Book fills in order."""
        for fill in fills:
            self.apply_fill(fill)

    # -- reading -------------------------------------------------------------------------
    @property
    def positions(self) -> dict[str, Position]:
        """Token -> Position, including flat ones that realised PnL."""
        return dict(self._positions)

    @property
    def holdings(self) -> dict[str, Decimal]:
        """Token -> amount held, non-zero only."""
        return {t: p.amount for t, p in self._positions.items() if p.amount}

    @property
    def equity_usd(self) -> Decimal:
        """Sum of every holding at its USD mark."""
        with decimal.localcontext(_CTX):
            return sum((p.amount * self._mark(t) for t, p in self._positions.items()
                        if p.amount), _ZERO)

    @property
    def equity_sol(self) -> Decimal:
        """Equity in SOL at the SOL mark."""
        with decimal.localcontext(_CTX):
            return self.equity_usd / self._mark("SOL")

    @property
    def realised_usd(self) -> Decimal:
        """Realised PnL across tokens, USD (before fees)."""
        with decimal.localcontext(_CTX):
            return sum((p.realised_usd for p in self._positions.values()), _ZERO)

    @property
    def realised_sol(self) -> Decimal:
        """Realised PnL across tokens, SOL book (before fees)."""
        with decimal.localcontext(_CTX):
            return sum((p.realised_sol for p in self._positions.values()), _ZERO)

    @property
    def unrealised_usd(self) -> Decimal:
        """Mark value minus cost basis across tokens, USD."""
        with decimal.localcontext(_CTX):
            return sum((p.amount * self._mark(t) - p.cost_usd
                        for t, p in self._positions.items() if p.amount or p.cost_usd), _ZERO)

    @property
    def unrealised_sol(self) -> Decimal:
        """Mark value minus cost basis across tokens, SOL book."""
        with decimal.localcontext(_CTX):
            sol = self._mark("SOL")
            return sum((p.amount * self._mark(t) / sol - p.cost_sol
                        for t, p in self._positions.items() if p.amount or p.cost_sol), _ZERO)

    def snapshot(self, now_ns: int, *, recent_order_ts: tuple[int, ...] = ()) -> PortfolioState:
        """The state the risk gate reads, updating the peak and the day's start equity."""
        equity = self.equity_usd
        self._observe(now_ns, equity)
        assert self._peak is not None
        return PortfolioState(holdings=self.holdings, equity=equity, peak_equity=self._peak,
                              day_pnl=equity - self._day_start_equity,
                              recent_order_ts=recent_order_ts)

    def _observe(self, now_ns: int, equity: Decimal) -> None:
        self._peak = equity if self._peak is None else max(self._peak, equity)
        day = now_ns // _DAY_NS
        if day != self._day:
            self._day, self._day_start_equity = day, equity

    def record_equity(self, ts_ns: int) -> None:
        """Append one point to the equity curve (call on each bar or heartbeat)."""
        equity = self.equity_usd
        self._observe(ts_ns, equity)
        sol = self.equity_sol if "SOL" in self._marks else _ZERO
        self._curve.append((ts_ns, float(equity), float(sol), float(self.realised_usd),
                            float(self.unrealised_usd), float(self.fees_usd)))

    def equity_curve(self) -> pd.DataFrame:
        """The recorded equity curve.

        Returns:
            Index ``ts`` (UTC DatetimeIndex); float columns ``equity_usd``, ``equity_sol``,
            ``realised_usd``, ``unrealised_usd``, ``fees_usd``, ``drawdown_pct`` (from the
            running peak, >= 0). Floats for plotting; exact values live on the Portfolio.
        """
        columns = ["equity_usd", "equity_sol", "realised_usd", "unrealised_usd", "fees_usd"]
        if not self._curve:
            frame = pd.DataFrame(columns=columns, dtype=float)
            frame.index = pd.DatetimeIndex([], tz="UTC", name="ts")
        else:
            ts, *cols = zip(*self._curve, strict=True)
            frame = pd.DataFrame(dict(zip(columns, cols, strict=True)),
                                 index=pd.DatetimeIndex(pd.to_datetime(list(ts), utc=True),
                                                        name="ts"))
        peak = frame["equity_usd"].cummax()
        frame["drawdown_pct"] = ((peak - frame["equity_usd"]) / peak * 100).fillna(0.0)
        return frame

    def positions_frame(self) -> pd.DataFrame:
        """One row per token held or with realised PnL.

        Returns:
            Index ``token``; columns ``amount`` (Decimal), float ``avg_cost_usd``,
            ``mark_usd``, ``value_usd``, ``unrealised_usd``, ``realised_usd``,
            ``avg_cost_sol``, ``unrealised_sol``, ``realised_sol``.
        """
        rows = []
        sol = self._marks.get("SOL")
        for token, p in sorted(self._positions.items()):
            mark = self._marks.get(token)
            value = p.amount * mark if mark is not None else None
            rows.append({
                "token": token,
                "amount": p.amount,
                "avg_cost_usd": float(p.avg_cost_usd),
                "mark_usd": float(mark) if mark is not None else float("nan"),
                "value_usd": float(value) if value is not None else float("nan"),
                "unrealised_usd": float(value - p.cost_usd) if value is not None
                else float("nan"),
                "realised_usd": float(p.realised_usd),
                "avg_cost_sol": float(p.avg_cost_sol),
                "unrealised_sol": float(value / sol - p.cost_sol)
                if value is not None and sol else float("nan"),
                "realised_sol": float(p.realised_sol),
            })
        columns = ["token", "amount", "avg_cost_usd", "mark_usd", "value_usd", "unrealised_usd",
                   "realised_usd", "avg_cost_sol", "unrealised_sol", "realised_sol"]
        return pd.DataFrame(rows, columns=columns).set_index("token")


def replay_equity(
    fills: Iterable[Fill],
    prices: pd.DataFrame,
    *,
    cash: Mapping[str, Decimal],
    tokens: Mapping[str, Token] = WELL_KNOWN,
) -> tuple[Portfolio, pd.DataFrame]:
    """Replay fills over a price frame and return the book and its equity curve.

    Args:
        fills: fills in time order (``ts_event`` ns).
        prices: UTC DatetimeIndex, one float column of USD prices per token symbol (e.g.
            ``SOL``); each row marks the book after the fills up to that time.
        cash: initial holdings, booked at the first row's prices.
        tokens: token registry.

    Returns:
        ``(portfolio, equity_curve)``; the curve is :meth:`Portfolio.equity_curve`.
    """
    if prices.empty:
        raise RiskError("replay_equity needs at least one row of prices.")
    rows = list(prices.itertuples())
    columns = [str(c) for c in prices.columns]

    def row_marks(row: tuple[object, ...]) -> dict[str, Decimal]:
        return {c: Decimal(str(v)) for c, v in zip(columns, row[1:], strict=True)
                if c != NUMERAIRE and pd.notna(v)}

    book = Portfolio(cash=cash, marks=row_marks(rows[0]), tokens=tokens)
    pending = sorted(fills, key=lambda f: f.ts_event)
    i = 0
    for row in rows:
        ts = pd.Timestamp(row[0]).value  # type: ignore[arg-type]
        while i < len(pending) and pending[i].ts_event <= ts:
            book.apply_fill(pending[i])
            i += 1
        book.set_marks(row_marks(row))
        book.record_equity(ts)
    book.apply_fills(pending[i:])
    return book, book.equity_curve()
