"""Writes of the insights app: rebuilding the dashboard summaries."""

from __future__ import annotations

from django.db import connection, transaction

from bankcrm.banking.models import BalanceSnapshot
from bankcrm.customers.models import Customer
from bankcrm.insights.models import AumMonthly


@transaction.atomic
def aum_monthly_refresh() -> int:
    """Rebuild `AumMonthly` from the snapshots in one set-based statement; returns its rows."""
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
        return cur.rowcount
