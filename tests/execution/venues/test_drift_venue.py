"""Drift adapter: instruction encoding and PDAs against a recorded driftpy instruction and
published mainnet addresses; User decoding against the documented layout (no recorded account).
"""

from __future__ import annotations

import hashlib
import struct

import pytest
from solders.pubkey import Pubkey

from workbench.domain import Quote, QuoteRequest
from workbench.errors import ConfigError, OrderRejected, SchemaError
from workbench.execution.drift import (
    DRIFT_PROGRAM_ID,
    PLACE_PERP_ORDER_DISCRIMINATOR,
    DriftConfig,
    DriftPerpMarket,
    DriftVenue,
    MarketType,
    OrderParams,
    OrderType,
    PositionDirection,
    PostOnlyParam,
    build_place_perp_order,
    decode_perp_positions,
    decode_spot_positions,
    decode_user_authority,
    encode_order_params,
    perp_market_oracle,
    perp_market_pda,
    position_change,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)
from workbench.ports import Venue

USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
SOL_ORACLE = Pubkey.from_string("J83w4HKfqxwcq3BEMMkPFSppX3gqekLyLJBexebFVkix")
USDC_ORACLE = Pubkey.new_unique()  # placeholder: no recorded USDC oracle address in fixtures
USER_DISC = hashlib.sha256(b"account:User").digest()[:8]


# --- discriminator and PDAs (known answers) ---------------------------------------------------


def test_discriminator_matches_published_idl():
    """sha256("global:place_perp_order")[:8] equals the discriminator in Drift's published IDL."""
    assert list(PLACE_PERP_ORDER_DISCRIMINATOR) == [69, 161, 93, 202, 120, 126, 76, 185]


def test_pdas_match_published_mainnet_accounts(load_json):
    """State, SOL-PERP, USDC spot market, and a recorded wallet's User/UserStats PDAs."""
    recorded = load_json("drift/driftpy_place_perp_order_printout.json")
    authority = Pubkey.from_string(recorded["authority"])
    assert str(state_pda(DRIFT_PROGRAM_ID)) == recorded["state"]
    assert str(user_pda(authority, 0, DRIFT_PROGRAM_ID)) == recorded["user"]
    assert str(user_stats_pda(authority, DRIFT_PROGRAM_ID)) == recorded["user_stats"]
    # published in Drift integrations docs/configs: SOL-PERP (0), ETH-PERP (2), USDC spot (0)
    assert (
        str(perp_market_pda(0, DRIFT_PROGRAM_ID)) == "8UJgxaiQx5nTrdDgph5FiahMmzduuLTLf5WmsPegYA6W"
    )
    assert (
        str(perp_market_pda(2, DRIFT_PROGRAM_ID)) == "25Eax9W8SA3wpCQFhJEGyHhQ2NDHEshZEDzyMNtthR8D"
    )
    assert (
        str(spot_market_pda(0, DRIFT_PROGRAM_ID)) == "6gMq3mRCKf8aP3ttTyYhuijVZ2LGi14oDsBbkgubfLB3"
    )


def test_user_pda_seed_uses_sub_account_u16_le():
    """Sub-accounts give different users; the seed is the u16 little-endian id."""
    authority = Pubkey.new_unique()
    expected = Pubkey.find_program_address(
        [b"user", bytes(authority), (3).to_bytes(2, "little")], DRIFT_PROGRAM_ID
    )[0]
    assert (
        user_pda(authority, 3, DRIFT_PROGRAM_ID)
        == expected
        != user_pda(authority, 0, DRIFT_PROGRAM_ID)
    )


# --- OrderParams encoding against a recorded driftpy instruction -----------------------------


def test_encoding_reproduces_recorded_driftpy_instruction(load_json):
    """Our bytes for the recorded order (0.1 SOL post-only oracle-offset long) equal driftpy's."""
    recorded = load_json("drift/driftpy_place_perp_order_printout.json")
    params = OrderParams(
        order_type=OrderType.LIMIT,
        market_type=MarketType.PERP,
        direction=PositionDirection.LONG,
        base_asset_amount=100_000_000,  # 0.1 SOL in BASE_PRECISION
        price=0,
        market_index=0,
        post_only=PostOnlyParam.MUST_POST_ONLY,
        trigger_price=0,  # driftpy's default is Some(0), not None: 9 bytes on the wire
        oracle_price_offset=-5_000,  # 0.005 USDC below the oracle
    )
    authority = Pubkey.from_string(recorded["authority"])
    ix = build_place_perp_order(
        authority=authority,
        params=params,
        program_id=DRIFT_PROGRAM_ID,
        oracles=[SOL_ORACLE],
        perp_market_indexes=[0],
    )
    assert bytes(ix.data).hex() == recorded["instruction"]["data_hex"]
    expected_keys = [a["pubkey"] for a in recorded["instruction"]["accounts"]]
    assert [str(a.pubkey) for a in ix.accounts] == expected_keys
    # state read-only, user writable, authority signer: as driftpy printed them
    for meta, wire in zip(ix.accounts[:3], recorded["instruction"]["accounts"][:3], strict=True):
        assert (meta.is_signer, meta.is_writable) == (wire["is_signer"], wire["is_writable"])


def test_option_fields_are_tagged_and_little_endian():
    """Some(x) is 0x01 then x; None is 0x00; bit_flags is appended only when set."""
    base = {
        "order_type": OrderType.MARKET,
        "market_type": MarketType.PERP,
        "direction": PositionDirection.SHORT,
        "base_asset_amount": 1,
        "market_index": 513,
    }
    plain = encode_order_params(OrderParams(**base))
    assert len(plain) == 4 + 8 + 8 + 2 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + 1 == 32
    assert plain[20:22] == b"\x01\x02"  # 513 as u16 LE
    full = encode_order_params(
        OrderParams(**base, max_ts=-1, auction_duration=10, auction_start_price=2, bit_flags=1)
    )
    assert full[25:34] == b"\x01" + struct.pack("<q", -1)
    assert full.endswith(b"\x01\x0a" + b"\x01" + struct.pack("<q", 2) + b"\x00" + b"\x01")


# --- User account decoding (layout from state/user.rs; no recorded account available) ---------


def _user_bytes(
    authority: Pubkey, perps: list[tuple[int, int, int]], spots: list[tuple[int, int]]
) -> bytes:
    """A User account laid out by hand at the documented offsets (independent of the decoder)."""
    data = bytearray(4376)
    data[0:8] = USER_DISC
    data[8:40] = bytes(authority)
    for slot, (market_index, scaled_balance) in enumerate(spots):
        at = 104 + slot * 40
        struct.pack_into("<Q", data, at, scaled_balance)
        struct.pack_into("<H", data, at + 32, market_index)
    for slot, (market_index, base, quote) in enumerate(perps):
        at = 424 + slot * 96
        struct.pack_into("<q", data, at + 8, base)
        struct.pack_into("<q", data, at + 16, quote)
        struct.pack_into("<q", data, at + 32, quote)  # quote_entry_amount
        struct.pack_into("<H", data, at + 92, market_index)
    return bytes(data)


def test_decode_user_positions_reads_documented_offsets():
    """Perp base/quote/market index and spot collateral come back from their byte offsets."""
    authority = Pubkey.new_unique()
    data = _user_bytes(
        authority, [(0, 2_500_000_000, -350_000_000), (2, -10_000_000, 31_000_000)], [(0, 10**9)]
    )
    perps = decode_perp_positions(data)
    assert [(p.market_index, p.base_asset_amount, p.quote_asset_amount) for p in perps] == [
        (0, 2_500_000_000, -350_000_000),
        (2, -10_000_000, 31_000_000),
    ]
    assert perps[0].quote_entry_amount == -350_000_000
    assert [
        (s.market_index, s.scaled_balance, s.is_borrow) for s in decode_spot_positions(data)
    ] == [(0, 10**9, False)]
    assert decode_user_authority(data) == authority


def test_non_user_account_is_schema_error():
    """Wrong discriminator or a short buffer is refused with the expected discriminator."""
    with pytest.raises(SchemaError, match=USER_DISC.hex()):
        decode_perp_positions(b"\x00" * 4376)


def test_perp_market_oracle_is_first_amm_field():
    """PerpMarket: discriminator, pubkey, then amm.oracle."""
    oracle = Pubkey.new_unique()
    data = (
        hashlib.sha256(b"account:PerpMarket").digest()[:8] + bytes(32) + bytes(oracle) + bytes(100)
    )
    assert perp_market_oracle(data) == oracle


def test_position_change_is_the_fill():
    """A fill is the change of base and quote in one market between two snapshots."""
    a = Pubkey.new_unique()
    before = decode_perp_positions(_user_bytes(a, [(0, 1_000_000_000, -150_000_000)], []))
    after = decode_perp_positions(_user_bytes(a, [(0, 1_500_000_000, -225_100_000)], []))
    assert position_change(before, after, 0) == (500_000_000, -75_100_000)
    assert position_change([], after, 0) == (1_500_000_000, -225_100_000)


# --- the venue --------------------------------------------------------------------------------


class FakeAccounts:
    def __init__(self, accounts: dict[Pubkey, bytes]) -> None:
        self.accounts = accounts

    async def fetch_account_data(self, pubkey: Pubkey) -> bytes | None:
        return self.accounts.get(pubkey)


def _config() -> DriftConfig:
    return DriftConfig(
        perp_markets={
            0: DriftPerpMarket(market_index=0, symbol="SOL-PERP", oracle=SOL_ORACLE),
            2: DriftPerpMarket(market_index=2, symbol="ETH-PERP", oracle=Pubkey.new_unique()),
        },
        spot_oracles={0: USDC_ORACLE},
    )


async def _price(market_index: int) -> int:
    return {0: 150_000_000, 2: 3_000_000_000}[market_index]  # 150 and 3000 USDC


async def test_long_quote_and_build_place_market_order():
    """USDC -> SOL-PERP: base from notional at the limit price, instruction with margin accounts."""
    owner = Pubkey.new_unique()
    config = _config()
    user = _user_bytes(owner, [(2, -10_000_000, 31_000_000)], [(0, 10**9)])
    venue = DriftVenue(FakeAccounts({user_pda(owner, 0, DRIFT_PROGRAM_ID): user}), config, _price)
    assert isinstance(venue, Venue)
    quote = await venue.quote(
        QuoteRequest(
            input_mint=USDC,
            output_mint="drift-perp:SOL-PERP",
            in_amount_raw=151_500_000,
            slippage_bps=100,
        )
    )
    limit = 150_000_000 * 10_100 // 10_000  # 151.5 USDC
    assert quote.route.limit_price == limit
    assert quote.out_amount_raw == 151_500_000 * 10**9 // limit == 1_000_000_000  # 1 SOL
    plan = await venue.build(quote, owner)
    (ix,) = plan.instructions
    data = bytes(ix.data)
    assert data[:8] == PLACE_PERP_ORDER_DISCRIMINATOR
    assert data[8:12] == bytes([OrderType.MARKET, MarketType.PERP, PositionDirection.LONG, 0])
    assert struct.unpack_from("<QQH", data, 12) == (1_000_000_000, limit, 0)
    keys = [a.pubkey for a in ix.accounts]
    assert keys[:3] == [state_pda(DRIFT_PROGRAM_ID), user_pda(owner, 0, DRIFT_PROGRAM_ID), owner]
    assert keys[3:] == [
        SOL_ORACLE,
        config.perp_markets[2].oracle,
        USDC_ORACLE,
        spot_market_pda(0, DRIFT_PROGRAM_ID),
        perp_market_pda(0, DRIFT_PROGRAM_ID),
        perp_market_pda(2, DRIFT_PROGRAM_ID),
    ]
    assert all(not a.is_writable for a in ix.accounts[3:])
    assert venue.parse(quote, []) == (0, 0)


async def test_short_quote_sets_floor_from_slippage():
    """SOL-PERP -> USDC: shorts the base given; min out uses the oracle less slippage."""
    venue = DriftVenue(FakeAccounts({}), _config(), _price)
    quote = await venue.quote(
        QuoteRequest(
            input_mint="drift-perp:SOL-PERP",
            output_mint=USDC,
            in_amount_raw=2 * 10**9,
            slippage_bps=50,
        )
    )
    assert quote.route.direction is PositionDirection.SHORT
    assert quote.out_amount_raw == 300_000_000
    assert quote.min_out_amount_raw == 2 * 149_250_000


async def test_missing_user_and_unknown_market_are_clear():
    """No User account -> initialize first; an unconfigured symbol -> ConfigError listing them."""
    venue = DriftVenue(FakeAccounts({}), _config(), _price)
    quote = await venue.quote(
        QuoteRequest(input_mint=USDC, output_mint="drift-perp:SOL-PERP", in_amount_raw=10**8)
    )
    with pytest.raises(OrderRejected, match="initialize it and deposit USDC") as info:
        await venue.build(quote, Pubkey.new_unique())
    assert info.value.reason == "no_user"
    with pytest.raises(ConfigError, match=r"'BTC-PERP' is not configured.*ETH-PERP, SOL-PERP"):
        await venue.quote(
            QuoteRequest(input_mint=USDC, output_mint="drift-perp:BTC-PERP", in_amount_raw=1)
        )


async def test_build_refuses_position_in_unconfigured_market():
    """A user position in a market without a configured oracle is refused, naming the index."""
    owner = Pubkey.new_unique()
    user = _user_bytes(owner, [(7, 1, 1)], [])
    venue = DriftVenue(
        FakeAccounts({user_pda(owner, 0, DRIFT_PROGRAM_ID): user}), _config(), _price
    )
    quote = await venue.quote(
        QuoteRequest(input_mint=USDC, output_mint="drift-perp:SOL-PERP", in_amount_raw=10**8)
    )
    with pytest.raises(OrderRejected, match="perp market 7"):
        await venue.build(quote, owner)


async def test_foreign_quote_is_refused():
    """A quote from another venue cannot be built by Drift."""
    venue = DriftVenue(FakeAccounts({}), _config(), _price)
    foreign = Quote(
        venue="jupiter",
        input_mint=USDC,
        output_mint="x",
        in_amount_raw=1,
        out_amount_raw=1,
        min_out_amount_raw=1,
    )
    with pytest.raises(OrderRejected, match="venue 'jupiter'"):
        await venue.build(foreign, Pubkey.new_unique())
