"""`bankcrm restore PATH`: replace the database with a backup checked against its manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from bankcrm.core.backup import BackupError, backup_restore, restore_notes
from bankcrm.core.commands import command_language


class Command(BaseCommand):
    help = (
        "Restore the backup at PATH into the configured database after checking its SHA-256 "
        "against PATH.manifest.json, then compare every table's row count with the manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file (from bankcrm backup)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds customers or staff users",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--lang", default="", help="language of messages: en or zh-hans")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(command_language(options["lang"])):
            try:
                result = backup_restore(path=options["path"], force=options["force"])
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
            notes = restore_notes(result)
            if options["json"]:
                payload = {**result.as_dict(), "notes": notes}
                self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
                return
            self.stdout.write(
                _(
                    "Restored %(path)s (backup of %(created_at)s): %(tables)d tables, "
                    "%(rows)s rows, every row count as in the manifest, %(seconds).1f s."
                )
                % {
                    "path": result.path,
                    "created_at": result.created_at,
                    "tables": result.tables,
                    "rows": f"{result.rows:,}",
                    "seconds": result.seconds,
                }
            )
            for note in notes:
                self.stdout.write(note)
