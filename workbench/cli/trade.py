"""``workbench trade``: route and execute swaps (paper mode: local AMM on LiteSVM)."""

from __future__ import annotations

import asyncio
from decimal import ROUND_DOWN, Decimal
from typing import Annotated

import typer

from workbench.domain import from_raw, new_client_order_id, to_raw
from workbench.errors import ConfigError
from workbench.execution.executor import Executor, ExecutorConfig, SwapIntent
from workbench.testing import paper_market

app = typer.Typer(help="Route and execute swaps (paper mode runs on a local LiteSVM AMM).")


@app.command()
def swap(
    from_: Annotated[str, typer.Option("--from", help="Token to spend (SOL, USDC).")],
    to: Annotated[str, typer.Option("--to", help="Token to receive.")],
    amount: Annotated[str, typer.Option("--amount", help="Amount to spend, human units.")],
    venue: Annotated[str, typer.Option(help="'local' (paper) or a local pool name.")] = "local",
    slippage_bps: Annotated[int, typer.Option(help="Minimum output versus the quote.")] = 50,
    price: Annotated[str, typer.Option(help="Paper pool price, USDC per SOL.")] = "150",
) -> None:
    """Swap in paper mode on a fresh LiteSVM chain with a funded wallet; print the fill."""
    if venue != "local" and not venue.startswith("local:"):
        raise ConfigError(
            f"Venue {venue!r} is not available from the CLI yet; paper mode supports 'local'.",
            setting="venue")
    pm = paper_market((price,))
    tokens = {t.symbol: t for t in (pm.base, pm.quote)}
    try:
        tin, tout = tokens[from_.upper()], tokens[to.upper()]
    except KeyError:
        raise ConfigError(
            f"Paper market trades {', '.join(tokens)}; got --from {from_} --to {to}.",
            setting="from") from None
    amount_raw = to_raw(Decimal(amount), tin.decimals, rounding=ROUND_DOWN)
    ex = Executor(pm.chain, pm.wallet, pm.venues,
                  config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0))
    intent = SwapIntent(client_order_id=new_client_order_id(), input_mint=str(tin.mint),
                        output_mint=str(tout.mint), in_amount_raw=amount_raw,
                        slippage_bps=slippage_bps,
                        venue=None if venue == "local" else venue)
    fill = asyncio.run(ex.execute(intent))
    spent, got = from_raw(fill.in_amount_raw, tin.decimals), from_raw(fill.out_amount_raw,
                                                                      tout.decimals)
    typer.echo(f"filled {fill.client_order_id} on {', '.join(fill.venues)}")
    typer.echo(f"  spent    {spent} {tin.symbol}")
    typer.echo(f"  received {got} {tout.symbol}")
    typer.echo(f"  price    {(got / spent if tin is pm.base else spent / got):.6f} "
               f"{pm.quote.symbol}/{pm.base.symbol}")
    typer.echo(f"  fee      {fill.fee_lamports} lamports")
    typer.echo(f"  wallet   {pm.wallet.pubkey()}")
    typer.echo(f"  signature {fill.signature}")
