"""Market data: sources, on-chain decoders, AMM depth, candles, quality, the lake and replay.

Notebooks import from here::

    from workbench.data import load, build_candles, cp_depth
    bars = load("SOL/USDT", "5m", start="2024-03-01")

Anything that fetches lives in a source client (``workbench.data.sources.*``) and is named
``fetch_*``; ``load`` reads only the local Parquet lake. Swaps from chain go to the ledger
store (``backfill_swaps``); live pool prices come from ``stream_pool``.
"""

from workbench.data.amm import (
    ClmmStep,
    bonding_curve_buy_cost,
    bonding_curve_buy_out,
    bonding_curve_sell_out,
    clmm_swap_within_tick,
    cp_swap_in,
    cp_swap_out,
    sqrt_price_x64_from_tick,
)
from workbench.data.candles import (
    build_candles,
    build_candles_from_frame,
    mark_gaps,
    resample_candles,
)
from workbench.data.collect import (
    SINKS,
    ClosedBars,
    CollectResult,
    backfill_ohlcv,
    collect_ticks,
    run_concurrently,
)
from workbench.data.decoders import (
    BondingCurve,
    PythPrice,
    RaydiumAmmV4Pool,
    Whirlpool,
    decode_bonding_curve,
    decode_bonding_curve_many,
    decode_pyth_price,
    decode_raydium_amm_v4,
    decode_raydium_amm_v4_many,
    decode_token_amounts,
    decode_whirlpool,
    decode_whirlpool_many,
)
from workbench.data.decoders.whirlpool import (
    TickArray,
    WhirlpoolTick,
    decode_tick_array,
    tick_array_start_index,
)
from workbench.data.depth import (
    CurveDepth,
    aggregate_depth,
    bonding_curve_depth,
    clmm_depth,
    clmm_depth_across_ticks,
    clmm_depth_from_tick_arrays,
    cp_depth,
)
from workbench.data.files import parse_freqtrade_name, read_ohlcv_file, to_ohlcv_frame
from workbench.data.http import RateLimiter, RetryPolicy, retry
from workbench.data.loading import default_lake, load, sample_path
from workbench.data.pool_stream import PoolStream, PoolTick, PoolWatch, stream_pool
from workbench.data.quality import QualityReport, TickGate, check_bars, check_ticks
from workbench.data.replay import replay_bars, replay_rows
from workbench.data.swap_history import PoolSpec, SwapBackfillResult, backfill_swaps
from workbench.data.swaps import market_trades_frame, parse_pool_swap, pool_seq, trades_to_frame

__all__ = [
    "SINKS",
    "BondingCurve",
    "ClmmStep",
    "ClosedBars",
    "CollectResult",
    "CurveDepth",
    "PoolSpec",
    "PoolStream",
    "PoolTick",
    "PoolWatch",
    "PythPrice",
    "QualityReport",
    "RateLimiter",
    "RaydiumAmmV4Pool",
    "RetryPolicy",
    "SwapBackfillResult",
    "TickArray",
    "TickGate",
    "Whirlpool",
    "WhirlpoolTick",
    "aggregate_depth",
    "backfill_ohlcv",
    "backfill_swaps",
    "bonding_curve_buy_cost",
    "bonding_curve_buy_out",
    "bonding_curve_depth",
    "bonding_curve_sell_out",
    "build_candles",
    "build_candles_from_frame",
    "check_bars",
    "check_ticks",
    "clmm_depth",
    "clmm_depth_across_ticks",
    "clmm_depth_from_tick_arrays",
    "clmm_swap_within_tick",
    "collect_ticks",
    "cp_depth",
    "cp_swap_in",
    "cp_swap_out",
    "decode_bonding_curve",
    "decode_bonding_curve_many",
    "decode_pyth_price",
    "decode_raydium_amm_v4",
    "decode_raydium_amm_v4_many",
    "decode_tick_array",
    "decode_token_amounts",
    "decode_whirlpool",
    "decode_whirlpool_many",
    "default_lake",
    "load",
    "mark_gaps",
    "market_trades_frame",
    "parse_freqtrade_name",
    "parse_pool_swap",
    "pool_seq",
    "read_ohlcv_file",
    "replay_bars",
    "replay_rows",
    "resample_candles",
    "retry",
    "run_concurrently",
    "sample_path",
    "sqrt_price_x64_from_tick",
    "stream_pool",
    "tick_array_start_index",
    "to_ohlcv_frame",
    "trades_to_frame",
]
