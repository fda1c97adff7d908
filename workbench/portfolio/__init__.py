"""Pure accounting: fills -> positions, cash, PnL (USD and SOL), equity; rebalancing; and
reconciliation of the ledger against the chain.

Example:
    >>> from workbench.portfolio import Portfolio
    >>> book = Portfolio(cash={"USDC": Decimal(1000)}, marks={"SOL": Decimal(150)})
    >>> book.apply_fills(fills); book.set_marks({"SOL": Decimal(160)})
    >>> book.positions_frame()
"""

from workbench.portfolio.book import NUMERAIRE, Portfolio, PortfolioState, Position, replay_equity
from workbench.portfolio.rebalance import RebalancePlan, plan_rebalance
from workbench.portfolio.reconcile import RECONCILE_STATUS_DESC, reconcile

__all__ = [
    "NUMERAIRE",
    "RECONCILE_STATUS_DESC",
    "Portfolio",
    "PortfolioState",
    "Position",
    "RebalancePlan",
    "plan_rebalance",
    "reconcile",
    "replay_equity",
]
