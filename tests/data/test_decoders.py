"""Decoders checked against values read independently from the real accounts."""

import base64
import hashlib

import numpy as np
import pytest
from solders.pubkey import Pubkey

from workbench.data.decoders import (
    PUMPFUN_PROGRAM_ID,
    RAYDIUM_AMM_V4_PROGRAM_ID,
    WHIRLPOOL_PROGRAM_ID,
    PythPriceStatus,
    decode_bonding_curve,
    decode_bonding_curve_many,
    decode_pyth_mapping,
    decode_pyth_price,
    decode_pyth_product,
    decode_raydium_amm_v4,
    decode_raydium_amm_v4_many,
    decode_whirlpool,
    decode_whirlpool_many,
    whirlpool_prices,
)
from workbench.errors import SchemaError

from .conftest import b64_file, load_json

RAY = (
    "rpc_accounts/raydium_amm_v4_5y2QYKY8gQCcmG6jy4fc7wFg8L5SW7bkyvMH3jUTqBdy"
    "_jupiter_market_cache_entry.json"
)
AAPL = "pyth_price_account_AAPL_USD_5ALDzwcRJfSyGdGyhP3kP628aqBNHZzLuVww7o9kdspe.b64"


def _ray_bytes() -> tuple[dict, bytes]:
    entry = load_json(*RAY.split("/"))
    return entry, base64.b64decode(entry["data"][0])


def _pda(*seeds: bytes) -> Pubkey:
    return Pubkey.find_program_address(list(seeds), RAYDIUM_AMM_V4_PROGRAM_ID)[0]


def test_raydium_pool_addresses_match_their_program_derived_addresses():
    """Every address in the decoded pool is the PDA Raydium derives from the decoded market."""
    entry, data = _ray_bytes()
    pool = decode_raydium_amm_v4(data)
    prog, market = bytes(RAYDIUM_AMM_V4_PROGRAM_ID), bytes(pool.market)
    assert str(_pda(prog, market, b"amm_associated_seed")) == entry["pubkey"]
    assert pool.coin_vault == _pda(prog, market, b"coin_vault_associated_seed")
    assert pool.pc_vault == _pda(prog, market, b"pc_vault_associated_seed")
    assert pool.lp_mint == _pda(prog, market, b"lp_mint_associated_seed")
    assert pool.open_orders == _pda(prog, market, b"open_order_associated_seed")
    assert pool.target_orders == _pda(prog, market, b"target_associated_seed")
    # nonce is the bump of the pool authority, which owns the vaults in real swaps
    authority, bump = Pubkey.find_program_address([b"amm authority"], RAYDIUM_AMM_V4_PROGRAM_ID)
    assert pool.nonce == bump
    assert str(authority) == "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"


def test_raydium_pool_fields_are_the_known_ones():
    """Fees are Raydium's 25/10000, quote is USDC, market is on Serum v3."""
    entry, data = _ray_bytes()
    pool = decode_raydium_amm_v4(data)
    assert (pool.swap_fee_numerator, pool.swap_fee_denominator) == (25, 10_000)
    assert str(pool.pc_mint) == "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
    assert pool.pc_decimals == 6
    assert str(pool.market_program) == "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"
    assert entry["owner"] == str(RAYDIUM_AMM_V4_PROGRAM_ID)


def test_raydium_price_subtracts_pending_pnl():
    """Reserves are vault balances minus need_take_pnl; the price uses decimals."""
    _, data = _ray_bytes()
    pool = decode_raydium_amm_v4(data)
    coin_vault = pool.need_take_pnl_coin + 2 * 10**pool.coin_decimals
    pc_vault = pool.need_take_pnl_pc + 3 * 10**pool.pc_decimals
    assert pool.reserves(coin_vault, pc_vault) == (2 * 10**pool.coin_decimals, 3 * 10**6)
    assert pool.price(coin_vault, pc_vault) == pytest.approx(1.5)


def test_raydium_many_equals_single():
    """The bulk view decodes the same fields as the single decoder."""
    _, data = _ray_bytes()
    recs = decode_raydium_amm_v4_many([data] * 3)
    single = decode_raydium_amm_v4(data)
    assert recs.shape == (3,)
    assert (recs["need_take_pnl_pc"] == single.need_take_pnl_pc).all()
    assert bytes(recs["coin_vault"][2]) == bytes(single.coin_vault)


def test_raydium_short_account_is_a_schema_error():
    """A truncated account names its size instead of decoding garbage."""
    _, data = _ray_bytes()
    with pytest.raises(SchemaError, match="has 700 bytes, fewer than the 752"):
        decode_raydium_amm_v4_many([data, data[:700]])


def test_whirlpool_matches_carbon_decoded_fields():
    """Every scalar field agrees with the independently decoded copy (carbon's data_decoded)."""
    acc = load_json("rpc_accounts", "orca-whirlpool__whirlpool_account.json")
    pool = decode_whirlpool(base64.b64decode(acc["data"]))
    dec = acc["data_decoded"]
    assert acc["owner"] == str(WHIRLPOOL_PROGRAM_ID)
    assert str(pool.whirlpools_config) == dec["whirlpoolsConfig"]["data"]
    assert pool.tick_spacing == int(dec["tickSpacing"]["data"])
    assert pool.fee_rate == int(dec["feeRate"]["data"])
    assert pool.protocol_fee_rate == int(dec["protocolFeeRate"]["data"])
    assert pool.liquidity == int(dec["liquidity"]["data"])
    assert pool.sqrt_price_x64 == int(dec["sqrtPrice"]["data"])
    assert pool.tick_current_index == int(dec["tickCurrentIndex"]["data"])
    assert str(pool.token_mint_a) == dec["tokenMintA"]["data"]
    assert str(pool.token_vault_b) == dec["tokenVaultB"]["data"]
    assert pool.reward_last_updated_timestamp == int(dec["rewardLastUpdatedTimestamp"]["data"])


def test_whirlpool_price_agrees_with_its_tick():
    """sqrt_price squared lies within the current tick: 1.0001**tick <= price < 1.0001**(tick+1)."""
    for acc_file in ("orca-whirlpool__whirlpool_account.json",
                     "orca_whirlpool_56Ekyu6uBpTna3LR2qkjHjNbDNkCLWK2Lt3uWh7J2R8Z_account.json"):
        acc = load_json("rpc_accounts", acc_file)
        raw = bytes(acc["data"]) if isinstance(acc["data"], list) else base64.b64decode(acc["data"])
        pool = decode_whirlpool(raw)
        price_raw = float(pool.price(0, 0))
        assert 1.0001**pool.tick_current_index <= price_raw * (1 + 1e-12)
        assert price_raw < 1.0001 ** (pool.tick_current_index + 1)


def test_vixen_whirlpool_address_is_its_pda():
    """The vixen pool's address is the PDA of its decoded config, mints and tick spacing."""
    acc = load_json("rpc_accounts",
                    "orca_whirlpool_56Ekyu6uBpTna3LR2qkjHjNbDNkCLWK2Lt3uWh7J2R8Z_account.json")
    pool = decode_whirlpool(bytes(acc["data"]))
    seeds = [b"whirlpool", bytes(pool.whirlpools_config), bytes(pool.token_mint_a),
             bytes(pool.token_mint_b), pool.tick_spacing.to_bytes(2, "little")]
    addr, _ = Pubkey.find_program_address(seeds, WHIRLPOOL_PROGRAM_ID)
    assert bytes(addr) == bytes(acc["pubkey"])
    assert bytes(WHIRLPOOL_PROGRAM_ID) == bytes(acc["owner"])


def test_whirlpool_vector_prices_match_exact():
    """Vectorised float prices agree with the exact Decimal price."""
    acc = load_json("rpc_accounts", "orca-whirlpool__whirlpool_account.json")
    raw = base64.b64decode(acc["data"])
    recs = decode_whirlpool_many([raw, raw])
    exact = decode_whirlpool(raw).price(9, 6)
    assert whirlpool_prices(recs, 9, 6) == pytest.approx([float(exact)] * 2, rel=1e-12)


def test_whirlpool_rejects_other_accounts():
    """A Raydium account is not mistaken for a Whirlpool."""
    _, data = _ray_bytes()
    with pytest.raises(SchemaError, match="discriminator"):
        decode_whirlpool(data)


def _curves():
    accounts = load_json("rpc_accounts", "pumpfun_bonding_curves.json")["accounts"]
    return {a["name"]: a for a in accounts}


def test_pumpfun_discriminator_is_anchor_bonding_curve():
    """The discriminator we check is sha256('account:BondingCurve')[:8] and every fixture has it."""
    from workbench.data.decoders.pumpfun import PUMPFUN_BONDING_CURVE_DISCRIMINATOR

    want = PUMPFUN_BONDING_CURVE_DISCRIMINATOR
    assert hashlib.sha256(b"account:BondingCurve").digest()[:8] == want
    datas = [base64.b64decode(a["data_base64"]) for a in _curves().values()]
    assert decode_bonding_curve_many(datas).shape == (3,)


def test_pumpfun_curve_addresses_are_pdas_of_their_mints():
    """Each curve address is PDA(['bonding-curve', mint]) of Pump.fun."""
    for name in ("drained_curve_8t4tkj", "fresh_curve_5WXUxY"):
        a = _curves()[name]
        pda, _ = Pubkey.find_program_address(
            [b"bonding-curve", bytes(Pubkey.from_string(a["mint"]))], PUMPFUN_PROGRAM_ID)
        assert str(pda) == a["pubkey"]


def test_pumpfun_curves_keep_the_protocol_invariants():
    """Virtual minus real reserves are Pump.fun's constants: 279.9M tokens and 30 SOL."""
    for name in ("drained_curve_8t4tkj", "fresh_curve_5WXUxY"):
        c = decode_bonding_curve(base64.b64decode(_curves()[name]["data_base64"]))
        assert not c.is_complete
        assert c.virtual_token_reserves - c.real_token_reserves == 279_900_000_000_000
        assert c.virtual_sol_reserves - c.real_sol_reserves == 30_000_000_000
        assert c.token_total_supply == 1_000_000_000_000_000
        assert c.price_sol() > 0


def test_pumpfun_graduated_curve_is_complete_and_empty():
    """A graduated curve has the complete flag set and no reserves left."""
    c = decode_bonding_curve(base64.b64decode(_curves()["graduated_curve"]["data_base64"]))
    assert c.is_complete
    assert (c.real_token_reserves, c.real_sol_reserves, c.virtual_token_reserves) == (0, 0, 0)


def test_pumpfun_short_account_is_a_schema_error():
    """Fewer than 49 bytes cannot be a bonding curve."""
    data = base64.b64decode(_curves()["fresh_curve_5WXUxY"]["data_base64"])
    with pytest.raises(SchemaError, match="has 40 bytes"):
        decode_bonding_curve(data[:40])


def test_pyth_price_account_aapl():
    """AAPL/USD: exponent -5, trading, price equals aggregate / 1e5 and sits near its EMA."""
    p = decode_pyth_price(b64_file("pyth", AAPL))
    assert p.expo == -5
    assert p.status is PythPriceStatus.TRADING
    assert p.num_components == 29
    assert str(p.price) == "236.23373"
    assert abs(p.price_raw - p.ema_price_raw) / p.ema_price_raw < 0.01
    assert p.conf < p.price / 100


def test_pyth_price_product_and_mapping_link_up():
    """The BCH price points at the product listed in the mapping; the product says BCH/USD."""
    price = decode_pyth_price(b64_file("pyth", "pyth_price_account_BCH_USD.b64"))
    product = decode_pyth_product(b64_file("pyth", "pyth_product_account_BCH_USD.b64"))
    mapping = decode_pyth_mapping(b64_file("pyth", "pyth_mapping_account.b64"))
    assert mapping == [price.product]
    assert product.attrs["symbol"] == "BCH/USD"
    assert product.attrs["quote_currency"] == "USD"
    assert price.expo == -9


def test_pyth_rejects_wrong_account_type():
    """A product account handed to the price decoder is refused with the types named."""
    with pytest.raises(SchemaError, match="type=2"):
        decode_pyth_price(b64_file("pyth", "pyth_product_account_BCH_USD.b64"))


def test_bulk_decoding_copes_with_mixed_lengths():
    """Curves of 125 and 151 bytes decode together; the creator comes from the tail."""
    datas = [base64.b64decode(a["data_base64"]) for a in _curves().values()]
    recs = decode_bonding_curve_many(datas)
    assert np.array_equal(recs["complete"], [0, 0, 1])


def test_layout_sizes_match_the_programs():
    """The dtypes are exactly the on-chain struct sizes."""
    from workbench.data.decoders.raydium_amm_v4 import RAYDIUM_AMM_V4_DTYPE
    from workbench.data.decoders.whirlpool import WHIRLPOOL_DTYPE

    assert RAYDIUM_AMM_V4_DTYPE.itemsize == 752
    assert WHIRLPOOL_DTYPE.itemsize == 653
