"""The workbench's exception tree, named for the reaction each error calls for.

```
WorkbenchError
  ConfigError            fix the config and restart
  StoreError             the ledger database cannot be used as asked
    SchemaVersionError   the database is newer or older than this code
  DataError
    DataUnavailable      nothing stored for that range: run a backfill
    SchemaError          a frame or payload does not match the declared schema
    BadPriceError        NaN, zero, negative or implausible price
  KeystoreError          wrong passphrase, missing or corrupt keystore
  VenueError             carries venue, request id and raw payload
    TemporaryVenueError  retried with backoff
      RateLimited
    OrderRejected        not retried; carries the reason code
    InsufficientFunds
    SlippageExceeded
  TxError
    TxExpired            blockhash expired: rebuild and resend
    TxFailed             on-chain failure; carries signature and program logs
    SimulationFailed     refused before sending; carries program logs
  RiskError              a risk rule was given impossible input
  StrategyError          user code raised; the strategy is stopped, the engine is not
  JobError               a papermill job failed; carries the run id
  ControlRefused         a control action the user's role does not allow, or not confirmed
```

Messages say what failed, with the value, and what to do. Structured context travels as
attributes so callers act on the class and fields, never on the message text.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadPriceError",
    "ConfigError",
    "ControlRefused",
    "DataError",
    "DataUnavailable",
    "InsufficientFunds",
    "JobError",
    "KeystoreError",
    "OrderRejected",
    "RateLimited",
    "RiskError",
    "SchemaError",
    "SchemaVersionError",
    "SimulationFailed",
    "SlippageExceeded",
    "StoreError",
    "StrategyError",
    "TemporaryVenueError",
    "TxError",
    "TxExpired",
    "TxFailed",
    "VenueError",
    "WorkbenchError",
]


class WorkbenchError(Exception):
    """Base of every error the workbench raises on purpose."""


class ConfigError(WorkbenchError):
    """A setting is missing or invalid; fix the config and restart.

    Attributes:
        setting: dotted name of the offending setting, when known.
    """

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class StoreError(WorkbenchError):
    """The ledger database cannot be reached or used as asked."""


class SchemaVersionError(StoreError):
    """The database schema does not match the code (newer, or not migrated)."""


class DataError(WorkbenchError):
    """Market data is missing or malformed."""


class DataUnavailable(DataError):
    """Nothing stored for the requested symbol, timeframe or range."""


class SchemaError(DataError):
    """A frame or payload does not match the declared schema.

    Attributes:
        source: where the payload came from (API name, file path).
        payload: the offending raw payload, truncated for display.
    """

    def __init__(self, message: str, *, source: str | None = None, payload: Any = None) -> None:
        super().__init__(message)
        self.source = source
        self.payload = payload


class BadPriceError(DataError):
    """A price is NaN, zero, negative, or beyond the allowed jump."""


class KeystoreError(WorkbenchError):
    """The keystore is missing, corrupt, or the passphrase is wrong. Never carries key bytes."""


class VenueError(WorkbenchError):
    """A venue or API call failed.

    Attributes:
        venue: short venue name ("jupiter", "jito", "rpc", ...).
        request_id: the venue's request or JSON-RPC id, when known.
        payload: raw response body or error object, for diagnosis.
    """

    def __init__(
        self,
        message: str,
        *,
        venue: str | None = None,
        request_id: str | None = None,
        payload: Any = None,
    ) -> None:
        super().__init__(message)
        self.venue = venue
        self.request_id = request_id
        self.payload = payload


class TemporaryVenueError(VenueError):
    """A failure worth retrying with backoff: timeout, 5xx, node behind."""


class RateLimited(TemporaryVenueError):
    """HTTP 429 or a JSON-RPC rate-limit error.

    Attributes:
        retry_after_s: the server's Retry-After hint in seconds, when it sent one.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after_s = retry_after_s


class OrderRejected(VenueError):
    """The venue refused the order; not retried.

    Attributes:
        reason: machine-readable reason code.
    """

    def __init__(self, message: str, *, reason: str = "rejected", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reason = reason


class InsufficientFunds(VenueError):
    """The wallet lacks the tokens or SOL the order needs."""


class SlippageExceeded(VenueError):
    """The swap would return less than its minimum output (Jupiter 6001 / 0x1771)."""


class TxError(WorkbenchError):
    """A Solana transaction failed or could not be confirmed.

    Attributes:
        signature: base58 signature of the transaction, when it was signed.
        logs: program log lines, when the chain returned them.
    """

    def __init__(
        self, message: str, *, signature: str | None = None, logs: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.signature = signature
        self.logs = list(logs or [])


class TxExpired(TxError):
    """The blockhash expired before the transaction landed; it can no longer land."""


class TxFailed(TxError):
    """The transaction landed and failed on chain."""


class SimulationFailed(TxError):
    """Simulation failed, so the transaction was not sent."""


class RiskError(WorkbenchError):
    """A risk check was given impossible input (NaN price, unknown mint, zero decimals)."""


class StrategyError(WorkbenchError):
    """User strategy code raised; the strategy is stopped, the engine keeps running."""


class JobError(WorkbenchError):
    """A papermill job failed.

    Attributes:
        run_id: the recorded run's id.
    """

    def __init__(self, message: str, *, run_id: str | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id


class ControlRefused(WorkbenchError):
    """A control action was refused: the user's role does not allow it or it was not confirmed.

    Attributes:
        actor: who asked.
        command: what was asked.
    """

    def __init__(self, message: str, *, actor: str, command: str) -> None:
        super().__init__(message)
        self.actor = actor
        self.command = command
