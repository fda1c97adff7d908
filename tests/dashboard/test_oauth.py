"""OAuth settings: read defensively from the settings, validated, users mapped to roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import Settings, load_settings
from workbench.dashboard import Role
from workbench.dashboard.oauth import SECRET_ENV, OAuthConfig, oauth_config
from workbench.errors import ConfigError

_BASE = """[dashboard]
oauth_client_id = "wb"
oauth_authorize_url = "https://idp/authorize"
oauth_token_url = "https://idp/token"
"""


def _settings(tmp_path: Path, extra: str = "") -> Settings:
    cfg = tmp_path / "wb.toml"
    cfg.write_text(_BASE + extra)
    return load_settings(cfg)


def test_no_client_id_means_no_oauth() -> None:
    assert oauth_config(Settings()) is None


def test_settings_map_to_panel_generic_provider(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "sec")
    cfg = oauth_config(_settings(tmp_path, 'oauth_userinfo_url = "https://idp/userinfo"\n'
                                 '[dashboard.oauth_users]\n"a@x" = "operator"\n'
                                 '"b@x" = "readonly"\n'))
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


def test_secret_from_environment_and_errors(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    cfg = oauth_config(_settings(tmp_path), environ={SECRET_ENV: "from-env"})
    assert cfg is not None and cfg.client_secret == "from-env"
    with pytest.raises(ConfigError, match="oauth_client_secret"):
        oauth_config(_settings(tmp_path), environ={})
    with pytest.raises(ConfigError, match=r"dashboard\.oauth_users") as err:
        _settings(tmp_path, '[dashboard.oauth_users]\n"a" = "admin"\n')
    assert "'operator' or 'readonly'" in str(err.value)  # the value itself is masked: *users*
    with pytest.raises(ConfigError, match="token_url"):
        OAuthConfig(client_id="wb", client_secret="s", authorize_url="https://idp/a",
                    token_url="")
