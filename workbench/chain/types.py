"""Typed results of chain calls, shared by the RPC and LiteSVM implementations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from workbench.domain import TokenBalanceChange

__all__ = [
    "BlockhashInfo",
    "Commitment",
    "ConfirmedTx",
    "SignatureStatus",
    "SimulationResult",
    "TokenAccount",
    "TokenBalance",
]


class Commitment(StrEnum):
    """How settled a read must be: processed < confirmed < finalized."""

    PROCESSED = "processed"
    CONFIRMED = "confirmed"
    FINALIZED = "finalized"

    def satisfied_by(self, status: str | None) -> bool:
        """True when a signature's ``confirmationStatus`` is at least this level."""
        if status is None:
            return False
        return _RANK.get(status, -1) >= _RANK[self.value]


_RANK = {"processed": 0, "confirmed": 1, "finalized": 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockhashInfo:
    """A recent blockhash and the last block height at which a tx using it can land."""

    blockhash: Hash
    last_valid_block_height: int
    slot: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationResult:
    """The outcome of simulating a transaction.

    Attributes:
        err: the transaction error as text (``None`` on success), e.g.
            ``"InstructionError(2, Custom(6001))"`` or ``"BlockhashNotFound"``.
        err_raw: the error as the chain returned it (JSON value), for classification.
        logs: program log lines.
        units_consumed: compute units used (LiteSVM's count is far below mainnet's).
    """

    err: str | None
    logs: tuple[str, ...] = ()
    units_consumed: int = 0
    err_raw: object = None

    @property
    def ok(self) -> bool:
        """True when the simulation succeeded."""
        return self.err is None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureStatus:
    """``getSignatureStatuses`` entry for a signature the chain has seen."""

    slot: int
    err: object = None
    confirmation_status: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenBalance:
    """One token account's balance before or after a transaction."""

    account_index: int
    account: str
    mint: str
    owner: str
    amount_raw: int
    decimals: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenAccount:
    """A token account as ``getTokenAccountsByOwner`` lists it.

    Attributes:
        address: the token account.
        mint / owner: from its data.
        amount_raw: balance in the mint's base units (decimals live on the mint).
        program_id: SPL Token or Token-2022.
    """

    address: Pubkey
    mint: Pubkey
    owner: Pubkey
    amount_raw: int
    program_id: Pubkey


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmedTx:
    """A landed transaction: what it cost and how it moved token balances.

    Attributes:
        signature: its signature.
        slot: the slot it landed in.
        block_time_s: block time (unix seconds), when known.
        err: the on-chain error (None when it succeeded).
        fee_lamports: the base + priority fee paid.
        logs: program log lines.
        pre_token_balances / post_token_balances: token balances around the transaction.
        account_keys: all account keys (static then loaded), base58.
        pre_lamports / post_lamports: native balances of ``account_keys``.
    """

    signature: Signature
    slot: int
    err: object = None
    fee_lamports: int = 0
    block_time_s: int | None = None
    logs: tuple[str, ...] = ()
    pre_token_balances: tuple[TokenBalance, ...] = ()
    post_token_balances: tuple[TokenBalance, ...] = ()
    account_keys: tuple[str, ...] = ()
    pre_lamports: tuple[int, ...] = field(default=())
    post_lamports: tuple[int, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when the transaction succeeded on chain."""
        return self.err is None

    def token_changes(self, owner: str | None = None) -> tuple[TokenBalanceChange, ...]:
        """Per (owner, mint) token balance deltas, post - pre; zero deltas dropped.

        An account present only in ``post`` (created by the tx) counts from 0, and one present
        only in ``pre`` (closed) counts to 0, as the RPC reports them.
        """
        return compute_token_changes(self.pre_token_balances, self.post_token_balances, owner)

    def lamport_change(self, account: str) -> int:
        """Native balance change of ``account`` (includes the fee for the fee payer)."""
        i = self.account_keys.index(account)
        return self.post_lamports[i] - self.pre_lamports[i]


def compute_token_changes(
    pre: tuple[TokenBalance, ...], post: tuple[TokenBalance, ...], owner: str | None = None
) -> tuple[TokenBalanceChange, ...]:
    """Sum post - pre per (owner, mint) over token accounts, optionally for one owner."""
    deltas: dict[tuple[str, str], int] = {}
    decimals: dict[str, int] = {}
    for sign, balances in ((-1, pre), (1, post)):
        for b in balances:
            if owner is not None and b.owner != owner:
                continue
            key = (b.owner, b.mint)
            deltas[key] = deltas.get(key, 0) + sign * b.amount_raw
            decimals[b.mint] = b.decimals
    return tuple(
        TokenBalanceChange(owner=o, mint=m, delta_raw=d, decimals=decimals[m])
        for (o, m), d in sorted(deltas.items())
        if d
    )
