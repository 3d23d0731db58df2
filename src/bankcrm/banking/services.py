"""Writes to holdings: keeping each customer's AUM current."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from bankcrm.banking.aum import aum_accounts_q
from bankcrm.banking.models import Account
from bankcrm.customers.models import Customer


def customer_refresh_aum(*, customer: Customer) -> Decimal:
    """Recompute a customer's AUM from their open deposit and investment accounts."""
    total = Account.objects.filter(aum_accounts_q(), customer=customer).aggregate(s=Sum("balance"))[
        "s"
    ] or Decimal("0")
    Customer.objects.filter(pk=customer.pk).update(aum=total)
    customer.aum = total
    return total
