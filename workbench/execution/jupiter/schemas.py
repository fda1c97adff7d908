"""Wire structs mirroring Jupiter's JSON field for field (OpenAPI "Metis Swap API" v1, Ultra v1).

Amounts arrive as decimal strings (u64 does not fit a JS number); they stay strings here and
become ints in ``parse.py``. Unknown fields are ignored, missing required ones are errors.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "AccountMetaWire",
    "DynamicSlippageReport",
    "ErrorBody",
    "InstructionWire",
    "PlatformFee",
    "QuoteResponse",
    "RoutePlanStep",
    "SwapInfo",
    "SwapInstructionsResponse",
    "SwapResponse",
    "UltraExecuteResponse",
    "UltraOrderResponse",
    "UltraSwapEvent",
]


class SwapInfo(msgspec.Struct, frozen=True, rename="camel"):
    """One hop of a route on one AMM."""

    amm_key: str
    input_mint: str
    output_mint: str
    in_amount: str
    out_amount: str
    label: str | None = None
    fee_amount: str | None = None  # deprecated upstream, may be absent
    fee_mint: str | None = None


class RoutePlanStep(msgspec.Struct, frozen=True, rename="camel"):
    """A hop and the share of its input that goes through it."""

    swap_info: SwapInfo
    percent: int | None = None  # 0..100 share of the previous hop's output
    bps: int | None = None  # the same share in basis points (newer responses)


class PlatformFee(msgspec.Struct, frozen=True, rename="camel"):
    """Integrator fee taken by the route, in output base units."""

    amount: str | None = None
    fee_bps: int | None = None


class QuoteResponse(msgspec.Struct, frozen=True, rename="camel"):
    """``GET /swap/v1/quote`` (also the quote half of an Ultra order)."""

    input_mint: str
    in_amount: str
    output_mint: str
    out_amount: str  # best output after AMM and platform fees, before slippage
    other_amount_threshold: str  # min out (ExactIn) or max in (ExactOut) after slippage
    swap_mode: str  # "ExactIn" | "ExactOut"
    slippage_bps: int
    price_impact_pct: str
    route_plan: list[RoutePlanStep]
    platform_fee: PlatformFee | None = None
    context_slot: int | None = None
    time_taken: float | None = None


class DynamicSlippageReport(msgspec.Struct, frozen=True, rename="camel"):
    """What dynamic slippage chose, when ``dynamicSlippage`` was requested."""

    slippage_bps: int | None = None
    other_amount: int | None = None
    simulated_incurred_slippage_bps: int | None = None
    amplification_ratio: str | None = None
    category_name: str | None = None
    heuristic_max_slippage_bps: int | None = None


class SwapResponse(msgspec.Struct, frozen=True, rename="camel"):
    """``POST /swap/v1/swap``: an unsigned base64 versioned transaction."""

    swap_transaction: str
    last_valid_block_height: int
    prioritization_fee_lamports: int | None = None
    compute_unit_limit: int | None = None
    dynamic_slippage_report: DynamicSlippageReport | None = None
    simulation_error: object | None = None  # null, or Jupiter's simulation error object


class AccountMetaWire(msgspec.Struct, frozen=True, rename="camel"):
    """An instruction account."""

    pubkey: str
    is_signer: bool
    is_writable: bool


class InstructionWire(msgspec.Struct, frozen=True, rename="camel"):
    """An instruction as JSON: program id, accounts, base64 data."""

    program_id: str
    accounts: list[AccountMetaWire]
    data: str  # base64


class SwapInstructionsResponse(msgspec.Struct, frozen=True, rename="camel"):
    """``POST /swap/v1/swap-instructions``: the swap as instructions plus lookup tables."""

    compute_budget_instructions: list[InstructionWire]
    setup_instructions: list[InstructionWire]
    swap_instruction: InstructionWire
    address_lookup_table_addresses: list[str]
    other_instructions: list[InstructionWire] = []
    cleanup_instruction: InstructionWire | None = None
    token_ledger_instruction: InstructionWire | None = None
    prioritization_fee_lamports: int | None = None


class UltraOrderResponse(msgspec.Struct, frozen=True, rename="camel"):
    """``GET /ultra/v1/order``: a quote, and a transaction to sign when ``taker`` was given."""

    input_mint: str
    output_mint: str
    in_amount: str
    out_amount: str
    other_amount_threshold: str
    swap_mode: str
    slippage_bps: int
    route_plan: list[RoutePlanStep]
    request_id: str  # pass back to /execute
    transaction: str | None = None  # base64, absent without a taker
    price_impact_pct: str | None = None
    swap_type: str | None = None  # "aggregator" | "rfq"
    router: str | None = None
    taker: str | None = None
    gasless: bool | None = None
    fee_bps: int | None = None
    prioritization_fee_lamports: int | None = None
    error_code: int | None = None
    error_message: str | None = None


class UltraSwapEvent(msgspec.Struct, frozen=True, rename="camel"):
    """One swap leg that executed, as Ultra reports it."""

    input_mint: str
    input_amount: str
    output_mint: str
    output_amount: str


class UltraExecuteResponse(msgspec.Struct, frozen=True, rename="camel"):
    """``POST /ultra/v1/execute``: what happened to the signed transaction."""

    status: str  # "Success" | "Failed"
    code: int  # 0 success; see codes.ULTRA_CODES
    signature: str | None = None
    slot: str | None = None
    error: str | None = None
    input_amount_result: str | None = None
    output_amount_result: str | None = None
    total_input_amount: str | None = None
    total_output_amount: str | None = None
    swap_events: list[UltraSwapEvent] | None = None


class ErrorBody(msgspec.Struct, frozen=True, rename="camel"):
    """An error body: ``{"error": "...", "errorCode": "NO_ROUTES_FOUND"}``, or Ultra's ``code``."""

    error: str | None = None
    error_code: str | None = None
    code: int | None = None
