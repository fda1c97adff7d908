"""Priority fee from ``getRecentPrioritizationFees``: a percentile of recent slots, capped.

The RPC returns one fee per recent slot (micro-lamports per compute unit, the lowest fee that
landed in a block touching the given writable accounts). Paying the 75th percentile lands in
most blocks without paying the spikes; the cap bounds the cost when the market goes wild:
at 1_000_000 micro-lamports/CU and a 200_000 CU limit a transaction pays 0.2 SOL extra.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from solders.pubkey import Pubkey

from workbench.chain.base import Chain

__all__ = ["fetch_priority_fee", "percentile_fee", "priority_fee_lamports"]


def percentile_fee(samples: Sequence[int], percentile: int, cap: int) -> int:
    """Nearest-rank ``percentile`` of ``samples``, at most ``cap``; 0 for no samples.

    Example:
        >>> percentile_fee([0, 10, 20, 30, 40], 75, cap=1_000)
        30
    """
    if not samples:
        return 0
    ordered = sorted(samples)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return min(cap, ordered[rank - 1])


def priority_fee_lamports(cu_limit: int, micro_lamports_per_cu: int) -> int:
    """Lamports a transaction pays for priority: ``ceil(limit * price / 1e6)``."""
    return -(-cu_limit * micro_lamports_per_cu // 1_000_000)


async def fetch_priority_fee(
    chain: Chain, accounts: Sequence[Pubkey] = (), *, percentile: int = 75, cap: int = 1_000_000
) -> int:
    """The micro-lamports/CU to pay now for a transaction writing ``accounts``."""
    return percentile_fee(await chain.recent_prioritization_fees(accounts), percentile, cap)
