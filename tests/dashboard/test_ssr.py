"""The first paint: the Overview's values are in the HTML document the server sends, before
any script runs, and the interactive page replaces them once BokehJS has rendered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest

from tests.dashboard.conftest import Browser, seeded_store, settings_for
from workbench.dashboard import queries, serve_dashboard
from workbench.dashboard.ssr import equity_svg, render_overview


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def test_equity_svg_is_bounded_and_escaped() -> None:
    idx = pd.date_range("2024-01-01", periods=5000, freq="min", tz="UTC")
    frame = pd.DataFrame({"equity": range(5000), "drawdown": 0.0}, index=idx)
    svg = equity_svg(frame, max_points=400)
    points = re.search(r'points="([^"]+)"', svg)
    assert points is not None and len(points.group(1).split()) <= 401
    assert "4,999.00 max" in svg and "0.00 min" in svg
    assert "No equity" in equity_svg(frame.iloc[:0])


def test_render_overview_shows_the_page_values(tmp_path: Any) -> None:
    store, _seed, _ = seeded_store(tmp_path)
    data = queries.load_overview(store)
    html = render_overview(data)
    assert f'data-testid="ssr-equity"><div class="wb-card-title">Equity</div>' \
           f'<div class="wb-card-value">{_fmt(data.last_equity)}</div>' in html
    assert f"{data.today_pnl:+,.2f}" in html and f"{data.drawdown_pct:.2f} %" in html
    assert 'data-testid="ssr-equity-svg"' in html
    for token in data.exposure["token"]:
        assert f"<td>{token}</td>" in html


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("dash-ssr")
    store, _seed, url = seeded_store(folder)
    server = serve_dashboard(settings_for(url, folder), 0, threaded=True, refresh_ms=250)
    yield {"store": store, "url": server.url, "server": server}
    server.stop()


@pytest.mark.integration
def test_values_are_in_the_html_before_any_script(served: dict[str, Any]) -> None:
    """The document's first bytes (head and server-side Overview) carry the stored equity;
    every script comes after it, none in <head>."""
    data = queries.load_overview(served["store"])
    page = httpx.get(served["url"], timeout=30).text
    head, _, body = page.partition("</head>")
    assert "<script" not in head
    ssr_at = body.index('data-testid="ssr-equity"')
    assert body.index("<script") > ssr_at
    assert f'<div class="wb-card-value">{_fmt(data.last_equity)}</div>' in body
    assert "breaker: <b>" in body and 'data-testid="ssr-status-breaker"' in body
    assert 'id="wb-app" class="wb-hydrating"' in body


@pytest.mark.integration
def test_hydration_replaces_the_server_copy(browser: Browser, served: dict[str, Any]) -> None:
    """The browser first shows the server's values, then the live page with the same values,
    and removes the server copy (no duplicate ids) without JavaScript errors."""
    data = queries.load_overview(served["store"])
    browser.errors.clear()
    page = browser.page()
    page.goto(served["url"], wait_until="commit")
    page.wait_for_selector('[data-testid="ssr-equity"]', state="attached", timeout=30_000)
    page.wait_for_function("window.wbInteractive !== undefined", timeout=60_000)
    assert page.locator("#wb-ssr").count() == 0
    live = page.locator('[data-testid="equity"] .wb-card-value').inner_text()
    assert live == _fmt(data.last_equity)
    assert page.evaluate("performance.getEntriesByName('wb-interactive').length") == 1
    assert browser.errors == []
    page.context.close()
