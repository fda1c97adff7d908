"""The live side of the engine's market: a real wallet on a real cluster, read over RPC.

:class:`~workbench.live.paper.PaperMarket` owns its chain (LiteSVM) and moves its pools to the
replayed prices; :class:`ChainMarket` owns nothing: the wallet is unlocked from the encrypted
keystore, the chain is an :class:`~workbench.chain.rpc.RpcChain`, and the venues are real
(Jupiter). It offers the engine the same few things a paper market does (the wallet, its
balances, the venues) so the pipeline is one code path in both modes.

Balances are read from the chain (``getMultipleAccounts`` for the two token accounts,
``getBalance`` for the lamports) at start, once per bar and after every fill, and cached, so
the synchronous parts of the decision path (sizing a sell to what the wallet holds) never wait
on the network.

The wallet trades from its associated token accounts: the base (wrapped SOL for SOL) and the
quote. Jupiter is asked not to wrap and unwrap SOL (``wrapAndUnwrapSol = false``), so a fill is
exactly the change of those two accounts and the network fee in lamports, as in paper mode.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from solders.pubkey import Pubkey
from solders.signature import Signature

from workbench.chain.base import Chain
from workbench.chain.programs import NATIVE_MINT, associated_token_address
from workbench.chain.rpc_parse import token_account_amount
from workbench.domain import Pair
from workbench.errors import VenueError
from workbench.execution.keystore import Wallet

__all__ = ["ChainMarket"]


class ChainMarket:
    """The trading wallet on a live chain, with cached balances.

    Args:
        chain: the cluster (an ``RpcChain``; any :class:`~workbench.chain.base.Chain` works).
        wallet: the unlocked keystore wallet (prints its pubkey only).
        pair: the traded pair.
        venues: the live venues (Jupiter).

    Attributes:
        owner: the wallet's address.
        pools: always empty (no local pools live); kept for the engine's per-pool booking.
        restored: True: a live chain always outlives the process.
    """

    restored = True

    def __init__(self, chain: Chain, wallet: Wallet, pair: Pair, venues: Sequence[Any]) -> None:
        self.chain = chain
        self.wallet = wallet
        self.owner: Pubkey = wallet.pubkey
        self.pair = pair
        self.venues = list(venues)
        self.pools: list[Any] = []
        self.closes: list[str] = []
        self._atas = {str(t.mint): associated_token_address(self.owner, t.mint)
                      for t in (pair.base, pair.quote)}
        self._tokens: dict[str, int] = {}
        self._lamports = 0
        self.last_ok_ns: int | None = None
        self.last_error = ""

    def __repr__(self) -> str:
        return f"ChainMarket(owner={self.owner}, chain={self.chain.name})"

    async def refresh(self) -> dict[str, int]:
        """Read the wallet's balances from the chain; returns :meth:`wallet_raw`.

        Raises:
            VenueError: the RPC failed after its retries (the cache keeps the last values).
        """
        try:
            await self._read()
        except VenueError as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            raise
        self.last_ok_ns, self.last_error = time.time_ns(), ""
        return self.wallet_raw()

    def status(self) -> dict[str, Any]:
        """For ``/health``: whether the last balance read over RPC succeeded."""
        return {"ok": self.last_ok_ns is not None and not self.last_error,
                "name": self.chain.name, "owner": str(self.owner),
                "last_ok_ns": self.last_ok_ns, "error": self.last_error or None}

    async def _read(self) -> None:
        many = getattr(self.chain, "multiple_accounts", None)
        if many is not None:  # one getMultipleAccounts for both token accounts
            accounts = await many(list(self._atas.values()))
            for mint, acc in zip(self._atas, accounts, strict=True):
                self._tokens[mint] = token_account_amount(acc)
        else:
            for mint, ata in self._atas.items():
                self._tokens[mint] = await self.chain.token_balance_raw(ata)
        self._lamports = await self.chain.balance_lamports(self.owner)

    def wallet_raw(self) -> dict[str, int]:
        """Holdings by mint as last read (native SOL counted under wrapped SOL, as on paper)."""
        out = dict(self._tokens)
        out[str(NATIVE_MINT)] = out.get(str(NATIVE_MINT), 0) + self._lamports
        return out

    def base_raw(self) -> int:
        """The base token in the wallet's token account as last read (what a sell can spend)."""
        return self._tokens.get(str(self.pair.base.mint), 0)

    def reserves(self) -> dict[str, tuple[int, int]]:
        """No local pools live."""
        return {}

    def save(self) -> None:
        """Nothing to persist: the cluster keeps its own state."""

    def record_swap(self, signature: Signature) -> None:
        """Nothing to remember: the cluster keeps its own transactions."""
