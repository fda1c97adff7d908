"""Serving the dashboard: one Panel/Bokeh server, with hashed-password login when users exist.

Without users configured the server binds to 127.0.0.1 only (and says so on every page):
nobody on the network can reach an unauthenticated control panel. With users it binds to
all interfaces, requires login, and accepts websocket connections only from the host's own
names plus any ``origins`` given (a browser page on another site cannot drive it).

What the browser loads: every script comes from this server (never a CDN: the machine may
have no internet, and a trading console should not depend on one). BokehJS's WebGL and
MathJax bundles are left out (no plot here uses them: about 0.2 MB less to fetch and parse on
every first visit). Responses are gzip-compressed when the dashboard is reachable from the
network (``compress``; on loopback, compressing 3 MB of scripts costs more CPU than it saves).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.config import Settings
from workbench.dashboard.auth import make_auth_provider, user_hashes
from workbench.dashboard.oauth import OAuthConfig, oauth_config
from workbench.errors import ConfigError

__all__ = ["BOKEH_COMPONENTS", "DashboardServer", "free_port", "serve_dashboard"]

log = logging.getLogger(__name__)

TITLE = "Solana Trading Workbench"

#: BokehJS bundles the pages need: core, widgets, and tables (panel.min.js imports its
#: modules at load time). Not ``bokeh-gl`` (WebGL) nor ``bokeh-mathjax``.
BOKEH_COMPONENTS = ("bokeh", "bokeh-widgets", "bokeh-tables")


def _local_resources(tornado_app: Any) -> None:
    """Make ``tornado_app`` serve BokehJS from itself (whatever ``BOKEH_RESOURCES`` says),
    only the bundles in :data:`BOKEH_COMPONENTS`. Mirrors ``BokehTornado.resources``."""
    from urllib.parse import urljoin

    from bokeh.resources import Resources
    from bokeh.server.views.static_handler import StaticHandler

    def resources(absolute_url: str | bool | None = None) -> Resources:
        if absolute_url is True:
            absolute_url = tornado_app._absolute_url
        if absolute_url is None or absolute_url is False:
            absolute_url = "/"
        return Resources(mode="server", root_url=urljoin(absolute_url, tornado_app._prefix),
                         path_versioner=StaticHandler.append_version,
                         components=list(BOKEH_COMPONENTS))

    tornado_app.resources = resources


def _streaming_doc_handler() -> type[Any]:
    """Panel's page handler, sending the page in two parts (see :func:`_stream_first_paint`)."""
    import re

    from panel.io.server import DocHandler
    from tornado.web import authenticated

    from workbench.dashboard.ssr import TAIL_TEMPLATE

    class StreamingDocHandler(DocHandler):  # type: ignore[misc, valid-type]
        #: scripts the last page loaded: the next page's head preloads them
        script_urls: tuple[str, ...] = ()
        _streaming = False

        @authenticated  # type: ignore[misc]
        async def get(self, *args: Any, **kwargs: Any) -> None:
            head_fn = getattr(self.application, "_wb_page_head", None)
            if head_fn is not None:
                try:
                    head = head_fn(self, type(self).script_urls)
                except Exception as exc:  # the session below still renders the page
                    log.warning("first paint failed: %s", exc)
                    head = None
                if head is not None:
                    self.set_header("Content-Type", "text/html")
                    self.set_header("Cache-Control", "no-store")
                    self.write(head)
                    self._streaming = True
                    await self.flush()
            await super().get(*args, **kwargs)

        async def get_session(self) -> Any:
            session = await super().get_session()
            if self._streaming:
                session.document.template = TAIL_TEMPLATE
            return session

        def write(self, chunk: Any) -> None:
            if self._streaming and isinstance(chunk, str) and "<script" in chunk:
                urls = tuple(re.findall(r'<script[^>]+src="([^"]+)"', chunk))
                if urls:
                    type(self).script_urls = urls
            super().write(chunk)

    return StreamingDocHandler


def _stream_first_paint(tornado_app: Any, head_fn: Any) -> None:
    """Send each page in two parts: first ``head_fn(handler, preload)`` (the document's head and
    the server-side Overview, from cached queries, no Panel session needed), flushed at once
    so the browser paints it; then, once the session is built, the Bokeh roots and scripts.
    The session's construction (0.3-0.8 s here) no longer delays the first paint, and the
    head's ``<link rel=preload>`` lets the browser fetch the scripts meanwhile."""
    from panel.io.server import DocHandler

    handler = _streaming_doc_handler()
    for rule in tornado_app.wildcard_router.rules:
        if rule.target is DocHandler:
            rule.target = handler
    tornado_app._wb_page_head = head_fn


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port free on ``address`` right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True, kw_only=True)
class DashboardServer:
    """A running dashboard.

    Attributes:
        url: where to open it.
        address: the interface it listens on.
        port: its TCP port.
        is_local_only: True when bound to 127.0.0.1 because no users are configured.
    """

    url: str
    address: str
    port: int
    is_local_only: bool
    _server: Any = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _feed: Any = None
    _restore_auth: dict[str, Any] = field(default_factory=dict)
    _on_stop: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        """Stop serving (and join the thread when threaded)."""
        if self._feed is not None:
            self._feed.stop()
        while self._on_stop:
            self._on_stop.pop()()
        if self._restore_auth:
            import panel as pn

            for name, value in self._restore_auth.items():
                setattr(pn.config, name, value)
            self._restore_auth = {}
        if self._loop is not None and self._loop.is_running():
            def _stop() -> None:
                with contextlib.suppress(AssertionError):
                    self._server.stop()
                assert self._loop is not None
                self._loop.stop()
            self._loop.call_soon_threadsafe(_stop)
        if self._thread is not None:
            self._thread.join(timeout=10)


def _origins(address: str, port: int, extra: Iterable[str]) -> list[str]:
    hosts = ["localhost", "127.0.0.1"]
    if address != "127.0.0.1":
        hosts += [socket.gethostname(), socket.getfqdn()]
    out = [f"{h}:{port}" for h in dict.fromkeys(hosts)]
    out += [o if ":" in o else f"{o}:{port}" for o in extra]
    return out


def _server_kwargs(settings: Settings, oauth: OAuthConfig | None) -> dict[str, Any]:
    users = user_hashes(settings.dashboard)
    if oauth is not None and users:
        raise ConfigError(
            "Both dashboard.users (password login) and an OAuth provider are configured; "
            "Panel serves one login method: remove dashboard.users or the OAuth client id.",
            setting="dashboard.users")
    if not users and oauth is None:
        return {}
    secret = settings.dashboard.cookie_secret
    # a random secret per process when none is configured: logins last until a restart
    cookie_secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
    if oauth is not None:
        return {"cookie_secret": cookie_secret}
    return {"auth_provider": make_auth_provider(users), "cookie_secret": cookie_secret}


_OAUTH_CONFIG = ("authorize_callback", "oauth_provider", "oauth_key", "oauth_secret",
                 "oauth_redirect_uri", "oauth_jwt_user", "oauth_extra_params")


def _set_oauth_authorization(oauth: OAuthConfig) -> dict[str, Any]:
    """Let only ``oauth.users`` in (Panel's process-wide ``authorize_callback``, checked for
    the page, the autoload script and each session); returns Panel's OAuth settings as they
    were, for :meth:`DashboardServer.stop` to put back."""
    import panel as pn

    previous = {name: getattr(pn.config, name) for name in _OAUTH_CONFIG}

    def authorize(user_info: dict[str, Any] | None) -> bool:
        return oauth.is_allowed(str((user_info or {}).get(oauth.user_key) or ""))

    pn.config.authorize_callback = authorize
    return previous


def serve_dashboard(settings: Settings, port: int | None = None, *, show: bool = False,
                    threaded: bool = False, address: str | None = None,
                    origins: Iterable[str] = (), refresh_ms: int | None = None,
                    compress: bool | None = None, events_stream: str | None = None,
                    oauth: OAuthConfig | None = None) -> DashboardServer:
    """Serve the dashboard; blocks until stopped unless ``threaded``.

    Args:
        settings: the workbench settings (store, users, port).
        port: TCP port; None means ``settings.dashboard.port``, 0 a free one.
        show: open a browser tab.
        threaded: serve from a background thread and return at once (``make run`` does, so
            the engine keeps the main thread).
        address: interface to bind when users are configured (default all); ignored and
            127.0.0.1 used when no users are configured.
        origins: extra ``host[:port]`` the browser may connect from (e.g. a reverse proxy).
        refresh_ms: live refresh period (default ``app.REFRESH_MS``).
        compress: gzip responses; None means yes unless bound to 127.0.0.1 only.
        events_stream: the Redis stream of engine events to follow when
            ``settings.engine.redis_url`` is set (default ``workbench:events``).
        oauth: log in through this OAuth 2.0 / OIDC provider (default: the one in the
            settings, see :mod:`workbench.dashboard.oauth`).

    Returns:
        The running server (already stopped when not threaded and the loop ended).

    Raises:
        ConfigError: a dashboard user's hash is malformed, a read-only user has no hash, or
            both password users and OAuth are configured.
    """
    import panel as pn

    from workbench.dashboard.app import (
        REFRESH_MS,
        _spare_overviews,
        build_app,
        first_paint_html,
        prebuild_overview,
    )
    from workbench.dashboard.events import EVENTS_STREAM, start_event_feed
    from workbench.dashboard.pages import CSS
    from workbench.dashboard.ssr import SSR_CSS
    from workbench.dashboard.ssr import page_head as ssr_head

    oauth = oauth if oauth is not None else oauth_config(settings)
    kwargs = _server_kwargs(settings, oauth)
    local = not kwargs
    bind = "127.0.0.1" if local else (address or settings.dashboard.address)
    origins = (*origins, *settings.dashboard.allowed_origins)
    port = settings.dashboard.port if port is None else port
    if port == 0:
        port = free_port("127.0.0.1" if local else bind)
    period = refresh_ms or REFRESH_MS
    shown = "127.0.0.1" if bind in {"0.0.0.0", "127.0.0.1"} else bind
    handle = DashboardServer(url=f"http://{shown}:{port}/", address=bind, port=port,
                             is_local_only=local)
    if oauth is not None:
        kwargs.update(oauth.serve_kwargs(redirect_uri=f"{handle.url}login"))
        handle._restore_auth = _set_oauth_authorization(oauth)

    if compress is None:
        compress = bind != "127.0.0.1"
    feed = start_event_feed(settings.engine.redis_url, stream=events_stream or EVENTS_STREAM)
    handle._feed = feed
    handle._on_stop.append(lambda: _spare_overviews.pop(id(settings), None))

    def app() -> Any:
        return build_app(settings, refresh_ms=period, feed=feed, oauth=oauth)

    def page_head(handler: Any, preload: tuple[str, ...]) -> str | None:
        user = handler.current_user
        if isinstance(user, bytes):
            user = user.decode()
        if oauth is not None and not oauth.is_allowed(user):
            return None  # Panel's handler answers 403 without any value on the page
        raw = handler.get_argument("page", None)
        ssr = first_paint_html(settings, user=user or None, page=raw, feed=feed, oauth=oauth)
        return ssr_head(title=TITLE, css=CSS + SSR_CSS, ssr=ssr, preload=preload)

    def make_server() -> Any:
        server = pn.serve({"/": app}, port=port, address=bind, show=show, start=False,
                          title=TITLE, verbose=False, compress_response=compress,
                          # drop a closed tab's session (and its refresh callback) in seconds
                          check_unused_sessions_milliseconds=2000,
                          unused_session_lifetime_milliseconds=2000,
                          websocket_origin=_origins(bind, port, origins), **kwargs)
        _local_resources(server._tornado)
        _stream_first_paint(server._tornado, page_head)
        # warm: imports, first queries and the first session's Overview, before any visitor
        prebuild_overview(settings, feed=feed, oauth=oauth)
        first_paint_html(settings, user=None, page=None, feed=feed, oauth=oauth)
        return server

    if not threaded:
        server = make_server()
        handle._server = server
        handle._loop = server.io_loop.asyncio_loop
        server.start()
        handle._ready.set()
        with contextlib.suppress(KeyboardInterrupt):
            server.io_loop.start()
        return handle

    errors: list[BaseException] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            from tornado.ioloop import IOLoop

            IOLoop.current()
            server = make_server()
            handle._server, handle._loop = server, loop
            server.start()
        except BaseException as exc:
            errors.append(exc)
            handle._ready.set()
            return
        handle._ready.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="workbench-dashboard", daemon=True)
    handle._thread = thread
    thread.start()
    handle._ready.wait(timeout=60)
    if errors:
        raise errors[0]
    return handle
