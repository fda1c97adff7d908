"""JSON-RPC results -> typed values (pure)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from workbench.data.sources._parsing import convert
from workbench.data.sources.rpc.schemas import MultipleAccountsResult, SignatureEntry
from workbench.errors import SchemaError

__all__ = [
    "AccountBytes",
    "SignatureInfo",
    "parse_multiple_accounts",
    "parse_signatures",
    "parse_transaction",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureInfo:
    """A transaction that touched an address.

    Attributes:
        signature: base58 signature.
        slot: slot it landed in.
        block_time_s: unix seconds, when known.
        is_failed: True when it failed on chain (its balances moved only by fees).
    """

    signature: str
    slot: int
    block_time_s: int | None
    is_failed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountBytes:
    """An account's raw data at ``slot``.

    Attributes:
        address: base58 address.
        owner: owning program, base58.
        lamports: balance.
        data: raw bytes, for the decoders.
        slot: context slot of the read.
    """

    address: str
    owner: str
    lamports: int
    data: bytes
    slot: int


def _result(body: Any, call: str) -> Any:
    if not isinstance(body, dict) or "result" not in body:
        raise SchemaError(f"{call} response has no 'result': {str(body)[:120]}",
                          source=f"rpc.{call}", payload=body)
    return body["result"]


def parse_signatures(body: Any) -> list[SignatureInfo]:
    """Parse a ``getSignaturesForAddress`` response (newest first, as the node sends)."""
    entries = convert(_result(body, "getSignaturesForAddress"), list[SignatureEntry],
                      source="rpc.getSignaturesForAddress")
    return [SignatureInfo(signature=e.signature, slot=e.slot, block_time_s=e.blockTime,
                          is_failed=e.err is not None) for e in entries]


def parse_transaction(body: Any) -> dict[str, Any] | None:
    """The ``getTransaction`` result (None when the node does not have it).

    Raises:
        SchemaError: the result is neither null nor an object with ``meta`` and ``slot``.
    """
    result = _result(body, "getTransaction")
    if result is None:
        return None
    if not isinstance(result, dict) or "meta" not in result or "slot" not in result:
        raise SchemaError("getTransaction result lacks 'meta' or 'slot'.",
                          source="rpc.getTransaction", payload=str(result)[:200])
    return result


def parse_multiple_accounts(body: Any, addresses: list[str]) -> list[AccountBytes | None]:
    """Parse ``getMultipleAccounts`` (encoding base64) in the order of ``addresses``.

    Raises:
        SchemaError: wrong shape, a count that differs from the request, or bad base64.
    """
    res = convert(_result(body, "getMultipleAccounts"), MultipleAccountsResult,
                  source="rpc.getMultipleAccounts")
    if len(res.value) != len(addresses):
        raise SchemaError(f"getMultipleAccounts returned {len(res.value)} accounts for "
                          f"{len(addresses)} addresses.", source="rpc.getMultipleAccounts")
    out: list[AccountBytes | None] = []
    for addr, acc in zip(addresses, res.value, strict=True):
        if acc is None:
            out.append(None)
            continue
        if len(acc.data) != 2 or acc.data[1] != "base64":
            raise SchemaError(f"Account {addr} data is not [base64, 'base64']; request "
                              "encoding=base64.", source="rpc.getMultipleAccounts")
        try:
            raw = base64.b64decode(acc.data[0], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SchemaError(f"Account {addr} data is not valid base64.",
                              source="rpc.getMultipleAccounts") from exc
        out.append(AccountBytes(address=addr, owner=acc.owner, lamports=acc.lamports, data=raw,
                                slot=res.context.slot))
    return out
