"""The persistent paper wallet: one LiteSVM paper chain that outlives each trading run.

``workbench trade swap`` and the paper-trading notebook used to start every run on a fresh
LiteSVM chain, so balances and the ledger never carried over and nothing could be
reconciled across runs. A :class:`PaperWallet` keeps, in one state file in the data directory
(``<data.dir>/paper_wallet.json``):

* the chain: every SPL Token account and mint, the native balances of the wallet and of the
  pool authorities, block height and blockhash (``LiteSVMChain.export_state``);
* the paper market's keys: the mint authority and the pool authorities (throwaway keys that
  hold nothing outside this file's LiteSVM) and, for a throwaway wallet, its key. A keystore
  wallet's secret is never written: only its public key, which the next run must match;
* the opening balances (what the faucet gave the wallet) and the client order ids sent from
  the wallet, which :meth:`PaperWallet.reconcile` books from the ledger.

Reconciliation across runs (same convention as :class:`TradingSession.reconcile`): opening
balances plus the ledger's fills of those orders, native lamports counted as SOL and each
fill's network fee leaving SOL, must equal the chain to the base unit. A fill deleted from
the ledger, or a ledger other than the one the wallet traded against, shows as a mismatch.

The file is written atomically (temp file + ``os.replace``) after every swap, with a
SHA-256 of its body and a generation counter. A corrupt or foreign file is refused with a
:class:`~workbench.errors.StoreError` naming it and is never overwritten: only
:func:`reset_paper_wallet` (``workbench trade reset-paper``) moves it aside. If another run
saved the file since this one opened it, saving is refused instead of losing that run's
trades (the ledger keeps both runs' orders; the one refused is not counted).

Example:
    >>> pw = PaperWallet.open(paper_state_path(settings))      # resumes or creates
    >>> session = pw.session(store, RiskGate(limits=limits))
    >>> await session.start()
    >>> await pw.swap(session, "USDC", "SOL", "100")             # saved after the swap
    >>> pw.reconcile(store, include_matches=False)               # empty: ledger == chain
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import base58
import pandas as pd
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from workbench.chain.litesvm import LiteSVMChain
from workbench.chain.programs import NATIVE_MINT, associated_token_address
from workbench.domain import WELL_KNOWN, Pair, Token, from_raw
from workbench.errors import ConfigError, StoreError, TxError
from workbench.execution.keystore import Wallet
from workbench.execution.ledger_hooks import NATIVE_KEY
from workbench.execution.local_amm import LocalAmmVenue, LocalMarket, Pool
from workbench.portfolio import Portfolio, reconcile
from workbench.store import Store, ledger

# ``workbench.execution.session`` is imported inside the functions that need it, so that
# session.py can re-export this module for notebooks without an import cycle.
if TYPE_CHECKING:
    from workbench.execution.executor import ExecutorConfig
    from workbench.execution.session import LocalSetup, SwapOutcome, TradingSession
    from workbench.risk import RiskGate

try:  # POSIX: serialise the read-check-replace of concurrent runs
    import fcntl
except ImportError:  # pragma: no cover - Windows: the generation check alone
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "STATE_FILE",
    "STATE_FORMAT",
    "PaperSpec",
    "PaperWallet",
    "paper_state_path",
    "reset_paper_wallet",
]

STATE_FORMAT = "workbench.paper_wallet"
STATE_VERSION = 1
STATE_FILE = "paper_wallet.json"
_RESET_HINT = ("run `workbench trade reset-paper` to move it aside and start a new paper wallet "
               "(or `paper_wallet.reset_paper_wallet(path)` from Python)")


def paper_state_path(settings: Any) -> Path:
    """Where the paper wallet of ``settings`` lives: ``<data.dir>/paper_wallet.json``."""
    return Path(settings.data.dir) / STATE_FILE


# --- file format ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _digest(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chain_to_json(state: Mapping[str, Any]) -> dict[str, Any]:
    accounts = {str(Pubkey.from_bytes(k)): [lamports, _b64(data), str(Pubkey.from_bytes(owner)),
                                            executable]
                for k, (lamports, data, owner, executable) in state["accounts"].items()}
    return {"accounts": accounts, "height": state["height"], "blockhash": state["blockhash"],
            "expires": state["expires"], "slot": state["slot"], "validity": state["validity"]}


def _chain_from_json(doc: Mapping[str, Any]) -> dict[str, object]:
    accounts = {bytes(Pubkey.from_string(k)): (int(lamports), base64.b64decode(data, validate=True),
                                               bytes(Pubkey.from_string(owner)), bool(executable))
                for k, (lamports, data, owner, executable) in doc["accounts"].items()}
    return {"accounts": accounts, "height": int(doc["height"]), "blockhash": str(doc["blockhash"]),
            "expires": int(doc["expires"]), "slot": int(doc["slot"]),
            "validity": int(doc["validity"]), "landed": {}}


def _read(path: Path) -> dict[str, Any]:
    """The verified body of the state file at ``path``.

    Raises:
        StoreError: unreadable, not a paper wallet state (foreign), from a newer workbench,
            or corrupt (checksum mismatch); the message names the file and the way out.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"Cannot read the paper wallet state {path}: {exc.strerror or exc}. "
                         "Fix its permissions, or point data.dir elsewhere.") from None
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
        what = "not JSON" if doc is None else "JSON without the paper wallet format marker"
        raise StoreError(
            f"{path} is not a workbench paper wallet state file ({what}; expected format "
            f"{STATE_FORMAT!r}), or it is corrupt. It was left as is. If it is another "
            f"program's file, point data.dir elsewhere; otherwise {_RESET_HINT}.")
    version = doc.get("version")
    if not isinstance(version, int) or version > STATE_VERSION:
        raise StoreError(
            f"Paper wallet state {path} has version {version!r}; this workbench reads version "
            f"{STATE_VERSION}. Upgrade the workbench, or {_RESET_HINT}.")
    body = doc.get("body")
    if not isinstance(body, dict) or doc.get("sha256") != _digest(body):
        raise StoreError(
            f"Paper wallet state {path} is corrupt: its SHA-256 does not match its content "
            f"(truncated or edited). It was left as is; restore it from a backup, or "
            f"{_RESET_HINT}.")
    return body


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (POSIX; a no-op elsewhere)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_atomic(path: Path, doc: Mapping[str, Any]) -> None:
    """Write ``doc`` to a temp file next to ``path``, fsync it, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def reset_paper_wallet(path: Path) -> Path | None:
    """Move the paper wallet state at ``path`` aside so the next run starts a new one.

    The file (even a corrupt or foreign one) is renamed to ``<name>.<UTC time>.bak`` next to
    it, not deleted. The ledger keeps every order and fill; they are simply no longer
    reconciled against a chain.

    Returns:
        The backup's path, or None when there was no state file.
    """
    if not path.exists():  # nothing to do: create no directory or lock file
        return None
    with _locked(path):
        if not path.exists():
            return None
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        n = 1
        while backup.exists():
            n += 1
            backup = path.with_name(f"{path.name}.{stamp}-{n}.bak")
        path.replace(backup)
        return backup


# --- the wallet ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperSpec:
    """What a NEW paper wallet starts with (ignored when one is resumed: trading moved it).

    Attributes:
        prices: one SOL/USDC pool per price, USDC per SOL.
        wallet_sol: wrapped SOL the wallet gets (plus 1 native SOL for fees).
        wallet_usdc: USDC the wallet gets.
    """

    prices: tuple[Decimal, ...] = (Decimal(150),)
    wallet_sol: Decimal = Decimal(10)
    wallet_usdc: Decimal = Decimal(10_000)

    def __post_init__(self) -> None:
        for name in ("wallet_sol", "wallet_usdc"):
            object.__setattr__(self, name, Decimal(getattr(self, name)))
        object.__setattr__(self, "prices", tuple(Decimal(p) for p in self.prices))


def _wallet_raw(chain: LiteSVMChain, owner: Pubkey,
                tokens: Sequence[Token]) -> dict[str, tuple[int, int]]:
    """``ledger_hooks.wallet_balances`` without the event loop: mint -> (raw, decimals)."""
    out = {str(t.mint): (chain.token_amount(associated_token_address(owner, t.mint)), t.decimals)
           for t in tokens}
    out[NATIVE_KEY] = (chain.svm.get_balance(owner) or 0, 9)
    return out


class PaperWallet:
    """A paper wallet, its pools and its history on a LiteSVM chain kept in a state file.

    Build with :meth:`open` (resume or create). Attributes: ``path`` (the state file),
    ``setup`` (chain, market, pair, venues: a :class:`~workbench.execution.session.LocalSetup`),
    ``owner`` (the wallet's public key), ``source`` (``throwaway`` or ``keystore``),
    ``opening`` (mint -> (raw, decimals) when created, native lamports under ``native``),
    ``order_ids`` (orders sent from it, oldest first), ``spec`` (what it was created with)
    and ``created`` (False when resumed).
    """

    def __init__(self, *, path: Path, setup: LocalSetup, owner: Pubkey, source: str,
                 throwaway: Keypair | None, mint_authority: Keypair,
                 opening: dict[str, tuple[int, int]], order_ids: list[str], generation: int,
                 spec: PaperSpec, created_ns: int, created: bool) -> None:
        self.path = path
        self.setup = setup
        self.owner = owner
        self.source = source
        self._throwaway = throwaway
        self._mint_authority = mint_authority
        self.opening = opening
        self.order_ids = order_ids
        self.generation = generation
        self.spec = spec
        self.created_ns = created_ns
        self.created = created

    def __repr__(self) -> str:
        return (f"PaperWallet({self.path}, owner={self.owner}, source={self.source}, "
                f"orders={len(self.order_ids)})")

    # --- open / save ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, wallet: Wallet | None = None, new: PaperSpec | None = None,
             create: bool = True) -> PaperWallet:
        """Resume the paper wallet at ``path``, or create it (and save it) when missing.

        Args:
            path: the state file (see :func:`paper_state_path`).
            wallet: the keystore wallet to trade with; None: a throwaway paper key (created
                and kept in the state file). Resuming checks it owns the state.
            new: pools and balances of a NEW wallet (default :class:`PaperSpec`); a resumed
                wallet keeps what trading left (``created`` tells which happened).
            create: False refuses to create one (read-only commands).

        Raises:
            StoreError: the file is unreadable, corrupt or foreign (left as is).
            ConfigError: no state and ``create`` is False; a ``wallet`` that is not the
                state's owner.
        """
        if path.exists():
            me = cls._load(path)
            if wallet is not None and wallet.pubkey != me.owner:
                raise ConfigError(
                    f"The paper wallet in {path} belongs to {me.owner} ({me.source} key), not "
                    f"to {wallet.pubkey}. Use that key, or `workbench trade reset-paper` to "
                    "start a paper wallet for this one.", setting="execution.keystore_path")
            return me
        if not create:
            raise ConfigError(f"No paper wallet at {path} yet; `workbench trade swap` creates "
                              "one.", setting="data.dir")
        return cls._create(path, wallet, new or PaperSpec())

    @classmethod
    def _create(cls, path: Path, wallet: Wallet | None, spec: PaperSpec) -> PaperWallet:
        from workbench.execution.session import open_local_market

        throwaway = Keypair() if wallet is None else None
        owner = wallet.pubkey if wallet is not None else throwaway.pubkey()  # type: ignore[union-attr]
        setup = open_local_market(spec.prices, owner=owner, wallet_sol=spec.wallet_sol,
                                  wallet_usdc=spec.wallet_usdc)
        pair = setup.pair
        me = cls(path=path, setup=setup, owner=owner,
                 source="throwaway" if wallet is None else "keystore", throwaway=throwaway,
                 mint_authority=setup.market.mint_authority,
                 opening=_wallet_raw(setup.chain, owner, [pair.base, pair.quote]),
                 order_ids=[], generation=0, spec=spec, created_ns=time.time_ns(),
                 created=True)
        with _locked(path):
            if path.exists():  # another run created it meanwhile: never overwrite it
                raise StoreError(f"A paper wallet appeared at {path} while this run created "
                                 "one; run again to resume it.")
            _write_atomic(path, me._document(1))
            me.generation = 1
        return me

    @classmethod
    def _load(cls, path: Path) -> PaperWallet:
        body = _read(path)
        try:
            chain = LiteSVMChain.import_state(_chain_from_json(body["chain"]))
            mint_authority = Keypair.from_bytes(base58.b58decode(body["mint_authority"]))
            market = LocalMarket(chain, mint_authority=mint_authority)
            base, quote = WELL_KNOWN[body["pair"][0]], WELL_KNOWN[body["pair"][1]]
            venues = []
            for spec in body["pools"]:
                auth = Keypair.from_bytes(base58.b58decode(spec["authority"]))
                ap = auth.pubkey()
                pool = Pool(name=spec["name"], base=base, quote=quote, authority=auth,
                            authority_pubkey=ap,
                            base_vault=associated_token_address(ap, base.mint),
                            quote_vault=associated_token_address(ap, quote.mint),
                            fee_bps=int(spec["fee_bps"]))
                market.pools.append(pool)
                venues.append(LocalAmmVenue(market, pool))
            owner = Pubkey.from_string(body["owner"])
            secret = body.get("throwaway_key")
            throwaway = Keypair.from_bytes(base58.b58decode(secret)) if secret else None
            if throwaway is not None and throwaway.pubkey() != owner:
                raise ValueError("the throwaway key is not the owner's")
            opening = {m: (int(raw), int(dec)) for m, (raw, dec) in body["opening"].items()}
            created = body["created"]
            spec = PaperSpec(prices=tuple(created["prices"]), wallet_sol=created["wallet_sol"],
                             wallet_usdc=created["wallet_usdc"])
            created_ns = int(created["ts_ns"])
            order_ids = [str(c) for c in body["order_ids"]]
            generation = int(body["generation"])
            source = str(body["source"])
        except (KeyError, TypeError, ValueError, IndexError, TxError) as exc:
            raise StoreError(
                f"Paper wallet state {path} passed its checksum but cannot be restored "
                f"({type(exc).__name__}: {str(exc)[:120]}). It was left as is; {_RESET_HINT}."
            ) from None
        from workbench.execution.session import LocalSetup

        setup = LocalSetup(chain=chain, market=market, pair=Pair(base=base, quote=quote),
                           venues=venues)
        return cls(path=path, setup=setup, owner=owner, source=source, throwaway=throwaway,
                   mint_authority=mint_authority, opening=opening, order_ids=order_ids,
                   generation=generation, spec=spec, created_ns=created_ns, created=False)

    def _document(self, generation: int) -> dict[str, Any]:
        pools = [p.pool for p in self.setup.venues]
        chain_state = self.setup.chain.export_state(
            [self.owner, *(p.authority_pubkey for p in pools)])
        pair = self.setup.pair
        body = {
            "generation": generation,
            "owner": str(self.owner),
            "source": self.source,
            "throwaway_key": (base58.b58encode(bytes(self._throwaway)).decode()
                              if self._throwaway is not None else None),
            "mint_authority": base58.b58encode(bytes(self._mint_authority)).decode(),
            "pair": [pair.base.symbol, pair.quote.symbol],
            "pools": [{"name": p.name, "authority": base58.b58encode(bytes(p.authority)).decode(),
                       "fee_bps": p.fee_bps} for p in pools],
            "opening": {m: [raw, dec] for m, (raw, dec) in self.opening.items()},
            "order_ids": list(self.order_ids),
            "created": {"prices": [str(p) for p in self.spec.prices],
                        "wallet_sol": str(self.spec.wallet_sol),
                        "wallet_usdc": str(self.spec.wallet_usdc),
                        "ts_ns": self.created_ns},
            "chain": _chain_to_json(chain_state),
        }
        return {"format": STATE_FORMAT, "version": STATE_VERSION, "sha256": _digest(body),
                "body": body}

    def save(self) -> None:
        """Write the chain and the order list atomically.

        Raises:
            StoreError: the file on disk is no longer the one this wallet was opened from
                (another run saved it, or it was replaced or corrupted): nothing is written.
        """
        with _locked(self.path):
            on_disk = _read(self.path) if self.path.exists() else None
            if on_disk is None or on_disk.get("generation") != self.generation \
                    or on_disk.get("owner") != str(self.owner):
                raise StoreError(
                    f"Paper wallet state {self.path} changed since this run opened it "
                    f"(generation {self.generation}, now "
                    f"{None if on_disk is None else on_disk.get('generation')}): another run "
                    "traded or it was reset. Not overwriting it; this run's orders stay in the "
                    "ledger but are not part of the paper wallet. Open it again to go on.")
            _write_atomic(self.path, self._document(self.generation + 1))
            self.generation += 1

    # --- trading ---------------------------------------------------------------------------

    @property
    def chain(self) -> LiteSVMChain:
        """The paper chain."""
        return self.setup.chain

    @property
    def pair(self) -> Pair:
        """The traded pair (SOL/USDC)."""
        return self.setup.pair

    def signer(self, wallet: Wallet | None = None) -> Wallet:
        """The key that signs for this paper wallet.

        Raises:
            ConfigError: a keystore paper wallet without its ``wallet``, or a different one.
        """
        if wallet is not None:
            if wallet.pubkey != self.owner:
                raise ConfigError(f"The paper wallet in {self.path} belongs to {self.owner}, "
                                  f"not {wallet.pubkey}.", setting="execution.keystore_path")
            return wallet
        if self._throwaway is None:
            raise ConfigError(
                f"The paper wallet in {self.path} belongs to keystore key {self.owner}; pass "
                "--keystore (or set execution.keystore_path) to sign with it, or "
                "`workbench trade reset-paper` to start over.", setting="execution.keystore_path")
        return Wallet(self._throwaway)

    def session(self, store: Store, gate: RiskGate, *, wallet: Wallet | None = None,
                strategy: str = "manual", config: ExecutorConfig | None = None,
                ) -> TradingSession:
        """A :class:`TradingSession` on this wallet's chain and pools (paper mode)."""
        from workbench.execution.session import TradingSession

        return TradingSession(chain=self.chain, wallet=self.signer(wallet),
                              venues=self.setup.venues, pair=self.pair, store=store, gate=gate,
                              strategy=strategy, mode="paper", config=config)

    async def swap(self, session: TradingSession, spend: str | Token, receive: str | Token,
                   amount: Decimal | str, **kwargs: Any) -> SwapOutcome:
        """``session.swap(...)``, then remember the order and save the chain.

        Saved even when the swap raises: whatever reached the chain (a failed transaction's
        fee) is kept, and its order is reconciled. The session's ledger hooks forget the order
        once it is final, so a long notebook does not grow.
        """
        before = len(session.order_ids)
        try:
            return await session.swap(spend, receive, amount, **kwargs)
        finally:
            new = session.order_ids[before:]
            self.order_ids.extend(new)
            self.save()
            for coid in new:
                with contextlib.suppress(StoreError):  # still submitted: keep it tracked
                    session.hooks.forget(coid)

    # --- ledger against chain ---------------------------------------------------------------

    def tokens(self) -> dict[str, Token]:
        """Symbol -> Token of the pair."""
        return {t.symbol: t for t in (self.pair.base, self.pair.quote)}

    def chain_raw(self) -> dict[str, int]:
        """The wallet on chain by mint, native lamports counted under wrapped SOL."""
        now = _wallet_raw(self.chain, self.owner, list(self.tokens().values()))
        out = {m: raw for m, (raw, _) in now.items() if m != NATIVE_KEY}
        out[str(NATIVE_MINT)] = out.get(str(NATIVE_MINT), 0) + now[NATIVE_KEY][0]
        return out

    def opening_raw(self) -> dict[str, int]:
        """The opening balances by mint, native lamports under wrapped SOL."""
        out = {m: raw for m, (raw, _) in self.opening.items() if m != NATIVE_KEY}
        native = self.opening.get(NATIVE_KEY, (0, 9))[0]
        out[str(NATIVE_MINT)] = out.get(str(NATIVE_MINT), 0) + native
        return out

    def ledger_fills(self, store: Store) -> pd.DataFrame:
        """The ledger's fills of this wallet's orders (``load_fills`` columns), newest first."""
        frame = ledger.load_fills(store)
        return frame[frame["client_order_id"].isin(set(self.order_ids))].reset_index(drop=True)

    def orders_missing(self, store: Store) -> list[str]:
        """Orders of this wallet the ledger has no row for (another ledger, or deleted)."""
        known = set(ledger.load_orders(store)["client_order_id"])
        return [c for c in self.order_ids if c not in known]

    def spot(self) -> Decimal:
        """The first pool's spot price, quote per base."""
        venue = self.setup.venues[0]
        return venue.market.spot_price(venue.pool)

    def reconcile(self, store: Store, *, include_matches: bool = True) -> pd.DataFrame:
        """Opening balances + the ledger's fills of this wallet against the chain.

        Returns:
            :func:`workbench.portfolio.reconcile` rows (``symbol``, ``mint``, ``decimals``,
            ``ledger_raw``, ``chain_raw``, ``diff_raw`` = chain - ledger, ``status``) plus
            ``opening_raw``; all tokens when ``include_matches``, else the differences.
        """
        from workbench.execution.session import fills_from_frame

        tokens = self.tokens()
        book = Portfolio(marks={self.pair.base.symbol: self.spot()}, tokens=tokens)
        opening = self.opening_raw()
        for token in tokens.values():
            book.deposit(token.symbol, from_raw(opening.get(str(token.mint), 0), token.decimals))
        book.apply_fills(fills_from_frame(self.ledger_fills(store)))
        frame = reconcile(book.holdings, self.chain_raw(), tokens=tokens,
                          include_matches=include_matches)
        frame.insert(3, "opening_raw", pd.Series(
            [opening.get(m, 0) for m in frame["mint"]], index=frame.index, dtype=object))
        return frame

    def balances(self, store: Store) -> pd.DataFrame:
        """Per token: chain and ledger balances in human units, and their difference.

        Columns: ``symbol``, ``chain``, ``ledger``, ``diff`` (chain - ledger, Decimals),
        ``chain_raw``, ``ledger_raw``, ``status``.
        """
        rec = self.reconcile(store, include_matches=True)
        rows = []
        for r in rec.itertuples(index=False):
            dec = int(r.decimals) if r.decimals is not None else 0
            rows.append({"symbol": r.symbol, "chain": from_raw(int(r.chain_raw), dec),
                         "ledger": from_raw(int(r.ledger_raw), dec),
                         "diff": from_raw(int(r.diff_raw), dec), "chain_raw": int(r.chain_raw),
                         "ledger_raw": int(r.ledger_raw), "status": r.status})
        return pd.DataFrame(rows, columns=["symbol", "chain", "ledger", "diff", "chain_raw",
                                           "ledger_raw", "status"])
