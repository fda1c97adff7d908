"""The whole dashboard for one session: header, banners, pages in tabs, live refresh.

Pages are built when first opened (the Overview at once), so the first paint only pays for
one page. One periodic callback per session refreshes the status bar and the visible page
every ``REFRESH_MS``; a fill written to the store is on screen within one period plus the
time to read it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import panel as pn

from workbench.config import Settings
from workbench.dashboard.auth import Role
from workbench.dashboard.context import DashboardContext, open_context
from workbench.dashboard.pages import CSS, PAGES, Page, StatusBar
from workbench.dashboard.queries import load_store_version

__all__ = ["REFRESH_MS", "DashboardApp", "build_app"]

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


class DashboardApp(pn.viewable.Viewer):
    """Header, banners and the pages of one session, refreshed live."""

    def __init__(self, ctx: DashboardContext, *, page: str | None = None,
                 refresh_ms: int = REFRESH_MS, **params: Any) -> None:
        super().__init__(**params)
        self.ctx = ctx
        self.status = StatusBar(ctx)
        self.pages: dict[str, Page] = {}
        self._holders = {cls.slug: pn.Column(sizing_mode="stretch_width") for cls in PAGES}
        self._classes = {cls.slug: cls for cls in PAGES}
        slugs = list(self._holders)
        start = slugs.index(page) if page in slugs else 0
        self.tabs = pn.Tabs(*[(cls.title, self._holders[cls.slug]) for cls in PAGES],
                            active=start, dynamic=True, sizing_mode="stretch_width")
        self._open(slugs[start])
        self.tabs.param.watch(self._on_tab, "active")
        self.error = pn.pane.Alert("", alert_type="danger", visible=False)
        self._callback: Any = None
        self._version: tuple[Any, ...] = ()
        self._status_at = self._page_at = time.monotonic()
        self._page_slug = slugs[start]
        self.refresh_ms = refresh_ms

    @property
    def active_slug(self) -> str:
        """The slug of the page on screen."""
        return list(self._holders)[self.tabs.active]

    def _open(self, slug: str) -> Page:
        page = self.pages.get(slug)
        if page is None:
            page = self._classes[slug](self.ctx)
            self.pages[slug] = page
            self._holders[slug].objects = [page]
        return page

    def _on_tab(self, event: Any) -> None:
        slug = list(self._holders)[event.new]
        page = self._open(slug)
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
                self._open(slug).refresh()
        except Exception as exc:  # the store may be locked or migrating; keep the session alive
            log.warning("dashboard refresh failed: %s", exc)
            self.error.object = f"Cannot read the store: {exc}"
            self.error.visible = True
        else:
            if self.error.visible:
                self.error.visible = False

    def start(self) -> None:
        """Start live refresh (call inside a server session)."""
        if self._callback is None:
            self._callback = pn.state.add_periodic_callback(self.tick, period=self.refresh_ms)

    def __panel__(self) -> pn.viewable.Viewable:
        banners: list[Any] = []
        if self.ctx.is_local_only:
            banners.append(pn.pane.HTML(f'<div class="wb-banner" data-testid="local-only">'
                                        f"{LOCAL_ONLY_BANNER}</div>", sizing_mode="stretch_width"))
        if self.ctx.role is Role.READONLY:
            banners.append(pn.pane.HTML(
                '<div class="wb-banner" data-testid="readonly">Read-only: you can see everything '
                "and change nothing.</div>", sizing_mode="stretch_width"))
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
        return pn.Column(header, *banners, self.error, self.tabs, sizing_mode="stretch_width")


def build_app(settings: Settings, *, user: str | None = None, page: str | None = None,
              refresh_ms: int = REFRESH_MS) -> pn.viewable.Viewable:
    """The dashboard for the current session (user from ``pn.state.user`` unless given).

    The page comes from ``?page=<slug>`` in the URL unless ``page`` is given.
    """
    pn.extension("tabulator", raw_css=[CSS], notifications=False)
    if user is None:
        user = pn.state.user
    if page is None and pn.state.location is not None:
        raw = pn.state.session_args.get("page") if pn.state.session_args else None
        page = raw[0].decode() if raw else None
    app = DashboardApp(open_context(settings, user), page=page, refresh_ms=refresh_ms)
    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        app.start()
    return app
