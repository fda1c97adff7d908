"""A trading session: one wallet, one pair, the risk gate, the router, the executor, the ledger.

This is the path every manual order takes (``workbench trade swap`` and the paper-trading
notebook), so they cannot differ:

1. ``swap(spend, receive, amount)`` becomes a domain :class:`~workbench.domain.Order` of the
   pair priced at the mark (the deepest local pool's spot price, quote per base);
2. the ONE risk gate (:class:`~workbench.risk.RiskGate`) checks it against a portfolio
   snapshot built from the wallet's on-chain balances; a rejection is stored (order REJECTED
   and a risk event) and nothing is signed; a resize is stored as a risk event and the smaller
   order goes on;
3. :class:`~workbench.execution.ledger_hooks.LedgerHooks` stores the order, the signed intent
   before the first send, and the fills measured on chain;
4. :meth:`TradingSession.reconcile` compares the ledger (opening balances + this session's
   fills read back from the store) with the chain, in integer base units.

Accounting convention (as in ``workbench.jobs.reconcile``): native lamports count as SOL under
the wrapped-SOL mint, and each fill's network fee leaves SOL, so fees reconcile exactly too.

Worked example of a buy's size: spend 100 USDC at a mark of 150 USDC/SOL is an order for
``100 / 150 = 0.666666666`` SOL (rounded down to 9 decimals). Accepted unchanged, the swap
spends exactly the 100 USDC asked; resized to ``a`` SOL it spends ``a * 150`` USDC rounded
down to 6 decimals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import pandas as pd
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from workbench.chain.base import Chain
from workbench.chain.litesvm import LiteSVMChain
from workbench.chain.programs import NATIVE_MINT
from workbench.domain import (
    Fill,
    Order,
    OrderStatus,
    Pair,
    Side,
    Token,
    from_raw,
    new_client_order_id,
    to_raw,
)
from workbench.errors import ConfigError, WorkbenchError
from workbench.execution.executor import Executor, ExecutorConfig, SwapFill, SwapIntent
from workbench.execution.keystore import Wallet
from workbench.execution.ledger_hooks import NATIVE_KEY, LedgerHooks, pool_owners_of
from workbench.execution.local_amm import LocalAmmVenue, LocalMarket
from workbench.execution.router import Router
from workbench.portfolio import Portfolio, reconcile
from workbench.risk import Action, Decision, PortfolioSnapshot, RiskGate, decision_event
from workbench.store import Store, ledger

__all__ = [
    "LocalSetup",
    "SwapOutcome",
    "TradingSession",
    "fills_from_frame",
    "open_local_market",
    "outcomes_frame",
]

_MINUTE_NS = 60_000_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalSetup:
    """Local pools on LiteSVM and a funded owner (see :func:`open_local_market`).

    Attributes:
        chain: the in-process chain.
        market: mints and pools (the paper faucet).
        pair: the pair (SOL/USDC on their mainnet mints).
        venues: one venue per pool.
    """

    chain: LiteSVMChain
    market: LocalMarket
    pair: Pair
    venues: list[LocalAmmVenue]


def open_local_market(
    prices: Sequence[str | Decimal] = ("150",),
    *,
    owner: Pubkey,
    wallet_sol: Decimal | str = "10",
    wallet_usdc: Decimal | str = "10000",
    fee_sol: Decimal | str = "1",
    base_reserve_sol: int = 1_000,
    fee_bps: int = 25,
) -> LocalSetup:
    """SOL/USDC pools at ``prices`` on a fresh LiteSVM chain, and ``owner`` funded there.

    Funding is done by the market's faucet with real transactions (airdrop, wrap, mint), so
    the owner's key is not needed until it signs a swap. Both token accounts are created up
    front: no rent is paid while trading, so ledger and chain match to the lamport.

    Args:
        prices: one pool per price, USDC per SOL.
        owner: the wallet to fund (e.g. a keystore wallet's pubkey).
        wallet_sol: wrapped SOL to trade with.
        wallet_usdc: USDC to trade with.
        fee_sol: native SOL for network fees.
        base_reserve_sol: SOL in each pool (its USDC side is ``price`` times that).
        fee_bps: pool fee on the input.

    Raises:
        ConfigError: no price, or a non-positive price or negative balance.
    """
    prices = [Decimal(p) for p in prices]
    amounts = {"wallet_sol": Decimal(wallet_sol), "wallet_usdc": Decimal(wallet_usdc),
               "fee_sol": Decimal(fee_sol)}
    if not prices or any(not p.is_finite() or p <= 0 for p in prices):
        raise ConfigError(f"Pool prices {[str(p) for p in prices]} must be one or more "
                          "positive numbers (USDC per SOL).", setting="price")
    for name, value in amounts.items():
        if not value.is_finite() or value < 0:
            raise ConfigError(f"{name}={value} must be >= 0.", setting=name)
    chain = LiteSVMChain()
    market = LocalMarket(chain)
    sol, usdc = market.token("SOL"), market.token("USDC")
    venues = [LocalAmmVenue(market, market.create_pool(
        sol, usdc, base_reserve_raw=base_reserve_sol * 10**9,
        quote_reserve_raw=to_raw(p * base_reserve_sol, usdc.decimals), fee_bps=fee_bps))
        for p in prices]
    chain.airdrop(owner, to_raw(amounts["fee_sol"], 9))
    market.fund(owner, sol, to_raw(amounts["wallet_sol"], sol.decimals))
    market.fund(owner, usdc, to_raw(amounts["wallet_usdc"], usdc.decimals))
    return LocalSetup(chain=chain, market=market, pair=Pair(base=sol, quote=usdc),
                      venues=venues)


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapOutcome:
    """What one gated swap did.

    Attributes:
        decision: the risk gate's answer (ACCEPT, RESIZE or REJECT, with rule and detail).
        order: the order sent (the resized one after a RESIZE), or the refused one.
        spend: the token spent and ``spend_raw`` its base units (0 when rejected).
        fill: the executor's fill measured on chain; None when rejected.
        fills: the fills the ledger holds for the order, read back from the store.
    """

    decision: Decision
    order: Order
    spend: Token
    spend_raw: int
    fill: SwapFill | None
    fills: tuple[Fill, ...]

    @property
    def is_rejected(self) -> bool:
        """True when the gate refused the order (nothing was signed or sent)."""
        return self.decision.action is Action.REJECT


def outcomes_frame(outcomes: Sequence[SwapOutcome]) -> pd.DataFrame:
    """One row per outcome, for notebooks.

    Columns: ``client_order_id``, ``side``, ``action`` (accept/resize/reject), ``rule`` and
    ``detail`` (the gate's), ``spend`` (symbol), ``spend_raw`` (int), ``out_raw`` (int, the
    fill's output, 0 when rejected), ``venues`` and ``signature`` (None when rejected).
    """
    rows = [{
        "client_order_id": o.order.client_order_id, "side": str(o.order.side),
        "action": str(o.decision.action),
        "rule": None if o.decision.rule is None else str(o.decision.rule),
        "detail": o.decision.detail, "spend": o.spend.symbol, "spend_raw": o.spend_raw,
        "out_raw": o.fill.out_amount_raw if o.fill else 0,
        "venues": ",".join(o.fill.venues) if o.fill else None,
        "signature": o.fill.signature if o.fill else None,
    } for o in outcomes]
    return pd.DataFrame(rows, columns=["client_order_id", "side", "action", "rule", "detail",
                                       "spend", "spend_raw", "out_raw", "venues", "signature"])


def _local_spot(venues: Sequence[object], pair: Pair) -> Decimal | None:
    """Spot price (quote per base) of the deepest local pool of ``pair``, None if none."""
    best: tuple[int, Decimal] | None = None
    for venue in venues:
        if not isinstance(venue, LocalAmmVenue):
            continue
        pool = venue.pool
        if {pool.base.mint, pool.quote.mint} != {pair.base.mint, pair.quote.mint}:
            continue
        base_raw, quote_raw = venue.market.reserves(pool)
        spot = venue.market.spot_price(pool)
        if pool.base.mint != pair.base.mint:  # pool quoted the other way round
            spot, quote_raw = 1 / spot, base_raw
        if best is None or quote_raw > best[0]:
            best = (quote_raw, spot)
    return None if best is None else best[1]


def fills_from_frame(frame: pd.DataFrame) -> list[Fill]:
    """Domain fills from a :func:`workbench.store.ledger.load_fills` frame, oldest first."""
    rows = frame.iloc[::-1]
    return [Fill(client_order_id=r.client_order_id, symbol=r.symbol, side=Side(r.side),
                 base_amount=Decimal(r.base_amount), quote_amount=Decimal(r.quote_amount),
                 fee_lamports=int(r.fee_lamports), venue=r.venue, signature=r.signature,
                 ts_event=int(pd.Timestamp(r.ts_event).value))
            for r in rows.itertuples(index=False)]


class TradingSession:
    """Gated swaps for one wallet on one pair, recorded in the ledger.

    Args:
        chain: where the venues live and the executor sends (LiteSVM in paper mode).
        wallet: the signer (a keystore :class:`Wallet`, or a Keypair in tests).
        venues: enabled venues of the pair; the router splits when it has two or more.
        pair: the traded pair.
        store: the ledger, migrated.
        gate: the risk gate (``RiskGate(limits=limits_from_settings(settings.risk))``).
        strategy: name stored on orders and fills.
        mode: ``paper`` or ``live``, stored on orders.
        config: executor settings (default: no pauses, which LiteSVM does not need).
        marks: ``() -> {symbol: USD price}``; default: the base token at the deepest local
            pool's spot price (a cash quote token counts as $1 in the gate).
        clock: ``() -> ns`` for orders' ``ts_init`` and fills' ``ts_event``.

    Example:
        >>> session = TradingSession(chain=chain, wallet=wallet, venues=venues, pair=pair,
        ...                          store=store, gate=RiskGate(limits=limits))
        >>> await session.start()
        >>> outcome = await session.swap("USDC", "SOL", "100")
        >>> session.reconcile()   # empty: ledger == chain
    """

    def __init__(
        self,
        *,
        chain: Chain,
        wallet: Wallet | Keypair,
        venues: Sequence[object],
        pair: Pair,
        store: Store,
        gate: RiskGate,
        strategy: str = "manual",
        mode: str = "paper",
        config: ExecutorConfig | None = None,
        marks: Callable[[], Mapping[str, Decimal]] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.chain = chain
        self.pair = pair
        self.store = store
        self.gate = gate
        self.strategy = strategy
        self.clock = clock
        self.owner = wallet.pubkey if isinstance(wallet, Wallet) else wallet.pubkey()
        self.router = Router(list(venues), split=len(venues) > 1)  # type: ignore[arg-type]
        self.hooks = LedgerHooks(store, owner=self.owner, pairs=[pair], chain=chain,
                                 pool_owners=pool_owners_of(venues), mode=mode,
                                 strategy=strategy)
        self.executor = Executor(
            chain, wallet, self.router, hooks=self.hooks, clock=clock,
            config=config or ExecutorConfig(poll_interval_s=0, resend_interval_s=0))
        self._venues = list(venues)
        self._marks = marks
        self.opening: dict[str, tuple[int, int]] | None = None
        self.order_ids: list[str] = []
        self._peak = Decimal(0)

    def __repr__(self) -> str:
        return (f"TradingSession({self.pair.symbol}, owner={self.owner}, "
                f"orders={len(self.order_ids)})")

    # --- state ------------------------------------------------------------------------------

    async def start(self) -> dict[str, tuple[int, int]]:
        """Snapshot the opening balances (stored in ``balance_snapshots``) and return them."""
        self.opening = await self.hooks.save_balances(ts=self.clock())
        return self.opening

    def close(self) -> None:
        """Release the ledger hooks' database connection and checkpoint thread."""
        self.hooks.close()

    def marks(self) -> dict[str, Decimal]:
        """USD marks by symbol (see the ``marks`` argument).

        Raises:
            ConfigError: no marks callable and no local pool of the pair to price it.
        """
        if self._marks is not None:
            return dict(self._marks())
        spot = _local_spot(self._venues, self.pair)
        if spot is None:
            raise ConfigError(f"No local pool of {self.pair.symbol} to mark it; pass marks=.",
                              setting="marks")
        return {self.pair.base.symbol: spot}

    def _recent_order_ts(self, now: int) -> tuple[int, ...]:
        """Accepted orders of the last minute from the ledger (the rate limit spans runs)."""
        frame = ledger.load_orders(self.store, limit=1_000)
        if frame.empty:
            return ()
        sent = frame[frame["status"] != str(OrderStatus.REJECTED)]
        ts = sorted(int(t.value) for t in sent["ts_created"])
        return tuple(t for t in ts if now - _MINUTE_NS < t <= now)

    async def snapshot(self, marks: Mapping[str, Decimal], now: int) -> PortfolioSnapshot:
        """The gate's view of the wallet: its token balances on chain, valued at ``marks``.

        Holdings are the token accounts (what a swap can spend); native SOL pays fees and is
        left out. Peak equity is the highest seen in this session; day PnL is not tracked
        here (0), so the daily-loss rule only binds in the engine.
        """
        balances = await self.hooks.balances()
        holdings: dict[str, Decimal] = {}
        equity = Decimal(0)
        for token in (self.pair.base, self.pair.quote):
            amount = from_raw(balances[str(token.mint)][0], token.decimals)
            holdings[token.symbol] = amount
            usd = marks.get(token.symbol)
            if usd is None and token.symbol in self.gate.limits.cash_tokens:
                usd = Decimal(1)
            equity += amount * (usd or Decimal(0))
        self._peak = max(self._peak, equity)
        return PortfolioSnapshot(holdings=holdings, equity=equity, peak_equity=self._peak,
                                 recent_order_ts=self._recent_order_ts(now))

    def _token(self, symbol: str | Token) -> Token:
        if isinstance(symbol, Token):
            return symbol
        for token in (self.pair.base, self.pair.quote):
            if token.symbol == symbol.upper():
                return token
        raise ConfigError(f"{self.pair.symbol} trades {self.pair.base.symbol} and "
                          f"{self.pair.quote.symbol}; got {symbol!r}.", setting="token")

    # --- trading ----------------------------------------------------------------------------

    def order_for(self, spend: Token, receive: Token, amount: Decimal, *, price: Decimal,
                  slippage_bps: int, venue: str | None = None) -> Order:
        """The domain order for spending ``amount`` of ``spend`` to get ``receive``.

        Raises:
            ConfigError: ``spend``/``receive`` are not the pair's two tokens.
        """
        base, quote = self.pair.base, self.pair.quote
        if {spend.mint, receive.mint} != {base.mint, quote.mint} or spend.mint == receive.mint:
            raise ConfigError(f"Swap {spend.symbol} -> {receive.symbol} is not a trade of "
                              f"{self.pair.symbol}.", setting="token")
        if spend.mint == quote.mint:
            side = Side.BUY
            size = (amount / price).quantize(Decimal(1).scaleb(-base.decimals), ROUND_DOWN)
        else:
            side = Side.SELL
            size = amount
        return Order(client_order_id=new_client_order_id(self.strategy[:8] or "wb"),
                     strategy=self.strategy, symbol=self.pair.symbol, side=side, amount=size,
                     price=price, max_slippage_bps=slippage_bps, venue=venue,
                     ts_init=self.clock())

    async def swap(self, spend: str | Token, receive: str | Token, amount: Decimal | str, *,
                   slippage_bps: int = 50, venue: str | None = None) -> SwapOutcome:
        """Gate, route, execute and record one swap; returns what happened.

        Args:
            spend / receive: the pair's tokens (symbols or Tokens).
            amount: how much of ``spend`` to spend, human units.
            slippage_bps: the order's tolerance (the gate caps it) and the route's floor.
            venue: force one venue; None lets the router choose (and split).

        Returns:
            A :class:`SwapOutcome`; a rejection is an outcome, not an exception.

        Raises:
            ConfigError: unknown tokens or a non-positive amount.
            OrderRejected / TxError / VenueError: routing or execution failed after the gate
                (the ledger holds the order's final status).
        """
        tin, tout = self._token(spend), self._token(receive)
        amount = Decimal(amount)
        if not amount.is_finite() or amount <= 0:
            raise ConfigError(f"Swap amount {amount} must be positive.", setting="amount")
        marks = self.marks()
        price = marks[self.pair.base.symbol] / marks.get(self.pair.quote.symbol, Decimal(1))
        order = self.order_for(tin, tout, amount, price=price, slippage_bps=slippage_bps,
                               venue=venue)
        decision = self.gate.check(order, await self.snapshot(marks, order.ts_init), marks)
        event = decision_event(decision)
        if decision.action is Action.REJECT:
            ledger.save_order(self.store, order, status=OrderStatus.REJECTED, mode=self.hooks.mode,
                              reason=f"{decision.rule}: {decision.detail}"[:500])
            if event is not None:
                ledger.record_risk_event(self.store, event)
            self.order_ids.append(order.client_order_id)
            return SwapOutcome(decision=decision, order=order, spend=tin, spend_raw=0, fill=None,
                               fills=())
        if event is not None:
            ledger.record_risk_event(self.store, event)
        sent = decision.order
        if decision.action is Action.ACCEPT:
            spend_raw = to_raw(amount, tin.decimals, rounding=ROUND_DOWN)
        elif sent.side is Side.BUY:
            spend_raw = to_raw(sent.amount * sent.price, tin.decimals, rounding=ROUND_DOWN)
        else:
            spend_raw = to_raw(sent.amount, tin.decimals, rounding=ROUND_DOWN)
        coid = sent.client_order_id
        self.hooks.track(sent, self.pair)
        self.order_ids.append(coid)
        try:
            fill = await self.executor.execute(SwapIntent(
                client_order_id=coid, input_mint=str(tin.mint), output_mint=str(tout.mint),
                in_amount_raw=spend_raw, slippage_bps=slippage_bps, venue=venue))
        except WorkbenchError as exc:
            if ledger.order_status(self.store, coid) is OrderStatus.ACCEPTED:
                # refused before anything was signed (no route, unknown venue)
                ledger.set_order_status(self.store, coid, OrderStatus.REJECTED,
                                        reason=str(exc)[:500])
            raise
        fills = fills_from_frame(self.ledger_fills(coid))
        return SwapOutcome(decision=decision, order=sent, spend=tin, spend_raw=spend_raw,
                           fill=fill, fills=tuple(fills))

    # --- ledger and chain -------------------------------------------------------------------

    def ledger_fills(self, client_order_id: str | None = None) -> pd.DataFrame:
        """This session's fills as stored in the ledger (``load_fills`` columns), newest first."""
        if client_order_id is not None:
            return ledger.load_fills(self.store, client_order_id=client_order_id)
        frame = ledger.load_fills(self.store)
        return frame[frame["client_order_id"].isin(self.order_ids)].reset_index(drop=True)

    async def chain_raw(self) -> dict[str, int]:
        """The wallet on chain by mint, native lamports counted under wrapped SOL."""
        balances = await self.hooks.balances()
        out = {m: raw for m, (raw, _) in balances.items() if m != NATIVE_KEY}
        out[str(NATIVE_MINT)] = out.get(str(NATIVE_MINT), 0) + balances[NATIVE_KEY][0]
        return out

    async def reconcile(self, *, include_matches: bool = True) -> pd.DataFrame:
        """The ledger (opening balances + this session's stored fills) against the chain.

        Returns:
            :func:`workbench.portfolio.reconcile` rows (``ledger_raw``, ``chain_raw``,
            ``diff_raw``, ``status`` per token; all rows when ``include_matches``, else the
            differences only) plus ``opening_raw``, the balance at :meth:`start`: so
            ``ledger_raw - opening_raw`` is what the fills say moved and
            ``chain_raw - opening_raw`` what the chain moved.

        Raises:
            ConfigError: :meth:`start` was not called (no opening balances).
        """
        if self.opening is None:
            raise ConfigError("Call `await session.start()` before trading so the opening "
                              "balances are known.", setting="opening")
        tokens = {t.symbol: t for t in (self.pair.base, self.pair.quote)}
        book = Portfolio(marks=self.marks(), tokens=tokens)
        opening: dict[str, int] = {}
        for token in tokens.values():
            raw = self.opening[str(token.mint)][0]
            if token.mint == NATIVE_MINT:
                raw += self.opening[NATIVE_KEY][0]
            opening[str(token.mint)] = raw
            book.deposit(token.symbol, from_raw(raw, token.decimals))
        book.apply_fills(fills_from_frame(self.ledger_fills()))
        frame = reconcile(book.holdings, await self.chain_raw(), tokens=tokens,
                          include_matches=include_matches)
        frame.insert(3, "opening_raw", pd.Series(
            [opening.get(m, 0) for m in frame["mint"]], index=frame.index, dtype=object))
        return frame
