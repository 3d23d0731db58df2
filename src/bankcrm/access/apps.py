from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class AccessConfig(AppConfig):
    """Who gets in and how: log-in and lock-out, two-factor, sessions, API tokens, and the
    security and audit-trail pages."""

    name = "bankcrm.access"
    label = "access"
    verbose_name = _("Access")
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "ApiToken": ModelInventory(
            Subject.STAFF,
            {
                "name": C.FREE_TEXT,
                "prefix": C.CREDENTIAL,
                "key_hash": C.CREDENTIAL,
                "last_used_at": C.ACTIVITY,
            },
            reviewed("created_at", "expires_at", "revoked_at"),
        ),
    }

    def ready(self) -> None:
        from bankcrm.access import signals  # noqa: F401
