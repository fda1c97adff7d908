"""Program ids and hand-built instruction bytes for the few instructions the workbench sends.

Why by hand: solana-py's SPL builders validate and copy through Python objects and are ~15x
slower than packing the bytes with ``struct``; on the hot path (one swap = compute budget + two
transfers + memo) that is most of our own latency. Each layout below is the program's documented
wire format (SPL Token ``instruction.rs``, ComputeBudget, System, Memo v2), and the tests check
them byte for byte against solana-py/solders builders and on LiteSVM.
"""

from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

__all__ = [
    "ADDRESS_LOOKUP_TABLE_PROGRAM_ID",
    "ASSOCIATED_TOKEN_PROGRAM_ID",
    "COMPUTE_BUDGET_PROGRAM_ID",
    "MEMO_PROGRAM_ID",
    "NATIVE_MINT",
    "SYSTEM_PROGRAM_ID",
    "TOKEN_2022_PROGRAM_ID",
    "TOKEN_PROGRAM_ID",
    "associated_token_address",
    "burn_checked_ix",
    "create_account_ix",
    "create_ata_idempotent_ix",
    "create_lookup_table_ix",
    "extend_lookup_table_ix",
    "initialize_account3_ix",
    "initialize_mint2_ix",
    "memo_ix",
    "mint_to_checked_ix",
    "set_compute_unit_limit_ix",
    "set_compute_unit_price_ix",
    "sync_native_ix",
    "system_transfer_ix",
    "transfer_checked_ix",
]

SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
COMPUTE_BUDGET_PROGRAM_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
NATIVE_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")
ADDRESS_LOOKUP_TABLE_PROGRAM_ID = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")

_U8_U64 = struct.Struct("<BQ")
_U8_U64_U8 = struct.Struct("<BQB")
_U8_U32 = struct.Struct("<BI")
_U32_U64 = struct.Struct("<IQ")


def associated_token_address(
    owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID
) -> Pubkey:
    """The associated token account of ``owner`` for ``mint`` (a PDA of the ATA program)."""
    return Pubkey.find_program_address(
        [bytes(owner), bytes(token_program), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM_ID
    )[0]


def transfer_checked_ix(
    *,
    source: Pubkey,
    mint: Pubkey,
    destination: Pubkey,
    owner: Pubkey,
    amount_raw: int,
    decimals: int,
    token_program: Pubkey = TOKEN_PROGRAM_ID,
) -> Instruction:
    """SPL Token ``TransferChecked`` (tag 12): amount u64, decimals u8."""
    return Instruction(
        token_program,
        _U8_U64_U8.pack(12, amount_raw, decimals),
        [
            AccountMeta(source, False, True),
            AccountMeta(mint, False, False),
            AccountMeta(destination, False, True),
            AccountMeta(owner, True, False),
        ],
    )


def mint_to_checked_ix(
    *, mint: Pubkey, destination: Pubkey, authority: Pubkey, amount_raw: int, decimals: int,
    token_program: Pubkey = TOKEN_PROGRAM_ID,
) -> Instruction:
    """SPL Token ``MintToChecked`` (tag 14)."""
    return Instruction(
        token_program,
        _U8_U64_U8.pack(14, amount_raw, decimals),
        [
            AccountMeta(mint, False, True),
            AccountMeta(destination, False, True),
            AccountMeta(authority, True, False),
        ],
    )


def burn_checked_ix(
    *, account: Pubkey, mint: Pubkey, owner: Pubkey, amount_raw: int, decimals: int,
    token_program: Pubkey = TOKEN_PROGRAM_ID,
) -> Instruction:
    """SPL Token ``BurnChecked`` (tag 15)."""
    return Instruction(
        token_program,
        _U8_U64_U8.pack(15, amount_raw, decimals),
        [
            AccountMeta(account, False, True),
            AccountMeta(mint, False, True),
            AccountMeta(owner, True, False),
        ],
    )


def initialize_mint2_ix(
    *, mint: Pubkey, decimals: int, mint_authority: Pubkey,
    freeze_authority: Pubkey | None = None, token_program: Pubkey = TOKEN_PROGRAM_ID,
) -> Instruction:
    """SPL Token ``InitializeMint2`` (tag 20): no rent sysvar account needed."""
    data = bytes([20, decimals]) + bytes(mint_authority)
    data += (b"\x01" + bytes(freeze_authority)) if freeze_authority else b"\x00"
    return Instruction(token_program, data, [AccountMeta(mint, False, True)])


def initialize_account3_ix(
    *, account: Pubkey, mint: Pubkey, owner: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID
) -> Instruction:
    """SPL Token ``InitializeAccount3`` (tag 18): owner in the data."""
    return Instruction(
        token_program,
        bytes([18]) + bytes(owner),
        [AccountMeta(account, False, True), AccountMeta(mint, False, False)],
    )


def sync_native_ix(account: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID) -> Instruction:
    """SPL Token ``SyncNative`` (tag 17): set a wrapped-SOL account's amount from its lamports."""
    return Instruction(token_program, bytes([17]), [AccountMeta(account, False, True)])


def create_ata_idempotent_ix(
    *, payer: Pubkey, owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID
) -> Instruction:
    """Associated Token ``CreateIdempotent`` (tag 1): a no-op when the ATA exists."""
    ata = associated_token_address(owner, mint, token_program)
    return Instruction(
        ASSOCIATED_TOKEN_PROGRAM_ID,
        bytes([1]),
        [
            AccountMeta(payer, True, True),
            AccountMeta(ata, False, True),
            AccountMeta(owner, False, False),
            AccountMeta(mint, False, False),
            AccountMeta(SYSTEM_PROGRAM_ID, False, False),
            AccountMeta(token_program, False, False),
        ],
    )


def create_account_ix(
    *, payer: Pubkey, new_account: Pubkey, lamports: int, space: int, owner: Pubkey
) -> Instruction:
    """System ``CreateAccount`` (tag 0): lamports u64, space u64, owner."""
    return Instruction(
        SYSTEM_PROGRAM_ID,
        struct.pack("<IQQ", 0, lamports, space) + bytes(owner),
        [AccountMeta(payer, True, True), AccountMeta(new_account, True, True)],
    )


def system_transfer_ix(*, source: Pubkey, destination: Pubkey, lamports: int) -> Instruction:
    """System ``Transfer`` (tag 2, u32 LE) of ``lamports``."""
    return Instruction(
        SYSTEM_PROGRAM_ID,
        _U32_U64.pack(2, lamports),
        [AccountMeta(source, True, True), AccountMeta(destination, False, True)],
    )


def set_compute_unit_limit_ix(units: int) -> Instruction:
    """ComputeBudget ``SetComputeUnitLimit`` (tag 2, u32)."""
    return Instruction(COMPUTE_BUDGET_PROGRAM_ID, _U8_U32.pack(2, units), [])


def set_compute_unit_price_ix(micro_lamports: int) -> Instruction:
    """ComputeBudget ``SetComputeUnitPrice`` (tag 3, u64 micro-lamports per CU)."""
    return Instruction(COMPUTE_BUDGET_PROGRAM_ID, _U8_U64.pack(3, micro_lamports), [])


def memo_ix(text: str, signers: tuple[Pubkey, ...] = ()) -> Instruction:
    """Memo v2 carrying ``text`` (the client order id) in UTF-8."""
    return Instruction(
        MEMO_PROGRAM_ID, text.encode(), [AccountMeta(s, True, False) for s in signers]
    )


def _alt_accounts(table: Pubkey, authority: Pubkey, payer: Pubkey) -> list[AccountMeta]:
    return [AccountMeta(table, False, True), AccountMeta(authority, True, False),
            AccountMeta(payer, True, True), AccountMeta(SYSTEM_PROGRAM_ID, False, False)]


def create_lookup_table_ix(
    *, authority: Pubkey, payer: Pubkey, recent_slot: int
) -> tuple[Instruction, Pubkey]:
    """Address Lookup Table ``CreateLookupTable`` (u32 tag 0, recent_slot u64, bump u8).

    The table lives at the PDA of ``[authority, recent_slot LE]``; ``recent_slot`` must be in
    the SlotHashes sysvar (a slot from the last ~512), which makes the address unpredictable
    long in advance.

    Returns:
        The instruction and the table's address.
    """
    table, bump = Pubkey.find_program_address(
        [bytes(authority), struct.pack("<Q", recent_slot)], ADDRESS_LOOKUP_TABLE_PROGRAM_ID)
    return Instruction(ADDRESS_LOOKUP_TABLE_PROGRAM_ID, struct.pack("<IQB", 0, recent_slot, bump),
                       _alt_accounts(table, authority, payer)), table


def extend_lookup_table_ix(
    *, table: Pubkey, authority: Pubkey, payer: Pubkey, addresses: list[Pubkey]
) -> Instruction:
    """Address Lookup Table ``ExtendLookupTable`` (u32 tag 2, Vec<Pubkey> with u64 length).

    New addresses become usable one slot after the extension.
    """
    data = struct.pack("<IQ", 2, len(addresses)) + b"".join(bytes(a) for a in addresses)
    return Instruction(ADDRESS_LOOKUP_TABLE_PROGRAM_ID, data,
                       _alt_accounts(table, authority, payer))
