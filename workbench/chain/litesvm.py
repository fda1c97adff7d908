"""The in-process chain: solders' LiteSVM behind the :class:`~workbench.chain.base.Chain` API.

LiteSVM runs the real SPL Token, Associated Token and Memo programs, checks signatures and
blockhashes, charges fees and keeps a transaction history, but it has no blocks, no
``getTransaction`` token balances and no notion of block height. This wrapper adds them:

* Token balances: before each send it reads every writable token account the message touches,
  and after it reads them again, so a :class:`ConfirmedTx` carries real pre/post balances the
  way an RPC node reports them.
* Block height: a counter moved by :meth:`LiteSVMChain.advance`. A blockhash handed out by
  :meth:`latest_blockhash` is valid for ``blockhash_validity`` blocks (150 on mainnet); when
  the height passes that, the blockhash is really expired in LiteSVM (``expire_blockhash``), so
  a transaction signed with it is refused by the runtime, not by us.

Compute units counted by LiteSVM are far below mainnet's, hence
``reports_mainnet_compute_units = False``.
"""

from __future__ import annotations

import ctypes
import mmap
import platform
import struct
from collections.abc import Callable, Iterable, Sequence

from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable, AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, SimulatedTransactionInfo

from workbench.chain.classify import classify_tx_error, tx_error_to_json
from workbench.chain.programs import (
    NATIVE_MINT,
    TOKEN_2022_PROGRAM_ID,
    TOKEN_PROGRAM_ID,
    associated_token_address,
    create_account_ix,
    create_ata_idempotent_ix,
    create_lookup_table_ix,
    extend_lookup_table_ix,
    initialize_mint2_ix,
    mint_to_checked_ix,
    sync_native_ix,
    system_transfer_ix,
)
from workbench.chain.types import (
    BlockhashInfo,
    ConfirmedTx,
    SignatureStatus,
    SimulationResult,
    TokenBalance,
)
from workbench.errors import TxError

__all__ = ["MINT_SIZE", "TOKEN_ACCOUNT_SIZE", "LiteSVMChain", "restore_fp_env"]


def _make_emms() -> Callable[[], None] | None:
    """A two-instruction function ``emms; ret``, on x86-64 only."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        page = mmap.mmap(-1, mmap.PAGESIZE,
                         prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except (OSError, AttributeError, ValueError):
        return None
    page.write(b"\x0f\x77\xc3")  # emms; ret
    _KEEP.append(page)
    return ctypes.CFUNCTYPE(None)(ctypes.addressof(ctypes.c_char.from_buffer(page)))


_KEEP: list[mmap.mmap] = []
_EMMS = _make_emms()


def restore_fp_env() -> None:
    """Empty the x87 register stack after LiteSVM ran programs.

    Executing transactions in LiteSVM leaves the x87 registers tagged in use (MMX state left
    without ``emms``). The next x87 instruction in this thread then overflows the register
    stack, so glibc's ``fmod`` returns NaN once: ``np.float64(984.5) // np.float64(20.0)``
    gives ``nan`` instead of 49.0 and matplotlib's tick maths breaks. Resetting the FPU flags
    does not help (the tags stay); ``emms`` does. It costs well under a microsecond.
    """
    if _EMMS is not None:
        _EMMS()

MINT_SIZE = 82
TOKEN_ACCOUNT_SIZE = 165
_TOKEN_PROGRAMS = (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID)
_NOT_LANDED = frozenset({
    "AlreadyProcessed", "BlockhashNotFound", "SignatureFailure", "AccountNotFound",
    "InsufficientFundsForFee", "AccountInUse", "AccountLoadedTwice", "SanitizeFailure",
    "InvalidAccountForFee", "TooManyAccountLocks", "AddressLookupTableNotFound",
})
_U64 = struct.Struct("<Q")


def _is_token_account(acc: Account) -> bool:
    return acc.owner in _TOKEN_PROGRAMS and len(acc.data) >= TOKEN_ACCOUNT_SIZE


def _writable_keys(msg: MessageV0, svm: LiteSVM) -> list[Pubkey]:
    """Every account the message may write, resolving address lookup tables."""
    keys = list(msg.account_keys)
    h = msg.header
    n, nsig = len(keys), h.num_required_signatures
    out = [
        k for i, k in enumerate(keys)
        if (i < nsig - h.num_readonly_signed_accounts)
        or (nsig <= i < n - h.num_readonly_unsigned_accounts)
    ]
    for lookup in msg.address_table_lookups:
        acc = svm.get_account(lookup.account_key)
        if acc is None:
            continue
        addresses = AddressLookupTable.deserialize(bytes(acc.data)).addresses
        out.extend(addresses[i] for i in lookup.writable_indexes)
    return out


class LiteSVMChain:
    """A LiteSVM instance as a :class:`Chain`, with token balances and block heights.

    Args:
        svm: an existing LiteSVM (default: a fresh one with the SPL programs loaded).
        blockhash_validity: blocks a blockhash stays valid (mainnet: 150).
        start_block_height: initial block height.

    Example:
        >>> chain = LiteSVMChain()
        >>> payer = chain.funded_keypair(10**9)
    """

    name = "litesvm"
    reports_mainnet_compute_units = False

    def __init__(
        self, svm: LiteSVM | None = None, *, blockhash_validity: int = 150,
        start_block_height: int = 1_000,
    ) -> None:
        # The faucet holds 1e9 SOL so paper markets can hold deep wSOL pools.
        self.svm = svm if svm is not None else LiteSVM().with_lamports(10**18)
        self.blockhash_validity = blockhash_validity
        self._height = start_block_height
        self._blockhash = self.svm.latest_blockhash()
        self._blockhash_expires = start_block_height + blockhash_validity
        self._landed: dict[Signature, ConfirmedTx] = {}
        self._decimals: dict[Pubkey, int] = {}
        self._key_text: dict[Pubkey, str] = {}  # base58 of keys seen in transactions
        self._token_heads: dict[Pubkey, tuple[bytes, str, str, str, int]] = {}
        self._bh_info: BlockhashInfo | None = None
        self.sent_count = 0  # every accepted send, including re-sends of landed bytes
        if self.svm.get_account(NATIVE_MINT) is None:
            self._install_native_mint()

    def __repr__(self) -> str:
        return f"LiteSVMChain(block_height={self._height}, landed={len(self._landed)})"

    # --- block height model -------------------------------------------------------------

    def advance(self, blocks: int = 1) -> int:
        """Move the chain ``blocks`` blocks (and slots) forward; expire blockhashes that lapse."""
        self._height += blocks
        self._bh_info = None
        clock = self.svm.get_clock()
        self.svm.warp_to_slot(clock.slot + blocks)
        if self._height > self._blockhash_expires:
            self.svm.expire_blockhash()
            self._blockhash = self.svm.latest_blockhash()
            self._blockhash_expires = self._height + self.blockhash_validity
        return self._height

    @property
    def height(self) -> int:
        """Current block height (sync)."""
        return self._height

    def blockhash_info(self) -> BlockhashInfo:
        """Current blockhash and its last valid block height (sync; cached until the chain
        moves, since only :meth:`advance` changes them)."""
        info = self._bh_info
        if info is None:
            info = self._bh_info = BlockhashInfo(
                blockhash=self._blockhash,
                last_valid_block_height=self._blockhash_expires,
                slot=self.svm.get_clock().slot,
            )
        return info

    # --- Chain protocol -------------------------------------------------------------------

    async def latest_blockhash(self) -> BlockhashInfo:
        """See :class:`Chain`."""
        return self.blockhash_info()

    async def block_height(self) -> int:
        """See :class:`Chain`."""
        return self._height

    async def simulate(self, tx: VersionedTransaction) -> SimulationResult:
        """See :class:`Chain`."""
        return self.simulate_sync(tx)

    def simulate_sync(self, tx: VersionedTransaction) -> SimulationResult:
        """Simulate without committing; LiteSVM's compute units, not mainnet's."""
        res = self.svm.simulate_transaction(tx)
        restore_fp_env()
        if isinstance(res, SimulatedTransactionInfo):
            meta = res.meta()
            return SimulationResult(
                err=None, logs=tuple(meta.logs()), units_consumed=meta.compute_units_consumed()
            )
        meta = res.meta()
        raw = tx_error_to_json(res.err())
        return SimulationResult(
            err=str(raw), err_raw=raw, logs=tuple(meta.logs()),
            units_consumed=meta.compute_units_consumed(),
        )

    async def send_transaction(
        self, tx: VersionedTransaction, *, skip_preflight: bool = True
    ) -> Signature:
        """See :class:`Chain`."""
        return self.send_sync(tx, skip_preflight=skip_preflight)

    async def send_raw(self, tx_bytes: bytes, *, skip_preflight: bool = True) -> Signature:
        """See :class:`Chain`."""
        return self.send_sync(VersionedTransaction.from_bytes(tx_bytes),
                              skip_preflight=skip_preflight)

    def send_sync(self, tx: VersionedTransaction, *, skip_preflight: bool = True) -> Signature:
        """Process ``tx`` now. Re-sending landed bytes is a no-op returning the signature.

        Raises:
            SimulationFailed / InsufficientFunds / SlippageExceeded: preflight refused it
                (only when ``skip_preflight`` is False).
            TxExpired: its blockhash is no longer valid, so it can never land.
            TxError: the runtime refused it before execution (bad signature, ...).
        """
        sig = tx.signatures[0]
        if sig in self._landed:
            self.sent_count += 1
            return sig
        if not skip_preflight:
            sim = self.simulate_sync(tx)
            if not sim.ok:
                raise classify_tx_error(sim.err_raw, sim.logs, signature=str(sig), venue=self.name)
        msg = tx.message
        # one read per writable account gives both the watch list and the pre balances
        watched, pre = self._pre_snapshot(_writable_keys(msg, self.svm))  # type: ignore[arg-type]
        keys = [self._key_str(k) for k in msg.account_keys]
        pre_lamports = tuple(self.svm.get_balance(k) or 0 for k in msg.account_keys)
        res = self.svm.send_transaction(tx)
        restore_fp_env()
        if isinstance(res, FailedTransactionMetadata):
            raw = tx_error_to_json(res.err())
            meta = res.meta()
            if isinstance(raw, str) and raw in _NOT_LANDED:
                if raw == "AlreadyProcessed":
                    self.sent_count += 1
                    return sig
                raise classify_tx_error(raw, meta.logs(), signature=str(sig), venue=self.name) \
                    if raw == "BlockhashNotFound" else TxError(
                        f"LiteSVM refused transaction {sig} before execution: {raw}.",
                        signature=str(sig), logs=list(meta.logs()))
            err: object = raw
        else:
            meta = res
            err = None
        self.sent_count += 1
        post = self._snapshot(watched)
        clock = self.svm.get_clock()
        self._landed[sig] = ConfirmedTx(
            signature=sig,
            slot=clock.slot,
            err=err,
            fee_lamports=meta.fee(),
            block_time_s=clock.unix_timestamp,
            logs=tuple(meta.logs()),
            pre_token_balances=pre,
            post_token_balances=post,
            account_keys=tuple(keys),
            pre_lamports=pre_lamports,
            post_lamports=tuple(self.svm.get_balance(k) or 0 for k in msg.account_keys),
        )
        return sig

    async def signature_statuses(
        self, signatures: Sequence[Signature]
    ) -> list[SignatureStatus | None]:
        """See :class:`Chain`. Landed transactions are final at once (no forks here)."""
        out: list[SignatureStatus | None] = []
        for s in signatures:
            tx = self._landed.get(s)
            out.append(None if tx is None else SignatureStatus(
                slot=tx.slot, err=tx.err, confirmation_status="finalized"))
        return out

    async def get_transaction(self, signature: Signature) -> ConfirmedTx | None:
        """See :class:`Chain`."""
        return self._landed.get(signature)

    def landed(self, signature: Signature) -> ConfirmedTx | None:
        """Sync lookup of a landed transaction."""
        return self._landed.get(signature)

    def forget_landed(self, signatures: Iterable[Signature]) -> None:
        """Drop landed records nobody will look up again (a long run must not grow).

        Only the in-process record goes: the transactions' effects stay on the chain. Forget
        a transaction only once its blockhash expired (its bytes cannot land again) or when it
        was never an order (price tracking, setup).
        """
        for sig in signatures:
            self._landed.pop(sig, None)

    # --- state snapshots ------------------------------------------------------------------

    def export_state(self, accounts: Iterable[Pubkey] = (), *,
                     signatures: Iterable[Signature] = (),
                     token_program_accounts: bool = True) -> dict[str, object]:
        """A picklable snapshot: accounts, block height, blockhash and landed transactions.

        Args:
            accounts: accounts to keep besides the token accounts (wallets' lamports).
            signatures: landed transactions to keep (so a re-sent signature is recognised
                and its balances can be read after :meth:`import_state`).
            token_program_accounts: keep every SPL Token account and mint.

        Programs are not exported: :meth:`import_state` starts from a fresh LiteSVM, which
        loads the same built-in programs.
        """
        keep: dict[bytes, tuple[int, bytes, bytes, bool]] = {}
        if token_program_accounts:
            for key, acc in self.svm.get_program_accounts(TOKEN_PROGRAM_ID):
                keep[bytes(key)] = (acc.lamports, bytes(acc.data), bytes(acc.owner),
                                    acc.executable)
        for key in accounts:
            acc = self.svm.get_account(key)
            if acc is not None:
                keep[bytes(key)] = (acc.lamports, bytes(acc.data), bytes(acc.owner),
                                    acc.executable)
        landed = {bytes(s): self._landed[s] for s in signatures if s in self._landed}
        return {"accounts": keep, "height": self._height, "blockhash": str(self._blockhash),
                "expires": self._blockhash_expires, "slot": self.svm.get_clock().slot,
                "validity": self.blockhash_validity, "landed": landed}

    @classmethod
    def import_state(cls, state: dict[str, object], *,
                     max_blockhashes: int = 100_000) -> LiteSVMChain:
        """A fresh chain holding an :meth:`export_state` snapshot.

        LiteSVM's blockhash sequence is deterministic from genesis, so it is replayed until
        the snapshot's blockhash comes up: bytes signed before the snapshot stay valid for as
        long as their blockhash would have.

        Raises:
            TxError: the snapshot's blockhash is not in LiteSVM's first ``max_blockhashes``
                (the snapshot is not from this LiteSVM, or is corrupt).
        """
        chain = cls(LiteSVM().with_lamports(10**18),
                    blockhash_validity=int(state.get("validity", 150)))  # type: ignore[call-overload]
        for _ in range(max_blockhashes):
            if str(chain.svm.latest_blockhash()) == state["blockhash"]:
                break
            chain.svm.expire_blockhash()
        else:
            raise TxError(f"Chain snapshot blockhash {state['blockhash']} is not one LiteSVM "
                          "produces; the snapshot is not from a LiteSVMChain or is corrupt.")
        accounts = state["accounts"]
        assert isinstance(accounts, dict)
        for key, (lamports, data, owner, executable) in accounts.items():
            chain.svm.set_account(Pubkey.from_bytes(key), Account(
                lamports=lamports, data=data, owner=Pubkey.from_bytes(owner),
                executable=executable))
        chain.svm.warp_to_slot(int(state["slot"]))  # type: ignore[call-overload]
        chain._height = int(state["height"])  # type: ignore[call-overload]
        chain._blockhash = chain.svm.latest_blockhash()
        chain._blockhash_expires = int(state["expires"])  # type: ignore[call-overload]
        chain._bh_info = None
        landed = state["landed"]
        assert isinstance(landed, dict)
        chain._landed.update({Signature.from_bytes(k): v for k, v in landed.items()})
        return chain

    async def recent_prioritization_fees(self, accounts: Sequence[Pubkey] = ()) -> list[int]:
        """See :class:`Chain`. No fee market in-process: zeros."""
        return [0]

    async def balance_lamports(self, account: Pubkey) -> int:
        """See :class:`Chain`."""
        return self.svm.get_balance(account) or 0

    async def lookup_table(self, address: Pubkey) -> AddressLookupTableAccount:
        """See :class:`Chain`."""
        acc = self.svm.get_account(address)
        if acc is None:
            raise TxError(f"Address lookup table {address} does not exist on this chain.")
        table = AddressLookupTable.deserialize(bytes(acc.data))
        return AddressLookupTableAccount(key=address, addresses=list(table.addresses))

    async def token_balance_raw(self, token_account: Pubkey) -> int:
        """See :class:`Chain`."""
        return self.token_amount(token_account)

    # --- token accounts -------------------------------------------------------------------

    def token_amount(self, token_account: Pubkey) -> int:
        """A token account's amount in base units (0 when missing)."""
        acc = self.svm.get_account(token_account)
        if acc is None or len(acc.data) < TOKEN_ACCOUNT_SIZE:
            return 0
        return int(_U64.unpack_from(bytes(acc.data), 64)[0])

    def mint_decimals(self, mint: Pubkey) -> int:
        """A mint's decimals, read from the mint account (cached)."""
        d = self._decimals.get(mint)
        if d is None:
            acc = self.svm.get_account(mint)
            if acc is None or len(acc.data) < MINT_SIZE:
                raise TxError(f"Mint {mint} does not exist on this LiteSVM chain.")
            d = self._decimals[mint] = bytes(acc.data)[44]
        return d

    def _key_str(self, key: Pubkey) -> str:
        """base58 of ``key``, cached: encoding costs ~1 µs and the same keys recur."""
        text = self._key_text.get(key)
        if text is None:
            text = self._key_text[key] = str(key)
        return text

    def _token_meta(self, key: Pubkey, data: bytes) -> tuple[bytes, str, str, str, int]:
        """(mint+owner bytes, account, mint, owner, decimals) of a token account, cached.

        Keyed by the account and checked against its current mint+owner bytes, so an owner
        changed by ``SetAuthority`` (or a closed and re-created account) is read again.
        """
        head = data[:64]
        meta = self._token_heads.get(key)
        if meta is None or meta[0] != head:
            mint = Pubkey.from_bytes(head[:32])
            meta = self._token_heads[key] = (
                head, self._key_str(key), self._key_str(mint),
                self._key_str(Pubkey.from_bytes(head[32:])), self.mint_decimals(mint))
        return meta

    def _balance(self, i: int, key: Pubkey, data: bytes) -> TokenBalance:
        _, account, mint, owner, decimals = self._token_meta(key, data)
        return TokenBalance(account_index=i, account=account, mint=mint, owner=owner,
                            amount_raw=_U64.unpack_from(data, 64)[0], decimals=decimals)

    def _token_data(self, key: Pubkey) -> bytes | None:
        """The account's data when it is a token account, None when it is missing; ``b""``
        when it exists but is something else."""
        acc = self.svm.get_account(key)
        if acc is None:
            return None
        return bytes(acc.data) if _is_token_account(acc) else b""

    def _pre_snapshot(
        self, keys: Iterable[Pubkey]
    ) -> tuple[list[Pubkey], tuple[TokenBalance, ...]]:
        """Token accounts among ``keys`` (plus missing ones, which the tx may create) and
        their balances now, reading each account once."""
        watched: list[Pubkey] = []
        out = []
        for k in keys:
            data = self._token_data(k)
            if data is None:
                watched.append(k)
            elif data:
                out.append(self._balance(len(watched), k, data))
                watched.append(k)
        return watched, tuple(out)

    def _snapshot(self, accounts: list[Pubkey]) -> tuple[TokenBalance, ...]:
        out = []
        for i, k in enumerate(accounts):
            data = self._token_data(k)
            if data:
                out.append(self._balance(i, k, data))
        return tuple(out)

    # --- setup helpers (real transactions) ------------------------------------------------

    def funded_keypair(self, lamports: int = 10 * 10**9, keypair: Keypair | None = None) -> Keypair:
        """A keypair with ``lamports`` airdropped."""
        kp = keypair or Keypair()
        self.airdrop(kp.pubkey(), lamports)
        return kp

    def airdrop(self, to: Pubkey, lamports: int) -> None:
        """Airdrop SOL (LiteSVM's faucet)."""
        res = self.svm.airdrop(to, lamports)
        restore_fp_env()
        if isinstance(res, FailedTransactionMetadata):
            raise TxError(f"Airdrop of {lamports} lamports to {to} failed: {res.err()}.")

    def run(
        self, payer: Keypair, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()
    ) -> ConfirmedTx:
        """Sign and send setup ``instructions``; raise on failure; return the landed tx."""
        msg = MessageV0.try_compile(payer.pubkey(), list(instructions), [], self._blockhash)
        uniq = {bytes(s.pubkey()): s for s in (payer, *signers)}
        tx = VersionedTransaction(msg, list(uniq.values()))
        sig = self.send_sync(tx)
        landed = self._landed[sig]
        if not landed.ok:
            raise classify_tx_error(landed.err, landed.logs, signature=str(sig), landed=True,
                                    venue=self.name)
        return landed

    def create_mint(
        self, payer: Keypair, authority: Pubkey, decimals: int, mint: Keypair | None = None
    ) -> Pubkey:
        """Create and initialize a new SPL mint with real transactions."""
        mint = mint or Keypair()
        rent = self.svm.minimum_balance_for_rent_exemption(MINT_SIZE)
        self.run(payer, [
            create_account_ix(payer=payer.pubkey(), new_account=mint.pubkey(), lamports=rent,
                              space=MINT_SIZE, owner=TOKEN_PROGRAM_ID),
            initialize_mint2_ix(mint=mint.pubkey(), decimals=decimals, mint_authority=authority),
        ], [mint])
        return mint.pubkey()

    def install_mint_at(self, address: Pubkey, authority: Pubkey, decimals: int) -> Pubkey:
        """Place a mint at a fixed address (e.g. mainnet USDC's) with our own mint authority.

        This is the one place the chain is written directly (as forks like surfpool do): a
        mainnet mint's authority is not ours, so a paper market cannot otherwise mint it.
        """
        data = (struct.pack("<I", 1) + bytes(authority) + _U64.pack(0) + bytes([decimals, 1])
                + struct.pack("<I", 0) + bytes(32))
        rent = self.svm.minimum_balance_for_rent_exemption(MINT_SIZE)
        self.svm.set_account(address, Account(lamports=rent, data=data, owner=TOKEN_PROGRAM_ID,
                                              executable=False))
        self._decimals.pop(address, None)
        return address

    def _install_native_mint(self) -> None:
        # Mainnet's wrapped-SOL mint: no authority, 9 decimals, initialized.
        data = (struct.pack("<I", 0) + bytes(32) + _U64.pack(0) + bytes([9, 1])
                + struct.pack("<I", 0) + bytes(32))
        rent = self.svm.minimum_balance_for_rent_exemption(MINT_SIZE)
        self.svm.set_account(NATIVE_MINT, Account(lamports=rent, data=data,
                                                  owner=TOKEN_PROGRAM_ID, executable=False))

    def create_ata(self, payer: Keypair, owner: Pubkey, mint: Pubkey) -> Pubkey:
        """Create (idempotently) ``owner``'s associated token account for ``mint``."""
        self.run(payer, [create_ata_idempotent_ix(payer=payer.pubkey(), owner=owner, mint=mint)])
        return associated_token_address(owner, mint)

    def mint_to(
        self, payer: Keypair, mint: Pubkey, authority: Keypair, destination: Pubkey,
        amount_raw: int,
    ) -> None:
        """Mint ``amount_raw`` to a token account with a real ``MintToChecked``."""
        self.run(payer, [mint_to_checked_ix(
            mint=mint, destination=destination, authority=authority.pubkey(),
            amount_raw=amount_raw, decimals=self.mint_decimals(mint))], [authority])

    def wrap_sol(self, owner: Keypair, lamports: int) -> Pubkey:
        """Move ``lamports`` into ``owner``'s wrapped-SOL ATA (create, transfer, sync_native)."""
        ata = associated_token_address(owner.pubkey(), NATIVE_MINT)
        self.run(owner, [
            create_ata_idempotent_ix(payer=owner.pubkey(), owner=owner.pubkey(), mint=NATIVE_MINT),
            system_transfer_ix(source=owner.pubkey(), destination=ata, lamports=lamports),
            sync_native_ix(ata),
        ])
        return ata

    def create_lookup_table(self, payer: Keypair, addresses: Sequence[Pubkey]) -> Pubkey:
        """Create and fill an address lookup table with real instructions; usable on return.

        The table's ``recent_slot`` is the newest entry of LiteSVM's SlotHashes, and the chain
        advances one block afterwards so the new addresses are active, as on mainnet.
        """
        recent_slot = self.svm.get_slot_hashes()[0][0]
        create, table = create_lookup_table_ix(authority=payer.pubkey(), payer=payer.pubkey(),
                                               recent_slot=recent_slot)
        ixs = [create]
        for i in range(0, len(addresses), 20):  # stay well inside the 1232-byte packet
            ixs.append(extend_lookup_table_ix(table=table, authority=payer.pubkey(),
                                              payer=payer.pubkey(),
                                              addresses=list(addresses[i:i + 20])))
        self.run(payer, ixs[:2])
        for ix in ixs[2:]:
            self.run(payer, [ix])
        self.advance(1)
        return table

    @staticmethod
    def hash(h: Hash) -> str:
        """Base58 text of a blockhash (for logs)."""
        return str(h)
