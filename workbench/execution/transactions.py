"""Build and sign v0 transactions: compute budget, venue instructions, memo, lookup tables.

The layout of every swap transaction is::

    [SetComputeUnitLimit] [SetComputeUnitPrice]  venue instructions...  [tip]  Memo(client id)

The memo carries the client order id so a crash can be reconciled against the chain. The
compute-unit limit comes from a simulation on a mainnet-like node plus a margin (LiteSVM counts
far fewer units, so paper mode uses a fixed default); the price comes from
:mod:`~workbench.execution.priority_fees`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.programs import (
    memo_ix,
    set_compute_unit_limit_ix,
    set_compute_unit_price_ix,
    system_transfer_ix,
    transfer_checked_ix,
)
from workbench.errors import OrderRejected

__all__ = [
    "MAX_COMPUTE_UNITS",
    "FastSigner",
    "build_message",
    "compute_unit_limit",
    "memo_ix",
    "set_compute_unit_limit_ix",
    "set_compute_unit_price_ix",
    "sign_message",
    "sign_prebuilt",
    "sign_with",
    "system_transfer_ix",
    "transfer_checked_ix",
]

MAX_COMPUTE_UNITS = 1_400_000


def compute_unit_limit(units_consumed: int, margin_pct: int = 15, floor: int = 1_000) -> int:
    """The limit to request for a transaction that used ``units_consumed`` in simulation.

    The simulation ran with the compute-budget instructions in place, so their own units are
    included; the margin absorbs state drift between simulation and landing (a pool tick
    crossing costs more). Clamped to ``[floor, 1_400_000]``.
    """
    limit = math.ceil(units_consumed * (100 + margin_pct) / 100)
    return max(floor, min(MAX_COMPUTE_UNITS, limit))


def build_message(
    payer: Pubkey,
    instructions: Sequence[Instruction],
    blockhash: Hash,
    *,
    memo: str | None = None,
    cu_limit: int | None = None,
    cu_price_micro_lamports: int = 0,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
    tail: Sequence[Instruction] = (),
) -> MessageV0:
    """Compile a v0 message: compute budget, ``instructions``, ``tail`` (e.g. a tip), memo.

    Args:
        payer: fee payer (first signer).
        instructions: venue instructions, in order.
        blockhash: recent blockhash the signatures commit to.
        memo: client order id written by the Memo program.
        cu_limit: compute-unit limit; omitted when None (runtime default 200k per ix).
        cu_price_micro_lamports: priority fee per compute unit; omitted when 0.
        lookup_tables: address lookup tables to compress account keys.
        tail: instructions after the venue's, before the memo (a Jito tip).
    """
    ixs: list[Instruction] = []
    if cu_limit is not None:
        ixs.append(set_compute_unit_limit_ix(cu_limit))
    if cu_price_micro_lamports:
        ixs.append(set_compute_unit_price_ix(cu_price_micro_lamports))
    ixs.extend(instructions)
    ixs.extend(tail)
    if memo:
        ixs.append(memo_ix(memo))
    return MessageV0.try_compile(payer, ixs, list(lookup_tables), blockhash)


def sign_message(
    message: MessageV0, signers: Sequence[Keypair], pubkeys: Sequence[Pubkey] | None = None
) -> VersionedTransaction:
    """Sign ``message`` with ``signers`` (duplicates dropped; order does not matter).

    Args:
        message: the compiled message.
        signers: keypairs; extra ones are ignored.
        pubkeys: ``signers``' pubkeys when the caller has them cached (solders derives a
            keypair's pubkey again on every ``pubkey()`` call, ~30 µs each here).

    Raises:
        OrderRejected: a required signer is missing (names the pubkey).
    """
    need = message.account_keys[: message.header.num_required_signatures]
    keys = pubkeys if pubkeys is not None else [s.pubkey() for s in signers]
    by_key: dict[Pubkey, Keypair] = {}
    for k, s in zip(keys, signers, strict=True):
        by_key.setdefault(k, s)
    missing = [str(k) for k in need if k not in by_key]
    if missing:
        raise OrderRejected(
            f"Transaction needs signatures from {', '.join(missing)}, which were not given.",
            reason="missing_signer",
        )
    return VersionedTransaction(message, [by_key[k] for k in need])


class FastSigner:
    """A keypair with its pubkey derived once and an OpenSSL Ed25519 key for signing.

    Why: solders derives the pubkey on every ``pubkey()`` call (~70 µs here) and signs in
    ~120 µs, while OpenSSL (through ``cryptography``) signs in ~40 µs. Ed25519 is deterministic
    (RFC 8032), so the signature bytes are identical; a test checks it. The key object has no
    repr of its secret, and neither has this class.
    """

    __slots__ = ("_key", "keypair", "pubkey")

    def __init__(self, keypair: Keypair) -> None:
        self.keypair = keypair
        self.pubkey = keypair.pubkey()
        self._key = Ed25519PrivateKey.from_private_bytes(bytes(keypair)[:32])

    def __repr__(self) -> str:
        return f"FastSigner({self.pubkey})"

    def sign(self, data: bytes) -> Signature:
        """Ed25519 signature of ``data``."""
        return Signature.from_bytes(self._key.sign(data))


def sign_with(message: MessageV0, signers: Sequence[FastSigner]) -> VersionedTransaction:
    """Sign ``message`` with cached :class:`FastSigner` s (duplicates and extras ignored).

    Raises:
        OrderRejected: a required signer is missing (names the pubkey).
    """
    need = message.account_keys[: message.header.num_required_signatures]
    by_key: dict[Pubkey, FastSigner] = {}
    for s in signers:
        by_key.setdefault(s.pubkey, s)
    missing = [str(k) for k in need if k not in by_key]
    if missing:
        raise OrderRejected(
            f"Transaction needs signatures from {', '.join(missing)}, which were not given.",
            reason="missing_signer",
        )
    data = to_bytes_versioned(message)
    return VersionedTransaction.populate(message, [by_key[k].sign(data) for k in need])


def sign_prebuilt(
    tx_bytes: bytes, owner: Keypair, owner_pubkey: Pubkey | None = None
) -> VersionedTransaction:
    """Add ``owner``'s signature to a venue-built transaction (Jupiter ``/swap``, Ultra).

    The venue leaves the owner's slot empty (zeros); any other signatures are kept.

    Args:
        tx_bytes: the venue's serialized ``VersionedTransaction``.
        owner: our keypair.
        owner_pubkey: ``owner``'s pubkey when the caller has it cached.

    Raises:
        OrderRejected: the bytes do not decode, or ``owner`` is not a signer.
    """
    try:
        tx = VersionedTransaction.from_bytes(tx_bytes)
    except ValueError as exc:
        raise OrderRejected(
            f"The venue's transaction ({len(tx_bytes)} bytes) does not decode ({exc}); "
            "request a new one, never sign a damaged transaction.", reason="bad_transaction",
        ) from exc
    msg = tx.message
    signer_keys = list(msg.account_keys[: msg.header.num_required_signatures])
    owner_key = owner_pubkey if owner_pubkey is not None else owner.pubkey()
    if owner_key not in signer_keys:
        raise OrderRejected(
            f"The venue's transaction does not list {owner_key} as a signer; refusing to sign.",
            reason="wrong_signer",
        )
    sigs = list(tx.signatures)
    sigs[signer_keys.index(owner_key)] = owner.sign_message(to_bytes_versioned(msg))
    return VersionedTransaction.populate(msg, sigs)
