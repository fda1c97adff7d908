"""Paper trading venues: local constant-product pools on LiteSVM that follow replayed prices.

The paper market is a real in-process Solana runtime (LiteSVM) holding real SPL token accounts:
a wallet, and two or more pools of the traded pair. Every bar of the replayed real data moves
each pool's reserves, with real transactions, to ``(depth / price, depth)``: the pool's spot
price is the bar's close (pool ``#1``) or the close ``lag`` bars earlier (later pools, which
follow the market late as thin pools do between arbitrageurs). Resetting the reserves to a
fixed quote depth, instead of keeping ``k``, makes every bar's pool exactly the backtester's
cost model (``CostModel.depth_quote``), which is what the parity test relies on.

Why a snapshot file
-------------------
A real chain outlives the trading process; LiteSVM lives inside it. To make a crash (SIGKILL)
look like a crash against a real chain, :class:`PaperMarket` writes the chain state it needs
after every landed swap and at the end of every bar: every SPL token account and mint, the
native balances of the wallet and pool authorities, the block height and blockhash, and the
landed swap transactions (signature -> balances, so a re-sent signature is recognised and its
fill can be read after the restart). The write is atomic (temp file + ``os.replace``): a swap
that landed in memory but not in the file is, after a restart, a transaction the chain never
processed. That is exactly a dropped transaction on a real cluster, and recovery treats it the
same way (re-broadcast the same signed bytes, which may land once, or prove expiry). LiteSVM's
genesis blockhash and its ``expire_blockhash`` sequence are deterministic, so a restored chain
accepts bytes signed before the crash for as long as their blockhash would still be valid.

The paper keypairs (wallet, pool authorities, mint authority) are throwaway keys generated on
first run and kept in the snapshot; they hold nothing outside this process's LiteSVM.
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from workbench.chain import ConfirmedTx, LiteSVMChain
from workbench.chain.programs import (
    NATIVE_MINT,
    associated_token_address,
    create_ata_idempotent_ix,
    mint_to_checked_ix,
    sync_native_ix,
    system_transfer_ix,
    transfer_checked_ix,
)
from workbench.domain import Pair, Token, to_raw
from workbench.errors import ConfigError, StoreError, TxError
from workbench.execution.local_amm import LocalAmmVenue, LocalMarket, Pool

__all__ = ["PaperMarket", "PoolSpec", "SnapshotChain"]

_BLOCKS_PER_S = 2.5  # Solana's 400 ms slots


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolSpec:
    """One paper pool of the pair.

    Attributes:
        name: venue name (what strategies and the router call it).
        depth_quote: quote reserve the pool is reset to every bar, human units.
        lag_bars: 0 follows the close; n follows the close n bars earlier.
        fee_bps: pool fee on the input.
    """

    name: str
    depth_quote: Decimal
    lag_bars: int = 0
    fee_bps: int = 25


#: The paper market's chain: a :class:`LiteSVMChain`, snapshotted with its public
#: ``export_state`` / ``import_state`` (kept as a name for callers of the first release).
SnapshotChain = LiteSVMChain


class PaperMarket:
    """The paper wallet and pools of one pair on a (snapshotted) LiteSVM chain.

    Build with :meth:`open`, which restores from ``snapshot_path`` when it exists.

    Attributes:
        chain: the chain (a :class:`LiteSVMChain`).
        pair: the traded pair (SOL/USDT by default).
        wallet: the trading keypair.
        venues: one :class:`LocalAmmVenue` per pool, in spec order.
    """

    def __init__(self, chain: LiteSVMChain, market: LocalMarket, pair: Pair, wallet: Keypair,
                 pools: Sequence[Pool], specs: Sequence[PoolSpec],
                 snapshot_path: Path | None) -> None:
        self.chain = chain
        self.market = market
        self.pair = pair
        self.wallet = wallet
        self.owner = wallet.pubkey()
        self.pools = list(pools)
        self.specs = list(specs)
        self.venues = [LocalAmmVenue(market, p) for p in self.pools]
        self.snapshot_path = snapshot_path
        self.swap_signatures: list[Signature] = []
        self._closes: list[Decimal] = []
        self._blocks_carry = 0.0
        self._sinks: set[Pubkey] = set()
        self.restored = False

    # --- construction -------------------------------------------------------------------

    @classmethod
    def open(cls, *, pair: Pair, specs: Sequence[PoolSpec], start_price: Decimal,
             wallet_quote: Decimal, wallet_sol: Decimal,
             snapshot_path: Path | None = None) -> PaperMarket:
        """Restore the market from ``snapshot_path`` or create it (and write the snapshot).

        Args:
            pair: base/quote pair; the base must be SOL (wrapped) or a mintable token.
            specs: pools to create (at least one).
            start_price: initial pool price (the first bar's close).
            wallet_quote: quote tokens the wallet starts with.
            wallet_sol: native SOL for fees the wallet starts with.
            snapshot_path: where the chain state is kept between runs (None: in memory only).
        """
        if not specs:
            raise ConfigError("The paper market needs at least one pool.", setting="pools")
        if snapshot_path is not None and snapshot_path.exists():
            return cls._restore(pair, specs, snapshot_path)
        chain = LiteSVMChain()
        mint_auth = Keypair()
        market = LocalMarket(chain, mint_authority=mint_auth)
        base, quote = market.token(pair.base.symbol), market.token(pair.quote.symbol)
        wallet = chain.funded_keypair(to_raw(wallet_sol, 9))
        for tok in (base, quote):
            market.fund(wallet.pubkey(), tok, 0)  # create the ATAs now: no rent while trading
        market.fund(wallet.pubkey(), quote, to_raw(wallet_quote, quote.decimals))
        pools = []
        for spec in specs:
            q_raw = to_raw(spec.depth_quote, quote.decimals)
            b_raw = _base_for(spec.depth_quote, start_price, base.decimals)
            pools.append(market.create_pool(base, quote, base_reserve_raw=b_raw,
                                            quote_reserve_raw=q_raw, fee_bps=spec.fee_bps,
                                            name=spec.name))
        me = cls(chain, market, Pair(base=base, quote=quote), wallet, pools, specs,
                 snapshot_path)
        me._mint_auth = mint_auth
        me.save()
        return me

    @classmethod
    def _restore(cls, pair: Pair, specs: Sequence[PoolSpec], path: Path) -> PaperMarket:
        try:
            state = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise StoreError(f"Cannot read the paper chain snapshot {path}: {exc}. Delete it "
                             "(and the ledger) to start a fresh paper market.") from None
        try:
            chain = LiteSVMChain.import_state(state["chain"])
        except TxError:
            raise StoreError(f"Paper chain snapshot {path} has a blockhash LiteSVM never "
                             "produces; delete it (and the ledger) to start a fresh paper "
                             "market.") from None
        mint_auth = Keypair.from_bytes(state["mint_authority"])
        market = LocalMarket(chain, mint_authority=mint_auth)
        base, quote = pair.base, pair.quote
        pools = []
        for spec, (name, auth_bytes) in zip(specs, state["pools"], strict=False):
            auth = Keypair.from_bytes(auth_bytes)
            ap = auth.pubkey()
            pool = Pool(name=name, base=base, quote=quote, authority=auth, authority_pubkey=ap,
                        base_vault=associated_token_address(ap, base.mint),
                        quote_vault=associated_token_address(ap, quote.mint),
                        fee_bps=spec.fee_bps)
            market.pools.append(pool)
            pools.append(pool)
        me = cls(chain, market, pair, Keypair.from_bytes(state["wallet"]), pools,
                 specs[:len(pools)], path)
        me._mint_auth = mint_auth
        me.swap_signatures = [Signature.from_bytes(s) for s in state["swaps"]]
        me._closes = [Decimal(c) for c in state.get("closes", [])]
        me.restored = True
        return me

    # --- persistence --------------------------------------------------------------------

    def save(self) -> None:
        """Write the chain state atomically (no-op without a snapshot path)."""
        if self.snapshot_path is None:
            return
        system = [self.owner, *(p.authority_pubkey for p in self.pools)]
        keep = self.swap_signatures[-50:]
        state = {
            "chain": self.chain.export_state(system, signatures=keep),
            "mint_authority": bytes(self._mint_auth),
            "wallet": bytes(self.wallet),
            "pools": [(p.name, bytes(p.authority)) for p in self.pools],
            "swaps": [bytes(s) for s in keep],
            "closes": [str(c) for c in self._closes[-64:]],
        }
        tmp = self.snapshot_path.with_suffix(".tmp")
        self.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(self.snapshot_path)

    @property
    def closes(self) -> list[str]:
        """Recent closes (the lagging pools' price history), for the engine's cursor."""
        return [str(c) for c in self._closes[-64:]]

    @closes.setter
    def closes(self, values: Sequence[str]) -> None:
        self._closes = [Decimal(v) for v in values]

    def record_swap(self, signature: Signature) -> None:
        """Remember a swap's signature (kept in the snapshot with its landed record).

        Landed records older than the last 500 swaps are dropped from memory: their blockhashes
        expired long ago, so their bytes can no longer land again and nothing reconciles them.
        """
        self.swap_signatures.append(signature)
        if len(self.swap_signatures) > 1000:
            self.chain.forget_landed(self.swap_signatures[:-500])
            del self.swap_signatures[:-500]

    # --- prices -------------------------------------------------------------------------

    def on_close(self, close: Decimal, *, bar_seconds: float) -> dict[str, Decimal]:
        """Advance the chain by the bar's blocks and move every pool to its price.

        Returns:
            venue name -> pool price set for this bar.
        """
        self._closes.append(close)
        if len(self._closes) > 64:
            del self._closes[:-64]
        blocks = bar_seconds * _BLOCKS_PER_S + self._blocks_carry
        whole = int(blocks)
        self._blocks_carry = blocks - whole
        if whole:
            self.chain.advance(whole)
        prices = {}
        targets = []
        for pool, spec in zip(self.pools, self.specs, strict=True):
            i = max(0, len(self._closes) - 1 - spec.lag_bars)
            price = self._closes[i]
            targets.append((pool, price, spec.depth_quote))
            prices[pool.name] = price
        self.set_reserves(targets)
        return prices

    def set_reserves(self, targets: Sequence[tuple[Pool, Decimal, Decimal]]) -> None:
        """Move pools to ``(depth / price, depth)`` in ONE real transaction.

        Args:
            targets: ``(pool, price, depth_quote)`` per pool.

        A vault grows by ``MintToChecked`` (quote) or a lamport transfer plus ``SyncNative``
        (wrapped SOL) from the market payer, and shrinks by a ``TransferChecked`` to the payer
        signed by the pool authority; all pools move atomically.
        """
        m = self.market
        payer = m.payer.pubkey()
        ixs = []
        signers: dict[bytes, Keypair] = {}
        for pool, price, depth in targets:
            quote_target = to_raw(depth, pool.quote.decimals, rounding=ROUND_DOWN)
            base_target = _base_for(depth, price, pool.base.decimals)
            base_raw, quote_raw = m.reserves(pool)
            for token, vault, old, new in ((pool.base, pool.base_vault, base_raw, base_target),
                                           (pool.quote, pool.quote_vault, quote_raw,
                                            quote_target)):
                if new > old and token.mint == NATIVE_MINT:
                    ixs += [system_transfer_ix(source=payer, destination=vault,
                                               lamports=new - old), sync_native_ix(vault)]
                elif new > old:
                    ixs.append(mint_to_checked_ix(mint=token.mint, destination=vault,
                                                  authority=self._mint_auth.pubkey(),
                                                  amount_raw=new - old,
                                                  decimals=token.decimals))
                    signers[bytes(self._mint_auth.pubkey())] = self._mint_auth
                elif new < old:
                    if token.mint not in self._sinks:
                        self.chain.run(m.payer, [create_ata_idempotent_ix(
                            payer=payer, owner=payer, mint=token.mint)])
                        self._sinks.add(token.mint)
                    ixs.append(transfer_checked_ix(
                        source=vault, mint=token.mint,
                        destination=associated_token_address(payer, token.mint),
                        owner=pool.authority_pubkey, amount_raw=old - new,
                        decimals=token.decimals))
                    signers[bytes(pool.authority_pubkey)] = pool.authority
        if ixs:
            landed = self.chain.run(m.payer, ixs, list(signers.values()))
            # a price-tracking transaction is never re-sent or reconciled: do not keep it
            self.chain.forget_landed([landed.signature])

    def reserves(self) -> dict[str, tuple[int, int]]:
        """venue name -> (base, quote) reserves in base units."""
        return {p.name: self.market.reserves(p) for p in self.pools}

    # --- balances -----------------------------------------------------------------------

    def wallet_raw(self) -> dict[str, int]:
        """The wallet's holdings on chain by mint (native SOL counted under wrapped SOL)."""
        out: dict[str, int] = {}
        for tok in (self.pair.base, self.pair.quote):
            out[str(tok.mint)] = self.chain.token_amount(
                associated_token_address(self.owner, tok.mint))
        lamports = self.chain.svm.get_balance(self.owner) or 0
        out[str(NATIVE_MINT)] = out.get(str(NATIVE_MINT), 0) + lamports
        return out

    def base_raw(self) -> int:
        """The base token in the wallet's token account (what a sell can spend)."""
        return self.chain.token_amount(associated_token_address(self.owner, self.pair.base.mint))

    def landed(self, signature: Signature) -> ConfirmedTx | None:
        """The landed swap with this signature, if the chain has it."""
        return self.chain.landed(signature)


def _base_for(depth_quote: Decimal, price: Decimal, decimals: int) -> int:
    return to_raw(depth_quote / price, decimals, rounding=ROUND_DOWN)


def encode_blob(data: bytes) -> str:
    """Bytes as base64 text (for JSON state)."""
    return base64.b64encode(data).decode()


def token_of(symbol: str, tokens: dict[str, Token]) -> Token:
    """A token by symbol from ``tokens``; ConfigError naming the known ones."""
    try:
        return tokens[symbol]
    except KeyError:
        raise ConfigError(f"Unknown token {symbol!r}; known: {sorted(tokens)}.",
                          setting="symbol") from None
