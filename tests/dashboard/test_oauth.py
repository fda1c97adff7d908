"""OAuth settings: read defensively from the settings, validated, users mapped to roles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from workbench.config import Settings
from workbench.dashboard import Role
from workbench.dashboard.oauth import SECRET_ENV, OAuthConfig, oauth_config
from workbench.errors import ConfigError


def _settings(**dashboard: object) -> SimpleNamespace:
    """A stand-in with the proposed ``dashboard.oauth_*`` fields (not yet in config.py)."""
    return SimpleNamespace(dashboard=SimpleNamespace(**dashboard))


def test_no_client_id_means_no_oauth() -> None:
    assert oauth_config(Settings()) is None


def test_settings_map_to_panel_generic_provider() -> None:
    cfg = oauth_config(_settings(  # type: ignore[arg-type]
        oauth_client_id="wb", oauth_client_secret=SecretStr("sec"),
        oauth_authorize_url="https://idp/authorize", oauth_token_url="https://idp/token",
        oauth_userinfo_url="https://idp/userinfo", oauth_users={"a@x": "operator",
                                                                "b@x": "READONLY"}))
    assert cfg is not None
    assert cfg.role_for("a@x") is Role.OPERATOR and cfg.role_for("b@x") is Role.READONLY
    assert cfg.role_for("c@x") is Role.ANONYMOUS and not cfg.is_allowed("c@x")
    assert not cfg.is_allowed(None)
    kw = cfg.serve_kwargs(redirect_uri="http://127.0.0.1:5006/login")
    assert kw["oauth_provider"] == "generic" and kw["oauth_secret"] == "sec"
    assert kw["oauth_extra_params"]["TOKEN_URL"] == "https://idp/token"
    assert kw["oauth_extra_params"]["USER_KEY"] == "email" == kw["oauth_jwt_user"]
    assert kw["oauth_redirect_uri"] == "http://127.0.0.1:5006/login"
    assert "sec" not in repr(cfg)


def test_secret_from_environment_and_errors() -> None:
    base = {"oauth_client_id": "wb", "oauth_authorize_url": "https://idp/a",
            "oauth_token_url": "https://idp/t"}
    cfg = oauth_config(_settings(**base), environ={SECRET_ENV: "from-env"})  # type: ignore[arg-type]
    assert cfg is not None and cfg.client_secret == "from-env"
    with pytest.raises(ConfigError, match="oauth_client_secret"):
        oauth_config(_settings(**base), environ={})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'operator' or 'readonly'"):
        oauth_config(_settings(**base, oauth_users={"a": "admin"}),  # type: ignore[arg-type]
                     environ={SECRET_ENV: "x"})
    with pytest.raises(ConfigError, match="token_url"):
        OAuthConfig(client_id="wb", client_secret="s", authorize_url="https://idp/a",
                    token_url="")
