from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class IngestConfig(AppConfig):
    name = "bankcrm.ingest"
    label = "ingest"
    verbose_name = _("Imports")
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "ImportRun": ModelInventory(
            Subject.STAFF,
            # Rejected rows carry the cells of a bank's files: any class of customer data.
            {"errors": C.EMBEDDED, "file_name": C.FREE_TEXT, "message": C.FREE_TEXT},
            reviewed(
                "kind",
                "file_sha256",
                "file_size",
                "dry_run",
                "max_errors",
                "mapping_name",
                "status",
                "channel",
                "created_at",
                "started_at",
                "finished_at",
                "pid",
                "detected",
                "rows_read",
                "created",
                "updated",
                "unchanged",
                "rejected",
            ),
        ),
    }
