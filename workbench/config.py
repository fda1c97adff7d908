"""One settings object for the whole workbench.

Values come from, highest priority first: arguments to ``Settings(...)``, environment variables
``WORKBENCH_SECTION__KEY`` (e.g. ``WORKBENCH_DATABASE__URL``; top-level ones as
``WORKBENCH_PROFILE``), a ``.env`` file, and a TOML config file (``WORKBENCH_CONFIG`` or
``./workbench.toml``). Unknown keys are errors, so a typo never silently falls back to a default.

Secrets are ``SecretStr``: they print as ``**********`` in reprs, ``config show`` and errors.
The live keypair is never a setting; only the *path* to the encrypted keystore is.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from workbench.errors import ConfigError

__all__ = [
    "AlertSettings",
    "DashboardSettings",
    "DataSettings",
    "DatabaseSettings",
    "EngineSettings",
    "ExecutionSettings",
    "JobSettings",
    "RiskSettings",
    "Settings",
    "load_settings",
]

_SECTION = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(BaseModel):
    """The ledger store.

    Attributes:
        url: SQLAlchemy URL; empty means SQLite at ``<data.dir>/workbench.db``.
        echo: log every SQL statement.
    """

    model_config = _SECTION
    url: str = ""
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if v and not v.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "expected a sqlite:/// or postgresql+psycopg:// URL, e.g. "
                "postgresql+psycopg://user@127.0.0.1:5432/workbench"
            )
        return v


class DataSettings(BaseModel):
    """Market data.

    Attributes:
        dir: data directory (database, Parquet lake, runs, models).
        birdeye_api_key: Birdeye API key (secret).
        jupiter_api_key: Jupiter API key for the paid endpoints (secret); the lite API needs none.
        jupiter_base_url / pyth_hermes_url / birdeye_base_url: API roots.
        max_jump_pct: quality gate: a tick moving more than this from the last is an outlier.
        stale_after_s: a feed silent this long is stale.
        requests_per_s: default rate limit per source.
    """

    model_config = _SECTION
    dir: Path = Path("data")
    birdeye_api_key: SecretStr | None = None
    jupiter_api_key: SecretStr | None = None
    jupiter_base_url: str = "https://lite-api.jup.ag"
    pyth_hermes_url: str = "https://hermes.pyth.network"
    birdeye_base_url: str = "https://public-api.birdeye.so"
    max_jump_pct: float = Field(default=20.0, gt=0)
    stale_after_s: float = Field(default=30.0, gt=0)
    requests_per_s: float = Field(default=5.0, gt=0)


class ExecutionSettings(BaseModel):
    """Solana execution.

    Attributes:
        rpc_urls: RPC endpoints in failover order.
        ws_url: websocket endpoint; derived from the first RPC URL when empty.
        commitment: processed, confirmed or finalized.
        keystore_path: encrypted keystore file (live mode only).
        simulate: simulate every transaction before sending.
        priority_fee_percentile: percentile of recent prioritization fees to pay.
        priority_fee_cap_microlamports: never pay more per compute unit.
        jito_url: Jito block engine root.
        jito_tip_cap_lamports: the most one bundle may tip.
        max_quote_age_s: re-quote before executing when the quote is older.
        confirm_by_subscription: learn of confirmations by websocket signatureSubscribe
            (polling stays the fallback); off: poll only.
    """

    model_config = _SECTION
    rpc_urls: tuple[str, ...] = ("https://api.mainnet-beta.solana.com",)
    ws_url: str = ""
    commitment: Literal["processed", "confirmed", "finalized"] = "confirmed"
    keystore_path: Path | None = None
    simulate: bool = True
    priority_fee_percentile: int = Field(default=75, ge=0, le=100)
    priority_fee_cap_microlamports: int = Field(default=1_000_000, ge=0)
    jito_url: str = "https://mainnet.block-engine.jito.wtf"
    jito_tip_cap_lamports: int = Field(default=1_000_000, ge=0)
    max_quote_age_s: float = Field(default=2.0, gt=0)
    confirm_by_subscription: bool = True


class RiskSettings(BaseModel):
    """Risk limits (changeable at run time through the control plane; each change is audited).

    Amounts are in quote currency (USD-like) unless named otherwise.

    Attributes:
        max_order_notional: largest single order, in quote currency.
        min_order_notional: smallest order worth its fees.
        max_position_notional: largest position in one token.
        max_gross_exposure: sum of all positions' absolute value.
        max_concentration_pct: largest share of equity in one token.
        max_open_positions: how many tokens may be held at once.
        max_daily_loss: loss since UTC midnight that halts new risk.
        max_drawdown_pct: drawdown from the equity peak that halts new risk.
        max_orders_per_minute: order rate limit across strategies.
        max_slippage_bps: worst accepted fill versus the reference price.
        max_price_jump_pct: a mark moving more than this trips the breaker.
        allowed_mints: if set, only these mints may be traded.
        denied_mints: these mints may never be traded.
        breaker_cooldown_s: a tripped breaker stays tripped at least this long.
        breaker_max_failures: execution failures within the window that trip the breaker.
        breaker_failure_window_s: the window for counting execution failures.
        max_group_concentration_pct: largest share of equity in one group of correlated tokens.
        max_price_deviation_pct: an order priced this far from the mark is a fat finger.
        max_depth_fraction: no order above this fraction of the liquidity within the impact.
        depth_impact_bps: the price impact that defines that liquidity.
        require_depth: reject orders when no depth figure is known.
        cash_tokens: tokens counted as cash at $1 when no mark is given.
    """

    model_config = _SECTION
    max_order_notional: Decimal = Decimal("1000")
    min_order_notional: Decimal = Decimal("1")
    max_position_notional: Decimal = Decimal("5000")
    max_gross_exposure: Decimal = Decimal("10000")
    max_concentration_pct: float = Field(default=60.0, gt=0, le=100)
    max_open_positions: int = Field(default=10, ge=1)
    max_daily_loss: Decimal = Decimal("500")
    max_drawdown_pct: float = Field(default=20.0, gt=0, le=100)
    max_orders_per_minute: int = Field(default=60, ge=1)
    max_slippage_bps: int = Field(default=100, ge=0, le=10_000)
    max_price_jump_pct: float = Field(default=15.0, gt=0)
    allowed_mints: tuple[str, ...] = ()
    denied_mints: tuple[str, ...] = ()
    breaker_cooldown_s: float = Field(default=300.0, ge=0)
    breaker_max_failures: int = Field(default=3, ge=1)
    breaker_failure_window_s: float = Field(default=60.0, gt=0)
    max_group_concentration_pct: float = Field(default=80.0, gt=0, le=100)
    max_price_deviation_pct: float = Field(default=5.0, gt=0)
    max_depth_fraction: float = Field(default=0.1, gt=0, le=1)
    depth_impact_bps: int = Field(default=100, gt=0, le=10_000)
    require_depth: bool = False
    cash_tokens: tuple[str, ...] = ("USDC", "USDT")


class EngineSettings(BaseModel):
    """The live engine.

    Attributes:
        mode: paper (local AMM on LiteSVM) or live (real chain).
        live_opt_in: must be true, besides mode=live, before real orders are sent.
        redis_url: Redis for the event bus and control plane; empty = in-process only.
        metrics_port: Prometheus /metrics and /health port.
        replay_speed: replay multiplier in paper mode (0 = as fast as possible).
        heartbeat_s: heartbeat interval.
        price_source: live mode's price feed: jupiter (Price API v3) or pyth (Hermes).
        use_jito: live mode: send every transaction as a Jito bundle (execution.jito_url).
    """

    model_config = _SECTION
    mode: Literal["paper", "live"] = "paper"
    live_opt_in: bool = False
    redis_url: str = ""
    metrics_port: int = Field(default=9108, ge=0, le=65535)
    replay_speed: float = Field(default=60.0, ge=0)
    heartbeat_s: float = Field(default=5.0, gt=0)
    price_source: Literal["jupiter", "pyth"] = "jupiter"
    use_jito: bool = False


class DashboardSettings(BaseModel):
    """The Panel dashboard.

    Attributes:
        port: HTTP port.
        users: user name -> argon2/pbkdf2 password hash (see ``workbench dashboard hash``).
        readonly_users: names among ``users`` who may look but not act.
        cookie_secret: signs login cookies (secret).
        address: interface to listen on when users are configured (without users: 127.0.0.1).
        allowed_origins: extra ``host[:port]`` browsers may connect from (a reverse proxy).
        oauth_client_id: OAuth 2.0 / OIDC login instead of passwords (empty: off).
        oauth_client_secret: the OAuth client's secret (secret; or env
            WORKBENCH_DASHBOARD__OAUTH_CLIENT_SECRET).
        oauth_authorize_url: the provider's authorization endpoint.
        oauth_token_url: the provider's token endpoint.
        oauth_userinfo_url: the provider's userinfo endpoint (empty: read the ID token).
        oauth_user_key: the userinfo / ID-token claim that names the user.
        oauth_scopes: scopes asked for.
        oauth_redirect_uri: where the provider sends the browser back (empty: <dashboard>/login).
        oauth_users: user -> operator or readonly; anyone else is refused (403).
    """

    model_config = _SECTION
    port: int = Field(default=5006, ge=1, le=65535)
    users: dict[str, SecretStr] = Field(default_factory=dict)
    readonly_users: tuple[str, ...] = ()
    cookie_secret: SecretStr | None = None
    address: str = "0.0.0.0"
    allowed_origins: tuple[str, ...] = ()
    oauth_client_id: str = ""
    oauth_client_secret: SecretStr | None = None
    oauth_authorize_url: str = ""
    oauth_token_url: str = ""
    oauth_userinfo_url: str = ""
    oauth_user_key: str = "email"
    oauth_scopes: tuple[str, ...] = ("openid", "email", "profile")
    oauth_redirect_uri: str = ""
    oauth_users: dict[str, Literal["operator", "readonly"]] = Field(default_factory=dict)


class AlertSettings(BaseModel):
    """Notifications.

    Attributes:
        webhook_url: POST JSON alerts here.
        telegram_bot_token / telegram_chat_id: Telegram bot delivery.
        telegram_api_url: Telegram API root (tests point it at a local server).
        max_per_minute: rate limit, so a storm does not flood the user.
    """

    model_config = _SECTION
    webhook_url: str = ""
    telegram_bot_token: SecretStr | None = None
    telegram_chat_id: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    max_per_minute: int = Field(default=20, ge=1)


class JobSettings(BaseModel):
    """Production jobs.

    Attributes:
        schedule: job name -> cron expression.
        timeout_s: per-run timeout.
        retries: retries after a failed run.
        kernel: Jupyter kernel that runs the jobs.
    """

    model_config = _SECTION
    schedule: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(default=3600.0, gt=0)
    retries: int = Field(default=1, ge=0)
    kernel: str = "workbench"


class Settings(BaseSettings):
    """All settings. Build it with :func:`load_settings` to get clear errors.

    Attributes:
        profile: ``paper`` (default) or ``live``.
    """

    model_config = SettingsConfigDict(
        env_prefix="WORKBENCH_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        frozen=True,
    )

    profile: Literal["paper", "live"] = "paper"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)

    @model_validator(mode="after")
    def _live_needs_keystore(self) -> Settings:
        live = self.profile == "live" or self.engine.mode == "live"
        if live and self.execution.keystore_path is None:
            raise ValueError(
                "live trading needs execution.keystore_path (an encrypted keystore made with "
                "`workbench keys create`); paper mode needs none"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init args win, then environment, then ``.env``, then the TOML file."""
        return (init_settings, env_settings, dotenv_settings, _TomlValues(settings_cls))

    @classmethod
    def reference(cls) -> str:
        """Markdown table of every setting: name, environment variable, default, meaning."""
        rows = ["| setting | environment variable | default | meaning |", "|---|---|---|---|",
                "| `profile` | `WORKBENCH_PROFILE` | `paper` | `paper` or `live` (live also needs "
                "`engine.live_opt_in = true` and `execution.keystore_path`) |"]
        for name, field in cls.model_fields.items():
            section = field.annotation
            if not (isinstance(section, type) and issubclass(section, BaseModel)):
                continue
            docs = _attribute_docs(section)
            defaults = section()
            for key, sub in section.model_fields.items():
                value = getattr(defaults, key)
                shown = "(secret)" if "SecretStr" in str(sub.annotation) else _mask(value)
                rows.append(f"| `{name}.{key}` | `WORKBENCH_{name.upper()}__{key.upper()}` | "
                            f"`{shown!r}` | {docs.get(key, '')} |")
        return "\n".join(rows) + "\n"

    @property
    def database_url(self) -> str:
        """The effective SQLAlchemy URL (SQLite in the data dir by default)."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.data.dir / 'workbench.db'}"

    @property
    def is_live(self) -> bool:
        """True only when live mode was chosen *and* explicitly opted into."""
        return (self.profile == "live" or self.engine.mode == "live") and self.engine.live_opt_in

    def masked(self) -> dict[str, Any]:
        """A JSON-ready dump with every secret masked, for display."""
        return _mask(self.model_dump(mode="python"))


_FILE_VALUES: ContextVar[dict[str, Any]] = ContextVar("_FILE_VALUES", default={})  # noqa: B039


class _TomlValues(PydanticBaseSettingsSource):
    """The TOML file's values, lowest priority; set by ``load_settings`` for one build."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return _FILE_VALUES.get().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_VALUES.get())


def _attribute_docs(cls: type) -> dict[str, str]:
    """``name: meaning`` lines of a Google-style Attributes section (``a / b:`` shares one)."""
    out: dict[str, str] = {}
    doc = (cls.__doc__ or "").split("Attributes:", 1)
    if len(doc) < 2:
        return out
    indent: int | None = None  # of the attribute lines; deeper lines continue the last one
    last: list[str] = []
    for line in doc[1].splitlines():
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if indent is not None and depth > indent and last:
            for name in last:
                out[name] += " " + line.strip()
            continue
        head, sep, meaning = line.strip().partition(": ")
        if sep and head and all(part.strip().isidentifier() for part in head.split("/")):
            indent = depth if indent is None else indent
            last = [part.strip() for part in head.split("/")]
            for name in last:
                out[name] = meaning.strip()
    return out


def _mask(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "**********"
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    if isinstance(value, Path | Decimal):
        return str(value)
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Config file {path} is not valid TOML: {exc}. Fix the file or point "
            "WORKBENCH_CONFIG at another one."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Config file {path} cannot be read: {exc.strerror}. Check the path in "
            "WORKBENCH_CONFIG or --config."
        ) from None


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ())) or "(settings)"
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        return f"unknown setting {loc!r}; remove it or check its spelling in the README"
    shown = "**********" if any(s in loc for s in ("key", "token", "secret", "users")) else value
    return f"setting {loc!r} has invalid value {shown!r}: {err.get('msg', '')}"


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build Settings from the TOML file, environment, ``.env`` and ``overrides``.

    Args:
        config_file: a TOML file; defaults to ``$WORKBENCH_CONFIG`` or ``./workbench.toml``
            when it exists.
        **overrides: values that win over every other source (used by tests and the CLI).

    Raises:
        ConfigError: naming the setting, the bad value and what is expected.
    """
    path: Path | None = None
    if config_file is not None:
        path = Path(config_file)
        if not path.exists():
            raise ConfigError(f"Config file {path} does not exist; create it or drop --config.")
    elif os.environ.get("WORKBENCH_CONFIG"):
        path = Path(os.environ["WORKBENCH_CONFIG"])
        if not path.exists():
            raise ConfigError(
                f"WORKBENCH_CONFIG points at {path}, which does not exist; fix or unset it."
            )
    elif Path("workbench.toml").exists():
        path = Path("workbench.toml")
    file_values = _read_toml(path) if path else {}
    try:
        if overrides:
            token = _FILE_VALUES.set(file_values)
            try:
                return Settings(**overrides)
            finally:
                _FILE_VALUES.reset(token)
        return _build(file_values)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        first = exc.errors()[0].get("loc", ()) if exc.errors() else ()
        setting = ".".join(str(p) for p in first) or None
        if setting is None and "keystore_path" in problems:  # the cross-field live check
            setting = "execution.keystore_path"
        where = f" (from {path})" if path else ""
        raise ConfigError(f"Invalid configuration{where}: {problems}.", setting=setting) from None


def _build(file_values: dict[str, Any]) -> Settings:
    token = _FILE_VALUES.set(file_values)
    try:
        return Settings()
    finally:
        _FILE_VALUES.reset(token)
