from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class DemoConfig(AppConfig):
    name = "bankcrm.demo"
    label = "demo"
    verbose_name = _("Demo")
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "CustomerTruth": ModelInventory(
            # Synthetic: the hidden behaviour of a demo customer.
            Subject.CUSTOMER,
            {"path": C.PROFILE, "left_on": C.PROFILE},
            reviewed("customer_id"),
        ),
    }
