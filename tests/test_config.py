"""Settings: sources, validation messages, and secrets that never print."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from workbench.config import Settings, load_settings
from workbench.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("WORKBENCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_paper_on_sqlite() -> None:
    """With nothing configured the profile is paper and the ledger is SQLite in data/."""
    s = load_settings()
    assert s.profile == "paper" and not s.is_live
    assert s.database_url == "sqlite:///data/workbench.db"


def test_env_beats_file_and_overrides_beat_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Priority: overrides > WORKBENCH_* env > TOML file > defaults, section by section."""
    cfg = tmp_path / "wb.toml"
    cfg.write_text('[risk]\nmax_daily_loss = "250"\nmax_open_positions = 3\n'
                   '[data]\ndir = "elsewhere"\n')
    monkeypatch.setenv("WORKBENCH_RISK__MAX_OPEN_POSITIONS", "7")
    s = load_settings(cfg)
    assert str(s.risk.max_daily_loss) == "250"
    assert s.risk.max_open_positions == 7
    assert s.data.dir == Path("elsewhere")
    s2 = load_settings(cfg, risk={"max_open_positions": 9})
    assert s2.risk.max_open_positions == 9 and str(s2.risk.max_daily_loss) == "250"


def test_workbench_toml_in_cwd_is_read(tmp_path: Path) -> None:
    """A workbench.toml in the working directory is picked up without flags."""
    (tmp_path / "workbench.toml").write_text('[engine]\nreplay_speed = 5\n')
    assert load_settings().engine.replay_speed == 5


def test_bad_value_names_setting_value_and_expectation(tmp_path: Path) -> None:
    """An invalid value fails with the setting's name, the value, and what is expected."""
    cfg = tmp_path / "wb.toml"
    cfg.write_text('[risk]\nmax_drawdown_pct = "lots"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    msg = str(err.value)
    assert "risk.max_drawdown_pct" in msg and "'lots'" in msg and "valid number" in msg
    assert err.value.setting == "risk.max_drawdown_pct"


def test_unknown_setting_is_an_error(tmp_path: Path) -> None:
    """A misspelt key is refused rather than silently ignored."""
    cfg = tmp_path / "wb.toml"
    cfg.write_text('[risk]\nmax_dailyloss = 5\n')
    with pytest.raises(ConfigError, match=r"unknown setting 'risk\.max_dailyloss'"):
        load_settings(cfg)


def test_malformed_toml_and_missing_file(tmp_path: Path) -> None:
    """Malformed TOML and a missing file each give a clear ConfigError."""
    cfg = tmp_path / "wb.toml"
    cfg.write_text("[risk\nmax = ")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_live_needs_keystore_path() -> None:
    """Live mode without an encrypted keystore path is refused at start."""
    with pytest.raises(ConfigError, match="keystore_path") as err:
        load_settings(profile="live")
    assert err.value.setting == "execution.keystore_path"
    s = load_settings(profile="live", execution={"keystore_path": "k.json"})
    assert not s.is_live  # still needs the explicit opt-in
    assert load_settings(profile="live", execution={"keystore_path": "k.json"},
                         engine={"live_opt_in": True}).is_live


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets are masked in repr, str, the masked dump, and validation errors."""
    monkeypatch.setenv("WORKBENCH_DATA__BIRDEYE_API_KEY", "sk-very-secret-123")
    s = load_settings(dashboard={"users": {"alice": "pbkdf2$hash-secret"}})
    assert isinstance(s.data.birdeye_api_key, SecretStr)
    for text in (repr(s), str(s), str(s.masked())):
        assert "sk-very-secret-123" not in text and "hash-secret" not in text
    assert s.data.birdeye_api_key.get_secret_value() == "sk-very-secret-123"
    with pytest.raises(ConfigError) as err:
        load_settings(dashboard={"users": ["not-a-mapping-secret-xyz"]})
    assert "secret-xyz" not in str(err.value)


def test_settings_are_frozen() -> None:
    """Settings cannot be mutated after start; changes go through config or the control plane."""
    s = Settings()
    with pytest.raises(Exception, match="frozen"):
        s.profile = "live"  # type: ignore[misc]


def test_engine_price_source_and_jito_are_settings(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The live feed and Jito choice come from config like every other setting."""
    monkeypatch.setenv("WORKBENCH_ENGINE__USE_JITO", "true")
    cfg = tmp_path / "wb.toml"
    cfg.write_text('[engine]\nprice_source = "pyth"\n')
    settings = load_settings(cfg)
    assert settings.engine.price_source == "pyth" and settings.engine.use_jito is True
    cfg.write_text('[engine]\nprice_source = "coingecko"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert err.value.setting == "engine.price_source" and "'coingecko'" in str(err.value)


def test_reference_joins_attribute_docs_that_wrap() -> None:
    """A setting's description continued on the next docstring line is kept whole."""
    row = next(line for line in Settings.reference().splitlines()
               if "`execution.confirm_by_subscription`" in line)
    assert row.endswith("signatureSubscribe (polling stays the fallback); off: poll only. |")
