"""The whole dashboard for one session: header, banners, pages in tabs, live refresh.

Pages are built when first opened (the Overview at once), so the first paint only pays for
one page. The Overview shows no table widget, so a session that starts there does not load
Tabulator's scripts (about 0.5 MB) at all: when the user first opens a page with tables, the
browser fetches them from the dashboard's own server, and only then does the server build
that page (a table sent before its library would fail to render). A session that starts on
a table page (``?page=orders``) gets the scripts with the page.

One periodic callback per session refreshes the status bar and the visible page every
``REFRESH_MS``; a fill written to the store is on screen within one period plus the time to
read it. With Redis configured (``engine.redis_url``), the engine's events on the stream
``workbench:events`` trigger a refresh at once (:mod:`workbench.dashboard.events`); polling
stays as the fallback and for what the engine does not announce.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import panel as pn

from workbench.config import Settings
from workbench.dashboard.auth import Role
from workbench.dashboard.context import DashboardContext, open_context
from workbench.dashboard.events import REFRESH_TOPICS
from workbench.dashboard.pages import CSS, PAGES, OverviewPage, Page, StatusBar, status_html
from workbench.dashboard.queries import OverviewData, cached_overview, load_store_version
from workbench.dashboard.ssr import SSR_CSS, SSR_TEMPLATE, render_overview, render_shell

__all__ = [
    "REFRESH_MS",
    "DashboardApp",
    "build_app",
    "first_paint_html",
    "prebuild_overview",
    "table_scripts",
    "take_overview",
]

log = logging.getLogger(__name__)

#: How often the visible page re-reads the store, ms.
REFRESH_MS = 400

#: Even with no change seen, the visible page re-reads everything this often (candles).
FULL_REFRESH_S = 10.0

LOCAL_ONLY_BANNER = (
    "No dashboard users are configured, so the dashboard listens on 127.0.0.1 only and asks "
    "for no login. To open it to others, add users with `workbench dashboard hash PASSWORD` "
    "(settings <code>dashboard.users</code>)."
)


READONLY_BANNER = "Read-only: you can see everything and change nothing."


def table_scripts() -> list[str]:
    """Tabulator's scripts as the dashboard's own server serves them (relative URLs)."""
    from panel.io.resources import set_resource_mode
    from panel.models.tabulator import DataTabulator

    with set_resource_mode("server"):
        return list(DataTabulator.__javascript__)


# Runs in the browser when the active tab changes: loads Tabulator's scripts once, in order,
# then tells the server (through the hidden ``ready`` input) that table pages may be sent.
_LOAD_TABLES_JS = """
const needs = %(needs)s;
if (!needs[cb_obj.active] || window._wbTables) { return; }
window._wbTables = true;
const load = (src) => new Promise((resolve, reject) => {
  const el = document.createElement('script');
  el.src = src; el.onload = resolve;
  el.onerror = () => reject(new Error('cannot load ' + src));
  document.head.appendChild(el);
});
(async () => {
  for (const src of %(scripts)s) { await load(src); }
  ready.value = 'tables';
})().catch((err) => { window._wbTables = false; console.error(err); });
"""


class DashboardApp(pn.viewable.Viewer):
    """Header, banners and the pages of one session, refreshed live.

    Args:
        ctx: the session's context.
        page: slug of the page to open first (default the Overview).
        refresh_ms: live refresh period.
        tables_loaded: the page the browser received already loads Tabulator's scripts;
            when False, table pages wait for the browser to fetch them first.
    """

    def __init__(self, ctx: DashboardContext, *, page: str | None = None,
                 refresh_ms: int = REFRESH_MS, tables_loaded: bool = True,
                 **params: Any) -> None:
        super().__init__(**params)
        self.ctx = ctx
        self.status = StatusBar(ctx)
        self.pages: dict[str, Page] = {}
        self._holders = {cls.slug: pn.Column(sizing_mode="stretch_width") for cls in PAGES}
        self._classes = {cls.slug: cls for cls in PAGES}
        slugs = list(self._holders)
        start = slugs.index(page) if page in slugs else 0
        self._tables_in_browser = tables_loaded
        self.tabs = pn.Tabs(*[(cls.title, self._holders[cls.slug]) for cls in PAGES],
                            active=start, dynamic=True, sizing_mode="stretch_width")
        # hidden: the browser writes "tables" here once Tabulator's scripts have loaded
        self.tables_ready = pn.widgets.TextInput(value="", visible=False,
                                                 css_classes=["wb-tables-ready"])
        self.tables_ready.param.watch(self._on_tables_ready, "value")
        if not tables_loaded:
            needs = [cls.needs_tables for cls in PAGES]
            self.tabs.jscallback(args={"ready": self.tables_ready}, active=_LOAD_TABLES_JS % {
                "needs": json.dumps(needs), "scripts": json.dumps(table_scripts())})
        self._open(slugs[start])
        self.tabs.param.watch(self._on_tab, "active")
        self.error = pn.pane.Alert("", alert_type="danger", visible=False)
        self._callback: Any = None
        self._on_events: Any = None
        self._doc: Any = None
        self._version: tuple[Any, ...] = ()
        self._status_at = self._page_at = time.monotonic()
        self._page_slug = slugs[start]
        self.refresh_ms = refresh_ms

    @property
    def active_slug(self) -> str:
        """The slug of the page on screen."""
        return list(self._holders)[self.tabs.active]

    def _can_show(self, slug: str) -> bool:
        return self._tables_in_browser or not self._classes[slug].needs_tables

    def _open(self, slug: str) -> Page | None:
        """The page, built on first use; None while its scripts are still loading."""
        page = self.pages.get(slug)
        if page is None:
            if not self._can_show(slug):
                self._holders[slug].objects = [pn.pane.HTML(
                    '<i data-testid="loading-tables">Loading tables…</i>')]
                return None
            page = (take_overview(self.ctx) if slug == OverviewPage.slug else None) or \
                self._classes[slug](self.ctx)
            self.pages[slug] = page
            self._holders[slug].objects = [page]
        return page

    def _on_tables_ready(self, event: Any) -> None:
        if event.new != "tables" or self._tables_in_browser:
            return
        pn.extension("tabulator")  # so Panel counts Tabulator as loaded in this session
        self._tables_in_browser = True
        page = self._open(self.active_slug)
        if page is not None:
            page.refresh()

    def _on_tab(self, event: Any) -> None:
        slug = list(self._holders)[event.new]
        page = self._open(slug)
        if page is not None:
            page.refresh()
        if pn.state.location is not None:
            pn.state.location.search = f"?page={slug}"

    def tick(self) -> None:
        """Refresh what changed: the visible page when the store's fingerprint moved (or every
        ``FULL_REFRESH_S`` for what has no fingerprint, like candles), the status bar (whose
        heartbeat age moves with the clock) every second. Errors show as a banner."""
        try:
            now = time.monotonic()
            version = load_store_version(self.ctx.store)
            changed = version != self._version
            self._version = version
            if changed or now - self._status_at >= 1.0:
                self._status_at = now
                self.status.refresh()
            slug = self.active_slug
            if changed or slug != self._page_slug or now - self._page_at >= FULL_REFRESH_S:
                self._page_slug, self._page_at = slug, now
                page = self._open(slug)
                if page is not None:
                    page.refresh()
        except Exception as exc:  # the store may be locked or migrating; keep the session alive
            log.warning("dashboard refresh failed: %s", exc)
            self.error.object = f"Cannot read the store: {exc}"
            self.error.visible = True
        else:
            if self.error.visible:
                self.error.visible = False

    def start(self) -> None:
        """Start live refresh (call inside a server session): the periodic poll, and with an
        event feed an immediate refresh after each batch of engine events."""
        self._doc = pn.state.curdoc
        if self._callback is None:
            self._callback = pn.state.add_periodic_callback(self.tick, period=self.refresh_ms)
        feed, doc = self.ctx.feed, pn.state.curdoc
        if feed is not None and doc is not None and self._on_events is None:
            def on_events(events: Any) -> None:  # called from the feed's thread
                if any(ev.topic in REFRESH_TOPICS for ev in events):
                    doc.add_next_tick_callback(self._tick_in_doc)

            self._on_events = on_events
            feed.subscribe(on_events)

            def unsubscribe(_context: Any) -> None:
                feed.unsubscribe(on_events)

            pn.state.on_session_destroyed(unsubscribe)

    def _tick_in_doc(self) -> None:
        from panel.io.state import set_curdoc

        with set_curdoc(self._doc or pn.state.curdoc):
            self.tick()

    def ssr_html(self) -> str:
        """This session's first page as static HTML (see :mod:`workbench.dashboard.ssr`)."""
        page = self.pages.get(self.active_slug)
        data = page.data if isinstance(page, OverviewPage) else None
        return _shell(self.ctx, self.status.html.object or "", self.tabs.active, data)

    def __panel__(self) -> pn.viewable.Viewable:
        banners: list[Any] = []
        if self.ctx.is_local_only:
            banners.append(pn.pane.HTML(f'<div class="wb-banner" data-testid="local-only">'
                                        f"{LOCAL_ONLY_BANNER}</div>", sizing_mode="stretch_width"))
        if self.ctx.role is Role.READONLY:
            banners.append(pn.pane.HTML(
                f'<div class="wb-banner" data-testid="readonly">{READONLY_BANNER}</div>',
                sizing_mode="stretch_width"))
        elif self.ctx.role is Role.ANONYMOUS:
            banners.append(pn.pane.HTML(
                '<div class="wb-banner" data-testid="anonymous">Not logged in: controls are '
                "disabled. Start the dashboard with `workbench dashboard serve` to log in."
                "</div>", sizing_mode="stretch_width"))
        logout = ('<a href="/logout" data-testid="logout">log out</a>'
                  if not self.ctx.is_local_only else "")
        header = pn.Row(
            pn.pane.HTML("<h2 style='margin:4px 0'>Solana Trading Workbench</h2>"),
            self.status, pn.pane.HTML(logout), sizing_mode="stretch_width", align="center")
        return pn.Column(header, *banners, self.error, self.tabs, self.tables_ready,
                         sizing_mode="stretch_width")


#: Overview pages built ahead of the session that will show them, by settings object: its two
#: Bokeh figures and panes take 0.2-0.4 s to build, which would otherwise delay each new tab.
_spare_overviews: dict[int, OverviewPage] = {}


def prebuild_overview(settings: Settings, *, feed: Any = None, oauth: Any = None) -> None:
    """Build an Overview page for the next session (the server calls this at start, which
    also imports and warms everything the first session needs, and shortly after each new
    session, when the server is idle)."""
    if id(settings) not in _spare_overviews:
        ctx = open_context(settings, None, feed=feed, oauth=oauth)
        _spare_overviews[id(settings)] = OverviewPage(ctx)


def take_overview(ctx: DashboardContext) -> OverviewPage | None:
    """The prebuilt Overview for ``ctx``'s settings, now this session's (refreshed), or None."""
    page = _spare_overviews.pop(id(ctx.settings), None)
    if page is not None:
        page.ctx = ctx
        page.refresh()
    return page


def _shell(ctx: DashboardContext, status: str, active: int,
           overview: OverviewData | None) -> str:
    banners = [LOCAL_ONLY_BANNER] if ctx.is_local_only else []
    if ctx.role is Role.READONLY:
        banners.append(READONLY_BANNER)
    return render_shell(status_html=status, titles=[cls.title for cls in PAGES], active=active,
                        banners=banners, body=render_overview(overview) if overview else "")


def _start_page(page: str | None) -> type[Page]:
    return next((cls for cls in PAGES if cls.slug == page), PAGES[0])


def first_paint_html(settings: Settings, *, user: str | None, page: str | None,
                     feed: Any = None, oauth: Any = None) -> str:
    """The server-side copy of a session's first page, computed without a Panel session (the
    server streams it before building one). Only the Overview has values; other pages get
    the header, status and tab strip."""
    ctx = open_context(settings, user, feed=feed, oauth=oauth)
    start = _start_page(page)
    overview = (cached_overview(ctx.store, heartbeat_s=settings.engine.heartbeat_s)
                if start is OverviewPage else None)
    return _shell(ctx, status_html(ctx), PAGES.index(start), overview)


def build_app(settings: Settings, *, user: str | None = None, page: str | None = None,
              refresh_ms: int = REFRESH_MS, feed: Any = None,
              oauth: Any = None) -> pn.viewable.Viewable:
    """The dashboard for the current session (user from ``pn.state.user`` unless given).

    The page comes from ``?page=<slug>`` in the URL unless ``page`` is given; ``feed`` is the
    process's :class:`~workbench.dashboard.events.EventFeed` when Redis is configured;
    ``oauth`` the :class:`~workbench.dashboard.oauth.OAuthConfig` when users log in through
    an OAuth provider.
    """
    if user is None:
        user = pn.state.user
    if page is None and pn.state.location is not None:
        raw = pn.state.session_args.get("page") if pn.state.session_args else None
        page = raw[0].decode() if raw else None
    start = _start_page(page)
    # Tabulator's scripts go into the page only when the first page shows tables
    extensions = ("tabulator",) if start.needs_tables else ()
    pn.extension(*extensions, raw_css=[CSS], notifications=False)
    app = DashboardApp(open_context(settings, user, feed=feed, oauth=oauth), page=start.slug,
                       refresh_ms=refresh_ms, tables_loaded=start.needs_tables)
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        app.start()
        if start is OverviewPage:  # the next tab's Overview, once this one is on its way
            from tornado.ioloop import IOLoop

            IOLoop.current().call_later(
                1.5, lambda: prebuild_overview(settings, feed=feed, oauth=oauth))
        # the first paint: this session's values in the HTML document itself
        doc.template = SSR_TEMPLATE
        doc.template_variables["wb_css"] = CSS + SSR_CSS
        doc.template_variables["wb_ssr"] = app.ssr_html()
    return app
