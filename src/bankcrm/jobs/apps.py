from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class JobsConfig(AppConfig):
    name = "bankcrm.jobs"
    label = "jobs"
    verbose_name = _("Jobs")
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        # Tasks carry ids of what they work on, never personal data; an error message may quote
        # a value from a file, so it counts as free text.
        "JobRun": ModelInventory(
            Subject.STAFF,
            {"arguments": C.EMBEDDED, "error": C.FREE_TEXT, "result": C.EMBEDDED},
            reviewed(
                "task_id",
                "task_name",
                "kind",
                "key",
                "queue",
                "state",
                "queued_at",
                "started_at",
                "finished_at",
                "attempts",
                "worker",
                "progress",
            ),
        ),
    }

    def ready(self) -> None:
        # Every app's tasks registered in every process (web, worker, beat, commands), so a
        # job can be sent, run again or run now by its name.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
