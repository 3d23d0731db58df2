"""Banking follows what other apps announce: a merged customer's AUM is their new holdings."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from bankcrm.banking.services import customer_refresh_aum
from bankcrm.customers.models import Customer
from bankcrm.customers.signals import customer_merged


@receiver(customer_merged, dispatch_uid="banking.refresh_aum_after_merge")
def _refresh_aum_after_merge(sender: Any, *, survivor: Customer, **kwargs: Any) -> None:
    customer_refresh_aum(customer=survivor)
