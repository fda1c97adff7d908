"""Parameter sweeps (grid, random, Bayesian), locally or on a Dask cluster.

A sweep evaluates every parameter combination on the same data with the same costs and returns
one row per combination. Signal strategies are evaluated many columns at once: their signals
are stacked into ``(n_bars, n_combos)`` arrays (vectorbt-style broadcasting of one close series
against many signal columns) and simulated by one pass of
:func:`workbench.backtest.kernels.sweep_signals_kernel`. The SMA crossover takes a faster path:
each distinct window's SMA is computed once from one running sum and broadcast against the
others. Grid and arbitrage combinations run the full kernel each.

``engine="vectorbt"`` evaluates signal strategies the vectorbt way instead: indicators by
parameter broadcasting and all combinations as columns of one ``vbt.Portfolio.from_signals``
(:func:`workbench.backtest.vectorbt_bridge.sweep_vectorbt`). It needs a fee-only cost model and
returns the same table; the numba path stays the default because it is about 18x faster
(``benchmarks/bench_backtest.py``) and handles price impact.

On a cluster the combinations are cut into chunks, each chunk is evaluated by the same function
on a worker, and the rows are put back in order: the result equals the local one exactly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from workbench.backtest.costs import CostModel
from workbench.backtest.data import load_ohlcv
from workbench.backtest.engine import ENGINES, bars_per_year, resolve, run
from workbench.backtest.kernels import sweep_signals_kernel
from workbench.errors import ConfigError
from workbench.strategies import StrategyKind, StrategySpec
from workbench.strategies._numeric import cumsum_nb
from workbench.strategies.indicators import sma_from_cumsum

__all__ = ["SWEEP_COLUMNS", "best_params", "expand_grid", "optimize", "sweep"]

SWEEP_COLUMNS = ["total_return", "sharpe", "max_drawdown", "trade_count", "fees_paid", "exposure"]


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the values in ``grid`` (cartesian product, in key order)."""
    keys = list(grid)
    return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*grid.values())]


def _signal_arrays(spec: StrategySpec[Any], bars: pd.DataFrame, combos: list[dict[str, Any]]
                   ) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    """(entries, exits) of shape (n_bars, n_combos) and which combos were valid."""
    n = len(bars)
    valid: list[bool] = []
    ent = np.zeros((n, len(combos)), dtype=np.bool_)
    ext = np.zeros((n, len(combos)), dtype=np.bool_)
    if spec.name == "sma_cross":
        cs = cumsum_nb(bars["close"].to_numpy(np.float64))
        windows = {w for c in combos for w in (c.get("fast", 10), c.get("slow", 30))}
        sma = {w: sma_from_cumsum(cs, int(w)) for w in windows}
        for j, c in enumerate(combos):
            f, s = c.get("fast", 10), c.get("slow", 30)
            valid.append(f < s)
            if f < s:
                a, b = sma[f], sma[s]
                with np.errstate(invalid="ignore"):
                    ent[1:, j] = (a[1:] > b[1:]) & (a[:-1] <= b[:-1])
                    ext[1:, j] = (a[1:] < b[1:]) & (a[:-1] >= b[:-1])
        return ent, ext, valid
    for j, c in enumerate(combos):
        try:
            p = spec.make_params(c)
        except ConfigError:
            valid.append(False)
            continue
        valid.append(True)
        sig = spec.compute_signals(bars, p)
        ent[:, j] = sig["entry"].to_numpy(np.bool_)
        ext[:, j] = sig["exit"].to_numpy(np.bool_)
    return ent, ext, valid


def _evaluate(spec_name: str, bars: pd.DataFrame, combos: list[dict[str, Any]],
              costs: CostModel, init_cash: float, engine: str = "numba") -> pd.DataFrame:
    """Evaluate ``combos``; one row each (NaN for invalid combinations)."""
    spec, _ = resolve(spec_name)
    rows: list[dict[str, float]] = []
    if engine == "vectorbt":
        from workbench.backtest.vectorbt_bridge import sweep_vectorbt

        return sweep_vectorbt(spec, bars, combos, costs=costs, init_cash=init_cash)
    if spec.kind is StrategyKind.SIGNALS:
        ent, ext, valid = _signal_arrays(spec, bars, combos)
        close = np.ascontiguousarray(bars["close"].to_numpy(np.float64))
        depth = np.full(close.shape[0], float(costs.depth_quote))
        if "depth_quote" in bars.columns:
            depth = bars["depth_quote"].to_numpy(np.float64)
        sol = bars["sol_price"].to_numpy(np.float64) if "sol_price" in bars.columns else close
        tx = costs.draw_tx(sol)
        mult, mbuy, msell = costs.curve()
        final, mdd, trades, mean, sd, fees, expo = sweep_signals_kernel(
            close, ent, ext, depth, tx.cost, tx.is_landed, init_cash, costs.gamma, mult, mbuy,
            msell, float(costs.min_trade_quote))
        ann = math.sqrt(bars_per_year(bars.index))
        for j in range(len(combos)):
            if not valid[j]:
                rows.append(dict.fromkeys(SWEEP_COLUMNS, np.nan))
                continue
            rows.append({"total_return": final[j] / init_cash - 1.0,
                         "sharpe": mean[j] / sd[j] * ann if sd[j] > 0 else np.nan,
                         "max_drawdown": mdd[j], "trade_count": float(trades[j]),
                         "fees_paid": fees[j], "exposure": expo[j]})
    else:
        for c in combos:
            try:
                s = run(spec, bars, params=c, costs=costs, init_cash=Decimal(repr(init_cash)))
            except ConfigError:
                rows.append(dict.fromkeys(SWEEP_COLUMNS, np.nan))
                continue
            st = s.stats()
            rows.append({k: float(st[k]) for k in SWEEP_COLUMNS})
    frame = pd.DataFrame(combos)
    return pd.concat([frame, pd.DataFrame(rows, columns=SWEEP_COLUMNS)], axis=1)


def _client(cluster: Any) -> Any:
    from distributed import Client  # lazy: only sweeps on a cluster need it

    if isinstance(cluster, Client):
        return cluster, False
    if isinstance(cluster, str):
        return Client(cluster), True
    raise ConfigError(f"cluster={cluster!r} must be a scheduler address like "
                      "'tcp://127.0.0.1:8786' or a distributed.Client.", setting="cluster")


def sweep(
    strategy: str | StrategySpec[Any],
    data: pd.DataFrame | str,
    grid: Mapping[str, Sequence[Any]],
    *,
    costs: CostModel | None = None,
    init_cash: Decimal | int | str = Decimal(10_000),
    chunk_size: int = 64,
    cluster: Any = None,
    progress: bool = False,
    engine: str = "numba",
) -> pd.DataFrame:
    """Evaluate every combination of ``grid``; one row per combination.

    Args:
        strategy: registry name or spec.
        data: bars (or path/symbol) as for :func:`workbench.backtest.run`.
        grid: parameter name -> values, e.g. ``{"fast": [5, 10], "slow": [20, 50]}``.
        costs / init_cash: as for ``run``.
        chunk_size: combinations per task (and per progress step).
        cluster: None for local; a Dask scheduler address or ``distributed.Client``.
        progress: show a tqdm bar.
        engine: "numba" (the workbench kernels) or "vectorbt" (signal strategies with a
            fee-only cost model: indicators by vectorbt parameter broadcasting, every
            combination simulated as one column of ``vbt.Portfolio.from_signals``; same table
            as "numba", see :func:`workbench.backtest.vectorbt_bridge.sweep_vectorbt`).

    Returns:
        The parameter columns, then ``total_return``, ``sharpe``, ``max_drawdown``,
        ``trade_count``, ``fees_paid``, ``exposure`` (NaN rows for invalid combinations, e.g.
        fast >= slow).
    """
    spec, _ = resolve(strategy)
    bars = data if (spec.kind is StrategyKind.ARBITRAGE) else load_ohlcv(data)
    costs = costs or CostModel()
    cash = float(Decimal(init_cash))
    combos = expand_grid(grid)
    if not combos:
        raise ConfigError("grid is empty; give at least one value per parameter.", setting="grid")
    if engine not in ENGINES:
        raise ConfigError(f"engine={engine!r} must be one of {ENGINES}.", setting="engine")
    if engine == "vectorbt":
        from workbench.backtest.vectorbt_bridge import check_vectorbt_sweep

        check_vectorbt_sweep(spec, costs)
    chunks = [combos[i:i + chunk_size] for i in range(0, len(combos), chunk_size)]
    from tqdm.auto import tqdm

    bar = tqdm(total=len(combos), disable=not progress, desc=f"sweep {spec.name}")
    parts: list[pd.DataFrame] = []
    if cluster is None:
        for ch in chunks:
            parts.append(_evaluate(spec.name, bars, ch, costs, cash, engine))
            bar.update(len(ch))
    else:
        from distributed import as_completed

        client, owned = _client(cluster)
        try:
            data_f = client.scatter(bars, broadcast=True)
            futures = [client.submit(_evaluate, spec.name, data_f, ch, costs, cash, engine,
                                     pure=False) for ch in chunks]
            order = {f.key: i for i, f in enumerate(futures)}
            done: dict[int, pd.DataFrame] = {}
            for fut in as_completed(futures):
                done[order[fut.key]] = fut.result()
                bar.update(len(chunks[order[fut.key]]))
            parts = [done[i] for i in range(len(chunks))]
        finally:
            if owned:
                client.close()
    bar.close()
    return pd.concat(parts, ignore_index=True)


def optimize(
    strategy: str | StrategySpec[Any],
    data: pd.DataFrame | str,
    space: Mapping[str, tuple[Any, Any] | Sequence[Any]],
    *,
    n_trials: int = 50,
    method: str = "bayes",
    metric: str = "sharpe",
    costs: CostModel | None = None,
    init_cash: Decimal | int | str = Decimal(10_000),
    seed: int = 0,
    progress: bool = False,
) -> pd.DataFrame:
    """Random or Bayesian (optuna TPE) search; one row per trial, best first.

    ``space`` maps a parameter to ``(low, high)`` (int or float range, inclusive) or a list of
    choices. Invalid combinations score NaN and are pruned from the ranking.
    """
    import optuna  # lazy: heavy import

    if method not in ("random", "bayes"):
        raise ConfigError(f"method={method!r} must be 'random' or 'bayes'.", setting="method")
    spec, _ = resolve(strategy)
    bars = data if spec.kind is StrategyKind.ARBITRAGE else load_ohlcv(data)
    if metric not in SWEEP_COLUMNS:
        raise ConfigError(f"metric={metric!r} must be one of {SWEEP_COLUMNS}.", setting="metric")
    sampler: Any = (optuna.samplers.RandomSampler(seed=seed) if method == "random"
                    else optuna.samplers.TPESampler(seed=seed))
    minimize = metric in ("max_drawdown", "fees_paid")

    def suggest(trial: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in space.items():
            if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) for x in v):
                out[k] = trial.suggest_int(k, v[0], v[1])
            elif isinstance(v, tuple) and len(v) == 2:
                out[k] = trial.suggest_float(k, float(v[0]), float(v[1]))
            else:
                out[k] = trial.suggest_categorical(k, list(v))
        return out

    def objective(trial: Any) -> float:
        row = _evaluate(spec.name, bars, [suggest(trial)], costs or CostModel(),
                        float(Decimal(init_cash)))
        value = float(row[metric].iloc[0])
        return value if np.isfinite(value) else (math.inf if minimize else -math.inf)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize" if minimize else "maximize", sampler=sampler)
    study.optimize(objective, n_trials=n_trials, show_progress_bar=progress)
    trials = study.trials_dataframe(attrs=("number", "params", "value"))
    trials.columns = [c.removeprefix("params_") for c in trials.columns]
    trials = trials.rename(columns={"value": metric})
    return trials.sort_values(metric, ascending=minimize, kind="stable").reset_index(drop=True)


def best_params(table: pd.DataFrame, params: Sequence[str], metric: str) -> dict[str, Any]:
    """The parameter values of the best finite row by ``metric`` (lowest for drawdown/fees)."""
    ok = table[np.isfinite(table[metric].astype(float))]
    if ok.empty:
        raise ConfigError(f"No valid combination to rank by {metric!r}; widen the grid.",
                          setting="grid")
    minimize = metric in ("max_drawdown", "fees_paid")
    score = ok[metric].astype(float)
    row = ok.loc[score.idxmin() if minimize else score.idxmax()]
    return {k: (row[k].item() if hasattr(row[k], "item") else row[k]) for k in params}

