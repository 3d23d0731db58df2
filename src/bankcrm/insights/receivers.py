"""What insights does when the apps below it announce a change: connected in ``apps.ready``."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.signals import import_committed
from bankcrm.ingest.specs import Kind
from bankcrm.insights.services import dashboard_summaries_refresh


@receiver(import_committed, sender=ImportRun, dispatch_uid="insights.summaries_after_import")
def summaries_refresh_after_import(
    sender: type[ImportRun], *, kind: Kind, created: int, updated: int, **kwargs: Any
) -> None:
    """An import that created or changed rows the dashboard summaries are built from."""
    if kind.refresh_summaries and (created or updated):
        dashboard_summaries_refresh()
