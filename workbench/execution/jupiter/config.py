"""Settings of the Jupiter adapter (Swap API v1 and Ultra API).

Built from :class:`workbench.config.Settings` with :meth:`JupiterConfig.from_settings`, or directly
in tests and notebooks. The API key is a ``SecretStr`` so it never shows in reprs or errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import SecretStr

from workbench.errors import ConfigError

if TYPE_CHECKING:
    from workbench.config import Settings

__all__ = ["JupiterConfig", "JupiterMode"]

JupiterMode = Literal["swap", "instructions", "ultra"]


@dataclass(frozen=True, slots=True, kw_only=True)
class JupiterConfig:
    """How the Jupiter venue talks to the API.

    Attributes:
        base_url: API root, e.g. ``https://lite-api.jup.ag`` (no key) or ``https://api.jup.ag``.
        api_key: sent as ``x-api-key`` when set (secret).
        mode: ``swap`` builds from ``POST /swap/v1/swap`` (a whole transaction), ``instructions``
            from ``POST /swap/v1/swap-instructions`` (instructions to compose with our own),
            ``ultra`` from ``GET /ultra/v1/order`` then ``POST /ultra/v1/execute``.
        timeout_s: per-request timeout.
        max_quote_age_s: a quote older than this is re-quoted before building.
        dynamic_slippage: ask ``/swap`` to estimate slippage itself (overrides the quote's).
        dynamic_compute_unit_limit: ask ``/swap`` to simulate for the compute-unit limit.
        priority_level: ``medium``, ``high`` or ``veryHigh`` for ``priorityLevelWithMaxLamports``.
        max_priority_fee_lamports: cap of the priority fee Jupiter may add, in lamports.
        wrap_and_unwrap_sol: let Jupiter wrap/unwrap native SOL in the transaction.
        restrict_intermediate_tokens: keep multi-hop routes on liquid intermediate tokens.
        only_direct_routes: single-hop routes only.
        max_accounts: rough cap on the route's accounts, to leave room for our own instructions.
    """

    base_url: str = "https://lite-api.jup.ag"
    api_key: SecretStr | None = None
    mode: JupiterMode = "instructions"
    timeout_s: float = 10.0
    max_quote_age_s: float = 2.0
    dynamic_slippage: bool = False
    dynamic_compute_unit_limit: bool = True
    priority_level: Literal["medium", "high", "veryHigh"] = "high"
    max_priority_fee_lamports: int = 1_000_000
    wrap_and_unwrap_sol: bool = True
    restrict_intermediate_tokens: bool = True
    only_direct_routes: bool = False
    max_accounts: int = 64

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"Jupiter base_url={self.base_url!r} must start with http:// or https://, e.g. "
                "https://lite-api.jup.ag.",
                setting="data.jupiter_base_url",
            )
        if self.mode not in ("swap", "instructions", "ultra"):
            raise ConfigError(
                f"Jupiter mode={self.mode!r} is not one of swap, instructions, ultra.",
                setting="jupiter.mode",
            )
        if self.timeout_s <= 0 or self.max_quote_age_s <= 0:
            raise ConfigError(
                f"Jupiter timeout_s={self.timeout_s} and max_quote_age_s={self.max_quote_age_s} "
                "must both be > 0.",
                setting="execution.max_quote_age_s",
            )
        if self.max_priority_fee_lamports < 0 or not 1 <= self.max_accounts <= 256:
            raise ConfigError(
                f"Jupiter max_priority_fee_lamports={self.max_priority_fee_lamports} must be >= 0 "
                f"and max_accounts={self.max_accounts} in 1..256.",
                setting="jupiter.max_accounts",
            )

    @property
    def root(self) -> str:
        """``base_url`` without a trailing slash."""
        return self.base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> JupiterConfig:
        """Take the API root from ``data`` and the quote age and fee cap from ``execution``."""
        values: dict[str, object] = {
            "base_url": settings.data.jupiter_base_url,
            "max_quote_age_s": settings.execution.max_quote_age_s,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
