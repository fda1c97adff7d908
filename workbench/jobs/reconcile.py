"""The reconcile job: the ledger's holdings (opening balances + stored fills) against the chain.

Paper mode runs the whole loop on a real in-process Solana runtime (LiteSVM): a funded wallet
and SOL/USDC constant-product pools (:func:`workbench.testing.paper_market`), a few real swaps
through the executor whose fills go to the ledger as the engine stores them, then the
reconciliation itself, which knows nothing of how the fills were made:

* ledger: opening balances booked as deposits, then every stored fill applied by
  :class:`~workbench.portfolio.Portfolio` (fees leave SOL, as on chain);
* chain: the wallet's token accounts, with native lamports counted under the wrapped-SOL mint;
* :func:`~workbench.portfolio.reconcile` compares them in integer base units.

A clean run reports no rows. A fill the ledger missed, a transfer nobody booked, or rent paid
from the wallet shows up as a row with its mint, both amounts and the difference.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from solders.pubkey import Pubkey

from workbench.chain import Chain
from workbench.chain.programs import NATIVE_MINT, associated_token_address
from workbench.domain import Fill, Order, OrderStatus, Side, Token, from_raw, new_client_order_id
from workbench.errors import ConfigError, RiskError
from workbench.execution import Executor, ExecutorConfig, SwapFill, SwapIntent
from workbench.portfolio import Portfolio, reconcile
from workbench.store import Store
from workbench.store.ledger import load_fills, save_fill, save_order, set_order_status

__all__ = [
    "PaperReconcile",
    "chain_balances",
    "fill_from_swap",
    "fills_from_frame",
    "ledger_holdings",
    "paper_reconcile",
    "run_paper_reconcile",
]


def fill_from_swap(swap: SwapFill, base: Token, quote: Token) -> Fill:
    """The domain fill of a confirmed swap on the ``base``/``quote`` pair.

    Raises:
        ConfigError: the swap's mints are not ``base`` and ``quote``.
    """
    mints = {swap.input_mint, swap.output_mint}
    if mints != {str(base.mint), str(quote.mint)}:
        raise ConfigError(f"Swap {swap.client_order_id} trades {sorted(mints)}, not "
                          f"{base.symbol}/{quote.symbol}.", setting="pair")
    is_buy = swap.input_mint == str(quote.mint)
    base_raw, quote_raw = ((swap.out_amount_raw, swap.in_amount_raw) if is_buy
                           else (swap.in_amount_raw, swap.out_amount_raw))
    return Fill(client_order_id=swap.client_order_id, symbol=f"{base.symbol}/{quote.symbol}",
                side=Side.BUY if is_buy else Side.SELL,
                base_amount=from_raw(base_raw, base.decimals),
                quote_amount=from_raw(quote_raw, quote.decimals),
                fee_lamports=swap.fee_lamports, venue=",".join(swap.venues),
                signature=swap.signature, ts_event=swap.ts_event)


def fills_from_frame(frame: pd.DataFrame) -> list[Fill]:
    """Fills from a ``load_fills`` frame, oldest first."""
    rows = frame.sort_values("ts_event", kind="stable")
    return [Fill(client_order_id=r.client_order_id, symbol=r.symbol, side=Side(r.side),
                 base_amount=Decimal(r.base_amount), quote_amount=Decimal(r.quote_amount),
                 fee_lamports=int(r.fee_lamports), venue=r.venue, signature=r.signature,
                 ts_event=int(pd.Timestamp(r.ts_event).value))
            for r in rows.itertuples(index=False)]


def ledger_holdings(opening: Mapping[str, Decimal], fills: Iterable[Fill],
                    marks: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Holdings by symbol: ``opening`` balances plus ``fills`` (fees taken from SOL)."""
    book = Portfolio(marks=marks)
    for symbol, amount in opening.items():
        book.deposit(symbol, amount)
    book.apply_fills(fills)
    return book.holdings


async def chain_balances(chain: Chain, owner: Pubkey, tokens: Iterable[Token]) -> dict[str, int]:
    """Raw balances of ``owner`` by mint: its token accounts, plus native lamports under wSOL."""
    out: dict[str, int] = {}
    for token in tokens:
        out[str(token.mint)] = await chain.token_balance_raw(
            associated_token_address(owner, token.mint))
    lamports = await chain.balance_lamports(owner)
    out[str(NATIVE_MINT)] = out.get(str(NATIVE_MINT), 0) + lamports
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperReconcile:
    """What a paper reconciliation did and found.

    Attributes:
        fills: the fills stored in the ledger during the run.
        opening_raw: the wallet's balances before trading, raw by mint.
        closing_raw: after trading, raw by mint.
        ledger: the ledger's holdings by symbol (human units).
        differences: :func:`workbench.portfolio.reconcile` rows (empty when all agree).
        wallet: the wallet's address.
    """

    fills: pd.DataFrame
    opening_raw: dict[str, int]
    closing_raw: dict[str, int]
    ledger: dict[str, Decimal]
    differences: pd.DataFrame
    wallet: str

    @property
    def is_clean(self) -> bool:
        """True when ledger and chain agree to the base unit."""
        return self.differences.empty

    def check(self) -> PaperReconcile:
        """Return self when clean.

        Raises:
            RiskError: ledger and chain differ (lists each token, both amounts and status).
        """
        if not self.is_clean:
            rows = "; ".join(f"{r.symbol or r.mint}: ledger {r.ledger_raw} chain {r.chain_raw} "
                             f"({r.status})" for r in self.differences.itertuples(index=False))
            raise RiskError(f"Ledger and chain differ for wallet {self.wallet}: {rows}. Find the "
                            "missed fill or transfer before trading on.")
        return self


async def _trade(store: Store, ex: Executor, base: Token, quote: Token, swaps: int,
                 quote_amount: Decimal, price: Decimal) -> None:
    for i in range(swaps):
        buy = i % 2 == 0
        tin, tout = (quote, base) if buy else (base, quote)
        amount = quote_amount if buy else (quote_amount / price).quantize(Decimal("0.000001"))
        coid = new_client_order_id("recon")
        save_order(store, Order(client_order_id=coid, strategy="reconcile",
                                symbol=f"{base.symbol}/{quote.symbol}",
                                side=Side.BUY if buy else Side.SELL,
                                amount=(quote_amount / price).quantize(Decimal("0.000001")),
                                price=price))
        swap = await ex.execute(SwapIntent(
            client_order_id=coid, input_mint=str(tin.mint), output_mint=str(tout.mint),
            in_amount_raw=int(amount * 10**tin.decimals), slippage_bps=100))
        save_fill(store, fill_from_swap(swap, base, quote), strategy="reconcile")
        set_order_status(store, coid, OrderStatus.FILLED, signature=swap.signature)


def run_paper_reconcile(store: Store, *, swaps: int = 4, quote_amount: Decimal | str = "100",
                        price: Decimal | str = "150") -> PaperReconcile:
    """Synchronous :func:`paper_reconcile` (for scripts; in a notebook ``await`` that one)."""
    return asyncio.run(paper_reconcile(store, swaps=swaps, quote_amount=quote_amount,
                                       price=price))


async def paper_reconcile(store: Store, *, swaps: int = 4, quote_amount: Decimal | str = "100",
                          price: Decimal | str = "150") -> PaperReconcile:
    """Trade ``swaps`` times on a fresh paper market, storing fills, then reconcile.

    Args:
        store: the ledger (fills of earlier runs are ignored: only this run's are compared,
            because each paper market is a new chain).
        swaps: alternating buys and sells (>= 0).
        quote_amount: USDC per swap (sells sell its value in SOL at ``price``).
        price: the pools' USDC per SOL.

    Raises:
        ConfigError: ``swaps`` < 0 or a non-positive amount or price.
    """
    from workbench.testing import paper_market  # paper mode only

    quote_amount, price = Decimal(quote_amount), Decimal(price)
    if swaps < 0 or quote_amount <= 0 or price <= 0:
        raise ConfigError(f"swaps={swaps}, quote_amount={quote_amount}, price={price}: need "
                          "swaps >= 0 and a positive amount and price.", setting="swaps")
    pm = paper_market((str(price),))
    base, quote = pm.base, pm.quote
    owner = pm.wallet.pubkey()

    opening = await chain_balances(pm.chain, owner, (base, quote))
    since = pd.Timestamp.now(tz="UTC")
    ex = Executor(pm.chain, pm.wallet, pm.venues,
                  config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0))
    await _trade(store, ex, base, quote, swaps, quote_amount, price)
    closing = await chain_balances(pm.chain, owner, (base, quote))
    frame = load_fills(store, since_ns=since.value)
    frame = frame[frame["strategy"] == "reconcile"]
    by_mint = {str(t.mint): t for t in (base, quote)}
    opening_h = {by_mint[m].symbol: from_raw(v, by_mint[m].decimals) for m, v in opening.items()}
    held = ledger_holdings(opening_h, fills_from_frame(frame), {"SOL": price})
    diffs = reconcile(held, closing, tokens={t.symbol: t for t in (base, quote)})
    return PaperReconcile(fills=frame.reset_index(drop=True), opening_raw=opening,
                          closing_raw=closing, ledger=held, differences=diffs, wallet=str(owner))
