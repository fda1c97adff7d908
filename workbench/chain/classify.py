"""Map chain and RPC errors onto the workbench error tree, once, at the boundary.

Callers act on the class, never on message text:

=====================================================  ==================================
source                                                 workbench error
=====================================================  ==================================
HTTP 429, JSON-RPC 429 / -32429                        ``RateLimited`` (retried)
HTTP 5xx, timeouts, -32005 node behind, -32603,        ``TemporaryVenueError`` (retried)
-32004 / -32007 / -32014 / -32016 slot not ready
tx error ``BlockhashNotFound`` (-32002 preflight)      ``TxExpired``: rebuild and resend
``InsufficientFundsForFee`` / ``…ForRent``, or         ``InsufficientFunds``
token/system ``insufficient`` logs with Custom(1)
Custom 6001 (0x1771) from Jupiter (or slippage logs)   ``SlippageExceeded``
any other tx error, in simulation or preflight         ``SimulationFailed`` (with logs)
any other tx error, landed                             ``TxFailed`` (with logs)
-32003 signature verification, -32602 bad params       ``OrderRejected``
=====================================================  ==================================
"""

from __future__ import annotations

import re
from typing import Any

from solders import transaction_status as ts

from workbench.errors import (
    InsufficientFunds,
    OrderRejected,
    RateLimited,
    SimulationFailed,
    SlippageExceeded,
    TemporaryVenueError,
    TxExpired,
    TxFailed,
    VenueError,
    WorkbenchError,
)

__all__ = [
    "JUPITER_PROGRAM_ID",
    "JUPITER_SLIPPAGE_CODE",
    "TEMPORARY_RPC_CODES",
    "classify_rpc_error",
    "classify_tx_error",
    "failing_program",
    "tx_error_to_json",
]

JUPITER_PROGRAM_ID = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"
JUPITER_SLIPPAGE_CODE = 6001  # 0x1771 SlippageToleranceExceeded
TEMPORARY_RPC_CODES = frozenset({-32004, -32005, -32007, -32014, -32016, -32603})
_FAILED_RE = re.compile(r"^Program (\w+) failed: (.*)$")


def tx_error_to_json(err: object) -> object:
    """Convert a solders ``TransactionErrorType`` into the RPC's JSON shape.

    ``InstructionError(0, Custom(1))`` becomes ``{"InstructionError": [0, {"Custom": 1}]}``,
    a fieldless error its name (``"BlockhashNotFound"``), as ``getTransaction`` returns them.
    """
    if err is None or isinstance(err, str | dict | list):
        return err
    if isinstance(err, ts.TransactionErrorFieldless):
        return str(err).rsplit(".", 1)[-1]
    if isinstance(err, ts.TransactionErrorInstructionError):
        inner = err.err
        if isinstance(inner, ts.InstructionErrorCustom):
            detail: object = {"Custom": inner.code}
        elif isinstance(inner, ts.InstructionErrorBorshIO):
            detail = {"BorshIoError": inner.value}
        else:
            detail = str(inner).rsplit(".", 1)[-1]
        return {"InstructionError": [err.index, detail]}
    if isinstance(err, ts.TransactionErrorInsufficientFundsForRent):
        return {"InsufficientFundsForRent": {"account_index": err.account_index}}
    if isinstance(err, ts.TransactionErrorDuplicateInstruction):
        return {"DuplicateInstruction": err.index}
    return {type(err).__name__.removeprefix("TransactionError"): str(err)}


def failing_program(logs: list[str] | tuple[str, ...]) -> str | None:
    """The program id named in the last ``Program X failed: ...`` log line."""
    for line in reversed(logs):
        m = _FAILED_RE.match(line)
        if m:
            return m.group(1)
    return None


def _custom_code(err: object) -> int | None:
    if isinstance(err, dict) and "InstructionError" in err:
        detail = err["InstructionError"][1]
        if isinstance(detail, dict) and "Custom" in detail:
            return int(detail["Custom"])
    return None


def _describe(err: object) -> str:
    code = _custom_code(err)
    if code is not None:
        return f"{err} (custom program error 0x{code:x})"
    return str(err)


def classify_tx_error(
    err: object,
    logs: list[str] | tuple[str, ...] = (),
    *,
    signature: str | None = None,
    landed: bool = False,
    venue: str = "rpc",
) -> WorkbenchError:
    """The workbench error for a transaction error (JSON shape or solders type).

    Args:
        err: the ``err`` of a simulation, preflight or landed transaction.
        logs: program log lines, kept on the error.
        signature: base58 signature, when signed.
        landed: True when the transaction is on chain (``TxFailed``), False for a simulation
            or preflight refusal (``SimulationFailed``).
        venue: name carried by ``VenueError`` subclasses.
    """
    err = tx_error_to_json(err)
    logs = list(logs)
    payload = {"err": err, "logs": logs, "signature": signature}
    if err == "BlockhashNotFound":
        return TxExpired(
            f"Blockhash not found for {signature or 'the transaction'}: it expired or the node "
            "is behind; rebuild with a fresh blockhash.",
            signature=signature,
            logs=logs,
        )
    if err == "InsufficientFundsForFee" or (isinstance(err, dict) and "InsufficientFundsForRent"
                                            in err):
        return InsufficientFunds(
            f"Not enough SOL for the fee or rent ({err}); fund the fee payer.",
            venue=venue, payload=payload,
        )
    code = _custom_code(err)
    program = failing_program(logs)
    text = " ".join(logs).lower()
    if code == JUPITER_SLIPPAGE_CODE and (
        program in (None, JUPITER_PROGRAM_ID) or "slippage" in text
    ):
        return SlippageExceeded(
            f"Swap output fell below its minimum (custom error 6001/0x1771 from "
            f"{program or 'the swap program'}); re-quote or widen slippage.",
            venue="jupiter" if program == JUPITER_PROGRAM_ID else venue,
            payload=payload,
        )
    if (isinstance(err, dict) and "InstructionError" in err) and (
        "insufficient funds" in text or "insufficient lamports" in text
        or err["InstructionError"][1] == "InsufficientFunds"
    ):
        return InsufficientFunds(
            f"Insufficient funds ({_describe(err)}); the wallet lacks the tokens or SOL. "
            f"Logs: {logs[-1] if logs else 'none'}",
            venue=venue, payload=payload,
        )
    message = f"Transaction {signature or '(unsigned)'} failed: {_describe(err)}"
    if logs:
        message += f"; last log: {logs[-1]}"
    if landed:
        return TxFailed(message + ". It landed and failed; inspect the logs.",
                        signature=signature, logs=logs)
    return SimulationFailed(message + ". Not sent.", signature=signature, logs=logs)


def classify_rpc_error(
    error: dict[str, Any], *, venue: str = "rpc", request_id: str | None = None,
    http_status: int | None = None, retry_after_s: float | None = None,
) -> WorkbenchError:
    """The workbench error for a JSON-RPC ``error`` object.

    ``-32002`` carries the preflight simulation's ``err`` and ``logs`` in ``data``; they are
    classified like any other transaction error.
    """
    code = error.get("code")
    message = str(error.get("message", ""))
    data = error.get("data") if isinstance(error.get("data"), dict) else {}
    kw: dict[str, Any] = {"venue": venue, "request_id": request_id, "payload": error}
    if code in (429, -32429) or http_status == 429:
        return RateLimited(f"{venue} rate limited: {message}. Backing off.",
                           retry_after_s=retry_after_s, **kw)
    if code == -32002 and data is not None and "err" in data:
        return classify_tx_error(data.get("err"), data.get("logs") or (), venue=venue)
    if code in TEMPORARY_RPC_CODES:
        return TemporaryVenueError(f"{venue} temporary error {code}: {message}", **kw)
    if code == -32003:
        return OrderRejected(f"{venue} rejected the signatures: {message}",
                             reason="signature_verification", **kw)
    if code in (-32600, -32601, -32602):
        return OrderRejected(f"{venue} rejected the request ({code}): {message}",
                             reason="invalid_request", **kw)
    return VenueError(f"{venue} error {code}: {message}", **kw)
