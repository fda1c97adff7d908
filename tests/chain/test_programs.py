import pytest
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer
from spl.token.constants import TOKEN_PROGRAM_ID as SPL_TOKEN
from spl.token.instructions import get_associated_token_address
from spl.token.instructions import transfer_checked as spl_transfer_checked
from spl.token.models import TransferCheckedParams

from workbench.chain import programs as p


def test_transfer_checked_matches_solana_py():
    """Hand-built TransferChecked is byte-identical to solana-py's builder."""
    a, m, b, o = (Keypair().pubkey() for _ in range(4))
    ours = p.transfer_checked_ix(source=a, mint=m, destination=b, owner=o, amount_raw=123456789,
                                 decimals=6)
    theirs = spl_transfer_checked(TransferCheckedParams(
        program_id=SPL_TOKEN, source=a, mint=m, dest=b, owner=o, amount=123456789, decimals=6))
    assert ours == theirs


def test_compute_budget_and_system_match_solders():
    """Compute budget and system transfer bytes equal solders' builders."""
    assert p.set_compute_unit_limit_ix(300_000) == set_compute_unit_limit(300_000)
    assert p.set_compute_unit_price_ix(12_345) == set_compute_unit_price(12_345)
    a, b = Keypair().pubkey(), Keypair().pubkey()
    assert p.system_transfer_ix(source=a, destination=b, lamports=42) == transfer(
        TransferParams(from_pubkey=a, to_pubkey=b, lamports=42))


def test_ata_address_matches_spl():
    """The ATA derivation equals spl-token's."""
    o, m = Keypair().pubkey(), Keypair().pubkey()
    assert p.associated_token_address(o, m) == get_associated_token_address(o, m)


@pytest.mark.parametrize("text", ["wb-18c-abcdef", "ünïcode"])
def test_memo_bytes(text):
    """The memo instruction carries the UTF-8 text to the Memo v2 program."""
    ix = p.memo_ix(text)
    assert ix.program_id == p.MEMO_PROGRAM_ID and bytes(ix.data) == text.encode()
