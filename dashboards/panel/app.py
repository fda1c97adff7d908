"""The workbench dashboard: ``panel serve dashboards/panel/app.py`` or ``workbench dashboard``.

Layout only; the pages live in ``workbench.dashboard``. Served by ``panel serve`` it has no
login, so when users are configured it shows everything with controls disabled; use
``workbench dashboard serve`` for login and control.
"""

import panel as pn

from workbench.config import load_settings
from workbench.dashboard.app import build_app

# build_app loads Panel's extensions itself (Tabulator only when the first page needs it)
dashboard = build_app(load_settings())
dashboard.servable(title="Solana Trading Workbench")

if __name__ == "__main__":
    pn.serve(dashboard, address="127.0.0.1", show=True, title="Solana Trading Workbench")
