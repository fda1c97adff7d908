"""Tokens, identified by mint, with their decimals.

Well-known mainnet mints are listed so configs and notebooks can say "SOL" or "USDC";
everything else is identified by its mint address.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from workbench.errors import RiskError

__all__ = ["SOL", "USDC", "USDT", "WELL_KNOWN", "Token", "token_by_symbol"]

_MAX_DECIMALS = 18


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """An SPL token (or native SOL as wrapped SOL).

    Attributes:
        mint: the mint address.
        symbol: display symbol, not unique on chain.
        decimals: base units per token are 10**decimals.
    """

    mint: Pubkey
    symbol: str
    decimals: int

    def __post_init__(self) -> None:
        if not isinstance(self.decimals, int) or not 0 <= self.decimals <= _MAX_DECIMALS:
            raise RiskError(
                f"Token {self.symbol!r} has decimals={self.decimals!r}; expected an integer "
                f"0..{_MAX_DECIMALS}. Read the decimals from the mint account."
            )
        if not self.symbol:
            raise RiskError(f"Token with mint {self.mint} needs a non-empty symbol.")

    def __str__(self) -> str:
        return self.symbol


SOL = Token(mint=Pubkey.from_string("So11111111111111111111111111111111111111112"),
            symbol="SOL", decimals=9)
USDC = Token(mint=Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
             symbol="USDC", decimals=6)
USDT = Token(mint=Pubkey.from_string("Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"),
             symbol="USDT", decimals=6)
WELL_KNOWN: dict[str, Token] = {t.symbol: t for t in (SOL, USDC, USDT)}


def token_by_symbol(symbol: str) -> Token:
    """Return a well-known token by symbol.

    Raises:
        RiskError: the symbol is not well known; pass a Token with its mint instead.
    """
    try:
        return WELL_KNOWN[symbol.upper()]
    except KeyError:
        known = ", ".join(sorted(WELL_KNOWN))
        raise RiskError(
            f"Unknown token symbol {symbol!r}; known symbols are {known}. "
            "For other tokens construct Token(mint=..., symbol=..., decimals=...)."
        ) from None
