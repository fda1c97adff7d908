"""One browser session's view of the workbench: settings, store, user, role and controller."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from workbench.config import Settings
from workbench.dashboard.auth import LOCAL_USER, Role, role_for
from workbench.dashboard.control import Controller
from workbench.store import open_store
from workbench.store.db import Store

__all__ = ["DashboardContext", "open_context", "shared_store"]


@lru_cache(maxsize=8)
def shared_store(url: str) -> Store:
    """One Store per database URL per process: sessions share its connection pool."""
    return open_store(url)


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardContext:
    """What every page of one session needs.

    Attributes:
        settings: the workbench settings.
        store: the ledger store.
        user: the logged-in user's name (``local`` when no users are configured).
        role: what the user may do.
        controller: sends control commands as ``user``.
        is_local_only: no users configured: the server binds to 127.0.0.1 and asks no login.
        feed: the engine's live event feed (:class:`~workbench.dashboard.events.EventFeed`),
            None when Redis is not configured and pages rely on polling the store.
    """

    settings: Settings
    store: Store
    user: str
    role: Role
    controller: Controller
    is_local_only: bool
    feed: Any = None

    @property
    def can_act(self) -> bool:
        """True when control widgets are enabled for this user."""
        return self.role.can_act


def _local_actor() -> str:
    try:
        return f"{LOCAL_USER}:{getpass.getuser()}"
    except (KeyError, OSError):
        return LOCAL_USER


def open_context(settings: Settings, user: str | None, *, store: Store | None = None,
                 feed: Any = None, oauth: Any = None) -> DashboardContext:
    """The context for a session whose authenticated user is ``user`` (``pn.state.user``);
    with ``oauth`` (an :class:`~workbench.dashboard.oauth.OAuthConfig`) the role comes from
    its user list instead of the password users'."""
    store = store or shared_store(settings.database_url)
    local = not settings.dashboard.users and oauth is None
    role = oauth.role_for(user) if oauth is not None else role_for(user, settings.dashboard)
    name = _local_actor() if local else (user or "anonymous")
    return DashboardContext(settings=settings, store=store, user=name, role=role,
                            controller=Controller(store=store, actor=name, role=role),
                            is_local_only=local, feed=feed)
