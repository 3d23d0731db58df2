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


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class AnalyticsRun(models.Model):
    """One run of every model over every customer, with its settings and evaluation."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    as_of = models.DateField(_("as of"))
    model_version = models.CharField(_("model version"), max_length=40)
    parameters = models.JSONField(_("parameters"), default=dict)
    metrics = models.JSONField(_("metrics"), default=dict)
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("analytics run")
        verbose_name_plural = _("analytics runs")

    def __str__(self) -> str:
        return f"run {self.pk} ({self.as_of}, {self.status})"


class CustomerScore(models.Model):
    """A customer's scores from one run; earlier runs' rows are kept as history."""

    run = models.ForeignKey(AnalyticsRun, on_delete=models.CASCADE, related_name="scores")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="scores"
    )
    recency_days = models.IntegerField(_("days since last transaction"), null=True)
    rfm = models.CharField(_("RFM score"), max_length=3, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=20, blank=True)
    tier = models.CharField(_("tier"), max_length=10, blank=True)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=10, blank=True)
    life_stage = models.CharField(_("life stage"), max_length=16, blank=True)
    cluster = models.SmallIntegerField(_("behaviour cluster"), null=True)
    p_alive = models.FloatField(_("P(alive)"), null=True)
    clv = models.DecimalField(_("CLV"), max_digits=18, decimal_places=2, null=True)
    churn_probability = models.FloatField(_("churn probability"), null=True)
    value_at_risk = models.DecimalField(
        _("value at risk"), max_digits=18, decimal_places=2, null=True
    )
    churn_reasons = models.JSONField(_("churn reasons"), default=list)
    recommendations = models.JSONField(_("recommendations"), default=list)

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="score_run_customer"),
        ]
        indexes = [
            models.Index(fields=["customer", "run"], name="score_customer_run"),
            models.Index(fields=["run", "value_at_risk"], name="score_run_var"),
            models.Index(fields=["run", "rfm_segment"], name="score_run_segment"),
            models.Index(fields=["run", "lifecycle_stage"], name="score_run_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in run {self.run_id}"


# A customer's scores as the API and the writer of a run list them, in this order.
SCORE_FIELDS = (
    "rfm",
    "rfm_segment",
    "tier",
    "lifecycle_stage",
    "life_stage",
    "cluster",
    "p_alive",
    "clv",
    "churn_probability",
    "value_at_risk",
    "churn_reasons",
    "recommendations",
)


class LifecycleTransition(models.Model):
    """A customer moving between lifecycle stages, as seen by a run."""

    run = models.ForeignKey(AnalyticsRun, on_delete=models.CASCADE, related_name="transitions")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="lifecycle_transitions"
    )
    from_stage = models.CharField(_("from"), max_length=10, blank=True)
    to_stage = models.CharField(_("to"), max_length=10)
    on = models.DateField(_("on"))

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("lifecycle transition")
        verbose_name_plural = _("lifecycle transitions")
        indexes = [models.Index(fields=["to_stage", "on"], name="transition_to_on")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage} → {self.to_stage}"
