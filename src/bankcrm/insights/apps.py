from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class InsightsConfig(AppConfig):
    name = "bankcrm.insights"
    label = "insights"
    verbose_name = _("Insights")
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "AumMonthly": ModelInventory(
            # Totals per branch and RM: no customer's own figure.
            Subject.NONE,
            other=reviewed("month", "aum"),
        ),
        "HoldingsSummary": ModelInventory(Subject.NONE, other=reviewed("customers", "holdings")),
        "AnalyticsRun": ModelInventory(
            Subject.NONE,
            other=reviewed(
                "started_at",
                "finished_at",
                "status",
                "as_of",
                "model_version",
                "parameters",
                "metrics",
                "customers",
                "error",
            ),
        ),
        "CustomerScore": ModelInventory(
            Subject.CUSTOMER,
            {
                "recency_days": C.FINANCIAL,
                "rfm": C.PROFILE,
                "rfm_segment": C.PROFILE,
                "tier": C.PROFILE,
                "lifecycle_stage": C.PROFILE,
                "life_stage": C.PROFILE,
                "cluster": C.PROFILE,
                "p_alive": C.PROFILE,
                "clv": C.FINANCIAL,
                "churn_probability": C.PROFILE,
                "value_at_risk": C.FINANCIAL,
                "churn_reasons": C.PROFILE,
                "recommendations": C.PROFILE,
            },
        ),
        "LifecycleTransition": ModelInventory(
            Subject.CUSTOMER,
            {"from_stage": C.PROFILE, "to_stage": C.PROFILE, "on": C.PROFILE},
        ),
    }

    def ready(self) -> None:
        from bankcrm.insights import receivers  # noqa: F401
