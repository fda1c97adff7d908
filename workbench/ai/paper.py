"""The ML strategy in the paper engine: its configuration, and what it did against the research.

The engine (``workbench.live``) builds strategies from JSON parameters stored in the ledger.
:func:`ml_engine_params` writes those for a registry model, pinning the feature list of the
version it names, so a later ``production`` version trained on other features is refused
when the engine (re)starts the strategy instead of trading on features it was not fed.

:func:`compare_paper_decisions` lines up the orders and fills the engine booked for the
strategy with what :func:`~workbench.ai.strategy.compute_ml_signals` decides on the same bars:
the same bars and sides, entries sized from the equity the fills left (the event shape's
sizing), every order filled, and each fill equal to its order within the transaction rounding
(an AMM takes an exact input: the least input that buys the amount overshoots by less than
what one quote base unit buys).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np
import pandas as pd

from workbench.ai.registry import resolve_version
from workbench.ai.strategy import ML_STRATEGY, MlParams, compute_ml_signals
from workbench.errors import ConfigError, SchemaError
from workbench.store import Store
from workbench.store.ledger import load_fills, load_orders

__all__ = ["compare_paper_decisions", "load_paper_decisions", "ml_engine_params"]

_COLUMNS = ["side_expected", "amount_expected", "fraction", "client_order_id", "side",
            "amount", "status", "base_filled", "quote_filled", "is_match"]


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def ml_engine_params(store: Store, name: str, version: int | str = "production", *,
                     registry_url: str = "", **overrides: Any) -> dict[str, Any]:
    """JSON parameters of an engine strategy of kind ``"ml"`` running a registry model.

    Args:
        store: the store holding the registry (checked now: the version must exist).
        name: the model's registry name, e.g. "sol_5m_hgb".
        version: a version number, "production" or "latest"; kept as given, so the engine
            resolves "production" each time it starts the strategy fresh.
        registry_url: the URL the engine's strategy reads the registry from; empty: the
            workbench settings' database (right when the engine runs on that store).
        **overrides: other :class:`~workbench.ai.MlParams` fields (``entry_threshold``,
            ``budget_quote``, ...).

    Returns:
        A dict for ``StrategySeed(kind="ml", params=...)`` or ``workbench ctl set-param``,
        with ``features`` pinned to the version's list.

    Raises:
        DataUnavailable: no such model or version.
        ConfigError: an unknown or invalid parameter.
    """
    for key in ("model", "model_dir", "model_name", "model_version", "registry_url"):
        if key in overrides:
            raise ConfigError(f"ml_engine_params sets {key} itself; got {key}="
                              f"{overrides[key]!r}.", setting=key)
    art = resolve_version(store, name, version)
    values: dict[str, Any] = {"model_name": name, "model_version": version,
                              "registry_url": registry_url, "features": list(art.features),
                              **{k: _json(v) for k, v in overrides.items()}}
    # validate as the engine will build them (JSON lists become tuples there)
    ML_STRATEGY.make_params({k: tuple(v) if isinstance(v, list) else v
                             for k, v in values.items()})
    return values


def _expected(signals: pd.DataFrame, fills: pd.DataFrame, budget: Decimal,
              base_decimals: int) -> pd.DataFrame:
    """The vectorised decisions, entries sized from the equity the fills before them left."""
    unit = Decimal(1).scaleb(-base_decimals)
    ts = signals.index.as_unit("ns").asi8
    fill_ts = fills["ts_event"].dt.as_unit("ns").astype("int64").to_numpy() if len(fills) \
        else np.array([], dtype=np.int64)
    rows = []
    is_long = False
    entry, exit_ = signals["entry"].to_numpy(), signals["exit"].to_numpy()
    fraction = signals["fraction"].to_numpy()
    for i in range(len(signals)):
        if entry[i] and not is_long and fraction[i] > 0:
            before = fills[fill_ts < ts[i]]
            cash = budget
            position = Decimal(0)
            for f in before.itertuples():
                sign = 1 if f.side == "sell" else -1
                cash += sign * Decimal(f.quote_amount)
                position -= sign * Decimal(f.base_amount)
            price = Decimal(repr(float(signals["close"].iloc[i])))
            equity = cash + position * price
            amount = (equity * Decimal(repr(float(fraction[i]))) / price).quantize(
                unit, rounding=ROUND_DOWN)
            rows.append((signals.index[i], "buy", amount, float(fraction[i])))
            is_long = True
        elif exit_[i] and is_long:
            rows.append((signals.index[i], "sell", None, 0.0))
            is_long = False
    return pd.DataFrame(rows, columns=["ts", "side_expected", "amount_expected", "fraction"]
                        ).set_index("ts")


def compare_paper_decisions(signals: pd.DataFrame, orders: pd.DataFrame, fills: pd.DataFrame,
                            *, budget_quote: Decimal | int | str,
                            base_decimals: int = 9, quote_decimals: int = 6) -> pd.DataFrame:
    """Line up the engine's orders for one strategy with the vectorised decisions.

    Args:
        signals: :func:`~workbench.ai.compute_ml_signals` on the replayed bars (float
            ``close``, ``fraction``, bool ``entry``/``exit``, UTC index).
        orders / fills: the strategy's rows of ``ledger.load_orders`` / ``ledger.load_fills``
            (``ts_created`` and ``ts_event`` are the bar's open time).
        budget_quote: the strategy's ``budget_quote``.
        base_decimals / quote_decimals: the pair's token decimals (rounding bounds).

    Returns:
        One row per bar where either side acted, UTC index, columns ``side_expected``,
        ``amount_expected`` (Decimal; the whole position for a sell: None), ``fraction``,
        ``client_order_id``, ``side``, ``amount`` (the order), ``status``, ``base_filled``,
        ``quote_filled`` (Decimal sums of its fills) and bool ``is_match``: same side, the
        expected amount (a sell: the position held), filled, the fill within rounding of the
        order.

    Raises:
        SchemaError: a frame lacks its columns.
    """
    for frame, cols in ((signals, ("close", "fraction", "entry", "exit")),
                        (orders, ("client_order_id", "side", "amount", "status", "ts_created")),
                        (fills, ("client_order_id", "side", "base_amount", "quote_amount",
                                 "ts_event"))):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise SchemaError(f"compare_paper_decisions: a frame lacks {missing}; pass "
                              "compute_ml_signals output and the ledger's orders and fills.")
    fills = fills.sort_values("ts_event", kind="stable")
    expected = _expected(signals, fills, Decimal(budget_quote), base_decimals)
    got = orders.set_index("ts_created").sort_index()[
        ["client_order_id", "side", "amount", "status"]]
    got.index.name = "ts"
    filled = {coid: (sum((Decimal(b) for b in g["base_amount"]), Decimal(0)),
                     sum((Decimal(q) for q in g["quote_amount"]), Decimal(0)))
              for coid, g in fills.groupby("client_order_id")}
    out = expected.join(got, how="outer")
    out["base_filled"] = [filled.get(c, (None, None))[0] for c in out["client_order_id"]]
    out["quote_filled"] = [filled.get(c, (None, None))[1] for c in out["client_order_id"]]
    quote_unit = Decimal(1).scaleb(-quote_decimals)
    base_unit = Decimal(1).scaleb(-base_decimals)
    held = Decimal(0)
    matches = []
    for ts, r in out.iterrows():
        ok = (r["side_expected"] == r["side"] and r["status"] == "filled"
              and r["base_filled"] is not None)
        if ok and r["side"] == "buy":
            price = Decimal(repr(float(signals["close"].loc[ts])))
            slack = 2 * quote_unit / price + base_unit
            ok = (r["amount"] == r["amount_expected"]
                  and Decimal(0) <= r["base_filled"] - r["amount"] <= slack)
        elif ok:
            ok = r["amount"] == held and r["base_filled"] == held
        if r["base_filled"] is not None:
            held += r["base_filled"] if r["side"] == "buy" else -r["base_filled"]
        matches.append(bool(ok))
    out["is_match"] = matches
    return out[_COLUMNS]


def load_paper_decisions(store: Store, bars: pd.DataFrame,
                         params: MlParams | Mapping[str, Any], *,
                         strategy: str = "ml") -> pd.DataFrame:
    """:func:`compare_paper_decisions` for ``strategy``'s orders and fills in ``store``.

    Args:
        store: the engine's store.
        bars: the replayed bars (OHLCV, UTC index).
        params: the strategy's :class:`~workbench.ai.MlParams`, or its engine parameters
            (the JSON dict of :func:`ml_engine_params`).
        strategy: the strategy's name in the engine.

    Returns:
        The frame of :func:`compare_paper_decisions`.
    """
    if not isinstance(params, MlParams):
        params = ML_STRATEGY.make_params({k: tuple(v) if isinstance(v, list) else v
                                          for k, v in params.items()})
    signals = compute_ml_signals(bars, params)
    orders = load_orders(store, strategy=strategy)
    fills = load_fills(store)
    fills = fills[fills["strategy"] == strategy]
    return compare_paper_decisions(signals, orders, fills, budget_quote=params.budget_quote,
                                   base_decimals=params.base_decimals)
