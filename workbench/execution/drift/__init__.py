"""Drift v2 adapter: perp market orders by instruction encoding, User positions by decoding.

Modules: ``config`` (program, sub-account, markets), ``schemas`` (Borsh records), ``parse``
(encode OrderParams, decode User/PerpMarket), ``events`` (OrderActionRecord fills from logs),
``instructions`` (PDAs, place_perp_order), ``client`` (account reads), ``venue`` (the Venue port).
"""

from workbench.execution.drift.config import DRIFT_PROGRAM_ID, DriftConfig, DriftPerpMarket
from workbench.execution.drift.events import (
    ORDER_ACTION_RECORD_DISCRIMINATOR,
    DriftFill,
    FillReconciliation,
    OrderAction,
    OrderActionExplanation,
    OrderActionRecord,
    decode_order_action_record,
    fills_for_user,
    order_action_records,
    placed_order_ids,
    reconcile_fills,
)
from workbench.execution.drift.instructions import (
    PLACE_PERP_ORDER_DISCRIMINATOR,
    build_place_perp_order,
    perp_market_pda,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)
from workbench.execution.drift.parse import (
    decode_perp_positions,
    decode_spot_positions,
    decode_user_authority,
    encode_order_params,
    perp_market_oracle,
    position_change,
)
from workbench.execution.drift.schemas import (
    MarketType,
    OrderParams,
    OrderTriggerCondition,
    OrderType,
    PerpPosition,
    PositionDirection,
    PostOnlyParam,
    SpotPosition,
)
from workbench.execution.drift.venue import PERP_PREFIX, DriftRoute, DriftVenue

__all__ = [
    "DRIFT_PROGRAM_ID",
    "ORDER_ACTION_RECORD_DISCRIMINATOR",
    "PERP_PREFIX",
    "PLACE_PERP_ORDER_DISCRIMINATOR",
    "DriftConfig",
    "DriftFill",
    "DriftPerpMarket",
    "DriftRoute",
    "DriftVenue",
    "FillReconciliation",
    "MarketType",
    "OrderAction",
    "OrderActionExplanation",
    "OrderActionRecord",
    "OrderParams",
    "OrderTriggerCondition",
    "OrderType",
    "PerpPosition",
    "PositionDirection",
    "PostOnlyParam",
    "SpotPosition",
    "build_place_perp_order",
    "decode_order_action_record",
    "decode_perp_positions",
    "decode_spot_positions",
    "decode_user_authority",
    "encode_order_params",
    "fills_for_user",
    "order_action_records",
    "perp_market_oracle",
    "perp_market_pda",
    "placed_order_ids",
    "position_change",
    "reconcile_fills",
    "spot_market_pda",
    "state_pda",
    "user_pda",
    "user_stats_pda",
]
