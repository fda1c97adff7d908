"""The dashboard's pages: Panel viewers over :mod:`workbench.dashboard.queries`.

Each page is a ``pn.viewable.Viewer`` holding its widgets and a ``refresh()`` that re-reads the
store and pushes only what changed (a table whose rows are equal is not re-sent), so the
app's periodic callback can call it twice a second without flooding the browser. Control
widgets are disabled for users who may not act, and the :class:`Controller` they call
refuses such users again on the server.
"""

from __future__ import annotations

import html as _html
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
from bokeh.plotting import figure

from workbench.dashboard import queries
from workbench.dashboard.context import DashboardContext
from workbench.dashboard.control import KILL_CONFIRMATION, ControlRefused
from workbench.dashboard.ssr import overview_cards
from workbench.errors import WorkbenchError
from workbench.store import ledger

__all__ = [
    "PAGES",
    "MarketPage",
    "OrdersPage",
    "OverviewPage",
    "Page",
    "PositionsPage",
    "RiskPage",
    "StatusBar",
    "StrategiesPage",
    "SystemPage",
    "status_html",
]

PAGE_SIZE = 15
_TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for a browser table: UTC timestamps as text (ms), dicts as JSON text."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(
                series):
            out[col] = series.dt.strftime(_TS_FORMAT).str[:-3].fillna("")
        elif series.dtype == object and len(series) and isinstance(series.iloc[0], dict | list):
            out[col] = series.map(lambda v: json.dumps(v, default=str, sort_keys=True))
    return out.reset_index(drop=True)


def make_table(frame: pd.DataFrame | None = None, *, name: str, page_size: int = PAGE_SIZE,
               **kwargs: Any) -> pn.widgets.Tabulator:
    """A read-only, paged table (pages are fetched from the server, so long lists stay light)."""
    return pn.widgets.Tabulator(
        display_frame(frame) if frame is not None else pd.DataFrame(), name=name,
        pagination="remote", page_size=page_size, disabled=True, show_index=False,
        sizing_mode="stretch_width", css_classes=[f"wb-table-{name}"], **kwargs)


def update_table(table: pn.widgets.Tabulator, frame: pd.DataFrame) -> bool:
    """Replace the table's rows when they changed; returns True when it sent anything."""
    shown = display_frame(frame)
    current = table.value
    if (isinstance(current, pd.DataFrame) and list(current.columns) == list(shown.columns)
            and current.shape == shown.shape and current.equals(shown)):
        return False
    table.value = shown
    return True


def html_table(frame: pd.DataFrame, *, name: str, max_rows: int = 20) -> str:
    """A small static HTML table (escaped), for pages that must stay light: no table widget
    and so no table library in the browser. Rows past ``max_rows`` are counted, not shown."""
    shown = display_frame(frame)
    head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in shown.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in shown.head(max_rows).itertuples(index=False))
    if not len(shown):
        body = f'<tr><td colspan="{max(len(shown.columns), 1)}"><i>none</i></td></tr>'
    more = (f'<div class="wb-more">{len(shown) - max_rows} more not shown</div>'
            if len(shown) > max_rows else "")
    return (f'<table class="wb-html-table" data-testid="table-{name}"><thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table>{more}")


def _message(kind: str, text: str) -> pn.pane.Alert:
    return pn.pane.Alert(text, alert_type=kind, sizing_mode="stretch_width", visible=bool(text))


def _set_html(pane: pn.pane.HTML, html: str) -> None:
    """Send ``html`` only when it differs from what the browser shows."""
    if pane.object != html:
        pane.object = html


CSS = """
.wb-card {border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:150px;
          background:#fff;display:inline-block;margin:4px}
.wb-card-title {font-size:12px;color:#57606a;text-transform:uppercase}
.wb-card-value {font-size:22px;font-weight:600}
.wb-bad .wb-card-value {color:#cf222e}
.wb-good .wb-card-value {color:#1a7f37}
.wb-banner {padding:6px 12px;border-radius:4px;background:#fff8c5;border:1px solid #d4a72c}
pre.wb-log {max-height:360px;overflow:auto;font-size:12px;background:#f6f8fa;padding:8px}
table.wb-html-table {border-collapse:collapse;width:100%;font-size:13px}
table.wb-html-table th, table.wb-html-table td {border-bottom:1px solid #d0d7de;padding:4px 8px;
          text-align:left;vertical-align:top;word-break:break-word}
table.wb-html-table th {background:#f6f8fa}
"""


class Page(pn.viewable.Viewer):
    """A dashboard page: a title, a layout, and ``refresh()`` for live updates."""

    title: str = ""
    slug: str = ""
    #: The page shows Tabulator tables, so the browser must have loaded Tabulator's scripts.
    needs_tables: bool = True

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(**params)
        self.ctx = ctx
        self.message = _message("info", "")

    def refresh(self) -> None:
        """Re-read the store and update what changed."""

    def _act(self, action: Callable[[], Any], done: str) -> bool:
        """Run a control action, showing its outcome; True when it was queued."""
        try:
            command_id = action()
        except ControlRefused as exc:
            self.message.alert_type, self.message.object = "danger", str(exc)
            self.message.visible = True
            return False
        except WorkbenchError as exc:
            self.message.alert_type, self.message.object = "warning", str(exc)
            self.message.visible = True
            return False
        self.message.alert_type = "success"
        self.message.object = f"{done} (command #{command_id}, sent as {self.ctx.user})."
        self.message.visible = True
        return True


def status_html(ctx: DashboardContext) -> str:
    """The status line: engine liveness, breaker, user and role, live-update source."""
    status = queries.load_engine_status(ctx.store, heartbeat_s=ctx.settings.engine.heartbeat_s)
    engine = ("running" if status.is_running else
              "no heartbeat" if status.heartbeat_age_s is None else
              f"silent {status.heartbeat_age_s:,.0f}s")
    breaker = status.breaker + (f" ({status.breaker_reason})" if status.breaker_reason else "")
    live = ctx.feed.describe() if ctx.feed is not None else "store polling"
    return (f'<span data-testid="status-engine">engine: <b>{engine}</b></span> &middot; '
            f'<span data-testid="status-breaker">breaker: <b>{_html.escape(breaker)}</b></span>'
            f' &middot; <span data-testid="status-user">user: <b>{_html.escape(ctx.user)}</b> '
            f"({ctx.role})</span> &middot; "
            f'<span data-testid="status-live">updates: {_html.escape(live)}</span>')


class StatusBar(Page):
    """Breaker, engine heartbeat and the user's role, on every page."""

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.html = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["wb-status"])
        self._last = ""
        self.refresh()

    def refresh(self) -> None:
        html = status_html(self.ctx)
        if html != self._last:
            self._last = html
            self.html.object = html

    def __panel__(self) -> pn.viewable.Viewable:
        return self.html


class OverviewPage(Page):
    """Equity curve, today's PnL, drawdown, exposure by token, breaker and engine health."""

    title, slug = "Overview", "overview"
    # the first page a user sees: static HTML tables keep Tabulator's ~0.5 MB of scripts off it
    needs_tables = False

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.cards = pn.pane.HTML("", sizing_mode="stretch_width")
        self.source = ColumnDataSource({"ts": [], "equity": [], "drawdown": []})
        self.equity_fig = figure(x_axis_type="datetime", height=260, sizing_mode="stretch_width",
                                 title="Equity", tools="pan,wheel_zoom,box_zoom,reset")
        self.equity_fig.line("ts", "equity", source=self.source, line_width=2)
        self.equity_fig.yaxis.formatter = NumeralTickFormatter(format="0,0.00")
        self.equity_fig.add_tools(HoverTool(tooltips=[("equity", "@equity{0,0.00}")],
                                            mode="vline"))
        # shares the equity plot's time axis, so it draws none of its own (a datetime axis
        # is a dozen models to build, send and render)
        self.dd_fig = figure(x_axis_type=None, height=120, sizing_mode="stretch_width",
                             title="Drawdown %", x_range=self.equity_fig.x_range, tools="",
                             toolbar_location=None)
        self.dd_fig.varea("ts", "drawdown", 0, source=self.source, fill_alpha=0.4,
                          fill_color="#cf222e")
        self.exposure = pn.pane.HTML("", sizing_mode="stretch_width",
                                     css_classes=["wb-table-exposure"])
        self.health = pn.pane.HTML("", sizing_mode="stretch_width",
                                   css_classes=["wb-table-health"])
        self._sig: tuple[Any, ...] = ()
        self.data: queries.OverviewData | None = None
        self.refresh()

    def refresh(self) -> None:
        data = queries.cached_overview(self.ctx.store,
                                       heartbeat_s=self.ctx.settings.engine.heartbeat_s)
        self.data = data
        st = data.status
        cards = overview_cards(data)
        if cards != self.cards.object:
            self.cards.object = cards
        eq = data.equity
        sig = (len(eq), eq.index[-1] if len(eq) else None,
               float(eq["equity"].iloc[-1]) if len(eq) else None)
        if sig != self._sig:
            self._sig = sig
            self.source.data = {"ts": eq.index.tz_localize(None) if len(eq) else [],
                                "equity": eq["equity"].to_numpy(),
                                "drawdown": eq["drawdown"].to_numpy()}
        exposure = data.exposure.copy()
        for col in ("quantity", "value"):
            exposure[col] = exposure[col].map(queries._decimal_text)
        _set_html(self.exposure, html_table(exposure, name="exposure"))
        health = pd.DataFrame(
            [{"key": k, "value": json.dumps(v, default=str, sort_keys=True)}
             for k, v in st.health.items()], columns=["key", "value"])
        _set_html(self.health, html_table(health, name="health"))

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            self.cards,
            pn.pane.Bokeh(self.equity_fig, sizing_mode="stretch_width"),
            pn.pane.Bokeh(self.dd_fig, sizing_mode="stretch_width"),
            pn.Row(pn.Column("### Exposure by token", self.exposure, sizing_mode="stretch_width"),
                   pn.Column("### Engine health", self.health, sizing_mode="stretch_width"),
                   sizing_mode="stretch_width"),
            sizing_mode="stretch_width")


class PositionsPage(Page):
    """Per token: size, average cost, mark, realised and unrealised PnL, stops."""

    title, slug = "Positions", "positions"

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.table = make_table(name="positions")
        self.refresh()

    def refresh(self) -> None:
        update_table(self.table, queries.load_positions_view(self.ctx.store))

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column("### Positions", self.table, sizing_mode="stretch_width")


class OrdersPage(Page):
    """Orders and fills, newest first, with transaction signatures."""

    title, slug = "Orders & fills", "orders"

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.fills = make_table(name="fills")
        self.orders = make_table(name="orders")
        self.refresh()

    def refresh(self) -> None:
        update_table(self.fills, queries.load_fills_view(self.ctx.store, limit=1000))
        update_table(self.orders, queries.load_orders_view(self.ctx.store, limit=1000))

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column("### Fills", self.fills, "### Orders", self.orders,
                         sizing_mode="stretch_width")


class StrategiesPage(Page):
    """Each strategy's status, a parameter editor, start and stop."""

    title, slug = "Strategies", "strategies"

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.table = make_table(name="strategies")
        locked = not ctx.can_act
        self.select = pn.widgets.Select(name="Strategy", options=[], width=220,
                                        css_classes=["wb-strategy"])
        self.start = pn.widgets.Button(name="Start", button_type="success", disabled=locked,
                                       css_classes=["wb-start"], width=90)
        self.stop = pn.widgets.Button(name="Stop", button_type="warning", disabled=locked,
                                      css_classes=["wb-stop"], width=90)
        self.params_editor = pn.widgets.TextAreaInput(name="Parameters (JSON)", height=160,
                                                      disabled=locked, width=420)
        self.apply = pn.widgets.Button(name="Apply parameters", button_type="primary",
                                       disabled=locked, css_classes=["wb-apply-params"])
        self.start.on_click(lambda _e: self._act(
            lambda: ctx.controller.start_strategy(self.select.value),
            f"Start of {self.select.value} sent"))
        self.stop.on_click(lambda _e: self._act(
            lambda: ctx.controller.stop_strategy(self.select.value),
            f"Stop of {self.select.value} sent"))
        self.apply.on_click(self._apply_params)
        self.select.param.watch(lambda _e: self._show_params(), "value")
        self._configs = pd.DataFrame()
        self.refresh()

    def _current_params(self) -> dict[str, Any]:
        rows = self._configs[self._configs["name"] == self.select.value] if len(
            self._configs) else self._configs
        return dict(rows["params"].iloc[0]) if len(rows) else {}

    def _show_params(self) -> None:
        self.params_editor.value = json.dumps(self._current_params(), indent=2, sort_keys=True,
                                              default=str)

    def _apply_params(self, _event: Any = None) -> None:
        try:
            edited = json.loads(self.params_editor.value or "{}")
        except json.JSONDecodeError as exc:
            self.message.alert_type = "warning"
            self.message.object = f"Parameters are not valid JSON: {exc.msg} at line {exc.lineno}."
            self.message.visible = True
            return
        if not isinstance(edited, dict):
            self.message.alert_type = "warning"
            self.message.object = "Parameters must be a JSON object, e.g. {\"fast\": 10}."
            self.message.visible = True
            return
        current = self._current_params()
        changed = {k: v for k, v in edited.items() if current.get(k) != v}
        name = self.select.value
        self._act(lambda: self.ctx.controller.set_params(name, changed),
                  f"Parameter change for {name} sent: {json.dumps(changed, default=str)}")

    def refresh(self) -> None:
        view = queries.load_strategies_view(self.ctx.store)
        self._configs = view
        names = list(view["name"])
        if names != list(self.select.options):
            keep = self.select.value if self.select.value in names else (names[0] if names
                                                                           else None)
            self.select.options = names
            self.select.value = keep
            self._show_params()
        update_table(self.table, view)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            "### Strategies", self.table,
            pn.Row(self.select, self.start, self.stop, align="end"),
            pn.Row(self.params_editor, self.apply, align="end"),
            self.message, sizing_mode="stretch_width")


class RiskPage(Page):
    """Limits editor, recent breaches and rejections, breaker reset, kill switch and flatten."""

    title, slug = "Risk", "risk"

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        locked = not ctx.can_act
        self.limits = make_table(name="limits", page_size=25)
        self.limit_name = pn.widgets.Select(name="Limit", options=[], width=240,
                                            css_classes=["wb-limit-name"])
        self.limit_value = pn.widgets.TextInput(name="New value", width=180, disabled=locked,
                                               css_classes=["wb-limit-value"])
        self.limit_apply = pn.widgets.Button(name="Change limit", button_type="primary",
                                             disabled=locked, css_classes=["wb-set-limit"])
        self.limit_apply.on_click(self._set_limit)
        self.breaker = pn.pane.HTML("")
        self.reset = pn.widgets.Button(name="Reset breaker", button_type="warning",
                                       disabled=locked, css_classes=["wb-reset-breaker"])
        self.reset.on_click(lambda _e: self._act(ctx.controller.reset_breaker,
                                                 "Breaker reset sent"))
        self.kill = pn.widgets.Button(name="Kill switch…", button_type="danger", disabled=locked,
                                      css_classes=["wb-kill"])
        self.flatten = pn.widgets.Checkbox(name="Also flatten all positions", value=True,
                                           disabled=locked, css_classes=["wb-flatten"])
        self.confirm_text = pn.widgets.TextInput(
            name=f"Type {KILL_CONFIRMATION} to confirm", placeholder=KILL_CONFIRMATION,
            disabled=locked, css_classes=["wb-kill-text"], width=200)
        self.confirm = pn.widgets.Button(name="Confirm kill", button_type="danger",
                                         disabled=True, css_classes=["wb-kill-confirm"])
        self.cancel = pn.widgets.Button(name="Cancel", css_classes=["wb-kill-cancel"])
        self.confirm_box = pn.Column(
            pn.pane.HTML("<b>Kill switch:</b> stops every strategy and cancels open orders."),
            self.flatten, self.confirm_text, pn.Row(self.confirm, self.cancel),
            visible=False, css_classes=["wb-kill-box"], styles={"border": "2px solid #cf222e",
                                                                 "padding": "8px"})
        self.kill.on_click(lambda _e: setattr(self.confirm_box, "visible", True))
        self.cancel.on_click(self._close_kill)
        self.confirm_text.param.watch(self._arm, "value_input")
        self.confirm.on_click(self._kill)
        self.events = make_table(name="risk-events")
        self.commands = make_table(name="commands", page_size=10)
        self._limits: dict[str, Any] = {}
        self.refresh()

    def _arm(self, event: Any) -> None:
        self.confirm.disabled = (not self.ctx.can_act) or (
            (event.new or "").strip() != KILL_CONFIRMATION)

    def _close_kill(self, _event: Any = None) -> None:
        self.confirm_box.visible = False
        self.confirm_text.value = ""
        self.confirm.disabled = True

    def _kill(self, _event: Any = None) -> None:
        text = self.confirm_text.value_input or self.confirm_text.value or ""
        flatten = bool(self.flatten.value)
        if self._act(lambda: self.ctx.controller.kill(confirmation=text, flatten=flatten),
                     "Kill switch sent" + (" with flatten-all" if flatten else "")):
            self._close_kill()

    def _set_limit(self, _event: Any = None) -> None:
        name, value = self.limit_name.value, (self.limit_value.value or "").strip()
        if self._act(lambda: self.ctx.controller.set_limit(name, value, current=self._limits),
                     f"Change of {name} to {value} sent"):
            self.limit_value.value = ""

    def refresh(self) -> None:
        limits = queries.load_limits(self.ctx.store, self.ctx.settings)
        self._limits = limits
        names = sorted(limits)
        if names != list(self.limit_name.options):
            self.limit_name.options = names
            if self.limit_name.value not in names:
                self.limit_name.value = "max_order_notional" if (
                    "max_order_notional" in names) else names[0]
        update_table(self.limits, pd.DataFrame(
            [{"limit": k, "value": json.dumps(v, default=str) if isinstance(v, list | dict)
              else str(v)} for k, v in sorted(limits.items())], columns=["limit", "value"]))
        st = queries.load_engine_status(self.ctx.store)
        html = (f'<div data-testid="risk-breaker">Breaker: <b>{st.breaker}</b>'
                f'{" — " + st.breaker_reason if st.breaker_reason else ""}</div>')
        if html != self.breaker.object:
            self.breaker.object = html
        update_table(self.events, ledger.load_risk_events(self.ctx.store, limit=500))
        update_table(self.commands, ledger.load_commands(self.ctx.store, limit=200))

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(self.breaker, self.reset, self.kill, align="center"),
            self.confirm_box, self.message,
            pn.Row(pn.Column("### Limits", self.limits,
                             pn.Row(self.limit_name, self.limit_value, self.limit_apply,
                                    align="end"), sizing_mode="stretch_width"),
                   pn.Column("### Recent breaches and rejections", self.events,
                             sizing_mode="stretch_width"), sizing_mode="stretch_width"),
            "### Control commands", self.commands, sizing_mode="stretch_width")


class MarketPage(Page):
    """Candles and depth from the store for a chosen pair, venue and timeframe.

    Opens on the pair and timeframe the engine trades (from its published depth, else its
    marks; see :func:`queries.load_engine_market`), and lets the user pick any stored pair,
    timeframe and candle source, and any depth venue of the pair. A choice the user made is
    kept across refreshes.
    """

    title, slug = "Market", "market"

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.pair = pn.widgets.Select(name="Pair", options=[], width=160,
                                      css_classes=["wb-market-pair"])
        self.timeframe = pn.widgets.Select(name="Timeframe", options=[], width=110,
                                           css_classes=["wb-market-timeframe"])
        self.source = pn.widgets.Select(name="Candles from (venue / source)", options=[],
                                        width=220, css_classes=["wb-market-source"])
        self.depth_key = pn.widgets.Select(name="Depth venue", options={}, width=260,
                                           css_classes=["wb-depth"])
        self.engine_note = pn.pane.HTML("", sizing_mode="stretch_width")
        self.candles_note = pn.pane.HTML("", sizing_mode="stretch_width")
        self.source_data = ColumnDataSource({k: [] for k in
                                             ("ts", "open", "high", "low", "close", "color")})
        self.fig = figure(x_axis_type="datetime", height=320, sizing_mode="stretch_width",
                          title="Candles", tools="pan,wheel_zoom,box_zoom,reset")
        self.fig.segment("ts", "high", "ts", "low", source=self.source_data, color="color")
        self.bar_width = self.fig.vbar("ts", 1, "open", "close", source=self.source_data,
                                       fill_color="color", line_color="color")
        self.depth_source = ColumnDataSource({"impact_bps": [], "bid_base": [], "ask_base": []})
        self.depth_fig = figure(height=220, sizing_mode="stretch_width",
                                title="Depth within price impact (base tokens)",
                                x_axis_label="impact, bps", tools="")
        for col, color in (("bid_base", "#1a7f37"), ("ask_base", "#cf222e")):
            side = col.split("_")[0]
            self.depth_fig.line("impact_bps", col, source=self.depth_source, color=color,
                                legend_label=side)
            self.depth_fig.scatter("impact_bps", col, source=self.depth_source, color=color,
                                   legend_label=side, size=5)
        self.depth_note = pn.pane.HTML("", sizing_mode="stretch_width")
        self._depth_sig: tuple[Any, ...] = ()
        self._sig: tuple[Any, ...] = ()
        self._summary = pd.DataFrame(columns=["source", "symbol", "timeframe", "rows", "last"])
        self._depth_keys: list[str] = []
        self._engine: tuple[str, str] | None = None
        self._updating = False
        self.pair.param.watch(lambda _e: self._on_choice(), "value")
        self.timeframe.param.watch(lambda _e: self._on_choice(), "value")
        self.source.param.watch(lambda _e: self._on_choice(), "value")
        self.depth_key.param.watch(lambda _e: self._load_depth(), "value")
        self.refresh()

    @property
    def series(self) -> str | None:
        """The chosen candle series as ``source|symbol|timeframe`` (None when none)."""
        if not (self.pair.value and self.timeframe.value and self.source.value):
            return None
        return f"{self.source.value}|{self.pair.value}|{self.timeframe.value}"

    @staticmethod
    def _pick(current: Any, options: list[Any], preferred: Any = None) -> Any:
        if current in options:
            return current
        if preferred in options:
            return preferred
        return options[0] if options else None

    def _sync_choices(self) -> None:
        """Options of each selector from the store; defaults follow the engine's market."""
        summary, keys = self._summary, self._depth_keys
        engine_pair, engine_tf = self._engine or (None, None)
        pairs = sorted(set(summary["symbol"]) | {k.split(":", 2)[1] for k in keys})
        if engine_pair and engine_pair not in pairs:
            pairs.insert(0, engine_pair)
        self._updating = True
        try:
            if list(self.pair.options) != pairs:
                self.pair.options = pairs
            self.pair.value = self._pick(self.pair.value, pairs, engine_pair)
            rows = summary[summary["symbol"] == self.pair.value]
            tfs = sorted(set(rows["timeframe"]), key=_timeframe_seconds)
            if list(self.timeframe.options) != tfs:
                self.timeframe.options = tfs
            prefer_tf = engine_tf if self.pair.value == engine_pair else None
            self.timeframe.value = self._pick(self.timeframe.value, tfs, prefer_tf)
            rows = rows[rows["timeframe"] == self.timeframe.value].sort_values(
                "last", ascending=False)
            sources = list(dict.fromkeys(rows["source"]))
            if list(self.source.options) != sources:
                self.source.options = sources
            self.source.value = self._pick(self.source.value, sources)
            depth = {k.split(":", 2)[2]: k for k in keys
                     if k.split(":", 2)[1] == self.pair.value}
            if self.depth_key.options != depth:
                self.depth_key.options = depth
            self.depth_key.value = self._pick(self.depth_key.value, list(depth.values()))
        finally:
            self._updating = False

    def _on_choice(self) -> None:
        if self._updating:
            return
        self._sync_choices()
        self._load_candles()
        self._load_depth()

    def _load_candles(self) -> None:
        series = self.series
        if series is None:
            self._sig = ()
            self.source_data.data = {k: [] for k in self.source_data.data}
            self.fig.title.text = f"No stored candles for {self.pair.value or 'any pair'}"
            _set_html(self.candles_note, '<span data-testid="candles-note">No stored candles '
                      f"for {_html.escape(str(self.pair.value or 'any pair'))}.</span>")
            return
        source, symbol, timeframe = series.split("|")
        bars = queries.load_market_candles(self.ctx.store, symbol=symbol, timeframe=timeframe,
                                           source=source)
        sig = (series, len(bars), bars.index[-1] if len(bars) else None,
               float(bars["close"].iloc[-1]) if len(bars) else None)
        if sig == self._sig:
            return
        self._sig = sig
        ts = bars.index.tz_localize(None)
        step_ms = float(np.median(np.diff(ts.asi8)) / 1e6) if len(ts) > 1 else 60_000.0
        self.bar_width.glyph.width = step_ms * 0.7
        self.fig.title.text = f"{symbol} {timeframe} ({source}), last {len(bars)} bars"
        _set_html(self.candles_note, f'<span data-testid="candles-note">Candles: '
                  f"{_html.escape(self.fig.title.text)}.</span>")
        self.source_data.data = {"ts": ts, "open": bars["open"].to_numpy(),
                                 "high": bars["high"].to_numpy(), "low": bars["low"].to_numpy(),
                                 "close": bars["close"].to_numpy(),
                                 "color": np.where(bars["close"] >= bars["open"], "#1a7f37",
                                                   "#cf222e")}

    def _load_depth(self) -> None:
        if self._updating:
            return
        if not self.depth_key.value:
            _set_html(self.depth_note, '<i data-testid="depth-note">No depth for '
                      f"{_html.escape(str(self.pair.value))}: the engine published no "
                      "<code>depth:&lt;pair&gt;:&lt;venue&gt;</code> key for it and it has no "
                      "paper pool.</i>")
            self.depth_source.data = {"impact_bps": [], "bid_base": [], "ask_base": []}
            self._depth_sig = ()
            return
        _, symbol, venue = self.depth_key.value.split(":", 2)
        view = queries.load_pool_depth(self.ctx.store, symbol=symbol, venue=venue)
        _set_html(self.depth_note, f'<span data-testid="depth-note">'
                  f"{_html.escape(view.note)}</span>")
        data = {c: view.levels[c].astype(float).to_numpy()
                for c in ("impact_bps", "bid_base", "ask_base")}
        sig = (self.depth_key.value, view.source, view.price, view.ts,
               tuple(data["bid_base"]))
        if self._depth_sig != sig:
            self._depth_sig = sig
            self.depth_source.data = data

    def refresh(self) -> None:
        self._summary = queries.load_candle_series(self.ctx.store)
        self._depth_keys = queries.load_depth_keys(self.ctx.store)
        self._engine = queries.load_engine_market(self.ctx.store)
        self._sync_choices()
        if self._engine:
            note = (f'<span data-testid="market-engine">The engine trades '
                    f"<b>{_html.escape(self._engine[0])}</b> on "
                    f"<b>{_html.escape(self._engine[1] or '?')}</b> bars.</span>")
        else:
            note = ('<span data-testid="market-engine">No engine market published yet '
                    "(no depth snapshot, no marks).</span>")
        _set_html(self.engine_note, note)
        self._load_candles()
        self._load_depth()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(self.pair, self.timeframe, self.source, self.depth_key, align="end"),
            self.engine_note, self.candles_note,
            pn.pane.Bokeh(self.fig, sizing_mode="stretch_width"),
            self.depth_note, pn.pane.Bokeh(self.depth_fig, sizing_mode="stretch_width"),
            sizing_mode="stretch_width")


def _timeframe_seconds(timeframe: str) -> float:
    """Seconds in ``1m``, ``5m``, ``1h``, ``1d`` ... (unknown units sort last)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    try:
        return float(timeframe[:-1]) * units[timeframe[-1]]
    except (KeyError, ValueError):
        return float("inf")


class SystemPage(Page):
    """Feed lag, latency per execution stage, job runs, audit and recent log lines."""

    title, slug = "System", "system"

    def __init__(self, ctx: DashboardContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.feeds = make_table(name="feeds", page_size=10)
        self.latency = make_table(name="latency", page_size=10)
        self.lat_source = ColumnDataSource({"stage": [], "p50_ms": [], "p99_ms": []})
        self.lat_fig = figure(x_range=[], height=240, sizing_mode="stretch_width",
                              title="Latency per stage (ms)", tools="")
        self.lat_fig.vbar(x="stage", top="p99_ms", width=0.8, source=self.lat_source,
                          color="#d4a72c", legend_label="p99")
        self.lat_fig.vbar(x="stage", top="p50_ms", width=0.5, source=self.lat_source,
                          color="#0969da", legend_label="p50")
        self.jobs = make_table(name="jobs")
        self.audit = make_table(name="audit")
        self.events = make_table(name="events", page_size=10)
        self.events_note = pn.pane.HTML("", sizing_mode="stretch_width")
        self.logs = pn.pane.HTML("", sizing_mode="stretch_width")
        self.refresh()

    def _refresh_events(self) -> None:
        feed = self.ctx.feed
        self.events.visible = feed is not None
        if feed is None:
            _set_html(self.events_note, "<i>Redis is not configured (<code>engine.redis_url"
                      "</code>): pages poll the store for changes.</i>")
            return
        _set_html(self.events_note, f"Following <code>{_html.escape(feed.stream)}</code>: "
                  f"{_html.escape(feed.describe())}, {feed.received} events received.")
        rows = [{"ts": pd.Timestamp(ev.ts_ns, unit="ns", tz="UTC") if ev.ts_ns else pd.NaT,
                 "topic": ev.topic, "data": json.dumps(dict(ev.data), default=str,
                                                       sort_keys=True), "id": ev.id}
                for ev in reversed(list(feed.recent))]
        update_table(self.events, pd.DataFrame(rows, columns=["ts", "topic", "data", "id"]))

    def refresh(self) -> None:
        update_table(self.feeds, queries.load_feed_lag(self.ctx.store))
        lat = queries.load_latency(self.ctx.store)
        if update_table(self.latency, lat.drop(columns=["buckets"])):
            stages = [str(s) for s in lat["stage"]]
            self.lat_fig.x_range.factors = stages
            self.lat_source.data = {"stage": stages, "p50_ms": lat["p50_ms"].to_numpy(),
                                    "p99_ms": lat["p99_ms"].to_numpy()}
        update_table(self.jobs, ledger.load_job_runs(self.ctx.store, limit=200))
        update_table(self.audit, ledger.load_audit(self.ctx.store, limit=300))
        self._refresh_events()
        lines = queries.load_log_lines(self.ctx.store, self.ctx.settings, limit=200)
        text = "\n".join(_html.escape(line) for line in reversed(lines)) or "(no log lines)"
        html = f'<pre class="wb-log" data-testid="log-lines">{text}</pre>'
        if html != self.logs.object:
            self.logs.object = html

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(pn.Column("### Feed lag", self.feeds, sizing_mode="stretch_width"),
                   pn.Column("### Latency per stage", self.latency,
                             sizing_mode="stretch_width"), sizing_mode="stretch_width"),
            pn.pane.Bokeh(self.lat_fig, sizing_mode="stretch_width"),
            "### Job runs", self.jobs, "### Audit log", self.audit,
            "### Engine events (live)", self.events_note, self.events,
            "### Recent log lines (newest first)", self.logs, sizing_mode="stretch_width")


#: Page classes in menu order.
PAGES: tuple[type[Page], ...] = (OverviewPage, PositionsPage, OrdersPage, StrategiesPage,
                                 RiskPage, MarketPage, SystemPage)
