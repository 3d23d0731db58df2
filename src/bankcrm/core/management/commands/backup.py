"""`bankcrm backup PATH`: a backup of the whole database, with its manifest beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from bankcrm.core.backup import BackupError, backup_create
from bankcrm.core.commands import command_language


class Command(BaseCommand):
    help = (
        "Back up the whole database to PATH (pg_dump custom format on PostgreSQL, the online "
        "backup API on SQLite) and write PATH.manifest.json: SHA-256, migrations, row counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file to write (must not exist)")
        parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
        parser.add_argument("--lang", default="", help="language of messages: en or zh-hans")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(command_language(options["lang"])):
            try:
                result = backup_create(path=options["path"])
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
            if options["json"]:
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
                return
            m = result.manifest
            self.stdout.write(
                _(
                    "Backup written to %(path)s: %(tables)d tables, %(rows)s rows, "
                    "%(bytes)s bytes, %(seconds).1f s."
                )
                % {
                    "path": result.path,
                    "tables": len(m["tables"]),
                    "rows": f"{m['rows']:,}",
                    "bytes": f"{m['bytes']:,}",
                    "seconds": result.seconds,
                }
            )
            self.stdout.write(
                _("Manifest: %(path)s (SHA-256 %(sha256)s)")
                % {"path": result.manifest_path, "sha256": m["sha256"]}
            )
