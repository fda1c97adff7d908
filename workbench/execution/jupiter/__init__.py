"""Jupiter adapter: Swap API v1 (quote, swap, swap-instructions) and Ultra API v1 (order, execute).

Shaped like a Nautilus adapter: ``config`` (settings), ``schemas`` (wire structs), ``parse``
(pure conversions), ``codes`` (error tables), ``client`` (HTTP only), ``venue`` (the Venue port).
"""

from workbench.execution.jupiter.client import JupiterClient, map_http_failure
from workbench.execution.jupiter.codes import (
    PROGRAM_ERRORS,
    ULTRA_CODES,
    error_for_program_code,
    error_for_ultra,
    program_code_from_message,
)
from workbench.execution.jupiter.config import JupiterConfig
from workbench.execution.jupiter.parse import JupiterRoute, SwapEvent, decode_swap_event
from workbench.execution.jupiter.venue import JupiterVenue

__all__ = [
    "PROGRAM_ERRORS",
    "ULTRA_CODES",
    "JupiterClient",
    "JupiterConfig",
    "JupiterRoute",
    "JupiterVenue",
    "SwapEvent",
    "decode_swap_event",
    "error_for_program_code",
    "error_for_ultra",
    "map_http_failure",
    "program_code_from_message",
]
