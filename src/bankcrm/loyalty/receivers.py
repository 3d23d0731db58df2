"""What loyalty does when the apps below it announce a change: connected in ``apps.ready``."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from bankcrm.customers.models import Customer
from bankcrm.customers.signals import customer_merged
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.signals import import_committed
from bankcrm.ingest.specs import Kind


@receiver(import_committed, sender=ImportRun, dispatch_uid="loyalty.earn_after_import")
def earn_after_import(sender: type[ImportRun], *, kind: Kind, created: int, **kwargs: Any) -> None:
    """New transactions landed: earning runs over them as a job."""
    if kind.name != "transactions" or not created:
        return
    from bankcrm.jobs.engine import enqueue
    from bankcrm.loyalty.models import Programme
    from bankcrm.loyalty.tasks import earn_transactions_task

    if Programme.objects.filter(is_active=True).exists():
        enqueue(earn_transactions_task, actor=getattr(kwargs.get("run"), "created_by", None))


@receiver(customer_merged, sender=Customer, dispatch_uid="loyalty.fold_members_after_merge")
def fold_members_after_merge(sender: type[Customer], *, survivor: Customer, **kwargs: Any) -> None:
    from bankcrm.loyalty.services import members_merge

    members_merge(survivor=survivor)
