"""Ground truth of the synthetic bank: the hidden behaviour path of each demo customer.

No scoring code reads this table; it exists so later models can be checked against it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BehaviourPath(models.TextChoices):
    NEW = "new", _("New")
    GROWING = "growing", _("Growing")
    STABLE = "stable", _("Stable")
    DECLINING = "declining", _("Declining then leaving")
    DORMANT = "dormant", _("Dormant")


class CustomerTruth(models.Model):
    customer_id = models.BigIntegerField(primary_key=True)
    path = models.CharField(max_length=10, choices=BehaviourPath.choices)
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("demo ground truth")
        verbose_name_plural = _("demo ground truth")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.path}"
