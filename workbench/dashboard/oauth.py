"""Login through an OAuth 2.0 / OpenID Connect provider, with Panel's generic OAuth handler.

Where a provider is configured (``dashboard.oauth_client_id`` and its endpoints) the dashboard
sends users to the provider's authorization endpoint (authorization code flow); Panel's login
handler exchanges the returned code at the token endpoint (with the client secret) and reads
the user's claims from the ID token the token endpoint returns, or, without one, from the
userinfo endpoint (``Authorization: Bearer <access token>``). The claim ``user_key`` (``email``
by default) names the user.

Only the users listed in ``oauth_users`` get in, each with a role: ``operator`` acts,
``readonly`` sees everything and changes nothing. Anyone else the provider vouches for gets
a 403 page, not the dashboard.

Settings (``workbench.config.DashboardSettings``; read defensively here until they exist
there): ``oauth_client_id``, ``oauth_client_secret`` (secret; env
``WORKBENCH_DASHBOARD__OAUTH_CLIENT_SECRET``), ``oauth_authorize_url``, ``oauth_token_url``,
``oauth_userinfo_url``, ``oauth_user_key``, ``oauth_scopes``, ``oauth_redirect_uri``,
``oauth_users`` (user -> ``operator`` | ``readonly``).

Panel keeps OAuth settings process-wide (``pn.config``), so one process serves one OAuth
dashboard.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from workbench.config import Settings
from workbench.dashboard.auth import Role
from workbench.errors import ConfigError

__all__ = ["SECRET_ENV", "OAuthConfig", "oauth_config"]

#: Where the client secret is read from when the settings have no ``oauth_client_secret``.
SECRET_ENV = "WORKBENCH_DASHBOARD__OAUTH_CLIENT_SECRET"

_ROLES = {"operator": Role.OPERATOR, "readonly": Role.READONLY}


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthConfig:
    """A configured OAuth 2.0 / OIDC provider and who may log in through it.

    Attributes:
        client_id: this dashboard's client id at the provider.
        client_secret: its client secret (never logged).
        authorize_url: the provider's authorization endpoint.
        token_url: its token endpoint.
        userinfo_url: its userinfo endpoint (used when the token response has no ID token).
        users: user (the ``user_key`` claim) -> role; nobody else gets in.
        user_key: the claim naming the user (``email``, ``preferred_username``, ``sub``).
        scopes: scopes requested.
        redirect_uri: where the provider sends the browser back (default: the dashboard's
            ``/login``, which must be registered at the provider).
    """

    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    userinfo_url: str = ""
    users: Mapping[str, Role] = field(default_factory=dict)
    user_key: str = "email"
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    redirect_uri: str = ""

    def __post_init__(self) -> None:
        missing = [n for n in ("client_id", "client_secret", "authorize_url", "token_url")
                   if not getattr(self, n)]
        if missing:
            raise ConfigError(
                f"OAuth login is configured without {', '.join(missing)}; set "
                + ", ".join(f"dashboard.oauth_{n}" for n in missing)
                + f" (the secret may come from ${SECRET_ENV}).", setting="dashboard.oauth")
        object.__setattr__(self, "users", MappingProxyType(dict(self.users)))

    def role_for(self, user: str | None) -> Role:
        """The role of a user the provider authenticated; ANONYMOUS when not listed."""
        return self.users.get(user or "", Role.ANONYMOUS)

    def is_allowed(self, user: str | None) -> bool:
        """True when ``user`` is listed (with any role)."""
        return bool(user) and user in self.users

    def serve_kwargs(self, redirect_uri: str) -> dict[str, Any]:
        """Arguments for ``pn.serve`` selecting Panel's generic OAuth provider."""
        return {
            "oauth_provider": "generic",
            "oauth_key": self.client_id,
            "oauth_secret": self.client_secret,
            "oauth_redirect_uri": self.redirect_uri or redirect_uri,
            "oauth_jwt_user": self.user_key,
            "oauth_extra_params": {
                "AUTHORIZE_URL": self.authorize_url, "TOKEN_URL": self.token_url,
                "USER_URL": self.userinfo_url, "USER_KEY": self.user_key,
                "scope": list(self.scopes)},
        }


def _roles(raw: Mapping[str, Any]) -> dict[str, Role]:
    out = {}
    for user, role in raw.items():
        key = str(getattr(role, "value", role)).lower()
        if key not in _ROLES:
            raise ConfigError(
                f"dashboard.oauth_users[{user!r}] is {role!r}; use 'operator' or 'readonly'.",
                setting=f"dashboard.oauth_users.{user}")
        out[str(user)] = _ROLES[key]
    return out


def oauth_config(settings: Settings, *,
                 environ: Mapping[str, str] = os.environ) -> OAuthConfig | None:
    """The OAuth provider from ``settings.dashboard``, None when no client id is set."""
    dash = settings.dashboard
    if not dash.oauth_client_id:
        return None
    secret = dash.oauth_client_secret
    secret_text = (secret.get_secret_value() if secret is not None else "") or environ.get(
        SECRET_ENV, "")
    return OAuthConfig(
        client_id=dash.oauth_client_id, client_secret=secret_text,
        authorize_url=dash.oauth_authorize_url, token_url=dash.oauth_token_url,
        userinfo_url=dash.oauth_userinfo_url, users=_roles(dash.oauth_users),
        user_key=dash.oauth_user_key or "email", scopes=tuple(dash.oauth_scopes),
        redirect_uri=dash.oauth_redirect_uri)
