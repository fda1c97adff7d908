"""The ``Chain`` interface: what the executor needs from Solana, in-process or over RPC.

Two implementations share it so execution is identical in paper and live mode:
:class:`~workbench.chain.litesvm.LiteSVMChain` (solders' in-process runtime) and
:class:`~workbench.chain.rpc.RpcChain` (JSON-RPC endpoints).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.types import BlockhashInfo, ConfirmedTx, SignatureStatus, SimulationResult

__all__ = ["Chain"]


@runtime_checkable
class Chain(Protocol):
    """A Solana cluster as the executor sees it.

    Attributes:
        name: "litesvm" or "rpc", for logs and errors.
        reports_mainnet_compute_units: False when simulated compute units must not set the
            compute-unit limit (LiteSVM counts far fewer than mainnet).
    """

    name: str
    reports_mainnet_compute_units: bool

    async def latest_blockhash(self) -> BlockhashInfo:
        """A blockhash to sign with and its last valid block height."""
        ...

    async def block_height(self) -> int:
        """The current block height (compared with ``last_valid_block_height``)."""
        ...

    async def simulate(self, tx: VersionedTransaction) -> SimulationResult:
        """Run ``tx`` without committing it."""
        ...

    async def send_raw(self, tx_bytes: bytes, *, skip_preflight: bool = True) -> Signature:
        """Broadcast signed bytes; sending the same bytes twice can land them at most once."""
        ...

    async def send_transaction(
        self, tx: VersionedTransaction, *, skip_preflight: bool = True
    ) -> Signature:
        """Broadcast a signed transaction (``send_raw`` of its bytes)."""
        ...

    async def signature_statuses(
        self, signatures: Sequence[Signature]
    ) -> list[SignatureStatus | None]:
        """Status of each signature, None when the chain has not seen it."""
        ...

    async def get_transaction(self, signature: Signature) -> ConfirmedTx | None:
        """The landed transaction with its token balances, None when not (yet) found."""
        ...

    async def recent_prioritization_fees(self, accounts: Sequence[Pubkey] = ()) -> list[int]:
        """Recent per-slot prioritization fees (micro-lamports per CU) for ``accounts``."""
        ...

    async def balance_lamports(self, account: Pubkey) -> int:
        """Native SOL balance."""
        ...

    async def lookup_table(self, address: Pubkey) -> AddressLookupTableAccount:
        """An address lookup table's addresses, for compiling v0 messages."""
        ...

    async def token_balance_raw(self, token_account: Pubkey) -> int:
        """Token account amount in base units (0 when the account does not exist)."""
        ...
