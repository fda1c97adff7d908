"""Notebook apps served by Voilà: the backtest explorer and the portfolio report.

The notebooks in ``dashboards/voila/`` only lay these out; the widgets, the run and the
plots live here so they are tested like the rest of the package.
"""

from __future__ import annotations

import dataclasses
import html
from decimal import Decimal
from typing import Any

import pandas as pd

from workbench.backtest import BacktestResult, run
from workbench.samples import SAMPLES, load_sample
from workbench.store.db import Store
from workbench.strategies import STRATEGIES, StrategyKind, get_strategy

__all__ = [
    "BacktestExplorer",
    "figure_html",
    "fills_summary",
    "params_widgets",
    "plot_backtest",
    "plot_equity",
    "suggest_params",
]


def suggest_params(strategy: str, bars: pd.DataFrame) -> dict[str, Any]:
    """Defaults that fit the data: a grid spans the 5th..95th percentile of closes."""
    spec = get_strategy(strategy)
    values = {f.name: getattr(spec.params_cls(), f.name) if _has_defaults(spec.params_cls)
              else None for f in dataclasses.fields(spec.params_cls)}
    if spec.kind is StrategyKind.GRID and len(bars):
        lo, hi = bars["close"].quantile([0.05, 0.95])
        values.update(lower=round(float(lo), 4), upper=round(float(hi), 4))
    return values


def _has_defaults(cls: type) -> bool:
    try:
        cls()
    except Exception:  # a params class without full defaults
        return False
    return True


def params_widgets(values: dict[str, Any]) -> dict[str, Any]:
    """One ipywidget per editable parameter, chosen by the value's type."""
    import ipywidgets as w

    out: dict[str, Any] = {}
    for name, value in values.items():
        style = {"description_width": "140px"}
        if isinstance(value, bool):
            out[name] = w.Checkbox(value=value, description=name, style=style)
        elif isinstance(value, int):
            out[name] = w.IntText(value=value, description=name, style=style)
        elif isinstance(value, float):
            out[name] = w.FloatText(value=value, description=name, style=style)
        elif isinstance(value, Decimal | str):
            out[name] = w.Text(value=str(value), description=name, style=style)
    return out


def plot_backtest(result: BacktestResult) -> Any:
    """Price with buys and sells, and the equity curve (matplotlib figure)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True,
                                   gridspec_kw={"height_ratios": [2, 1]})
    eq = result.equity
    ax1.plot(eq.index, eq["price"], lw=1, color="#57606a", label="close")
    orders = result.orders
    if len(orders):
        filled = orders[orders["status"].astype(str).str.lower().str.contains("fill")]
        for side, marker, color in (("buy", "^", "#1a7f37"), ("sell", "v", "#cf222e")):
            pick = filled[filled["side"] == side]
            ax1.scatter(pick["ts"], pick["price"], marker=marker, color=color, s=28, label=side,
                        zorder=3)
    ax1.set_title(f"{result.strategy}: price and orders")
    ax1.legend(loc="upper left")
    ax2.plot(eq.index, eq["equity"], lw=1.5, color="#0969da")
    ax2.set_title("equity")
    fig.tight_layout()
    return fig


def plot_equity(equity: pd.DataFrame) -> Any:
    """Equity and drawdown % of a stored equity curve (matplotlib figure)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True,
                                   gridspec_kw={"height_ratios": [2, 1]})
    ax1.plot(equity.index, equity["equity"], color="#0969da")
    ax1.set_title("equity")
    ax2.fill_between(equity.index, equity["drawdown"], 0, color="#cf222e", alpha=0.4)
    ax2.set_title("drawdown %")
    fig.tight_layout()
    return fig


def fills_summary(store: Store) -> pd.DataFrame:
    """Per symbol and side: fills, base and quote traded (exact), fees in SOL."""
    from workbench.store import ledger

    fills = ledger.load_fills(store)
    cols = ["symbol", "side", "fills", "base", "quote", "fees_sol"]
    if fills.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (symbol, side), grp in fills.groupby(["symbol", "side"], sort=True):
        rows.append({"symbol": symbol, "side": side, "fills": len(grp),
                     "base": sum(grp["base_amount"], Decimal(0)),
                     "quote": sum(grp["quote_amount"], Decimal(0)),
                     "fees_sol": Decimal(int(grp["fee_lamports"].sum())) / Decimal(10**9)})
    return pd.DataFrame(rows, columns=cols)


class BacktestExplorer:
    """Pick a strategy, a shipped data set and parameters; run; see stats and plots.

    Attributes:
        result: the last :class:`BacktestResult`, None before the first run.
        widget: the ipywidgets layout to display.
    """

    def __init__(self, *, strategy: str = "sma_cross", symbol: str = "SOL/USDT",
                 timeframe: str = "5m", bars: int = 2000) -> None:
        import ipywidgets as w

        names = [n for n, s in STRATEGIES.items() if s.kind is not StrategyKind.ARBITRAGE]
        self.strategy = w.Dropdown(options=names, value=strategy, description="strategy")
        self.data = w.Dropdown(options=[f"{s} {t}" for s, t in SAMPLES],
                               value=f"{symbol} {timeframe}", description="data")
        self.bars = w.IntSlider(value=bars, min=100, max=20_000, step=100, description="bars")
        self.params_box = w.VBox()
        self.button = w.Button(description="Run backtest", button_style="primary")
        self.status = w.HTML()
        self.stats = w.HTML()
        self.plot = w.HTML()
        self.result: BacktestResult | None = None
        self._params: dict[str, Any] = {}
        self.strategy.observe(lambda _c: self._reset_params(), names="value")
        self.data.observe(lambda _c: self._reset_params(), names="value")
        self.button.on_click(lambda _b: self.run())
        self._reset_params()
        self.widget = w.VBox([w.HBox([self.strategy, self.data, self.bars]), self.params_box,
                              self.button, self.status, self.stats, self.plot])

    def _bars(self) -> pd.DataFrame:
        symbol, timeframe = self.data.value.split(" ")
        return load_sample(symbol, timeframe, bars=self.bars.value)

    def _reset_params(self) -> None:
        self._params = params_widgets(suggest_params(self.strategy.value, self._bars()))
        self.params_box.children = tuple(self._params.values())

    def params(self) -> dict[str, Any]:
        """The parameter values currently in the widgets."""
        return {name: widget.value for name, widget in self._params.items()}

    def run(self) -> BacktestResult | None:
        """Run the backtest with the widgets' values; errors show in the status line."""
        from workbench.errors import WorkbenchError

        self.status.value = "running…"
        try:
            result = run(self.strategy.value, self._bars(), params=self.params())
        except WorkbenchError as exc:
            self.status.value = f'<b style="color:#cf222e">{html.escape(str(exc))}</b>'
            return None
        self.result = result
        stats = result.stats()
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{_fmt(v)}</td></tr>"
                       for k, v in stats.items())
        self.stats.value = f'<table class="wb-stats">{rows}</table>'
        self.status.value = (f'<span data-testid="bt-done">done: {len(result.orders)} orders, '
                             f"{len(result.trades)} trades</span>")
        self.plot.value = figure_html(plot_backtest(result))
        return result


def figure_html(fig: Any) -> str:
    """A matplotlib figure as an inline PNG ``<img>`` (works whatever the backend), closed."""
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="backtest plot" src="data:image/png;base64,{data}"/>'


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}"
    return html.escape(str(value))
