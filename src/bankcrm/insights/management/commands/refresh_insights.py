"""Rebuild the dashboard summaries after balances were loaded."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bankcrm.insights.services import dashboard_summaries_refresh


class Command(BaseCommand):
    help = "Rebuild the monthly AUM summary the dashboards read."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = dashboard_summaries_refresh()
        self.stdout.write(f"monthly AUM summary rebuilt: {rows} rows")
