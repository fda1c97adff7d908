"""``workbench backtest``: run, sweep and list strategies from the shell.

Examples::

    workbench backtest run --strategy grid --data SOL/USDT --param lower=90 --param upper=110 \\
        --report grid.html
    workbench backtest sweep --strategy sma_cross --data data/sample/SOL_USDT-5m.feather \\
        --grid fast=5,10,20 --grid slow=50,100 --heatmap fast,slow --report sweep.html
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from workbench.errors import ConfigError

app = typer.Typer(help="Backtest, sweep and compare strategies on stored or shipped data.",
                  no_args_is_help=True)

_Data = Annotated[str, typer.Option("--data", help="Bars file (.feather/.parquet/.csv) or a "
                                    "shipped symbol like SOL/USDT.")]
_Strategy = Annotated[str, typer.Option("--strategy", "-s", help="Registry name.")]
_Params = Annotated[list[str] | None, typer.Option("--param", "-p", help="k=v, repeatable.")]
_Costs = Annotated[list[str] | None, typer.Option("--cost", help="CostModel field k=v, "
                                                  "repeatable (e.g. pool_fee_bps=4, "
                                                  "failed_tx_mode=simulate, seed=1).")]
_Engine = Annotated[str, typer.Option("--engine", help="numba (workbench kernels) or vectorbt "
                                      "(signal strategies; sweeps need liquidity=none).")]


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{what} {item!r} must look like key=value.", setting=what)
        out[key.strip()] = value.strip()
    return out


def _costs(items: list[str] | None) -> Any:
    from workbench.backtest import CostModel

    fields = {f.name: f.type for f in dataclasses.fields(CostModel)}
    values: dict[str, Any] = {}
    for k, v in _pairs(items, "--cost").items():
        if k not in fields:
            raise ConfigError(f"Unknown cost {k!r}; known: {sorted(fields)}.", setting=k)
        kind = str(fields[k])
        try:
            if kind == "int | None":
                values[k] = None if v.lower() in ("", "none") else int(v)
            else:
                values[k] = (int(v) if kind == "int" else float(v) if kind == "float"
                             else Decimal(v) if kind == "Decimal" else v)
        except (ValueError, ArithmeticError):
            raise ConfigError(f"--cost {k}={v!r} is not a valid {kind}.", setting=k) from None
    return CostModel(**values)


def _data(strategy: str, data: str, lag: int) -> Any:
    from workbench.backtest import load_ohlcv, make_venue_frame

    bars = load_ohlcv(data)
    return make_venue_frame(bars, lag_bars=lag) if strategy == "arbitrage" else bars


@app.command("list")
def list_strategies() -> None:
    """List the registered strategies and their default parameters."""
    from workbench.strategies import STRATEGIES

    for name, spec in sorted(STRATEGIES.items()):
        typer.echo(f"{name:10s} {spec.description}")
        typer.echo(f"{'':10s} defaults: {spec.params_cls()}")


@app.command("run")
def run_cmd(
    strategy: _Strategy,
    data: _Data,
    param: _Params = None,
    cost: _Costs = None,
    init_cash: Annotated[str, typer.Option(help="Starting quote cash.")] = "10000",
    second_venue_lag: Annotated[int, typer.Option(help="arbitrage only: venue b is the data "
                                                  "lagged by this many bars.")] = 1,
    report: Annotated[Path | None, typer.Option(help="Write a standalone HTML report.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print stats as JSON.")] = False,
    engine: _Engine = "numba",
) -> None:
    """Backtest one strategy and print its stats (and costs used)."""
    from workbench.backtest import run

    res = run(strategy, _data(strategy, data, second_venue_lag), params=_pairs(param, "--param"),
              costs=_costs(cost), init_cash=Decimal(init_cash), engine=engine)
    stats = res.stats()
    if as_json:
        typer.echo(json.dumps({"stats": {k: str(v) for k, v in stats.items()},
                               "costs": res.costs.to_dict(), "engine": res.engine},
                              default=str))
    else:
        typer.echo(stats.to_string())
        typer.echo("-- costs used --")
        typer.echo(res.costs_table().to_string())
    if report is not None:
        from workbench.viz import write_report

        typer.echo(f"report: {write_report(res, report)}")


@app.command("sweep")
def sweep_cmd(
    strategy: _Strategy,
    data: _Data,
    grid: Annotated[list[str], typer.Option("--grid", "-g", help="k=v1,v2,... repeatable.")],
    cost: _Costs = None,
    init_cash: Annotated[str, typer.Option(help="Starting quote cash.")] = "10000",
    cluster: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    top: Annotated[int, typer.Option(help="Rows to print, best first.")] = 10,
    metric: Annotated[str, typer.Option(help="Column to rank by.")] = "sharpe",
    out: Annotated[Path | None, typer.Option(help="Write the whole table as CSV.")] = None,
    heatmap: Annotated[str | None, typer.Option(help="x,y parameters for the heatmap.")] = None,
    report: Annotated[Path | None, typer.Option(help="HTML report of the best run.")] = None,
    second_venue_lag: Annotated[int, typer.Option(help="arbitrage only.")] = 1,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    engine: _Engine = "numba",
) -> None:
    """Sweep a parameter grid (locally or on Dask) and print the best rows."""
    from workbench.backtest import run, sweep
    from workbench.backtest.sweep import best_params

    values: dict[str, list[Any]] = {}
    for k, v in _pairs(grid, "--grid").items():
        values[k] = [_number(x) for x in v.split(",") if x.strip()]
    frame = _data(strategy, data, second_venue_lag)
    costs = _costs(cost)
    table = sweep(strategy, frame, values, costs=costs, init_cash=Decimal(init_cash),
                  cluster=cluster, progress=progress, engine=engine)
    ranked = table.sort_values(metric, ascending=metric in ("max_drawdown", "fees_paid"),
                               na_position="last")
    with pd.option_context("display.width", 160):
        typer.echo(ranked.head(top).to_string(index=False))
    if out is not None:
        table.to_csv(out, index=False)
        typer.echo(f"table: {out}")
    if report is not None:
        from workbench.viz import write_report

        chosen = best_params(table, list(values), metric)
        chosen = {k: type(values[k][0])(v) for k, v in chosen.items()}
        res = run(strategy, frame, params=chosen, costs=costs, init_cash=Decimal(init_cash))
        axes = tuple(heatmap.split(",")) if heatmap else None
        if axes is not None and len(axes) != 2:
            raise ConfigError(f"--heatmap {heatmap!r} must be two parameters, x,y.",
                              setting="heatmap")
        write_report(res, report, sweep=table, heatmap_axes=axes,
                     title=f"Sweep {strategy}: best by {metric} {chosen}")
        typer.echo(f"report: {report}")


def _number(text: str) -> Any:
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
