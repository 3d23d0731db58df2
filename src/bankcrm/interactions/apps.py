from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class InteractionsConfig(AppConfig):
    name = "bankcrm.interactions"
    label = "interactions"
    verbose_name = _("Interactions")
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "Interaction": ModelInventory(
            Subject.CUSTOMER,
            {
                "kind": C.PROFILE,
                "occurred_at": C.ACTIVITY,
                "subject": C.FREE_TEXT,
                "notes": C.FREE_TEXT,
            },
            reviewed("external_id", "created_at"),
        ),
        "Task": ModelInventory(
            Subject.CUSTOMER,
            {
                "title": C.FREE_TEXT,
                "notes": C.FREE_TEXT,
                "due_on": C.PROFILE,
                "remind_on": C.PROFILE,
            },
            reviewed("status", "created_at", "completed_at", "version", "source"),
        ),
    }
