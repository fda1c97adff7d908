"""The daily performance report: one UTC day of the ledger as data, then as standalone HTML.

:func:`build_daily_report` reads the store (equity snapshots, fills, risk events, job runs)
and computes the day's figures; :func:`render_html` lays them out as one self-contained HTML
file (the equity curve is an inline PNG, so the file can be mailed or archived as is). A day
without trading is reported as such, not as an error: the job's value then is the runs table.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from workbench.errors import ConfigError
from workbench.store import Store
from workbench.store.ledger import load_equity, load_fills, load_job_runs, load_risk_events

__all__ = ["DailyReport", "build_daily_report", "render_html"]

_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyReport:
    """One day of performance.

    Attributes:
        day: the UTC day (midnight).
        summary: headline figures: ``equity_start``, ``equity_end``, ``pnl``, ``return``,
            ``max_drawdown`` (fraction, within the day), ``fills``, ``volume_quote`` (Decimal),
            ``fees_lamports``, ``risk_events``, ``job_runs``, ``failed_runs``.
        equity: the day's equity snapshots (UTC index, float columns).
        fills: the day's fills, oldest first.
        risk_events: the day's risk events.
        runs: job runs started that day, newest first.
    """

    day: pd.Timestamp
    summary: dict[str, Any]
    equity: pd.DataFrame
    fills: pd.DataFrame
    risk_events: pd.DataFrame
    runs: pd.DataFrame

    @property
    def has_trading(self) -> bool:
        """True when the ledger holds equity points or fills for the day."""
        return not (self.equity.empty and self.fills.empty)


def _day(day: pd.Timestamp | str | None) -> pd.Timestamp:
    if day is None or day == "":
        return pd.Timestamp.now(tz="UTC").normalize()
    try:
        ts = pd.Timestamp(day)
    except ValueError:
        raise ConfigError(f"day={day!r} is not a date; use YYYY-MM-DD.", setting="day") from None
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).normalize()


def build_daily_report(store: Store, day: pd.Timestamp | str | None = None) -> DailyReport:
    """Collect ``day`` (UTC; default today) from the store.

    Raises:
        ConfigError: ``day`` is not a date.
    """
    start = _day(day)
    end = start + _DAY
    lo = start.value
    equity = load_equity(store, since_ns=lo)
    equity = equity[equity.index < end]
    fills = load_fills(store, since_ns=lo)
    fills = fills[fills["ts_event"] < end].iloc[::-1].reset_index(drop=True)
    events = load_risk_events(store, limit=100_000)
    events = events[(events["ts"] >= start) & (events["ts"] < end)].reset_index(drop=True)
    runs = load_job_runs(store, limit=100_000)
    runs = runs[(runs["started"] >= start) & (runs["started"] < end)].reset_index(drop=True)
    eq = equity["equity"] if not equity.empty else pd.Series(dtype=float)
    first = float(eq.iloc[0]) if len(eq) else None
    last = float(eq.iloc[-1]) if len(eq) else None
    drawdown = float((1 - eq / eq.cummax()).max()) if len(eq) else None
    summary: dict[str, Any] = {
        "day": start.date().isoformat(),
        "equity_start": first, "equity_end": last,
        "pnl": None if first is None or last is None else last - first,
        "return": None if not first or last is None else last / first - 1,
        "max_drawdown": drawdown,
        "fills": len(fills),
        "volume_quote": sum((Decimal(v) for v in fills["quote_amount"]), Decimal(0)),
        "fees_lamports": int(fills["fee_lamports"].sum()) if len(fills) else 0,
        "risk_events": len(events),
        "job_runs": len(runs),
        "failed_runs": int(runs["status"].isin(["failed", "timeout"]).sum()) if len(runs) else 0,
    }
    return DailyReport(day=start, summary=summary, equity=equity, fills=fills,
                       risk_events=events, runs=runs)


def _equity_png(equity: pd.DataFrame) -> str:
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure  # no pyplot: no global figure state in a job

    fig = Figure(figsize=(8, 3))
    ax = fig.subplots()
    # explicit date numbers: without pyplot no unit converter is registered for datetime64
    when = mdates.date2num(equity.index.tz_convert("UTC").tz_localize(None).to_pydatetime())
    ax.plot(when, equity["equity"].to_numpy(), lw=1.2)
    ax.xaxis_date()
    ax.set_ylabel("equity (USD, UTC time)")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def _table(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    return frame.to_html(index=False, border=0, classes="t", na_rep="", escape=True)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.4f}"
    return html.escape(str(value))


def render_html(report: DailyReport, *, title: str = "Daily performance report") -> str:
    """Standalone HTML for ``report`` (no external files or scripts)."""
    s = report.summary
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in s.items())
    chart = (f'<img alt="equity" src="data:image/png;base64,{_equity_png(report.equity)}">'
             if len(report.equity) >= 2 else "<p><em>No equity snapshots this day.</em></p>")
    runs = report.runs.drop(columns=["params", "metrics"], errors="ignore")
    failed = runs[runs["status"].isin(["failed", "timeout"])] if len(runs) else runs
    body = [
        f"<h1>{html.escape(title)}: {s['day']} (UTC)</h1>",
        "" if report.has_trading else "<p><strong>No trading activity recorded.</strong></p>",
        f"<h2>Summary</h2><table class='t'>{rows}</table>",
        f"<h2>Equity</h2>{chart}",
        f"<h2>Fills</h2>{_table(report.fills, 'No fills.')}",
        f"<h2>Risk events</h2>{_table(report.risk_events, 'No risk events.')}",
        f"<h2>Failed job runs</h2>{_table(failed, 'None.')}",
        f"<h2>Job runs</h2>{_table(runs, 'No job runs.')}",
    ]
    style = ("body{font-family:sans-serif;margin:2em;max-width:70em}table.t{border-collapse:"
             "collapse}table.t td,table.t th{padding:2px 8px;border-bottom:1px solid #ddd;"
             "text-align:left}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)} "
            f"{s['day']}</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n")
