"""``workbench risk``: check an order against the configured limits, and show the limits."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli import settings_from
from workbench.domain import Order, Side
from workbench.errors import RiskError
from workbench.risk import (
    REJECT_REASON_DESC,
    Action,
    PortfolioSnapshot,
    RiskGate,
    limits_from_settings,
)

app = typer.Typer(help="Check orders against the risk limits and show the limits.",
                  no_args_is_help=True)

_ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]


def _decimal(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RiskError(f"--{name} {text!r} is not a number.") from None
    return value


def _pairs(name: str, items: list[str]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for item in items:
        token, sep, value = item.partition("=")
        if not sep or not token:
            raise RiskError(f"--{name} {item!r} must look like TOKEN=AMOUNT, e.g. SOL=2.5.")
        out[token.strip().upper()] = _decimal(name, value.strip())
    return out


@app.command()
def check(
    symbol: Annotated[str, typer.Option("--symbol", help="Pair, e.g. SOL/USDC.")],
    side: Annotated[Side, typer.Option("--side", help="buy or sell of the base token.")],
    amount: Annotated[str, typer.Option("--amount", help="Base amount, human units.")],
    price: Annotated[str, typer.Option("--price", help="Quote per base.")],
    equity: Annotated[str, typer.Option("--equity", help="Account equity, USD.")] = "10000",
    holding: Annotated[list[str] | None, typer.Option(
        "--holding", help="TOKEN=AMOUNT held (repeat); default: --equity in the quote token.")
    ] = None,
    mark: Annotated[list[str] | None, typer.Option(
        "--mark", help="TOKEN=USD price (repeat); default: the base at --price.")] = None,
    day_pnl: Annotated[str, typer.Option("--day-pnl", help="Today's PnL, USD.")] = "0",
    peak: Annotated[str | None, typer.Option("--peak", help="Peak equity, USD.")] = None,
    depth_usd: Annotated[str | None, typer.Option(
        "--depth-usd", help="Liquidity within the configured price impact, USD.")] = None,
    slippage_bps: Annotated[int, typer.Option("--slippage-bps", help="Order slippage.")] = 50,
    reduce_only: Annotated[bool, typer.Option("--reduce-only", help="An exit order.")] = False,
    config: _ConfigOpt = None,
) -> None:
    """Print the gate's decision for one order under the configured limits.

    Exits 0 when the order is accepted or resized, 1 when rejected.
    """
    settings = settings_from(config)
    limits = limits_from_settings(settings.risk)
    base, _, quote = symbol.upper().partition("/")
    order = Order(client_order_id="cli-check", strategy="cli", symbol=f"{base}/{quote}",
                  side=side, amount=_decimal("amount", amount), price=_decimal("price", price),
                  max_slippage_bps=slippage_bps, reduce_only=reduce_only, ts_init=0)
    equity_usd = _decimal("equity", equity)
    holdings = _pairs("holding", holding or []) or {quote: equity_usd}
    marks = {base: order.price}
    marks.update(_pairs("mark", mark or []))
    snapshot = PortfolioSnapshot(
        holdings=holdings, equity=equity_usd,
        peak_equity=_decimal("peak", peak) if peak is not None else equity_usd,
        day_pnl=_decimal("day-pnl", day_pnl))
    decision = RiskGate(limits=limits).check(
        order, snapshot, marks,
        depth_usd=_decimal("depth-usd", depth_usd) if depth_usd is not None else None)
    typer.echo(f"decision: {decision.action.value.upper()}")
    if decision.rule is not None:
        typer.echo(f"rule:     {decision.rule.value} ({REJECT_REASON_DESC[decision.rule]})")
        typer.echo(f"detail:   {decision.detail}")
    if decision.action is Action.RESIZE:
        typer.echo(f"order:    {decision.order.side.value} {decision.order.amount} {base} at "
                   f"{decision.order.price} {quote}")
    typer.echo("")
    _print_limits(limits.as_dict())
    if decision.action is Action.REJECT:
        raise typer.Exit(code=1)


def _print_limits(values: dict[str, object]) -> None:
    typer.echo("limits:")
    width = max(len(k) for k in values)
    for key, value in values.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        if isinstance(value, dict):
            shown = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
        typer.echo(f"  {key.ljust(width)}  {shown if shown not in ('', None) else '-'}")


@app.command()
def limits(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: _ConfigOpt = None,
) -> None:
    """Show the risk limits in force (from config, with defaults for the rest)."""
    values = limits_from_settings(settings_from(config).risk).as_dict()
    if as_json:
        typer.echo(json.dumps(values, indent=2, default=str))
        return
    _print_limits(values)
