"""JSON-RPC result structs for the calls the data layer makes."""

from __future__ import annotations

import msgspec

__all__ = ["AccountInfo", "MultipleAccountsResult", "SignatureEntry"]


class SignatureEntry(msgspec.Struct, frozen=True):
    """One ``getSignaturesForAddress`` entry."""

    signature: str
    slot: int
    blockTime: int | None = None  # unix seconds, None for old slots
    err: object | None = None
    memo: str | None = None
    confirmationStatus: str | None = None


class AccountInfo(msgspec.Struct, frozen=True):
    """One account of ``getMultipleAccounts`` with ``encoding=base64``."""

    data: list[str]  # [base64 data, "base64"]
    owner: str
    lamports: int
    executable: bool = False
    rentEpoch: int | None = None
    space: int | None = None


class RpcContext(msgspec.Struct, frozen=True):
    """Response context."""

    slot: int


class MultipleAccountsResult(msgspec.Struct, frozen=True):
    """``getMultipleAccounts`` result."""

    context: RpcContext
    value: list[AccountInfo | None]
