"""Display names of the segments and stages the analytics package computes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SEGMENTS = {
    "champions": _("Champions"),
    "loyal": _("Loyal"),
    "new": _("New"),
    "potential": _("Potential"),
    "cannot_lose": _("Cannot lose"),
    "at_risk": _("At risk"),
    "needs_attention": _("Needs attention"),
    "hibernating": _("Hibernating"),
    "lost": _("Lost"),
    "other": _("Other"),
}
# Churn probability bands (over the run's horizon): lower bound, highest first.
CHURN_BANDS = {
    "high": (0.20, _("High")),
    "elevated": (0.05, _("Elevated")),
    "low": (0.0, _("Low")),
}
LIFE_STAGES = {
    "starter": _("Young starter"),
    "builder": _("Family builder"),
    "established": _("Established"),
    "pre_retirement": _("Pre-retirement"),
    "retired": _("Retired"),
    "unknown": _("Unknown"),
}
STAGES = {
    "new": _("New"),
    "growing": _("Growing"),
    "mature": _("Mature"),
    "declining": _("Declining"),
    "dormant": _("Dormant"),
    "churned": _("Churned"),
}
# The churn model's features as the model report names them.
FEATURES = {
    "recency_days": _("Days since the last transaction"),
    "frequency_12m": _("Transactions, last 12 months"),
    "monetary_12m": _("Amount moved, last 12 months"),
    "aum": _("AUM"),
    "aum_change_6m": _("AUM change, 6 months"),
    "balance_volatility": _("Balance volatility"),
    "products": _("Products held"),
    "closed_accounts_6m": _("Accounts closed, 6 months"),
    "digital_share_change": _("Change in digital channel use"),
    "salary_stopped": _("Salary stopped arriving"),
    "interactions_6m": _("Contacts with the bank, 6 months"),
    "tenure_months": _("Months as a customer"),
    "age": _("Age"),
    "txn_3m": _("Transactions, last 3 months"),
    "txn_trend": _("Transaction trend"),
    "kind": _("Individual or company"),
    "points_earned_6m": _("Loyalty points earned, 6 months"),
    "points_redeemed_6m": _("Loyalty points redeemed, 6 months"),
    "loyalty_tier_rank": _("Loyalty tier"),
}


def feature_label(name: str) -> str:
    """A feature's display name; an unknown one with its underscores as spaces."""
    return str(FEATURES.get(name, name.replace("_", " ")))
