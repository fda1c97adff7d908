"""A Solana cluster over JSON-RPC, behind the same :class:`~workbench.chain.base.Chain` API as
:class:`~workbench.chain.litesvm.LiteSVMChain`, so the executor is identical in paper and live.

Choices worth knowing:

* Sends use ``skipPreflight`` by default and ``maxRetries: 0``: the executor simulates first
  (with logs) and re-broadcasts the same bytes itself until the blockhash expires, so the
  node's own retry queue would only hide what is happening.
* ``getTransaction`` is asked at ``confirmed`` at least (it does not serve ``processed``) with
  ``maxSupportedTransactionVersion: 0`` so v0 transactions with lookup tables come back.
* The latest blockhash is reused for ``blockhash_max_age_s`` (2 s): a blockhash lives ~150
  blocks (~60 s), so a 2 s old one loses nothing and saves one round trip per order. The
  ``lastValidBlockHeight`` returned with it is the node's, never extended.
* ``getRecentPrioritizationFees`` is cached for ``fees_max_age_s`` per set of accounts.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.jsonrpc import JsonRpcClient, RpcEndpoint, safe_url
from workbench.chain.rpc_parse import (
    parse_accounts,
    parse_balance,
    parse_blockhash,
    parse_int,
    parse_lookup_table,
    parse_prioritization_fees,
    parse_signature,
    parse_signature_statuses,
    parse_simulation,
    parse_token_accounts,
    parse_transaction,
    token_account_amount,
)
from workbench.chain.types import (
    BlockhashInfo,
    Commitment,
    ConfirmedTx,
    SignatureStatus,
    SimulationResult,
    TokenAccount,
)
from workbench.chain.ws import SignaturePubSub, ws_url_for
from workbench.errors import SchemaError
from workbench.retry import RetryPolicy

__all__ = ["MAX_FEE_ACCOUNTS", "MAX_MULTIPLE_ACCOUNTS", "MAX_SIGNATURE_STATUSES", "RpcChain"]

MAX_SIGNATURE_STATUSES = 256  # getSignatureStatuses limit per call
MAX_MULTIPLE_ACCOUNTS = 100  # getMultipleAccounts limit per call
MAX_FEE_ACCOUNTS = 128  # getRecentPrioritizationFees limit
_SEND_POLICY = RetryPolicy(max_attempts=2, base_delay_s=0.1)
_SENT_CACHE = 64  # base64 texts kept for re-broadcasts (one per transaction in flight)


def _chunks(items: Sequence[Any], n: int) -> list[Sequence[Any]]:
    return [items[i:i + n] for i in range(0, len(items), n)] or [items]


def _parse_epoch_height(result: Any) -> tuple[int, int]:
    if not isinstance(result, dict):
        raise SchemaError(f"getEpochInfo should be an object, got {result!r:.120}.",
                          source="getEpochInfo", payload=result)
    return (parse_int(result.get("blockHeight"), "getEpochInfo.blockHeight"),
            parse_int(result.get("absoluteSlot"), "getEpochInfo.absoluteSlot"))


class RpcChain:
    """Solana JSON-RPC endpoints as a :class:`Chain`.

    Args:
        rpc: a :class:`JsonRpcClient` (endpoints, failover, rate limits, retry).
        commitment: default commitment for reads and preflight.
        blockhash_max_age_s: reuse a fetched blockhash this long (0 disables).
        fees_max_age_s: reuse prioritization fees this long (0 disables).
        clock: monotonic seconds, injectable for tests.
        ws_url: the endpoints' websocket (``signatureSubscribe`` confirmation, on one
            connection shared by all orders: :meth:`signature_pubsub`, closed by
            :meth:`aclose`); None: the executor confirms by polling only.
        expiry_by_slot: before declaring a transaction expired, require the final status
            answer to come from a node at or past the slot where the expired height was read
            (:meth:`height_and_slot`, one ``getEpochInfo``), since with failover the height and
            the status may come from different nodes. None: on with several endpoints (turn
            it on for one URL that balances over several nodes).

    Example:
        >>> async with httpx.AsyncClient() as http:  # doctest: +SKIP
        ...     chain = RpcChain.from_urls(http, ["https://api.mainnet-beta.solana.com"])
        ...     bh = await chain.latest_blockhash()
    """

    name = "rpc"
    reports_mainnet_compute_units = True

    def __init__(
        self,
        rpc: JsonRpcClient,
        *,
        commitment: Commitment = Commitment.CONFIRMED,
        blockhash_max_age_s: float = 2.0,
        fees_max_age_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        ws_url: str | None = None,
        expiry_by_slot: bool | None = None,
    ) -> None:
        self.rpc = rpc
        self.expiry_by_slot = len(rpc.endpoints) > 1 if expiry_by_slot is None \
            else expiry_by_slot
        self.ws_url = ws_url
        self.commitment = Commitment(commitment)
        self.blockhash_max_age_s = blockhash_max_age_s
        self.fees_max_age_s = fees_max_age_s
        self._clock = clock
        self._blockhash: tuple[float, Commitment, BlockhashInfo] | None = None
        self._fees: dict[tuple[str, ...], tuple[float, list[int]]] = {}
        self._sent_b64: dict[Signature, str] = {}
        self._pubsub: SignaturePubSub | None = None

    @classmethod
    def from_urls(
        cls, http: httpx.AsyncClient, urls: Sequence[str | RpcEndpoint], *,
        rate_per_s: float = 10.0, policy: RetryPolicy | None = None, timeout_s: float = 10.0,
        **kw: Any,
    ) -> RpcChain:
        """An RpcChain over ``urls`` in failover order, each limited to ``rate_per_s``."""
        eps = [u if isinstance(u, RpcEndpoint) else RpcEndpoint(url=u, rate_per_s=rate_per_s)
               for u in urls]
        return cls(JsonRpcClient(http, eps, policy=policy, timeout_s=timeout_s), **kw)

    @classmethod
    def from_settings(cls, http: httpx.AsyncClient, settings: Any, **kw: Any) -> RpcChain:
        """From ``Settings.execution`` (``rpc_urls``, ``commitment``, ``ws_url``, which is
        derived from the first RPC URL when empty)."""
        urls = list(settings.rpc_urls)
        if "ws_url" not in kw and urls:
            kw["ws_url"] = ws_url_for(urls[0], getattr(settings, "ws_url", ""))
        return cls.from_urls(http, urls, commitment=Commitment(settings.commitment), **kw)

    def __repr__(self) -> str:
        urls = ", ".join(safe_url(e.url) for e in self.rpc.endpoints)
        return f"RpcChain([{urls}], commitment={self.commitment})"

    def signature_pubsub(self, ws_url: str | None,
                         policy: RetryPolicy | None = None) -> SignaturePubSub | None:
        """The chain's one shared PubSub connection for ``signatureSubscribe`` (opened by its
        first watch, reconnecting with ``policy`` as given by the first caller), or None when
        ``ws_url`` is not this chain's websocket (the caller then opens its own)."""
        if not ws_url or ws_url != self.ws_url:
            return None
        if self._pubsub is None or self._pubsub.url != ws_url:
            self._pubsub = SignaturePubSub(ws_url, policy=policy)
        return self._pubsub

    async def aclose(self) -> None:
        """Close the shared PubSub connection, if one was opened (the HTTP client is the
        caller's). The chain stays usable: a later confirmation opens a new one."""
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            await pubsub.aclose()

    def _c(self, commitment: Commitment | str | None) -> str:
        return str(Commitment(commitment) if commitment is not None else self.commitment)

    # --- Chain protocol ----------------------------------------------------------------------

    async def latest_blockhash(self, commitment: Commitment | None = None) -> BlockhashInfo:
        """``getLatestBlockhash`` (cached ``blockhash_max_age_s``). See :class:`Chain`."""
        c = Commitment(self._c(commitment))
        now = self._clock()
        hit = self._blockhash
        if hit is not None and hit[1] == c and now - hit[0] < self.blockhash_max_age_s:
            return hit[2]
        info = await self.rpc.call("getLatestBlockhash", [{"commitment": str(c)}],
                                   parse=parse_blockhash)
        self._blockhash = (now, c, info)
        return info

    def forget_blockhash(self) -> None:
        """Drop the cached blockhash (after a ``BlockhashNotFound``)."""
        self._blockhash = None

    async def block_height(self, commitment: Commitment | None = None) -> int:
        """``getBlockHeight``. See :class:`Chain`."""
        return await self.rpc.call("getBlockHeight", [{"commitment": self._c(commitment)}],
                                   parse=parse_int)

    async def height_and_slot(self, commitment: Commitment | None = None) -> tuple[int, int]:
        """``getEpochInfo``: the block height and the slot it was read at, in one answer from
        one endpoint. Expiry is judged against that slot: a status answer from a node that has
        not reached it cannot say a transaction did not land."""
        return await self.rpc.call("getEpochInfo", [{"commitment": self._c(commitment)}],
                                   parse=_parse_epoch_height)

    async def simulate(
        self, tx: VersionedTransaction, *, sig_verify: bool = False,
        commitment: Commitment | None = None,
    ) -> SimulationResult:
        """``simulateTransaction`` with logs and ``unitsConsumed``. See :class:`Chain`.

        The simulation runs against the blockhash in ``tx`` (no ``replaceRecentBlockhash``),
        so an expired blockhash shows as ``BlockhashNotFound`` here and not after sending.
        """
        opts = {"encoding": "base64", "commitment": self._c(commitment), "sigVerify": sig_verify,
                "replaceRecentBlockhash": False}
        return await self.rpc.call(
            "simulateTransaction", [base64.b64encode(bytes(tx)).decode(), opts],
            parse=parse_simulation)

    async def send_raw(self, tx_bytes: bytes, *, skip_preflight: bool = True) -> Signature:
        """``sendTransaction`` (base64, ``maxRetries: 0``). See :class:`Chain`.

        Returns the transaction's own first signature: that is its identity whatever the node
        echoes. Resending the same bytes is safe (it lands at most once).

        Raises:
            TxExpired / SimulationFailed / InsufficientFunds / SlippageExceeded: preflight
                refused it (only with ``skip_preflight=False``).
            TemporaryVenueError: no endpoint accepted it; it may or may not have been sent.
        """
        try:
            own = VersionedTransaction.from_bytes(tx_bytes).signatures[0]
        except ValueError as exc:
            raise SchemaError(f"Cannot send {len(tx_bytes)} bytes that do not decode as a "
                              f"transaction ({exc}).", source="sendTransaction") from exc
        return await self._send_encoded(own, self._encoded(own, tx_bytes), skip_preflight)

    async def send_transaction(
        self, tx: VersionedTransaction, *, skip_preflight: bool = True
    ) -> Signature:
        """Send a signed transaction. See :meth:`send_raw`.

        A re-broadcast of the same transaction reuses its base64 text (serialized once).
        """
        own = tx.signatures[0]
        text = self._sent_b64.get(own)
        if text is None:
            text = self._encoded(own, bytes(tx))
        return await self._send_encoded(own, text, skip_preflight)

    def _encoded(self, own: Signature, tx_bytes: bytes) -> str:
        text = self._sent_b64.get(own)
        if text is None:
            if len(self._sent_b64) >= _SENT_CACHE:
                del self._sent_b64[next(iter(self._sent_b64))]
            text = self._sent_b64[own] = base64.b64encode(tx_bytes).decode()
        return text

    async def _send_encoded(self, own: Signature, text: str, skip_preflight: bool) -> Signature:
        opts: dict[str, Any] = {"encoding": "base64", "skipPreflight": skip_preflight,
                                "maxRetries": 0}
        if not skip_preflight:
            opts["preflightCommitment"] = str(self.commitment)

        def check(result: Any) -> Signature:
            echoed = parse_signature(result)
            if echoed != own:  # a node that mixes up requests: fail over from it
                raise SchemaError(f"the node echoed signature {echoed} for {own}",
                                  source="sendTransaction", payload=str(echoed))
            return own

        return await self.rpc.call("sendTransaction", [text, opts], parse=check,
                                   policy=_SEND_POLICY)

    async def signature_statuses(
        self, signatures: Sequence[Signature], *, search_history: bool = False,
    ) -> list[SignatureStatus | None]:
        """``getSignatureStatuses`` in chunks of 256. See :class:`Chain`."""
        out: list[SignatureStatus | None] = []
        for chunk in _chunks(list(signatures), MAX_SIGNATURE_STATUSES):
            if not chunk:
                break
            part = await self.rpc.call(
                "getSignatureStatuses",
                [[str(s) for s in chunk], {"searchTransactionHistory": search_history}],
                parse=parse_signature_statuses)
            if len(part) != len(chunk):
                raise SchemaError(
                    f"getSignatureStatuses returned {len(part)} entries for {len(chunk)} "
                    "signatures.", source="getSignatureStatuses")
            out.extend(part)
        return out

    async def signature_statuses_at(
        self, signatures: Sequence[Signature],
    ) -> tuple[int, list[SignatureStatus | None]]:
        """``getSignatureStatuses`` (at most 256) with the answer's ``context.slot``: how far
        the node that answered had seen, so a "not found" from a lagging node is told apart."""
        if not 0 < len(signatures) <= MAX_SIGNATURE_STATUSES:
            raise ValueError(f"signature_statuses_at takes 1..{MAX_SIGNATURE_STATUSES} "
                             f"signatures, got {len(signatures)}.")

        def parse(result: Any) -> tuple[int, list[SignatureStatus | None]]:
            ctx = result.get("context") if isinstance(result, dict) else None
            slot = parse_int(ctx.get("slot") if isinstance(ctx, dict) else None,
                             "getSignatureStatuses.context.slot")
            part = parse_signature_statuses(result)
            if len(part) != len(signatures):
                raise SchemaError(
                    f"getSignatureStatuses returned {len(part)} entries for {len(signatures)} "
                    "signatures.", source="getSignatureStatuses")
            return slot, part

        return await self.rpc.call(
            "getSignatureStatuses",
            [[str(s) for s in signatures], {"searchTransactionHistory": False}], parse=parse)

    async def get_transaction(self, signature: Signature) -> ConfirmedTx | None:
        """``getTransaction`` (json, v0 allowed). See :class:`Chain`."""
        c = self._c(None)
        if c == Commitment.PROCESSED:
            c = str(Commitment.CONFIRMED)  # getTransaction does not serve processed
        opts = {"encoding": "json", "commitment": c, "maxSupportedTransactionVersion": 0}
        return await self.rpc.call("getTransaction", [str(signature), opts],
                                   parse=parse_transaction)

    async def recent_prioritization_fees(self, accounts: Sequence[Pubkey] = ()) -> list[int]:
        """``getRecentPrioritizationFees`` for up to 128 writable ``accounts``."""
        keys = tuple(sorted({str(a) for a in accounts}))[:MAX_FEE_ACCOUNTS]
        now = self._clock()
        hit = self._fees.get(keys)
        if hit is not None and now - hit[0] < self.fees_max_age_s:
            return hit[1]
        fees = await self.rpc.call("getRecentPrioritizationFees", [list(keys)],
                                   parse=parse_prioritization_fees)
        if len(self._fees) > 256:
            self._fees.clear()
        self._fees[keys] = (now, fees)
        return fees

    async def balance_lamports(self, account: Pubkey) -> int:
        """``getBalance``. See :class:`Chain`."""
        return await self.rpc.call(
            "getBalance", [str(account), {"commitment": self._c(None)}],
            parse=parse_balance)

    async def multiple_accounts(self, keys: Sequence[Pubkey]) -> list[Account | None]:
        """``getMultipleAccounts`` (base64) in chunks of 100, in the order asked."""
        out: list[Account | None] = []
        for chunk in _chunks(list(keys), MAX_MULTIPLE_ACCOUNTS):
            if not chunk:
                break
            part = await self.rpc.call(
                "getMultipleAccounts",
                [[str(k) for k in chunk], {"encoding": "base64", "commitment": self._c(None)}],
                parse=parse_accounts)
            if len(part) != len(chunk):
                raise SchemaError(f"getMultipleAccounts returned {len(part)} accounts for "
                                  f"{len(chunk)} keys.", source="getMultipleAccounts")
            out.extend(part)
        return out

    async def lookup_table(self, address: Pubkey) -> AddressLookupTableAccount:
        """An address lookup table read with ``getMultipleAccounts``. See :class:`Chain`."""
        (acc,) = await self.multiple_accounts([address])
        return parse_lookup_table(address, acc)

    async def token_balance_raw(self, token_account: Pubkey) -> int:
        """Token amount from the account's data (0 when missing). See :class:`Chain`."""
        (acc,) = await self.multiple_accounts([token_account])
        return token_account_amount(acc)

    async def token_accounts_by_owner(
        self, owner: Pubkey, *, mint: Pubkey | None = None, program_id: Pubkey | None = None,
    ) -> list[TokenAccount]:
        """``getTokenAccountsByOwner`` filtered by ``mint`` or token ``program_id``.

        Raises:
            ValueError: neither or both filters given (the RPC needs exactly one).
        """
        if (mint is None) == (program_id is None):
            raise ValueError("token_accounts_by_owner needs exactly one of mint= or program_id=.")
        flt = {"mint": str(mint)} if mint is not None else {"programId": str(program_id)}
        return await self.rpc.call(
            "getTokenAccountsByOwner",
            [str(owner), flt, {"encoding": "base64", "commitment": self._c(None)}],
            parse=parse_token_accounts)
