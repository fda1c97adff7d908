"""``workbench trade``: gated swaps in paper mode on a local LiteSVM AMM, recorded in the ledger.

``workbench trade swap --from USDC --to SOL --amount 100 [--keystore keys.json]``:

1. opens local SOL/USDC pools on a fresh LiteSVM chain (one per ``--price``) and funds the
   wallet there: the keystore's key (``--keystore`` or ``execution.keystore_path``, passphrase
   from ``WORKBENCH_KEYSTORE_PASSPHRASE`` or a prompt), else a throwaway key. In paper mode the
   key only ever signs on LiteSVM;
2. checks the order with the ONE risk gate (limits from ``settings.risk``; the portfolio from
   the wallet's on-chain balances, marks from the pool's spot price). A rejection prints the
   rule and detail and exits 1 before anything is signed; a resize is printed;
3. routes and executes it, storing the order, the signed intent (before the send) and the
   fills from the chain in the ledger from the settings (SQLite by default, migrated first);
4. prints the fill, the signature and a reconciliation line per token: what the ledger's fills
   moved against what the chain moved, in base units (exit 1 if they differ).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from solders.keypair import Keypair

from workbench.cli import settings_from
from workbench.config import Settings
from workbench.domain import from_raw
from workbench.errors import ConfigError, RiskError
from workbench.execution.executor import ExecutorConfig
from workbench.execution.keystore import Keystore, Wallet, passphrase_from_env_or_prompt
from workbench.execution.session import SwapOutcome, TradingSession, open_local_market
from workbench.risk import Action, RiskGate, limits_from_settings
from workbench.store import open_store

app = typer.Typer(help="Route and execute swaps (paper mode runs on a local LiteSVM AMM).",
                  no_args_is_help=True)


@app.callback()
def _trade() -> None:
    """Route and execute swaps through the risk gate; fills go to the ledger."""


def _decimal(name: str, value: str) -> Decimal:
    try:
        out = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"--{name} {value!r} is not a number.", setting=name) from None
    if not out.is_finite():
        raise ConfigError(f"--{name} {value!r} must be finite.", setting=name)
    return out


def _wallet(keystore: Path | None, key_name: str, settings: Settings) -> tuple[Wallet, str]:
    path = keystore or settings.execution.keystore_path
    if path is None:
        return Wallet(Keypair()), "throwaway paper key"
    wallet = Keystore(path).unlock(key_name, passphrase_from_env_or_prompt())
    return wallet, f"keystore {path} key {key_name!r}"


def _echo_fill(outcome: SwapOutcome, receive_decimals: int, receive_symbol: str,
               quote_symbol: str, base_symbol: str) -> None:
    fill = outcome.fill
    assert fill is not None
    spent = from_raw(fill.in_amount_raw, outcome.spend.decimals)
    got = from_raw(fill.out_amount_raw, receive_decimals)
    buying = outcome.spend.symbol == quote_symbol
    price = spent / got if buying else got / spent
    typer.echo(f"filled {fill.client_order_id} on {', '.join(fill.venues)}")
    typer.echo(f"  spent    {spent} {outcome.spend.symbol}")
    typer.echo(f"  received {got} {receive_symbol}")
    typer.echo(f"  price    {price:.6f} {quote_symbol}/{base_symbol}")
    typer.echo(f"  fee      {fill.fee_lamports} lamports")
    typer.echo(f"  signature {fill.signature}")


async def _swap(settings: Settings, wallet: Wallet, *, from_: str, to: str, amount: Decimal,
                venue: str | None, slippage_bps: int, prices: list[Decimal],
                wallet_sol: Decimal, wallet_usdc: Decimal) -> int:
    setup = open_local_market(prices, owner=wallet.pubkey, wallet_sol=wallet_sol,
                              wallet_usdc=wallet_usdc)
    store = open_store(settings)
    try:
        store.upgrade()
        session = TradingSession(
            chain=setup.chain, wallet=wallet, venues=setup.venues, pair=setup.pair,
            store=store, gate=RiskGate(limits=limits_from_settings(settings.risk)),
            strategy="cli", mode="paper",
            config=ExecutorConfig.from_settings(settings.execution, poll_interval_s=0,
                                                resend_interval_s=0))
        await session.start()
        outcome = await session.swap(from_, to, amount, slippage_bps=slippage_bps, venue=venue)
        decision = outcome.decision
        if decision.action is Action.REJECT:
            typer.echo(f"rejected by the risk gate: {decision.rule}: {decision.detail}",
                       err=True)
            typer.echo(f"  order {outcome.order.client_order_id} stored as rejected in "
                       f"{store.url}; nothing was signed or sent", err=True)
            return 1
        if decision.action is Action.RESIZE:
            typer.echo(f"resized by the risk gate: {decision.rule}: {decision.detail}")
        receive = next(t for t in (setup.pair.base, setup.pair.quote)
                       if t.mint != outcome.spend.mint)
        _echo_fill(outcome, receive.decimals, receive.symbol, setup.pair.quote.symbol,
                   setup.pair.base.symbol)
        typer.echo(f"  wallet   {wallet.pubkey}")
        typer.echo(f"  ledger   {store.url}: {len(outcome.fills)} fill(s)")
        recon = await session.reconcile()
        clean = True
        for r in recon.itertuples(index=False):
            ledger_moved = r.ledger_raw - r.opening_raw
            chain_moved = r.chain_raw - r.opening_raw
            ok = r.diff_raw == 0
            clean = clean and ok
            typer.echo(f"reconcile {r.symbol:<5} ledger {ledger_moved:+d} chain {chain_moved:+d} "
                       f"(base units, fees in SOL) {'ok' if ok else 'MISMATCH'}")
        if not clean:
            raise RiskError(f"Ledger and chain differ for wallet {wallet.pubkey} after order "
                            f"{outcome.order.client_order_id}; see the reconcile lines.")
        return 0
    finally:
        store.dispose()


@app.command()
def swap(
    from_: Annotated[str, typer.Option("--from", help="Token to spend (SOL, USDC).")],
    to: Annotated[str, typer.Option("--to", help="Token to receive.")],
    amount: Annotated[str, typer.Option("--amount", help="Amount to spend, human units.")],
    venue: Annotated[str, typer.Option(
        help="'local' lets the router choose (and split); or a pool name such as "
             "'local:SOL/USDC#1'.")] = "local",
    slippage_bps: Annotated[int, typer.Option(help="Order tolerance (capped by the risk "
                                                   "gate) and the route's floor.")] = 50,
    price: Annotated[list[str] | None, typer.Option(
        help="Paper pool price, USDC per SOL; repeat for several pools.")] = None,
    keystore: Annotated[Path | None, typer.Option(
        "--keystore", help="Keystore file (default: execution.keystore_path; none: a "
                           "throwaway paper key).")] = None,
    key_name: Annotated[str, typer.Option("--key-name", help="Key inside the keystore.")] =
        "default",
    wallet_sol: Annotated[str, typer.Option(help="Paper wSOL the wallet starts with.")] = "10",
    wallet_usdc: Annotated[str, typer.Option(help="Paper USDC the wallet starts with.")] =
        "10000",
) -> None:
    """Swap in paper mode through the risk gate; store and reconcile the fill."""
    if venue != "local" and not venue.startswith("local:"):
        raise ConfigError(
            f"Venue {venue!r} is not available from the CLI yet; paper mode supports 'local' "
            "or a local pool name.", setting="venue")
    symbols = ("SOL", "USDC")
    if from_.upper() not in symbols or to.upper() not in symbols or from_.upper() == to.upper():
        raise ConfigError(
            f"Paper market trades {', '.join(symbols)}; got --from {from_} --to {to}.",
            setting="from")
    settings = settings_from()
    prices = [_decimal("price", p) for p in (price or ["150"])]
    wallet, source = _wallet(keystore, key_name, settings)
    typer.echo(f"paper mode: LiteSVM pools at {', '.join(str(p) for p in prices)} USDC/SOL; "
               f"wallet {wallet.pubkey} ({source})")
    code = asyncio.run(_swap(
        settings, wallet, from_=from_.upper(), to=to.upper(),
        amount=_decimal("amount", amount), venue=None if venue == "local" else venue,
        slippage_bps=slippage_bps, prices=prices,
        wallet_sol=_decimal("wallet-sol", wallet_sol),
        wallet_usdc=_decimal("wallet-usdc", wallet_usdc)))
    if code:
        raise typer.Exit(code)
