"""``workbench trade``: gated swaps in paper mode on a local LiteSVM AMM, recorded in the ledger.

The paper chain persists between runs (:mod:`workbench.execution.paper_wallet`): the wallet,
its mints and pools live in ``<data.dir>/paper_wallet.json``, which every run resumes and
saves atomically, so balances carry over and the ledger can be reconciled across runs.

``workbench trade swap --from USDC --to SOL --amount 100 [--keystore keys.json]``:

1. resumes the paper wallet, or creates it: SOL/USDC pools on LiteSVM (one per ``--price``)
   and the wallet funded there. The wallet is the keystore's key (``--keystore`` or
   ``execution.keystore_path``, passphrase from ``WORKBENCH_KEYSTORE_PASSPHRASE`` or a
   prompt), else a throwaway paper key kept in the state file. In paper mode the key only
   ever signs on LiteSVM;
2. checks the order with the ONE risk gate (limits from ``settings.risk``; the portfolio from
   the wallet's on-chain balances, marks from the pool's spot price). A rejection prints the
   rule and detail and exits 1 before anything is signed; a resize is printed;
3. routes and executes it, storing the order, the signed intent (before the send) and the
   fills from the chain in the ledger from the settings (SQLite by default, migrated first),
   then saves the paper chain;
4. prints the fill, the signature and a reconciliation line per token: what this run's fills
   moved against what the chain moved, in base units (exit 1 if they differ).

``workbench trade balances`` prints chain and ledger per token; ``workbench trade reconcile``
checks opening balances + every fill of the paper wallet against the chain (exit 1 and a
``MISMATCH`` line per token when they differ); ``workbench trade reset-paper`` moves the state
aside (after a confirmation) so the next swap starts a new paper wallet.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli import settings_from
from workbench.config import Settings
from workbench.domain import from_raw
from workbench.errors import ConfigError, RiskError
from workbench.execution.executor import ExecutorConfig
from workbench.execution.keystore import Keystore, Wallet, passphrase_from_env_or_prompt
from workbench.execution.paper_wallet import (
    PaperSpec,
    PaperWallet,
    paper_state_path,
    reset_paper_wallet,
)
from workbench.execution.session import SwapOutcome
from workbench.risk import Action, RiskGate, limits_from_settings
from workbench.store import Store, open_store

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


def _keystore_wallet(keystore: Path | None, key_name: str,
                     settings: Settings) -> tuple[Wallet | None, str]:
    path = keystore or settings.execution.keystore_path
    if path is None:
        return None, "throwaway paper key"
    wallet = Keystore(path).unlock(key_name, passphrase_from_env_or_prompt())
    return wallet, f"keystore {path} key {key_name!r}"


def open_paper_wallet(path: Path, **kwargs: object) -> PaperWallet:
    """:meth:`PaperWallet.open` (a module attribute, so tests can watch it)."""
    return PaperWallet.open(path, **kwargs)  # type: ignore[arg-type]


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


def _open_store(settings: Settings) -> Store:
    store = open_store(settings)
    store.upgrade()
    return store


async def _swap(settings: Settings, paper: PaperWallet, wallet: Wallet | None, *, from_: str,
                to: str, amount: Decimal, venue: str | None, slippage_bps: int) -> int:
    store = _open_store(settings)
    session = None
    try:
        session = paper.session(
            store, RiskGate(limits=limits_from_settings(settings.risk)), wallet=wallet,
            strategy="cli",
            config=ExecutorConfig.from_settings(settings.execution, poll_interval_s=0,
                                                resend_interval_s=0))
        await session.start()
        outcome = await paper.swap(session, from_, to, amount, slippage_bps=slippage_bps,
                                   venue=venue)
        decision = outcome.decision
        if decision.action is Action.REJECT:
            typer.echo(f"rejected by the risk gate: {decision.rule}: {decision.detail}",
                       err=True)
            typer.echo(f"  order {outcome.order.client_order_id} stored as rejected in "
                       f"{store.url}; nothing was signed or sent", err=True)
            return 1
        if decision.action is Action.RESIZE:
            typer.echo(f"resized by the risk gate: {decision.rule}: {decision.detail}")
        pair = paper.pair
        receive = next(t for t in (pair.base, pair.quote) if t.mint != outcome.spend.mint)
        _echo_fill(outcome, receive.decimals, receive.symbol, pair.quote.symbol,
                   pair.base.symbol)
        typer.echo(f"  wallet   {paper.owner}")
        typer.echo(f"  ledger   {store.url}: {len(outcome.fills)} fill(s)")
        typer.echo(f"  paper    {paper.path}: saved, {len(paper.order_ids)} order(s) so far")
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
            raise RiskError(f"Ledger and chain differ for wallet {paper.owner} after order "
                            f"{outcome.order.client_order_id}; see the reconcile lines.")
        return 0
    finally:
        if session is not None:
            session.close()
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
        help="Pool price of a NEW paper wallet, USDC per SOL; repeat for several pools "
             "(default 150).")] = None,
    keystore: Annotated[Path | None, typer.Option(
        "--keystore", help="Keystore file (default: execution.keystore_path; none: a "
                           "throwaway paper key).")] = None,
    key_name: Annotated[str, typer.Option("--key-name", help="Key inside the keystore.")] =
        "default",
    wallet_sol: Annotated[str | None, typer.Option(
        help="Paper wSOL a NEW paper wallet starts with (default 10).")] = None,
    wallet_usdc: Annotated[str | None, typer.Option(
        help="Paper USDC a NEW paper wallet starts with (default 10000).")] = None,
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
    spec = PaperSpec(
        prices=tuple(_decimal("price", p) for p in (price or ["150"])),
        wallet_sol=_decimal("wallet-sol", wallet_sol or "10"),
        wallet_usdc=_decimal("wallet-usdc", wallet_usdc or "10000"))
    size = _decimal("amount", amount)
    wallet, source = _keystore_wallet(keystore, key_name, settings)
    path = paper_state_path(settings)
    paper = open_paper_wallet(path, wallet=wallet, new=spec)
    given = [name for name, v in (("--price", price), ("--wallet-sol", wallet_sol),
                                  ("--wallet-usdc", wallet_usdc)) if v]
    if given and not paper.created:
        raise ConfigError(
            f"The paper wallet in {path} exists already (pools and balances as trading left "
            f"them); {', '.join(given)} {'applies' if len(given) == 1 else 'apply'} only to a "
            "new one. Drop it, or run `workbench trade reset-paper` first.", setting="price")
    pools = ", ".join(f"{v.name} {v.market.spot_price(v.pool):.6f}" for v in paper.setup.venues)
    if paper.created:
        typer.echo(f"paper mode: new paper wallet {path}: LiteSVM pools at "
                   f"{', '.join(str(p) for p in spec.prices)} USDC/SOL; wallet {paper.owner} "
                   f"({source})")
    else:
        typer.echo(f"paper mode: resumed {path} ({len(paper.order_ids)} order(s)): pools "
                   f"{pools} USDC/SOL; wallet {paper.owner} ({source})")
    code = asyncio.run(_swap(
        settings, paper, wallet, from_=from_.upper(), to=to.upper(), amount=size,
        venue=None if venue == "local" else venue, slippage_bps=slippage_bps))
    if code:
        raise typer.Exit(code)


def _fmt(value: Decimal) -> str:
    return f"{value:,f}"


@app.command()
def balances() -> None:
    """The paper wallet per token: chain balance, ledger balance (opening + fills), difference."""
    settings = settings_from()
    paper = open_paper_wallet(paper_state_path(settings), create=False)
    store = _open_store(settings)
    try:
        frame = paper.balances(store)
        missing = paper.orders_missing(store)
    finally:
        store.dispose()
    typer.echo(f"paper wallet {paper.owner} ({paper.source} key), {paper.path}; "
               f"{len(paper.order_ids)} order(s); ledger {store.url}")
    typer.echo(f"{'token':<6} {'chain':>24} {'ledger':>24} {'diff':>18}")
    for r in frame.itertuples(index=False):
        typer.echo(f"{r.symbol:<6} {_fmt(r.chain):>24} {_fmt(r.ledger):>24} {_fmt(r.diff):>18}"
                   f"  {r.status}")
    typer.echo("(ledger = opening balances + the ledger's fills; SOL includes native SOL and "
               "fees)")
    if missing:
        typer.echo(f"note: {len(missing)} order(s) of this paper wallet are not in this ledger, "
                   f"e.g. {missing[0]}")


@app.command("reconcile")
def reconcile_cmd() -> None:
    """Opening balances + every ledger fill of the paper wallet against the chain (exit 1 on a
    mismatch)."""
    settings = settings_from()
    paper = open_paper_wallet(paper_state_path(settings), create=False)
    store = _open_store(settings)
    try:
        frame = paper.reconcile(store, include_matches=True)
        fills = len(paper.ledger_fills(store))
        missing = paper.orders_missing(store)
    finally:
        store.dispose()
    typer.echo(f"paper wallet {paper.owner}: {len(paper.order_ids)} order(s), {fills} fill(s) "
               f"in {store.url}")
    bad = 0
    for r in frame.itertuples(index=False):
        if r.status == "ok":
            typer.echo(f"ok       {r.symbol:<5} {r.chain_raw} base units")
            continue
        bad += 1
        dec = int(r.decimals) if r.decimals is not None else 0
        typer.echo(f"MISMATCH {r.symbol or r.mint}: ledger {from_raw(int(r.ledger_raw), dec)} "
                   f"({r.ledger_raw} base units), chain {from_raw(int(r.chain_raw), dec)} "
                   f"({r.chain_raw} base units), chain - ledger {r.diff_raw:+d}", err=True)
    if missing:
        typer.echo(f"note: {len(missing)} order(s) of this paper wallet have no row in this "
                   f"ledger (another database, or deleted), e.g. {missing[0]}", err=True)
    if bad:
        typer.echo(f"reconcile failed: {bad} token(s) differ; a fill is missing from or was "
                   "changed in the ledger, or the ledger is not the one this paper wallet "
                   "traded against.", err=True)
        raise typer.Exit(1)
    typer.echo("reconciled: ledger equals chain for every token")


@app.command("reset-paper")
def reset_paper(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] =
        False,
) -> None:
    """Move the paper wallet state aside; the next swap starts a new paper wallet."""
    path = paper_state_path(settings_from())
    if not path.exists():
        typer.echo(f"no paper wallet at {path}; nothing to reset")
        return
    if not yes and not typer.confirm(
            f"Move the paper wallet {path} aside and start over? Its balances are dropped "
            "(the ledger keeps its orders and fills)", default=False):
        typer.echo("kept the paper wallet", err=True)
        raise typer.Exit(1)
    backup = reset_paper_wallet(path)
    typer.echo(f"paper wallet moved to {backup}; the next `workbench trade swap` creates a "
               "new one")
