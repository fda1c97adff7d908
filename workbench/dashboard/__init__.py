"""The Panel dashboard: live monitoring and control of the engine through the store.

The dashboard reads the ledger and the engine's published state, and acts only by queueing
control commands (``ledger.submit_command``) that the engine applies; it never signs or
sends anything. Modules: ``auth`` (password hashes, roles, login), ``queries`` (what each page
shows, as frames), ``control`` (role-checked, audited commands), ``pages`` and ``app`` (Panel
layout), ``server`` (:func:`serve_dashboard`).
"""

from workbench.dashboard.auth import Role, hash_password, role_for, verify_password
from workbench.dashboard.context import DashboardContext, open_context
from workbench.dashboard.control import COMMANDS, KILL_CONFIRMATION, Controller, ControlRefused
from workbench.dashboard.server import DashboardServer, serve_dashboard

__all__ = [
    "COMMANDS",
    "KILL_CONFIRMATION",
    "ControlRefused",
    "Controller",
    "DashboardContext",
    "DashboardServer",
    "Role",
    "hash_password",
    "open_context",
    "role_for",
    "serve_dashboard",
    "verify_password",
]
