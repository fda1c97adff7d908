"""The first paint: the Overview's values rendered on the server into the page's HTML.

A Panel page shows nothing until BokehJS and Panel's scripts (about 3 MB) have loaded and
run, the websocket has pulled the document and every view has rendered: 1.5-2 s for a page
holding one HTML pane on this machine. So the dashboard's HTML document carries the
Overview itself (equity, today's PnL, drawdown, exposure, breaker, engine health and the
equity curve as inline SVG), computed from the same query the page uses, and the scripts
move from ``<head>`` to the end of ``<body>`` where they no longer block that paint.

When the Bokeh document is idle (all views rendered) a small script removes the server-side
copy and reveals the interactive app in its place, and records the moment as
``window.wbInteractive`` (ms since navigation start) with a ``performance.mark``. The two
copies never share ``data-testid`` values: the server-side one prefixes them ``ssr-``.
"""

from __future__ import annotations

import html as _html
import json
from collections.abc import Sequence
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from workbench.dashboard.queries import OverviewData, _decimal_text

__all__ = [
    "SSR_CSS",
    "SSR_TEMPLATE",
    "TAIL_TEMPLATE",
    "equity_svg",
    "page_head",
    "render_overview",
    "render_shell",
]

SSR_CSS = """
#wb-ssr {font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;
         font-size:13px;padding:0 10px;color:#24292f}
#wb-ssr h2 {margin:4px 0;font-size:18px}
#wb-ssr h3 {font-size:14px}
#wb-ssr .wb-ssr-tabs span {display:inline-block;padding:6px 12px;color:#57606a;
         border-bottom:2px solid transparent}
#wb-ssr .wb-ssr-tabs span.on {color:#24292f;border-bottom-color:#0969da}
#wb-ssr .wb-ssr-note {font-size:12px;color:#57606a}
#wb-ssr .wb-ssr-cols {display:flex;gap:16px}
#wb-ssr .wb-ssr-cols > div {flex:1}
#wb-ssr svg {width:100%;height:auto;display:block}
#wb-app.wb-hydrating {visibility:hidden;height:0;overflow:hidden}
"""

# After the server-side copy: the Bokeh roots (hidden until rendered), the scripts, the swap.
_APP_AND_SCRIPTS = """<div id="wb-app" class="wb-hydrating">
{% for doc in docs %}
{{ embed(doc) if doc.elementid }}
{% for root in doc.roots %}{{ embed(root) }}{% endfor %}
{% endfor %}
</div>
{{ bokeh_js if bokeh_js }}
{{ plot_script | indent(4) }}
<script>
(function () {
  var t0 = Date.now();
  function done() {
    var ssr = document.getElementById('wb-ssr');
    if (ssr) { ssr.remove(); }
    document.getElementById('wb-app').classList.remove('wb-hydrating');
    window.wbInteractive = performance.now();
    if (performance.mark) { performance.mark('wb-interactive'); }
  }
  function poll() {
    var docs = (window.Bokeh && window.Bokeh.documents) || [];
    var ready = docs.some(function (d) { return d.roots().length > 0 && d.is_idle; });
    if (ready || Date.now() - t0 > 30000) { done(); } else { setTimeout(poll, 25); }
  }
  poll();
})();
</script>
"""

# Extends Panel's page (used when the page is rendered in one piece, e.g. under
# ``panel serve``): no scripts in <head>; the server-side copy first in <body>.
_FULL_TEXT = """{% extends base %}
{% from macros import embed %}
{% block js_resources %}{% endblock %}
{% block postamble %}<style>{{ wb_css }}</style>{% endblock %}
{% block inner_body %}
<div id="wb-ssr" data-testid="ssr">{{ wb_ssr }}</div>
""" + _APP_AND_SCRIPTS + """{% endblock %}
"""

# The rest of a streamed page, after :func:`page_head` was sent and flushed.
_TAIL_TEXT = """{% from macros import embed %}
{{ bokeh_css if bokeh_css }}
""" + _APP_AND_SCRIPTS + """</body>
</html>
"""

_env = jinja2.Environment(autoescape=False)

#: ``doc.template`` for a page rendered in one piece (Panel passes ``base`` and ``macros``).
SSR_TEMPLATE = _env.from_string(_FULL_TEXT)

#: ``doc.template`` for the part of a streamed page that needs the session.
TAIL_TEMPLATE = _env.from_string(_TAIL_TEXT)

_HTML_BODY_CSS = ("html, body {display:flow-root;box-sizing:border-box;height:100%;margin:0;"
                  "padding:0}")


def page_head(*, title: str, css: str, ssr: str, preload: Sequence[str] = ()) -> str:
    """The start of a streamed page, up to and including the server-side copy: sent and
    flushed before the session exists, so it paints while the server builds the session.
    ``preload`` names the scripts the tail will load, so the browser fetches them meanwhile.
    """
    links = "".join(f'<link rel="preload" as="script" href="{_html.escape(u)}">'
                    for u in preload)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{_html.escape(title)}</title>"
            f'<link rel="icon" href="./favicon.ico">{links}'
            f"<style>{_HTML_BODY_CSS}</style><style>{css}</style></head>\n<body>"
            f'<div id="wb-ssr" data-testid="ssr">{ssr}</div>\n')


def _e(value: Any) -> str:
    return _html.escape(str(value))


def _card(title: str, value: str, *, testid: str, tone: str = "") -> str:
    return (f'<div class="wb-card {tone}" data-testid="{testid}"><div class="wb-card-title">'
            f'{_e(title)}</div><div class="wb-card-value">{_e(value)}</div></div>')


def overview_cards(data: OverviewData, *, testid_prefix: str = "") -> str:
    """The Overview's figure cards: one definition for the live page and the first paint
    (whose test ids carry the ``ssr-`` prefix, so tests can tell the two apart)."""
    st = data.status
    cards = [
        ("Equity", _money(data.last_equity), "equity", ""),
        ("Today's PnL", f"{data.today_pnl:+,.2f}", "today-pnl",
         "wb-good" if data.today_pnl >= 0 else "wb-bad"),
        ("Drawdown", f"{data.drawdown_pct:.2f} %", "drawdown",
         "wb-bad" if data.drawdown_pct < 0 else ""),
        ("Max drawdown", f"{data.max_drawdown_pct:.2f} %", "max-drawdown", ""),
        ("Breaker", st.breaker, "breaker", "wb-bad" if st.is_tripped else ""),
        ("Engine", "running" if st.is_running else "not running", "engine",
         "wb-good" if st.is_running else "wb-bad"),
    ]
    return "".join(_card(title, value, testid=f"{testid_prefix}{key}", tone=tone)
                   for title, value, key, tone in cards)


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, testid: str) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    if not rows:
        body = f'<tr><td colspan="{max(len(columns), 1)}"><i>none</i></td></tr>'
    return (f'<table class="wb-html-table" data-testid="ssr-{testid}"><thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table>")


def equity_svg(equity: pd.DataFrame, *, width: int = 1000, height: int = 220,
               max_points: int = 400) -> str:
    """The equity curve (and its drawdown beneath) as an inline SVG polyline.

    At most ``max_points`` points (every k-th mark, the last kept): a few kilobytes of HTML
    whatever the curve's length. Labels give the first and last time and the value range.
    """
    if equity.empty or "equity" not in equity:
        return '<div class="wb-ssr-note" data-testid="ssr-equity-svg">No equity stored yet.</div>'
    eq = equity["equity"].astype(float)
    if len(eq) > max_points:
        keep = np.zeros(len(eq), dtype=bool)
        keep[:: int(np.ceil(len(eq) / max_points))] = True
        keep[-1] = True
        eq = eq[keep]
    ys = eq.to_numpy()
    lo, hi = float(np.nanmin(ys)), float(np.nanmax(ys))
    span = hi - lo or 1.0
    pad_top, pad_bottom = 18, 18
    inner = height - pad_top - pad_bottom
    n = len(ys)
    xs = np.linspace(0, width, n) if n > 1 else np.array([width / 2])
    yp = pad_top + (hi - ys) / span * inner
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, yp, strict=True))
    first, last = eq.index[0], eq.index[-1]
    return (
        f'<svg data-testid="ssr-equity-svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Equity curve" preserveAspectRatio="none" '
        f'style="border:1px solid #d0d7de;border-radius:4px;background:#fff">'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" '
        f'vector-effect="non-scaling-stroke" points="{points}"/>'
        f'<text x="4" y="13" font-size="12" fill="#57606a">Equity {_e(_money(hi))} max · '
        f"{_e(_money(lo))} min</text>"
        f'<text x="4" y="{height - 4}" font-size="11" fill="#57606a">'
        f"{_e(pd.Timestamp(first).strftime('%Y-%m-%d %H:%M'))}</text>"
        f'<text x="{width - 4}" y="{height - 4}" font-size="11" fill="#57606a" '
        f'text-anchor="end">{_e(pd.Timestamp(last).strftime("%Y-%m-%d %H:%M"))}</text></svg>')


def render_overview(data: OverviewData) -> str:
    """The Overview page's values as static HTML (the same numbers the live page shows)."""
    st = data.status
    cards = overview_cards(data, testid_prefix="ssr-")
    exp = data.exposure
    exposure = _table(list(exp.columns), [
        [_decimal_text(v) if c in ("quantity", "value") else v for c, v in zip(exp.columns, row,
                                                                               strict=True)]
        for row in exp.itertuples(index=False)], testid="exposure")
    health = _table(["key", "value"], [[k, json.dumps(v, default=str, sort_keys=True)]
                                       for k, v in st.health.items()], testid="health")
    return (f"<div>{cards}</div>{equity_svg(data.equity)}"
            f'<div class="wb-ssr-cols"><div><h3>Exposure by token</h3>{exposure}</div>'
            f"<div><h3>Engine health</h3>{health}</div></div>")


def render_shell(*, status_html: str, titles: Sequence[str], active: int, banners: Sequence[str],
                 body: str) -> str:
    """Header, status line, banners and tab strip around ``body`` (a page's static HTML).

    ``status_html`` is the live status bar's HTML; its ``data-testid`` values get the ``ssr-``
    prefix here.
    """
    status = status_html.replace('data-testid="', 'data-testid="ssr-')
    tabs = "".join(f'<span class="{"on" if i == active else ""}">{_e(t)}</span>'
                   for i, t in enumerate(titles))
    notes = "".join(f'<div class="wb-banner">{b}</div>' for b in banners)
    return (f"<h2>Solana Trading Workbench</h2><div>{status}</div>{notes}"
            f'<div class="wb-ssr-tabs">{tabs}</div>{body}'
            '<div class="wb-ssr-note">Interactive view loading…</div>')
