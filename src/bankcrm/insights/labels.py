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
