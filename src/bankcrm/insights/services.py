"""Writes of the insights app: rebuilding the dashboard summaries."""

from __future__ import annotations

from django.db import connection, transaction

from bankcrm.banking.models import Account, AccountStatus, BalanceSnapshot
from bankcrm.customers.models import Customer, CustomerStatus
from bankcrm.insights.models import AumMonthly, HoldingsSummary


@transaction.atomic
def dashboard_summaries_refresh() -> int:
    """Rebuild the dashboard summaries with set-based SQL; returns the `AumMonthly` rows."""
    summary = AumMonthly._meta.db_table
    snap = BalanceSnapshot._meta.db_table
    cust = Customer._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {summary}")  # noqa: S608 (table names are ours)
        cur.execute(
            f"INSERT INTO {summary} (month, branch_id, rm_id, aum) "  # noqa: S608
            f"SELECT s.month, c.branch_id, c.rm_id, SUM(s.balance) FROM {snap} s "
            f"JOIN {cust} c ON c.id = s.customer_id WHERE s.counts_to_aum "
            "GROUP BY s.month, c.branch_id, c.rm_id"
        )
        rows = cur.rowcount
        holdings = HoldingsSummary._meta.db_table
        account = Account._meta.db_table
        cur.execute(f"DELETE FROM {holdings}")  # noqa: S608
        cur.execute(
            f"INSERT INTO {holdings} (branch_id, rm_id, customers, holdings) "  # noqa: S608
            "SELECT c.branch_id, c.rm_id, COUNT(*), SUM(p.n) FROM ("
            f"  SELECT customer_id, COUNT(DISTINCT product_id) AS n FROM {account}"
            "   WHERE status <> %s GROUP BY customer_id"
            f") p JOIN {cust} c ON c.id = p.customer_id WHERE c.status <> %s "
            "GROUP BY c.branch_id, c.rm_id",
            [AccountStatus.CLOSED, CustomerStatus.CLOSED],
        )
        return rows
