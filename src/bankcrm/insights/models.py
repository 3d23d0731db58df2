"""Summaries the dashboards read instead of scanning every balance snapshot."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bankcrm.core.models import Branch


class AumMonthly(models.Model):
    """Month-end AUM of the customers each (branch, RM) looks after now.

    Rebuilt from `BalanceSnapshot` by `insights.services.dashboard_summaries_refresh` after every
    load of balances (demo, import), so a dashboard sums a few thousand rows, not millions.
    """

    month = models.DateField(_("month"))
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    aum = models.DecimalField(_("AUM"), max_digits=20, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("monthly AUM summary")
        verbose_name_plural = _("monthly AUM summaries")
        indexes = [models.Index(fields=["month"], name="aum_monthly_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.branch_id}/{self.rm_id}: {self.aum}"


class HoldingsSummary(models.Model):
    """Per (branch, RM): customers holding any open product and their distinct products.

    Rebuilt with `AumMonthly`; the dashboard's products-per-customer ratio reads it.
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    customers = models.PositiveIntegerField(_("customers with holdings"))
    holdings = models.PositiveIntegerField(_("distinct products held"))

    class Meta:
        verbose_name = _("holdings summary")
        verbose_name_plural = _("holdings summaries")

    def __str__(self) -> str:
        return f"{self.branch_id}/{self.rm_id}: {self.holdings}/{self.customers}"
