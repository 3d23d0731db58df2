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
STAGES = {
    "new": _("New"),
    "growing": _("Growing"),
    "mature": _("Mature"),
    "declining": _("Declining"),
    "dormant": _("Dormant"),
    "churned": _("Churned"),
}
