"""Password hashes, roles and the settings checks behind the login."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from workbench.config import DashboardSettings
from workbench.dashboard.auth import (
    Role,
    hash_password,
    make_auth_provider,
    role_for,
    user_hashes,
    verify_password,
)
from workbench.errors import ConfigError


@pytest.mark.parametrize("scheme", ["argon2", "pbkdf2"])
def test_hash_verifies_only_the_right_password(scheme: str) -> None:
    """A hash verifies its password and no other; two hashes of one password differ (salt)."""
    encoded = hash_password("s3cret pass", scheme=scheme)
    assert "s3cret" not in encoded
    assert verify_password(encoded, "s3cret pass")
    assert not verify_password(encoded, "s3cret pas")
    assert not verify_password(encoded, "")
    assert encoded != hash_password("s3cret pass", scheme=scheme)


def test_pbkdf2_known_answer() -> None:
    """The pbkdf2 format is Django's layout over hashlib (checked against a fixed salt)."""
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", b"pw", salt, 1000)
    encoded = (f"pbkdf2_sha256$1000${base64.b64encode(salt).decode()}$"
               f"{base64.b64encode(digest).decode()}")
    assert verify_password(encoded, "pw")
    assert not verify_password(encoded, "pW")


@pytest.mark.parametrize("encoded", ["plain-password", "pbkdf2_sha256$x$y$z",
                                     "pbkdf2_sha256$0$AAAA$AAAA", "$argon2id$broken", ""])
def test_malformed_hash_never_verifies(encoded: str) -> None:
    """A malformed hash locks the user out instead of raising or letting anyone in."""
    assert not verify_password(encoded, "plain-password")


def test_hash_rejects_empty_password_and_unknown_scheme() -> None:
    """Empty passwords and unknown schemes are config errors naming the problem."""
    with pytest.raises(ConfigError, match="empty password"):
        hash_password("")
    with pytest.raises(ConfigError, match="Unknown password hash scheme 'md5'"):
        hash_password("x", scheme="md5")


def test_roles() -> None:
    """No users: everyone local operates; with users: readonly, operator, anonymous."""
    assert role_for(None, DashboardSettings()) is Role.OPERATOR
    s = DashboardSettings(users={"ana": hash_password("a", scheme="pbkdf2"),
                                 "bob": hash_password("b", scheme="pbkdf2")},
                          readonly_users=("bob",))
    assert role_for("ana", s) is Role.OPERATOR
    assert role_for("bob", s) is Role.READONLY
    assert role_for(None, s) is Role.ANONYMOUS
    assert role_for("mallory", s) is Role.ANONYMOUS
    assert [r.can_act for r in (Role.OPERATOR, Role.READONLY, Role.ANONYMOUS)] == [
        True, False, False]


def test_user_hashes_checks_the_settings() -> None:
    """A plain password in the config and a readonly user without a hash are config errors."""
    with pytest.raises(ConfigError, match=r"dashboard.users\['ana'\] is not a password hash"):
        user_hashes(DashboardSettings(users={"ana": "hunter2"}))
    with pytest.raises(ConfigError, match=r"readonly_users names \['bob'\]"):
        user_hashes(DashboardSettings(users={"ana": hash_password("a", scheme="pbkdf2")},
                                      readonly_users=("bob",)))


def test_login_handler_checks_hashes() -> None:
    """The provider's login handler accepts the hashed password and nothing else."""
    provider = make_auth_provider({"ana": hash_password("pw", scheme="pbkdf2")})
    handler_cls = provider.login_handler
    handler = handler_cls.__new__(handler_cls)
    assert handler._validate("ana", "pw")
    assert not handler._validate("ana", "PW")
    assert not handler._validate("bob", "pw")


def test_cli_hash_prints_a_verifiable_hash() -> None:
    """`workbench dashboard hash PASSWORD` prints a hash that verifies the password."""
    from workbench.cli import app

    out = CliRunner().invoke(app, ["dashboard", "hash", "tr0ub4dor", "--scheme", "pbkdf2"])
    assert out.exit_code == 0, out.output
    encoded = out.output.strip()
    assert encoded.startswith("pbkdf2_sha256$600000$")
    assert verify_password(encoded, "tr0ub4dor")
