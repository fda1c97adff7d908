"""Jupiter's error codes and the workbench error each one becomes.

Program errors are Anchor custom errors of the Jupiter v6 program
(``JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4``); Anchor numbers them from 6000, so on chain
6001 shows as ``custom program error: 0x1771``. Ultra's ``/execute`` answers with its own
negative codes, and with a program error in ``error`` when the transaction landed and failed.

Callers act on the class: ``SlippageExceeded`` -> re-quote with more slippage or give up,
``InsufficientFunds`` -> top up, ``TemporaryVenueError`` -> retry, ``OrderRejected`` -> do not
retry the same request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.errors import (
    InsufficientFunds,
    OrderRejected,
    SlippageExceeded,
    TemporaryVenueError,
    VenueError,
)

__all__ = [
    "JUPITER_PROGRAM_ID",
    "PROGRAM_ERRORS",
    "ULTRA_CODES",
    "ProgramError",
    "UltraCode",
    "error_for_program_code",
    "error_for_ultra",
    "program_code_from_message",
]

JUPITER_PROGRAM_ID = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"

VENUE = "jupiter"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgramError:
    """One Jupiter program error: its name, what to do, and the error class it maps to."""

    code: int
    name: str
    hint: str
    error: type[VenueError]


PROGRAM_ERRORS: dict[int, ProgramError] = {
    e.code: e
    for e in (
        ProgramError(
            code=6001,
            name="SlippageToleranceExceeded",
            hint="the price moved past the slippage limit; re-quote, or allow more slippage",
            error=SlippageExceeded,
        ),
        ProgramError(
            code=6008,
            name="NotEnoughAccountKeys",
            hint="the swap transaction was modified and lost accounts; rebuild it unmodified",
            error=OrderRejected,
        ),
        ProgramError(
            code=6014,
            name="IncorrectTokenProgramID",
            hint="likely a platform fee on a Token-2022 mint; drop the fee for this pair",
            error=OrderRejected,
        ),
        ProgramError(
            code=6017,
            name="ExactOutAmountNotMatched",
            hint="ExactOut could not deliver the exact amount (like slippage); re-quote",
            error=SlippageExceeded,
        ),
        ProgramError(
            code=6024,
            name="InsufficientFunds",
            hint="the wallet lacks the input amount plus fees; top it up or trade less",
            error=InsufficientFunds,
        ),
        ProgramError(
            code=6025,
            name="InvalidTokenAccount",
            hint="a token account passed to the swap is wrong; rebuild with the owner's ATAs",
            error=OrderRejected,
        ),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class UltraCode:
    """One Ultra ``/execute`` code, whether retrying can help, and its description."""

    code: int
    description: str
    is_retryable: bool


ULTRA_CODES: dict[int, UltraCode] = {
    c.code: c
    for c in (
        UltraCode(code=0, description="Success", is_retryable=False),
        UltraCode(
            code=-1,
            description="Missing cached order (requestId expired or unknown)",
            is_retryable=False,
        ),
        UltraCode(code=-2, description="Invalid signed transaction", is_retryable=False),
        UltraCode(
            code=-3,
            description="Invalid message bytes (transaction was modified)",
            is_retryable=False,
        ),
        UltraCode(code=-4, description="Missing request id", is_retryable=False),
        UltraCode(code=-5, description="Missing signed transaction", is_retryable=False),
        UltraCode(code=-1000, description="Failed to land", is_retryable=True),
        UltraCode(code=-1001, description="Unknown error", is_retryable=True),
        UltraCode(code=-1002, description="Invalid transaction", is_retryable=True),
        UltraCode(code=-1003, description="Transaction not fully signed", is_retryable=False),
        UltraCode(code=-1004, description="Invalid block height", is_retryable=True),
        UltraCode(code=-1005, description="Expired", is_retryable=True),
        UltraCode(code=-1006, description="Timed out", is_retryable=True),
        UltraCode(code=-1007, description="Gasless unsupported wallet", is_retryable=False),
        UltraCode(code=-2000, description="RFQ: failed to land", is_retryable=True),
        UltraCode(code=-2001, description="RFQ: unknown error", is_retryable=True),
        UltraCode(code=-2002, description="RFQ: invalid payload", is_retryable=True),
        UltraCode(code=-2003, description="RFQ: quote expired", is_retryable=True),
        UltraCode(code=-2004, description="RFQ: swap rejected", is_retryable=False),
        UltraCode(code=-2005, description="RFQ: internal error", is_retryable=True),
    )
}

# "custom program error: 0x1771", "custom program error: #6023", {"Custom": 6001}
_HEX = re.compile(r"custom program error: 0x([0-9a-fA-F]+)")
_DEC = re.compile(r"custom program error: #(\d+)")
_JSON = re.compile(r"\"?Custom\"?\s*:\s*(\d+)")


def program_code_from_message(message: str) -> int | None:
    """The custom program error code in an RPC or Ultra error string, or None.

    Example:
        >>> program_code_from_message("Program JUP6... failed: custom program error: 0x1771")
        6001
    """
    for pattern, base in ((_HEX, 16), (_DEC, 10), (_JSON, 10)):
        match = pattern.search(message)
        if match:
            return int(match.group(1), base)
    return None


def error_for_program_code(
    code: int,
    *,
    request_id: str | None = None,
    payload: object = None,
) -> VenueError:
    """The workbench error for a Jupiter program error code (raise it, ``from`` the cause).

    Unknown codes become ``OrderRejected`` with reason ``program_error_<code>``: the transaction
    failed on chain for a reason we cannot act on automatically.
    """
    known = PROGRAM_ERRORS.get(code)
    if known is None:
        return OrderRejected(
            f"Jupiter swap failed with program error {code} ({hex(code)}), not in the known "
            "table; look it up in the Jupiter v6 IDL and retry with a different route.",
            reason=f"program_error_{code}",
            venue=VENUE,
            request_id=request_id,
            payload=payload,
        )
    message = (
        f"Jupiter swap failed with {known.name} (program error {code} = {hex(code)}): {known.hint}."
    )
    if known.error is OrderRejected:
        return OrderRejected(
            message, reason=known.name, venue=VENUE, request_id=request_id, payload=payload
        )
    return known.error(message, venue=VENUE, request_id=request_id, payload=payload)


def error_for_ultra(
    code: int, error: str | None, *, request_id: str | None, payload: object = None
) -> VenueError:
    """The workbench error for a failed Ultra ``/execute`` (``status == "Failed"``).

    A program error in ``error`` wins (the transaction landed and failed); otherwise the Ultra
    code decides between a retryable ``TemporaryVenueError`` and a final ``OrderRejected``.
    """
    program_code = program_code_from_message(error or "")
    if program_code is not None:
        return error_for_program_code(program_code, request_id=request_id, payload=payload)
    known = ULTRA_CODES.get(code)
    description = known.description if known else "unknown Ultra code"
    message = (
        f"Jupiter Ultra execute failed with code {code} ({description})"
        + (f": {error}" if error else "")
        + ". "
    )
    if known is not None and known.is_retryable:
        return TemporaryVenueError(
            message + "Get a fresh order and try again.",
            venue=VENUE,
            request_id=request_id,
            payload=payload,
        )
    return OrderRejected(
        message + "Do not resend this order; fix the request and get a new one.",
        reason=f"ultra_{code}",
        venue=VENUE,
        request_id=request_id,
        payload=payload,
    )
