"""Who may look at the dashboard and who may act: password hashes, roles, the login handler.

Passwords are never stored: ``settings.dashboard.users`` maps a user name to a hash made by
``workbench dashboard hash PASSWORD``. Two formats verify:

- ``$argon2id$v=19$m=...`` (argon2-cffi, the default for new hashes), and
- ``pbkdf2_sha256$<iterations>$<salt b64>$<digest b64>`` (hashlib only, Django's layout).

Panel's own ``BasicAuthProvider`` compares plain passwords, so :class:`HashedAuthProvider`
keeps its login page and cookies but swaps the check for :func:`verify_password`. A user not in
``users`` still costs one hash, so response time does not tell which names exist.

Roles: a user in ``readonly_users`` is :attr:`Role.READONLY` (sees everything, changes
nothing); any other configured user is :attr:`Role.OPERATOR`. With no users configured the
server binds to 127.0.0.1 only and the local user is an operator.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from workbench.config import DashboardSettings
from workbench.errors import ConfigError

__all__ = [
    "LOCAL_USER",
    "PBKDF2_ITERATIONS",
    "HashedAuthProvider",
    "Role",
    "hash_password",
    "role_for",
    "user_hashes",
    "verify_password",
]

#: The actor recorded for control actions when no users are configured (localhost only).
LOCAL_USER = "local"

#: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
PBKDF2_ITERATIONS = 600_000

# A real hash to burn time on when the user name is unknown (timing does not reveal names).
_DUMMY_PBKDF2 = "pbkdf2_sha256$600000$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="


class Role(enum.StrEnum):
    """What a dashboard user may do."""

    OPERATOR = "operator"
    READONLY = "readonly"
    ANONYMOUS = "anonymous"

    @property
    def can_act(self) -> bool:
        """True when control actions (stop, limits, kill) are allowed."""
        return self is Role.OPERATOR


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, *, scheme: str = "argon2") -> str:
    """Hash a password for ``settings.dashboard.users``.

    Args:
        password: the plain password (not stored anywhere).
        scheme: ``argon2`` (argon2id, needs argon2-cffi) or ``pbkdf2`` (hashlib only).

    Returns:
        The encoded hash, self-describing (scheme, cost and salt inside).

    Raises:
        ConfigError: empty password or unknown scheme.
    """
    if not password:
        raise ConfigError("An empty password cannot be hashed; choose a real one.")
    if scheme == "pbkdf2":
        salt = secrets.token_bytes(16)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)
        return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${_b64(salt)}${_b64(digest)}"
    if scheme == "argon2":
        from argon2 import PasswordHasher

        return PasswordHasher().hash(password)
    raise ConfigError(f"Unknown password hash scheme {scheme!r}; use 'argon2' or 'pbkdf2'.")


def _verify_pbkdf2(encoded: str, password: str) -> bool:
    try:
        _, iterations, salt_b64, digest_b64 = encoded.split("$")
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        rounds = int(iterations)
    except ValueError:
        return False
    if rounds < 1:
        return False
    actual = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds)
    return hmac.compare_digest(actual, expected)


def verify_password(encoded: str, password: str) -> bool:
    """True when ``password`` matches ``encoded`` (argon2id or pbkdf2_sha256); never raises.

    A malformed or unknown hash verifies nothing: a typo in the config locks that user out
    rather than letting anyone in.
    """
    if encoded.startswith("pbkdf2_sha256$"):
        return _verify_pbkdf2(encoded, password)
    if encoded.startswith("$argon2"):
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error, InvalidHashError

        try:
            return bool(PasswordHasher().verify(encoded, password))
        except (Argon2Error, InvalidHashError):
            return False
    return False


def user_hashes(settings: DashboardSettings) -> dict[str, str]:
    """User name -> hash from the settings, checked for readonly names that have no hash.

    Raises:
        ConfigError: a readonly user is not among ``users``, or a hash is in no known format
            (a plain password pasted in by mistake would otherwise never match).
    """
    users = {name: secret.get_secret_value() for name, secret in settings.users.items()}
    unknown = sorted(set(settings.readonly_users) - set(users))
    if unknown:
        raise ConfigError(
            f"dashboard.readonly_users names {unknown}, who are not in dashboard.users; add a "
            "password hash for them (`workbench dashboard hash PASSWORD`) or remove them.",
            setting="dashboard.readonly_users",
        )
    for name, encoded in users.items():
        if not encoded.startswith(("pbkdf2_sha256$", "$argon2")):
            raise ConfigError(
                f"dashboard.users[{name!r}] is not a password hash (expected $argon2id$... or "
                "pbkdf2_sha256$...); make one with `workbench dashboard hash PASSWORD`.",
                setting=f"dashboard.users.{name}",
            )
    return users


def role_for(user: str | None, settings: DashboardSettings) -> Role:
    """The role of ``user`` (``pn.state.user``) under ``settings``.

    With no users configured the dashboard is local-only and everyone local is an operator;
    with users configured, a session without a logged-in user (e.g. ``panel serve`` run
    without the auth provider) may look but not act.
    """
    if not settings.users:
        return Role.OPERATOR
    if not user or user not in settings.users:
        return Role.ANONYMOUS
    if user in settings.readonly_users:
        return Role.READONLY
    return Role.OPERATOR


def _provider_classes() -> tuple[type[Any], type[Any]]:
    """Panel's provider and login handler (imported lazily: panel is heavy)."""
    from panel.auth import BasicAuthProvider, BasicLoginHandler

    return BasicAuthProvider, BasicLoginHandler


def make_auth_provider(users: Mapping[str, str], **kwargs: Any) -> Any:
    """A Panel auth provider whose login page checks ``users`` (name -> hash).

    Args:
        users: user name -> encoded hash, as from :func:`user_hashes`.
        **kwargs: passed to Panel's ``BasicAuthProvider`` (login_endpoint, templates...).
    """
    base_provider, base_handler = _provider_classes()
    frozen = dict(users)

    class _LoginHandler(base_handler):  # type: ignore[misc, valid-type]
        def _validate(self, username: str, password: str) -> bool:
            encoded = frozen.get(username)
            if encoded is None:
                verify_password(_DUMMY_PBKDF2, password)
                return False
            return verify_password(encoded, password)

    class _Provider(base_provider):  # type: ignore[misc, valid-type]
        @property
        def login_handler(self) -> type[Any]:
            # a subclass per provider: Panel's own property mutates the shared base class
            _LoginHandler._login_endpoint = self._login_endpoint
            _LoginHandler._login_template = self._login_template
            return _LoginHandler

    provider = _Provider(**kwargs)
    if "login_template" not in kwargs:
        import jinja2

        # Panel's page loads its logo from a CDN, which fails (and logs an error) offline
        provider._login_template = jinja2.Environment(autoescape=True).from_string(LOGIN_HTML)
    return provider


LOGIN_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Workbench login</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {font-family: system-ui, sans-serif; background: #f6f8fa; margin: 0}
form {max-width: 320px; margin: 12vh auto; background: #fff; padding: 24px 28px;
      border: 1px solid #d0d7de; border-radius: 8px}
input {width: 100%; box-sizing: border-box; margin: 6px 0 12px; padding: 8px}
button {width: 100%; padding: 9px; background: #0969da; color: #fff; border: 0;
        border-radius: 6px; font-weight: 600}
.error {color: #cf222e; font-weight: 600; min-height: 1em}
</style></head>
<body><form class="login-form" action=".{{ login_endpoint }}" method="post">
<h3>Solana Trading Workbench</h3>
<p class="error" data-testid="login-error">{{ errormessage }}</p>
<label>User <input name="username" type="text" autocapitalize="off" autocorrect="off"
  autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Log in</button>
</form></body></html>
"""


#: Alias for the factory, named like the Panel class it builds.
HashedAuthProvider = make_auth_provider
