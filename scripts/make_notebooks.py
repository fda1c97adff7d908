"""Write the research and job notebooks (and the job test fixtures) from this one source.

Run ``python scripts/make_notebooks.py`` after editing a notebook here; it rewrites
``notebooks/research/*.ipynb``, ``notebooks/jobs/*.ipynb`` and ``tests/jobs/fixtures/*.ipynb``
without outputs, each on the ``workbench`` kernel with its first code cell tagged
``parameters``. Editing a notebook in JupyterLab is fine too; keep it output-free (the test
suite checks) and port the change back here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

KERNELSPEC = {"name": "workbench", "display_name": "Workbench (Python 3)", "language": "python"}

# Job notebooks declare these; the runner fills them from its settings.
CONTEXT = '''
run_dir = "data/runs/interactive"  # where outputs go (the runner sets it)
database_url = ""  # ledger URL, empty for the settings (the runner sets it)
data_dir = "data"  # data directory holding the lake (the runner sets it)
'''

OPEN_STORE = '''
from pathlib import Path

from workbench import load_settings
from workbench.store import open_store

settings = load_settings()
store = open_store(database_url or settings)
store.require_current()
out = Path(run_dir)
out.mkdir(parents=True, exist_ok=True)
'''


def notebook(title: str, params: str, *cells: str) -> nbformat.NotebookNode:
    """A notebook: a title, the tagged parameters cell, then code (or ``md:`` markdown) cells."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells.append(new_markdown_cell(title.strip()))
    nb.cells.append(new_code_cell(params.strip(), metadata={"tags": ["parameters"]}))
    for src in cells:
        if src.startswith("md:"):
            nb.cells.append(new_markdown_cell(src[3:].strip()))
        else:
            nb.cells.append(new_code_cell(src.strip()))
    return nb


RESEARCH = {
    "data_exploration": notebook(
        """
# Data exploration: the shipped SOL data

Real Binance SOL/USDT candles shipped in `data/sample` (see its PROVENANCE.md): quality, gaps,
returns, volatility, and how SOL moves with BTC and ETH.
""",
        '''
smoke = False  # small data for tests
symbol = "SOL/USDT"
timeframe = "5m"
bars = 20000  # bars from the start of the sample
''',
        '''
import pandas as pd
from bokeh.io import output_notebook, show
from bokeh.plotting import figure

from workbench.data import check_bars, mark_gaps, resample_candles
from workbench.risk import realised_volatility
from workbench.samples import load_sample

output_notebook(hide_banner=True)
bars = load_sample(symbol, timeframe, bars=min(bars, 2000) if smoke else bars)
bars.describe()
''',
        "md: ## Quality: rows the gate rejects, and gaps in the time grid",
        '''
report = check_bars(bars)
gaps = mark_gaps(bars, timeframe)
pd.Series({"rows": len(bars), "rejected": report.rejected_total,
           "gaps": int(gaps["is_gap"].sum()), "first": bars.index[0], "last": bars.index[-1]})
''',
        "md: ## Price, hourly",
        '''
hourly = resample_candles(bars, "1h")
fig = figure(title=f"{symbol} close (1h)", x_axis_type="datetime", height=300,
             sizing_mode="stretch_width")
fig.line(hourly.index, hourly["close"])
show(fig)
''',
        "md: ## Returns and realised volatility",
        '''
per_year = int(pd.Timedelta(days=365) / (bars.index[1] - bars.index[0]))
vol = realised_volatility(bars["close"], periods_per_year=per_year)
print(f"annualised volatility of {symbol}: {vol:.1%}")
bars["close"].pct_change().describe(percentiles=[0.01, 0.05, 0.5, 0.95, 0.99])
''',
        "md: ## SOL against BTC and ETH: correlation of hourly returns",
        '''
closes = pd.DataFrame({s: load_sample(s, "1h")["close"] for s in ("SOL/USDT", "BTC/USDT",
                                                                   "ETH/USDT")})
closes.pct_change().corr()
''',
    ),
    "grid_backtest": notebook(
        """
# Grid backtest and parameter sweep

A grid strategy on the shipped SOL/USDT bars, with the Solana DEX cost model (pool fee, price
impact from depth, network and priority fees), then a sweep of levels and range.
""",
        '''
smoke = False  # small data for tests
symbol = "SOL/USDT"
timeframe = "5m"
bars = 20000
n_levels = 11
size_per_level = "0.5"  # SOL per level
levels_grid = [5, 11, 21]  # swept n_levels
band_quantiles = [0.02, 0.05, 0.10]  # swept lower/upper bands (price quantiles)
''',
        '''
from bokeh.io import output_notebook, show

from workbench.backtest import CostModel, run, sweep
from workbench.samples import load_sample
from workbench.viz import equity_figure, heatmap_figure, trades_figure

output_notebook(hide_banner=True)
bars = load_sample(symbol, timeframe, bars=min(bars, 3000) if smoke else bars)
lower, upper = bars["close"].quantile([0.05, 0.95]).round(2)
costs = CostModel()
result = run("grid", bars, params={"lower": lower, "upper": upper, "n_levels": n_levels,
                                   "size_per_level": size_per_level}, costs=costs)
result.stats()
''',
        "md: Every cost figure used:",
        "result.costs_table()",
        '''
show(equity_figure(result))
show(trades_figure(result))
''',
        "md: ## Sweep: number of levels against the band",
        '''
grid = {"n_levels": levels_grid, "size_per_level": [size_per_level],
        "lower": [round(float(bars["close"].quantile(q)), 2) for q in band_quantiles],
        "upper": [round(float(bars["close"].quantile(1 - band_quantiles[0])), 2)]}
table = sweep("grid", bars, grid, costs=costs)
show(heatmap_figure(table, "n_levels", "lower", "sharpe"))
table.sort_values("sharpe", ascending=False).head(10)
''',
    ),
    "arbitrage_scan": notebook(
        """
# Arbitrage scan across venues

Only one venue's real prices ship, so the second venue is derived in a documented way
(`make_venue_frame`: a thinner pool that follows the market `lag_bars` late). The scan shows
the spread, what constant-product depth allows within an impact budget, and what an atomic
two-leg arbitrage would have earned after every fee.
""",
        '''
smoke = False  # small data for tests
symbol = "SOL/USDT"
timeframe = "5m"
bars = 20000
lag_bars = 1  # venue b lags venue a by this many bars
depth_a = 2_000_000.0  # quote reserves of venue a
depth_b = 500_000.0  # quote reserves of venue b
fee_bps = 25.0  # pool fee of both venues
''',
        '''
from bokeh.io import output_notebook, show

from workbench.backtest import make_venue_frame, run, sweep
from workbench.data import cp_depth
from workbench.samples import load_sample
from workbench.viz import equity_figure

output_notebook(hide_banner=True)
bars = load_sample(symbol, timeframe, bars=min(bars, 3000) if smoke else bars)
venues = make_venue_frame(bars, lag_bars=lag_bars, depth_a=depth_a, depth_b=depth_b)
spread_bps = (venues["a_price"] / venues["b_price"] - 1) * 1e4
spread_bps.abs().describe(percentiles=[0.5, 0.9, 0.99])
''',
        "md: Share of bars whose spread beats both pool fees:",
        "float((spread_bps.abs() > 2 * fee_bps).mean())",
        "md: ## Depth of venue b within 50 bps of impact (constant product, at the last price)",
        '''
price = float(venues["b_price"].iloc[-1])
cp_depth(int(depth_b / price * 1e9), int(depth_b * 1e6), impact_bps=50, fee_bps=fee_bps,
         venue="b")
''',
        "md: ## Two-leg arbitrage after fees, impact and network costs",
        '''
params = {"venues": ("a", "b"), "fee_bps": (fee_bps, fee_bps)}
result = run("arbitrage", venues, params=params)
show(equity_figure(result))
result.stats()
''',
        '''
table = sweep("arbitrage", venues, {"venues": [("a", "b")], "fee_bps": [(fee_bps, fee_bps)],
                                    "max_depth_frac": [0.01, 0.05, 0.1],
                                    "min_profit_quote": [0.0, 1.0]})
table.drop(columns=["venues", "fee_bps"])
''',
    ),
    "walk_forward": notebook(
        """
# Walk-forward validation

Parameters chosen on each window's in-sample part are run untouched on the next out-of-sample
part; only the chained out-of-sample results are the headline. Then the lookahead check.
""",
        '''
smoke = False  # small data for tests
strategy = "sma_cross"
symbol = "SOL/USDT"
timeframe = "5m"
bars = 40000
n_windows = 4
is_fraction = 0.7
metric = "sharpe"
grid = {"fast": [5, 10, 20, 40], "slow": [50, 100, 200]}
''',
        '''
from bokeh.io import output_notebook, show
from bokeh.plotting import figure

from workbench.backtest import check_lookahead, walk_forward
from workbench.samples import load_sample

output_notebook(hide_banner=True)
bars = load_sample(symbol, timeframe, bars=min(bars, 3000) if smoke else bars)
wf = walk_forward(strategy, bars, grid, n_windows=n_windows, is_fraction=is_fraction,
                  metric=metric)
wf.windows
''',
        "md: The headline: out-of-sample only.",
        "wf.headline",
        '''
fig = figure(title="chained out-of-sample equity", x_axis_type="datetime", height=300,
             sizing_mode="stretch_width")
fig.line(wf.oos_equity.index, wf.oos_equity.to_numpy())
show(fig)
''',
        "md: ## Lookahead check: do signals change when future bars are removed?",
        "check_lookahead(strategy, bars)",
    ),
    "risk_report": notebook(
        """
# Risk report

A strategy's backtest seen through the risk layer: drawdown and daily loss against the
configured limits, volatility-targeted sizing, and what the protections would have paused.
""",
        '''
smoke = False  # small data for tests
strategy = "sma_cross"
params = {"fast": 20, "slow": 100}
symbol = "SOL/USDT"
timeframe = "5m"
bars = 20000
init_cash = "10000"
target_vol = 0.20  # annualised volatility target for sizing
''',
        '''
from decimal import Decimal

import pandas as pd
from bokeh.io import output_notebook, show

from workbench import load_settings
from workbench.backtest import run
from workbench.risk import (
    MaxDrawdown,
    StoplossGuard,
    compute_pauses,
    limits_from_settings,
    realised_volatility,
    trades_from_frame,
    volatility_target,
)
from workbench.samples import load_sample
from workbench.viz import drawdown_figure

output_notebook(hide_banner=True)
bars = load_sample(symbol, timeframe, bars=min(bars, 3000) if smoke else bars)
result = run(strategy, bars, params=params, init_cash=init_cash)
limits = limits_from_settings(load_settings().risk)
result.stats()
''',
        "md: ## Drawdown and daily loss against the limits",
        '''
show(drawdown_figure(result))
equity = result.equity["equity"]
daily_pnl = equity.resample("1D").last().diff().dropna()
pd.Series({"max_drawdown": float(result.stats()["max_drawdown"]),
           "drawdown_limit": float(limits.max_drawdown_pct) / 100,
           "worst_day_pnl": float(daily_pnl.min()) if len(daily_pnl) else 0.0,
           "daily_loss_limit": -float(limits.max_daily_loss),
           "days_over_loss_limit": int((daily_pnl < -float(limits.max_daily_loss)).sum())})
''',
        "md: ## Volatility-targeted size at the last bar",
        '''
per_year = int(pd.Timedelta(days=365) / (bars.index[1] - bars.index[0]))
vol = realised_volatility(bars["close"], periods_per_year=per_year)
price = Decimal(str(bars["close"].iloc[-1]))
size = volatility_target(Decimal(init_cash), price, target_vol=target_vol, asset_vol=vol)
pd.Series({"asset_vol": vol, "size_sol": float(size), "notional": float(size * price),
           "max_order_notional": float(limits.max_order_notional)})
''',
        "md: ## Protections the closed trades would have triggered",
        '''
closed = result.trades[~result.trades["is_open"]].assign(symbol=symbol,
                                                          profit_ratio=lambda t: t["return"])
protections = [StoplossGuard(lookback_s=86400, trade_limit=2, stop_duration_s=3600),
               MaxDrawdown(lookback_s=7 * 86400, trade_limit=3, stop_duration_s=86400,
                           max_allowed_drawdown=Decimal("0.1"))]
records = trades_from_frame(closed)
pd.Series({str(t.closed_ns): compute_pauses(records, t.closed_ns, protections,
                                            starting_equity=Decimal(init_cash))
           for t in records}).loc[lambda s: s.map(bool)]
''',
    ),
    "paper_trading": notebook(
        """
# Paper trading: keystore wallet, risk gate, router, executor, ledger

A keystore wallet trades on local SOL/USDC pools on LiteSVM (a real in-process Solana
runtime). Every swap passes the one risk gate, is routed (split over pools when that pays) and
executed; the ledger (SQLite in a temp dir) stores the order, the signed intent before the send
and the fills read from the chain. At the end the ledger is reconciled against the chain in
base units: every row must say `ok`.
""",
        '''
prices = ["150", "150.6"]  # one local pool per price, USDC per SOL
swaps = [["USDC", "SOL", "250"], ["SOL", "USDC", "1.2"], ["USDC", "SOL", "5000"],
         ["USDC", "SOL", "0.5"]]  # spend, receive, amount: a buy, a sell, a resize, a reject
slippage_bps = 50
''',
        '''
import tempfile
from pathlib import Path

from workbench import load_settings
from workbench.execution import Keystore
from workbench.execution.session import TradingSession, open_local_market, outcomes_frame
from workbench.risk import RiskGate, limits_from_settings
from workbench.store import ledger, open_store

work = Path(tempfile.mkdtemp(prefix="paper-trading-"))
keystore = Keystore(work / "keys.json")
keystore.create("paper", "notebook passphrase")
wallet = keystore.unlock("paper", "notebook passphrase")
wallet
''',
        "md: Local pools on LiteSVM, the wallet funded there, the ledger, and the gate's limits "
        "from the settings.",
        '''
setup = open_local_market(prices, owner=wallet.pubkey)
store = open_store(f"sqlite:///{work / 'ledger.db'}")
store.upgrade()
gate = RiskGate(limits=limits_from_settings(load_settings().risk))
session = TradingSession(chain=setup.chain, wallet=wallet, venues=setup.venues, pair=setup.pair,
                         store=store, gate=gate, strategy="notebook")
await session.start()
''',
        "md: ## Swaps through the gate, the router and the executor",
        '''
outcomes = []
for spend, receive, amount in swaps:
    outcomes.append(await session.swap(spend, receive, amount, slippage_bps=slippage_bps))
outcomes_frame(outcomes)
''',
        "md: ## Fills as the ledger stores them",
        "session.ledger_fills()",
        "md: ## Ledger against the chain, in base units (SOL includes the network fees)",
        '''
recon = await session.reconcile()
assert (recon["status"] == "ok").all(), recon
recon
''',
        "md: ## Orders, risk events and balance snapshots in the ledger",
        '''
ledger.load_orders(store)[["client_order_id", "side", "amount", "status", "reason", "venue"]]
''',
        "ledger.load_risk_events(store)",
        "ledger.load_balances(store, owner=str(wallet.pubkey)).head(6)",
        """md:
## Across runs: a paper wallet that persists

`PaperWallet` keeps the local chain (wallet, mints, pools) in a checksummed state file, saved
atomically after every swap, so a second run resumes the balances the first one left and the
ledger still reconciles against the chain. `workbench trade swap` uses the same file under
the data directory.
""",
        '''
from workbench.execution import PaperSpec, PaperWallet

state = work / "paper_wallet.json"
paper = PaperWallet.open(state, wallet=wallet, new=PaperSpec(prices=tuple(prices)))
first = paper.session(store, gate, wallet=wallet, strategy="notebook-persistent")
await first.start()
await paper.swap(first, "USDC", "SOL", "100", slippage_bps=slippage_bps)
paper.balances(store)
''',
        '''
paper = PaperWallet.open(state, wallet=wallet)  # a later run: same file, balances carried over
second = paper.session(store, gate, wallet=wallet, strategy="notebook-persistent")
await second.start()
await paper.swap(second, "SOL", "USDC", "0.3", slippage_bps=slippage_bps)
recon = paper.reconcile(store)
assert (recon["status"] == "ok").all(), recon
recon
''',
    ),
}

JOBS = {
    "collect_data": notebook(
        """
# Job: collect market data

Stores OHLCV into the Parquet lake and the ledger store, resuming and idempotent.
`source="sample"` imports the shipped samples, `"file"` the given files (offline); `"birdeye"`
backfills from Birdeye (needs `data.birdeye_api_key` and the network).
""",
        '''
smoke = False
source = "sample"  # sample | file | birdeye
symbols = ["SOL/USDT"]  # sample: pairs to import; birdeye: the pair name to store under
timeframes = ["5m"]
files = []  # for source file: OHLCV files named like SOL_USDT-5m.feather
bars = 0  # keep only the newest N bars of each file, 0 for all
address = ""  # for source birdeye: the token mint to fetch
start = "2024-01-01"  # for source birdeye: UTC start
''' + CONTEXT,
        OPEN_STORE + '''
from workbench.errors import ConfigError
from workbench.jobs import collect_files, record_metrics, sample_files
from workbench.store.lake import Lake

lake = Lake(Path(data_dir) / "lake")
if source not in ("sample", "file", "birdeye"):
    raise ConfigError(f"source={source!r} must be 'sample', 'file' or 'birdeye'.")
keep = min(bars or 2000, 2000) if smoke else (bars or None)
''',
        '''
if source in ("sample", "file"):
    paths = sample_files(symbols, timeframes) if source == "sample" else files
    summary = collect_files(paths, lake, store=store, source=source, bars=keep)
else:
    from workbench.jobs.collect import backfill_birdeye

    summary = await backfill_birdeye(settings, lake, symbol=symbols[0], address=address,
                                     timeframe=timeframes[0], start=start)
summary.to_csv(out / "collected.csv", index=False)
summary
''',
        '''
record_metrics({"source": source, "series": len(summary),
                "rows_written": int(summary["lake_written"].sum()),
                "rejected": int(summary["rejected"].sum()),
                "last": summary["last"].max(), "summary_path": str(out / "collected.csv")})
''',
    ),
    "reoptimize": notebook(
        """
# Job: re-optimise strategy parameters

Sweeps the grid in-sample, then adopts the best parameters only if they beat the current ones
out-of-sample and stay within the drawdown limit (see `workbench.jobs.reoptimize`). The
decision and its reason go to `decision.json`, the metrics, the audit log and, when adopted,
the strategy's stored configuration.
""",
        '''
smoke = False
strategy = "sma_cross"
name = ""  # strategy config name, empty for strategy:symbol
symbol = "SOL/USDT"
timeframe = "1h"
source = "sample"  # sample: the shipped bars; lake: bars collected into the lake
bars = 4000  # newest bars used
grid = {"fast": [5, 10, 20], "slow": [30, 50, 100]}
metric = "sharpe"
oos_frac = 0.3
min_trades = 1
current = {}  # parameters in use, empty for the stored config or the defaults
cluster = ""  # Dask scheduler address for the sweep, empty to run here
''' + CONTEXT,
        OPEN_STORE + '''
import json

from workbench.data import load
from workbench.jobs import record_metrics
from workbench.jobs.reoptimize import adopt, current_params, reoptimize
from workbench.samples import load_sample

name = name or f"{strategy}:{symbol}"
n = min(bars, 1500) if smoke else bars
data = (load_sample(symbol, timeframe) if source == "sample"
        else load(symbol, timeframe, lake=Path(data_dir) / "lake")).iloc[-n:]
current = current or current_params(store, name)
decision = reoptimize(strategy, data, grid, current=current, metric=metric, oos_frac=oos_frac,
                      max_drawdown_pct=settings.risk.max_drawdown_pct, min_trades=min_trades,
                      cluster=cluster or None)
print(decision.reason)
decision.in_sample.sort_values(metric, ascending=False).head()
''',
        '''
adopt(store, decision, name=name, symbol=symbol)
metrics = record_metrics({**decision.to_metrics(), "name": name, "bars": len(data)})
(out / "decision.json").write_text(json.dumps(metrics, indent=2))
metrics
''',
    ),
    "daily_report": notebook(
        """
# Job: daily performance report

One UTC day of the ledger (equity, fills, risk events, job runs) as a standalone HTML file in
the run directory.
""",
        '''
smoke = False
day = ""  # UTC day as YYYY-MM-DD, empty for today
''' + CONTEXT,
        OPEN_STORE + '''
from workbench.jobs import build_daily_report, record_metrics, render_html

report = build_daily_report(store, day or None)
path = out / f"daily_report_{report.summary['day']}.html"
path.write_text(render_html(report), encoding="utf-8")
report.summary
''',
        '''
record_metrics({**report.summary, "report_path": str(path)})
''',
    ),
    "reconcile": notebook(
        """
# Job: reconcile the ledger against the chain

Paper mode: a fresh in-process Solana runtime (LiteSVM) with SOL/USDC pools and a funded
wallet; real swaps through the executor store their fills in the ledger; then the ledger's
holdings (opening balances + fills) are compared with the wallet's on-chain balances to the
base unit. Any difference fails the job.
""",
        '''
smoke = False
mode = "paper"  # paper (LiteSVM); live reconciliation is not wired yet
swaps = 4  # alternating buys and sells
quote_amount = "100"  # USDC per swap
price = "150"  # pool price, USDC per SOL
fail_on_mismatch = True
''' + CONTEXT,
        OPEN_STORE + '''
from workbench.errors import ConfigError
from workbench.jobs import paper_reconcile, record_metrics

if mode != "paper":
    raise ConfigError(f"mode={mode!r}: only 'paper' reconciliation is available so far.")
result = await paper_reconcile(store, swaps=swaps, quote_amount=quote_amount, price=price)
result.fills
''',
        '''
result.differences.to_csv(out / "differences.csv", index=False)
record_metrics({"mode": mode, "wallet": result.wallet, "fills": len(result.fills),
                "mismatches": len(result.differences), "clean": result.is_clean,
                "ledger": result.ledger, "chain_raw": result.closing_raw})
if fail_on_mismatch:
    result.check()
result.differences
''',
    ),
}

FIXTURES = {
    "ok": notebook(
        "# Fixture: succeeds and records metrics",
        '''
x = 1
label = "a"
ratio = 0.5
flag = False
run_dir = ""
''',
        '''
from pathlib import Path

from workbench.jobs import record_metrics

if run_dir:
    Path(run_dir, "out.txt").write_text(f"{label}:{x}")
record_metrics({"x2": x * 2, "label": label})
record_metrics({"ratio": ratio, "flag": flag})
''',
    ),
    "fail": notebook(
        "# Fixture: the second code cell raises",
        "x = 1",
        "y = x + 1",
        'raise ValueError(f"boom: x={x}")',
        "never = True",
    ),
    "slow": notebook(
        "# Fixture: sleeps",
        "seconds = 30.0",
        '''
import time

from workbench.jobs import record_metrics

time.sleep(seconds)
record_metrics({"slept": seconds})
''',
    ),
    "flaky": notebook(
        "# Fixture: fails until its marker file exists (the first attempt creates it)",
        'marker = ""',
        '''
from pathlib import Path

from workbench.jobs import record_metrics

if not Path(marker).exists():
    Path(marker).write_text("attempted")
    raise RuntimeError("first attempt fails")
record_metrics({"recovered": True})
''',
    ),
}


def write_all(root: Path = ROOT) -> list[Path]:
    """Write every notebook under ``root``; returns the paths written."""
    written = []
    for folder, books in (("notebooks/research", RESEARCH), ("notebooks/jobs", JOBS),
                          ("tests/jobs/fixtures", FIXTURES)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, nb in books.items():
            path = root / folder / f"{name}.ipynb"
            for i, cell in enumerate(nb.cells):  # stable ids: a rewrite changes only what changed
                cell.id = hashlib.sha1(f"{name}:{i}".encode()).hexdigest()[:8]
            nbformat.validate(nb)
            nbformat.write(nb, str(path))
            written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p.relative_to(ROOT))
