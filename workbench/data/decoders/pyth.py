"""Pyth v2 push-oracle accounts (the on-chain price, product and mapping accounts).

Every account starts with a 16-byte header: magic ``0xa1b2c3d4``, version (2), account type
(1 mapping, 2 product, 3 price) and used size. A price is an integer with a decimal
exponent: ``agg_price = 23623373`` with ``expo = -5`` is 236.23373 USD; the confidence uses the
same exponent. Only status TRADING (1) prices are usable.

Price account layout (after the header; offsets from the account start)::

    16  u32 ptype, 20 i32 expo, 24 u32 num, 28 u32 num_qt, 32 u64 last_slot, 40 u64 valid_slot
    48  ema_price (i64 val, i64 numer, i64 denom), 72 ema_conf (same)
    96  i64 timestamp, 104 u8 min_pub, 105..111 reserved
    112 Pubkey product, 144 Pubkey next
    176 u64 prev_slot, 184 i64 prev_price, 192 u64 prev_conf, 200 i64 prev_timestamp
    208 agg: i64 price, u64 conf, u32 status, u32 corp_act, u64 pub_slot
    240 components[num] (publisher Pubkey, agg info, latest info) - not decoded here
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from solders.pubkey import Pubkey

from workbench.data.decoders._common import PUBKEY, as_records, pubkey
from workbench.errors import SchemaError

__all__ = [
    "PYTH_MAGIC",
    "PYTH_PRICE_DTYPE",
    "PythPrice",
    "PythPriceStatus",
    "PythProduct",
    "decode_pyth_mapping",
    "decode_pyth_price",
    "decode_pyth_product",
]

PYTH_MAGIC = 0xA1B2C3D4
_TYPE_MAPPING, _TYPE_PRODUCT, _TYPE_PRICE = 1, 2, 3


class PythPriceStatus(enum.IntEnum):
    """Aggregate price status; only TRADING is a usable price."""

    UNKNOWN = 0
    TRADING = 1
    HALTED = 2
    AUCTION = 3
    IGNORED = 4


PYTH_PRICE_DTYPE = np.dtype(
    [
        ("magic", "<u4"), ("ver", "<u4"), ("atype", "<u4"), ("size", "<u4"),
        ("ptype", "<u4"), ("expo", "<i4"), ("num", "<u4"), ("num_qt", "<u4"),
        ("last_slot", "<u8"), ("valid_slot", "<u8"),
        ("ema_price_val", "<i8"), ("ema_price_numer", "<i8"), ("ema_price_denom", "<i8"),
        ("ema_conf_val", "<i8"), ("ema_conf_numer", "<i8"), ("ema_conf_denom", "<i8"),
        ("timestamp", "<i8"), ("min_pub", "u1"), ("reserved", "u1", (7,)),
        ("product", PUBKEY), ("next", PUBKEY),
        ("prev_slot", "<u8"), ("prev_price", "<i8"), ("prev_conf", "<u8"),
        ("prev_timestamp", "<i8"),
        ("agg_price", "<i8"), ("agg_conf", "<u8"), ("agg_status", "<u4"),
        ("agg_corp_act", "<u4"), ("agg_pub_slot", "<u8"),
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PythPrice:
    """A decoded Pyth v2 price account.

    Attributes:
        expo: decimal exponent of every price and confidence below.
        price_raw / conf_raw: the aggregate price and confidence as integers.
        status: aggregate status; use the price only when TRADING.
        pub_slot: slot the aggregate was published in.
        ema_price_raw / ema_conf_raw: exponential moving averages, same exponent.
        timestamp_s: unix seconds of the last update.
        num_components: publishers contributing.
        product: the product account (symbol and metadata).
    """

    expo: int
    price_raw: int
    conf_raw: int
    status: PythPriceStatus
    pub_slot: int
    ema_price_raw: int
    ema_conf_raw: int
    timestamp_s: int
    num_components: int
    product: Pubkey

    @property
    def price(self) -> Decimal:
        """Aggregate price in human units."""
        return Decimal(self.price_raw).scaleb(self.expo)

    @property
    def conf(self) -> Decimal:
        """Aggregate confidence (one standard deviation-like band) in human units."""
        return Decimal(self.conf_raw).scaleb(self.expo)


@dataclass(frozen=True, slots=True, kw_only=True)
class PythProduct:
    """A decoded Pyth product account: its first price account and text attributes."""

    price_account: Pubkey
    attrs: dict[str, str]


def _header(data: bytes, want_type: int, what: str) -> int:
    if len(data) < 16:
        raise SchemaError(f"Pyth {what} account has {len(data)} bytes; a header needs 16.",
                          source="pyth")
    magic, ver, atype, size = np.frombuffer(data[:16], dtype="<u4")
    if magic != PYTH_MAGIC or ver != 2 or atype != want_type:
        raise SchemaError(
            f"Not a Pyth v2 {what} account: magic={int(magic):#x} version={int(ver)} "
            f"type={int(atype)} (want {PYTH_MAGIC:#x}, 2, {want_type}).",
            source="pyth",
        )
    return int(size)


def decode_pyth_price(data: bytes) -> PythPrice:
    """Decode a Pyth v2 price account.

    Raises:
        SchemaError: not a v2 price account, or too short.
    """
    _header(data, _TYPE_PRICE, "price")
    r = as_records(data, PYTH_PRICE_DTYPE, what="pyth_price")[0]
    return PythPrice(
        expo=int(r["expo"]),
        price_raw=int(r["agg_price"]),
        conf_raw=int(r["agg_conf"]),
        status=PythPriceStatus(int(r["agg_status"])) if int(r["agg_status"]) <= 4
        else PythPriceStatus.UNKNOWN,
        pub_slot=int(r["agg_pub_slot"]),
        ema_price_raw=int(r["ema_price_val"]),
        ema_conf_raw=int(r["ema_conf_val"]),
        timestamp_s=int(r["timestamp"]),
        num_components=int(r["num"]),
        product=pubkey(r["product"]),
    )


def decode_pyth_product(data: bytes) -> PythProduct:
    """Decode a Pyth v2 product account (length-prefixed key/value strings after the header).

    Raises:
        SchemaError: not a v2 product account, or its attribute strings are cut short.
    """
    size = _header(data, _TYPE_PRODUCT, "product")
    if len(data) < 48:
        raise SchemaError(f"Pyth product account has {len(data)} bytes; need 48.", source="pyth")
    body = data[48:min(size, len(data))]
    attrs: dict[str, str] = {}
    pos = 0
    items: list[str] = []
    while pos < len(body):
        n = body[pos]
        chunk = body[pos + 1 : pos + 1 + n]
        if len(chunk) != n:
            raise SchemaError(
                f"Pyth product attribute at byte {48 + pos} claims {n} bytes, only "
                f"{len(chunk)} left.", source="pyth")
        items.append(chunk.decode("utf-8", errors="replace"))
        pos += 1 + n
    for key, value in zip(items[::2], items[1::2], strict=False):
        attrs[key] = value
    return PythProduct(price_account=Pubkey.from_bytes(data[16:48]), attrs=attrs)


def decode_pyth_mapping(data: bytes) -> list[Pubkey]:
    """Product account keys listed by a Pyth v2 mapping account.

    Raises:
        SchemaError: not a v2 mapping account.
    """
    _header(data, _TYPE_MAPPING, "mapping")
    num = int(np.frombuffer(data[16:20], dtype="<u4")[0])
    start = 56  # header, num, unused, next mapping key
    return [Pubkey.from_bytes(data[start + 32 * i : start + 32 * (i + 1)]) for i in range(num)]
