"""Pure parsers: Solana JSON-RPC ``result`` values -> the chain's typed results.

Each raises :class:`~workbench.errors.SchemaError` naming the field and the value when the node
sends something else (a missing key, a string where an int belongs); :class:`JsonRpcClient`
turns that into a failover to the next endpoint. Field names follow the RPC docs
(``getTransaction`` with ``encoding: "json"``, ``maxSupportedTransactionVersion: 0``).
"""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Any

from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable, AddressLookupTableAccount
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from workbench.chain.types import (
    BlockhashInfo,
    ConfirmedTx,
    SignatureStatus,
    SimulationResult,
    TokenAccount,
    TokenBalance,
)
from workbench.errors import SchemaError, TxError

__all__ = [
    "parse_account",
    "parse_accounts",
    "parse_balance",
    "parse_blockhash",
    "parse_int",
    "parse_lookup_table",
    "parse_prioritization_fees",
    "parse_signature",
    "parse_signature_statuses",
    "parse_simulation",
    "parse_token_accounts",
    "parse_transaction",
    "token_account_amount",
]

_TOKEN_ACCOUNT_MIN = 72  # mint 32 + owner 32 + amount u64
_U64 = struct.Struct("<Q")


def _bad(what: str, value: Any, expected: str) -> SchemaError:
    shown = repr(value)
    if len(shown) > 120:
        shown = shown[:120] + "..."
    return SchemaError(f"{what} should be {expected}, got {shown}.", source="solana-rpc",
                       payload=value)


def _get(obj: Any, key: str, what: str) -> Any:
    if not isinstance(obj, dict):
        raise _bad(what, obj, "an object")
    if key not in obj:
        raise _bad(f"{what}.{key}", None, "present")
    return obj[key]


def parse_int(value: Any, what: str = "result") -> int:
    """A JSON integer (bools and floats refused: a node sending 1.5 slots is broken)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(what, value, "an integer")
    return value


def _opt_int(value: Any, what: str) -> int | None:
    return None if value is None else parse_int(value, what)


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _bad(what, value, "a string")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(what, value, "a list")
    return value


def _value(result: Any, what: str) -> Any:
    """``result.value`` of a context-wrapped response."""
    return _get(result, "value", what)


def _pubkey(value: Any, what: str) -> Pubkey:
    try:
        return Pubkey.from_string(_str(value, what))
    except ValueError as exc:
        raise _bad(what, value, "a base58 pubkey") from exc


def parse_balance(result: Any) -> int:
    """``getBalance``: lamports."""
    return parse_int(_value(result, "getBalance"), "getBalance.value")


def parse_signature(value: Any, what: str = "sendTransaction.result") -> Signature:
    """A base58 signature."""
    try:
        return Signature.from_string(_str(value, what))
    except ValueError as exc:
        raise _bad(what, value, "a base58 signature") from exc


def parse_blockhash(result: Any) -> BlockhashInfo:
    """``getLatestBlockhash``."""
    value = _value(result, "getLatestBlockhash")
    text = _str(_get(value, "blockhash", "getLatestBlockhash.value"), "blockhash")
    try:
        blockhash = Hash.from_string(text)
    except ValueError as exc:
        raise _bad("getLatestBlockhash.value.blockhash", text, "a base58 hash") from exc
    return BlockhashInfo(
        blockhash=blockhash,
        last_valid_block_height=parse_int(
            _get(value, "lastValidBlockHeight", "getLatestBlockhash.value"),
            "lastValidBlockHeight"),
        slot=parse_int(_get(_get(result, "context", "getLatestBlockhash"), "slot", "context"),
                       "context.slot"),
    )


def parse_simulation(result: Any) -> SimulationResult:
    """``simulateTransaction``: error, logs and ``unitsConsumed`` (0 when the node omits it)."""
    value = _value(result, "simulateTransaction")
    err = _get(value, "err", "simulateTransaction.value")
    logs = value.get("logs") or []
    _list(logs, "simulateTransaction.value.logs")
    units = value.get("unitsConsumed")
    return SimulationResult(
        err=None if err is None else str(err), err_raw=err,
        logs=tuple(_str(x, "log line") for x in logs),
        units_consumed=0 if units is None else parse_int(units, "unitsConsumed"),
    )


def parse_signature_statuses(result: Any) -> list[SignatureStatus | None]:
    """``getSignatureStatuses``: one entry per signature asked, None when unknown."""
    out: list[SignatureStatus | None] = []
    for i, item in enumerate(_list(_value(result, "getSignatureStatuses"),
                                   "getSignatureStatuses.value")):
        if item is None:
            out.append(None)
            continue
        where = f"getSignatureStatuses.value[{i}]"
        status = item.get("confirmationStatus") if isinstance(item, dict) else None
        if status is not None and status not in ("processed", "confirmed", "finalized"):
            raise _bad(f"{where}.confirmationStatus", status, "processed/confirmed/finalized")
        out.append(SignatureStatus(slot=parse_int(_get(item, "slot", where), f"{where}.slot"),
                                   err=item.get("err"), confirmation_status=status))
    return out


def _token_balances(items: Any, keys: tuple[str, ...], what: str) -> tuple[TokenBalance, ...]:
    out = []
    for i, b in enumerate(_list(items or [], what)):
        where = f"{what}[{i}]"
        idx = parse_int(_get(b, "accountIndex", where), f"{where}.accountIndex")
        if not 0 <= idx < len(keys):
            raise _bad(f"{where}.accountIndex", idx, f"an index below {len(keys)}")
        ui = _get(b, "uiTokenAmount", where)
        amount = _str(_get(ui, "amount", f"{where}.uiTokenAmount"), f"{where}.amount")
        if not amount.isdigit():
            raise _bad(f"{where}.uiTokenAmount.amount", amount, "a base-unit integer string")
        out.append(TokenBalance(
            account_index=idx, account=keys[idx],
            mint=_str(_get(b, "mint", where), f"{where}.mint"),
            owner=_str(b.get("owner", ""), f"{where}.owner"),
            amount_raw=int(amount),
            decimals=parse_int(_get(ui, "decimals", f"{where}.uiTokenAmount"),
                               f"{where}.decimals"),
        ))
    return tuple(out)


def parse_transaction(result: Any) -> ConfirmedTx | None:
    """``getTransaction`` (json encoding) -> :class:`ConfirmedTx`; None when not found.

    Account keys are the static keys, then the lookup tables' loaded writable, then readonly
    addresses: the order ``accountIndex`` in token balances refers to.
    """
    if result is None:
        return None
    tx = _get(result, "transaction", "getTransaction")
    meta = _get(result, "meta", "getTransaction")
    if meta is None:
        raise _bad("getTransaction.meta", None, "an object (the node has no status metadata)")
    msg = _get(tx, "message", "getTransaction.transaction")
    keys = [_str(k, "accountKeys[]") for k in _list(_get(msg, "accountKeys", "message"),
                                                    "accountKeys")]
    loaded = meta.get("loadedAddresses") or {}
    keys += [_str(k, "loadedAddresses.writable[]") for k in loaded.get("writable") or []]
    keys += [_str(k, "loadedAddresses.readonly[]") for k in loaded.get("readonly") or []]
    key_tuple = tuple(keys)
    sigs = _list(_get(tx, "signatures", "getTransaction.transaction"), "signatures")
    if not sigs:
        raise _bad("getTransaction.transaction.signatures", sigs, "a non-empty list")
    pre = tuple(parse_int(x, "preBalances[]") for x in _list(meta.get("preBalances") or [],
                                                              "preBalances"))
    post = tuple(parse_int(x, "postBalances[]") for x in _list(meta.get("postBalances") or [],
                                                                "postBalances"))
    logs = meta.get("logMessages") or []
    return ConfirmedTx(
        signature=parse_signature(sigs[0], "getTransaction.transaction.signatures[0]"),
        slot=parse_int(_get(result, "slot", "getTransaction"), "getTransaction.slot"),
        err=meta.get("err"),
        fee_lamports=parse_int(_get(meta, "fee", "getTransaction.meta"), "meta.fee"),
        block_time_s=_opt_int(result.get("blockTime"), "getTransaction.blockTime"),
        logs=tuple(_str(x, "logMessages[]") for x in _list(logs, "logMessages")),
        pre_token_balances=_token_balances(meta.get("preTokenBalances"), key_tuple,
                                           "meta.preTokenBalances"),
        post_token_balances=_token_balances(meta.get("postTokenBalances"), key_tuple,
                                            "meta.postTokenBalances"),
        account_keys=key_tuple,
        pre_lamports=pre,
        post_lamports=post,
    )


def parse_prioritization_fees(result: Any) -> list[int]:
    """``getRecentPrioritizationFees``: micro-lamports per CU, one per recent slot."""
    return [parse_int(_get(x, "prioritizationFee", f"getRecentPrioritizationFees[{i}]"),
                      f"getRecentPrioritizationFees[{i}].prioritizationFee")
            for i, x in enumerate(_list(result, "getRecentPrioritizationFees"))]


def parse_account(value: Any, what: str = "account") -> Account | None:
    """One base64-encoded account object (None stays None)."""
    if value is None:
        return None
    data = _list(_get(value, "data", what), f"{what}.data")
    if len(data) != 2 or data[1] != "base64":
        raise _bad(f"{what}.data", data, '[<base64>, "base64"]')
    try:
        raw = base64.b64decode(_str(data[0], f"{what}.data[0]"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad(f"{what}.data[0]", data[0], "valid base64") from exc
    executable = _get(value, "executable", what)
    if not isinstance(executable, bool):
        raise _bad(f"{what}.executable", executable, "a boolean")
    rent_epoch = value.get("rentEpoch", 0)
    # rentEpoch is u64::MAX for rent-exempt accounts; JSON parsers may give it as a float.
    rent = rent_epoch if isinstance(rent_epoch, int) and not isinstance(rent_epoch, bool) \
        else 2**64 - 1
    return Account(
        lamports=parse_int(_get(value, "lamports", what), f"{what}.lamports"),
        data=raw, owner=_pubkey(_get(value, "owner", what), f"{what}.owner"),
        executable=executable, rent_epoch=min(rent, 2**64 - 1),
    )


def parse_accounts(result: Any) -> list[Account | None]:
    """``getMultipleAccounts`` (base64), in the order asked."""
    return [parse_account(v, f"getMultipleAccounts.value[{i}]")
            for i, v in enumerate(_list(_value(result, "getMultipleAccounts"),
                                        "getMultipleAccounts.value"))]


def token_account_amount(account: Account | None) -> int:
    """A token account's amount in base units (0 when it does not exist)."""
    if account is None:
        return 0
    data = bytes(account.data)
    if len(data) < _TOKEN_ACCOUNT_MIN:
        raise _bad("token account data", len(data), f">= {_TOKEN_ACCOUNT_MIN} bytes")
    return int(_U64.unpack_from(data, 64)[0])


def parse_token_accounts(result: Any) -> list[TokenAccount]:
    """``getTokenAccountsByOwner`` (base64) -> mint, owner and amount of each account."""
    out = []
    for i, item in enumerate(_list(_value(result, "getTokenAccountsByOwner"),
                                   "getTokenAccountsByOwner.value")):
        where = f"getTokenAccountsByOwner.value[{i}]"
        acc = parse_account(_get(item, "account", where), f"{where}.account")
        if acc is None:
            raise _bad(f"{where}.account", None, "an account (the RPC lists existing ones)")
        data = bytes(acc.data)
        amount = token_account_amount(acc)
        out.append(TokenAccount(
            address=_pubkey(_get(item, "pubkey", where), f"{where}.pubkey"),
            mint=Pubkey.from_bytes(data[0:32]), owner=Pubkey.from_bytes(data[32:64]),
            amount_raw=amount, program_id=acc.owner,
        ))
    return out


def parse_lookup_table(address: Pubkey, account: Account | None) -> AddressLookupTableAccount:
    """An address lookup table account's addresses.

    Raises:
        TxError: the account does not exist (the message cannot be compiled).
        SchemaError: the account is not a lookup table.
    """
    if account is None:
        raise TxError(
            f"Address lookup table {address} does not exist on this cluster; check the "
            "venue's lookup table address.")
    try:
        table = AddressLookupTable.deserialize(bytes(account.data))
    except ValueError as exc:
        raise SchemaError(f"Account {address} is not an address lookup table ({exc}).",
                          source="solana-rpc") from exc
    return AddressLookupTableAccount(key=address, addresses=list(table.addresses))
