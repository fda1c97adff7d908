"""Pure conversions: Jupiter wire JSON -> typed structs -> domain values and solders objects.

Nothing here does I/O, so every function is tested on recorded payloads. A body that does not
match the schema raises ``SchemaError`` naming the endpoint and the field, with the payload
(truncated) attached: a truncated ``swapTransaction`` is caught here, not at signing time.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

import msgspec
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from workbench.domain import Quote, SwapPlan
from workbench.errors import SchemaError
from workbench.execution.jupiter.schemas import (
    InstructionWire,
    QuoteResponse,
    SwapInstructionsResponse,
    SwapResponse,
    UltraOrderResponse,
)
from workbench.execution.quotes import swap_amounts

__all__ = [
    "VENUE",
    "JupiterRoute",
    "SwapEvent",
    "decode_body",
    "decode_swap_event",
    "instruction_from_wire",
    "plan_from_instructions",
    "plan_from_transaction",
    "quote_from_response",
    "quote_from_ultra_order",
    "swap_amounts",
]

VENUE = "jupiter"
T = TypeVar("T")

_PAYLOAD_PREVIEW = 500
# Anchor emits events through a self-CPI whose data starts with this tag, then the event's own
# discriminator sha256("event:SwapEvent")[:8].
_EVENT_IX_TAG = bytes.fromhex("e445a52e51cb9a1d")
_SWAP_EVENT_DISC = bytes.fromhex("40c6cde8260871e2")


def _preview(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text if len(text) <= _PAYLOAD_PREVIEW else text[:_PAYLOAD_PREVIEW] + "..."


def decode_body(kind: type[T], body: bytes | str, *, source: str) -> T:
    """Decode a JSON body into ``kind``.

    Raises:
        SchemaError: not JSON, or a required field is missing or of the wrong type; the message
            names ``source`` (e.g. ``"GET /swap/v1/quote"``) and msgspec's path to the field.
    """
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise SchemaError(
            f"Jupiter {source} returned a body that does not match {kind.__name__}: {exc}. "
            "The API may have changed; compare with tests/fixtures/jupiter/openapi_swap_v1.yaml.",
            source=source,
            payload=_preview(body),
        ) from exc
    except msgspec.DecodeError as exc:
        raise SchemaError(
            f"Jupiter {source} returned a body that is not valid JSON ({exc}).",
            source=source,
            payload=_preview(body),
        ) from exc


def _int(value: str, *, field: str, source: str) -> int:
    try:
        result = int(value)
    except (TypeError, ValueError):
        raise SchemaError(
            f"Jupiter {source} field {field}={value!r} is not an integer amount.",
            source=source,
            payload=value,
        ) from None
    if result < 0:
        raise SchemaError(
            f"Jupiter {source} field {field}={value!r} is negative.", source=source, payload=value
        )
    return result


@dataclass(frozen=True, slots=True, kw_only=True)
class JupiterRoute:
    """What a Jupiter quote carries to ``build``: the response to post back verbatim.

    Attributes:
        response: the typed quote.
        raw: the exact JSON bytes Jupiter sent, posted back as ``quoteResponse`` unchanged
            (Jupiter rejects a quote whose fields were altered or dropped).
        request_id: Ultra's order id, for ``/execute`` (None for the Swap API).
        transaction: Ultra's unsigned transaction, when the order named a taker.
    """

    response: QuoteResponse
    raw: bytes
    request_id: str | None = None
    transaction: bytes | None = None


def _impact_bps(pct: str | None, *, source: str) -> float:
    if not pct:
        return 0.0
    try:
        # priceImpactPct is a fraction ("0.0001" = 1 bp) despite its name
        return float(Decimal(pct) * 10_000)
    except InvalidOperation:
        raise SchemaError(
            f"Jupiter {source} priceImpactPct={pct!r} is not a number.", source=source, payload=pct
        ) from None


def _fee_in_input(response: QuoteResponse) -> int:
    """Sum of hop fees charged in the input mint (fees in other mints are not comparable)."""
    total = 0
    for step in response.route_plan:
        info = step.swap_info
        if info.fee_amount and info.fee_mint == response.input_mint:
            total += int(info.fee_amount)
    return total


def quote_from_response(response: QuoteResponse, raw: bytes, *, ts_init: int) -> Quote:
    """A domain ``Quote`` from ``GET /swap/v1/quote``.

    ``min_out_amount_raw`` is ``otherAmountThreshold`` for ExactIn (the output floor the program
    enforces); ExactOut quotes are refused because the workbench only sends exact-input swaps.
    """
    source = "GET /swap/v1/quote"
    if response.swap_mode != "ExactIn":
        raise SchemaError(
            f"Jupiter quote has swapMode={response.swap_mode!r}; the workbench sends ExactIn "
            "swaps only, so request swapMode=ExactIn.",
            source=source,
            payload=_preview(raw),
        )
    return Quote(
        venue=VENUE,
        input_mint=response.input_mint,
        output_mint=response.output_mint,
        in_amount_raw=_int(response.in_amount, field="inAmount", source=source),
        out_amount_raw=_int(response.out_amount, field="outAmount", source=source),
        min_out_amount_raw=_int(
            response.other_amount_threshold, field="otherAmountThreshold", source=source
        ),
        fee_raw=_fee_in_input(response),
        price_impact_bps=_impact_bps(response.price_impact_pct, source=source),
        ts_init=ts_init,
        route=JupiterRoute(response=response, raw=raw),
    )


def quote_from_ultra_order(order: UltraOrderResponse, raw: bytes, *, ts_init: int) -> Quote:
    """A domain ``Quote`` from ``GET /ultra/v1/order``, carrying the request id and transaction.

    Raises:
        SchemaError: the order's transaction is not a decodable versioned transaction.
    """
    source = "GET /ultra/v1/order"
    as_quote = QuoteResponse(
        input_mint=order.input_mint,
        in_amount=order.in_amount,
        output_mint=order.output_mint,
        out_amount=order.out_amount,
        other_amount_threshold=order.other_amount_threshold,
        swap_mode=order.swap_mode,
        slippage_bps=order.slippage_bps,
        price_impact_pct=order.price_impact_pct or "0",
        route_plan=order.route_plan,
    )
    tx = _decode_tx(order.transaction, source=source) if order.transaction else None
    quote = quote_from_response(as_quote, raw, ts_init=ts_init)
    return Quote(
        venue=quote.venue,
        input_mint=quote.input_mint,
        output_mint=quote.output_mint,
        in_amount_raw=quote.in_amount_raw,
        out_amount_raw=quote.out_amount_raw,
        min_out_amount_raw=quote.min_out_amount_raw,
        fee_raw=quote.fee_raw,
        price_impact_bps=quote.price_impact_bps,
        ts_init=ts_init,
        route=JupiterRoute(response=as_quote, raw=raw, request_id=order.request_id, transaction=tx),
    )


def _decode_tx(b64: str, *, source: str) -> bytes:
    try:
        raw = base64.b64decode(b64, validate=True)
        VersionedTransaction.from_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise SchemaError(
            f"Jupiter {source} returned a transaction that cannot be decoded ({exc}); it may be "
            f"truncated ({len(b64)} base64 chars). Request a new one; never sign a damaged "
            "transaction.",
            source=source,
            payload=_preview(b64),
        ) from exc
    return raw


def plan_from_transaction(quote: Quote, response: SwapResponse) -> SwapPlan:
    """A ``SwapPlan`` around ``/swap``'s prebuilt transaction (checked to decode)."""
    raw = _decode_tx(response.swap_transaction, source="POST /swap/v1/swap")
    return SwapPlan(venue=VENUE, quote=quote, prebuilt_tx=raw)


def instruction_from_wire(ix: InstructionWire, *, source: str) -> Instruction:
    """A solders ``Instruction`` from Jupiter's JSON instruction.

    Raises:
        SchemaError: a bad pubkey or base64 data (e.g. the docs' truncated ``"3Dc2AAAAAAA..."``).
    """
    try:
        program_id = Pubkey.from_string(ix.program_id)
        accounts = [
            AccountMeta(Pubkey.from_string(a.pubkey), a.is_signer, a.is_writable)
            for a in ix.accounts
        ]
        data = base64.b64decode(ix.data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SchemaError(
            f"Jupiter {source} returned an instruction for program {ix.program_id} that "
            f"cannot be decoded ({exc}).",
            source=source,
            payload=_preview(msgspec.json.encode(ix)),
        ) from exc
    return Instruction(program_id, data, accounts)


_COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"


def plan_from_instructions(quote: Quote, response: SwapInstructionsResponse) -> SwapPlan:
    """A ``SwapPlan`` from ``/swap-instructions``, to compose with our own instructions.

    Jupiter's compute-budget instructions are dropped: the transaction builder sets the unit
    limit from a simulation and the price from recent fees, and two SetComputeUnitLimit
    instructions in one transaction make it fail. Order kept: other (e.g. a Jito tip Jupiter
    was asked for), setup (ATAs, wrap SOL), token ledger, swap, cleanup (unwrap SOL).
    """
    source = "POST /swap/v1/swap-instructions"
    wires: list[InstructionWire] = [*response.other_instructions, *response.setup_instructions]
    if response.token_ledger_instruction is not None:
        wires.append(response.token_ledger_instruction)
    wires.append(response.swap_instruction)
    if response.cleanup_instruction is not None:
        wires.append(response.cleanup_instruction)
    instructions = tuple(
        instruction_from_wire(w, source=source) for w in wires if w.program_id != _COMPUTE_BUDGET
    )
    try:
        tables = tuple(Pubkey.from_string(a) for a in response.address_lookup_table_addresses)
    except ValueError as exc:
        raise SchemaError(
            f"Jupiter {source} returned a bad lookup table address ({exc}).",
            source=source,
            payload=response.address_lookup_table_addresses,
        ) from exc
    return SwapPlan(venue=VENUE, quote=quote, instructions=instructions, lookup_tables=tables)


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapEvent:
    """One hop as the Jupiter program logged it (exact amounts, independent of balances)."""

    amm: Pubkey
    input_mint: Pubkey
    input_amount: int
    output_mint: Pubkey
    output_amount: int


def decode_swap_event(data: bytes) -> SwapEvent | None:
    """Decode a Jupiter ``SwapEvent`` from an inner (self-CPI) instruction's data, else None."""
    if len(data) != 128 or data[:8] != _EVENT_IX_TAG or data[8:16] != _SWAP_EVENT_DISC:
        return None
    body = data[16:]
    (input_amount,) = struct.unpack_from("<Q", body, 64)
    (output_amount,) = struct.unpack_from("<Q", body, 104)
    return SwapEvent(
        amm=Pubkey.from_bytes(body[0:32]),
        input_mint=Pubkey.from_bytes(body[32:64]),
        input_amount=input_amount,
        output_mint=Pubkey.from_bytes(body[72:104]),
        output_amount=output_amount,
    )
