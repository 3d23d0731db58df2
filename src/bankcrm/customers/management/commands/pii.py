"""`bankcrm pii status | rotate | new-key`: the encryption at rest of ID numbers and mobiles."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from bankcrm.core.audit import audit_record
from bankcrm.core.crypto import keyring, new_key
from bankcrm.core.models import AuditAction
from bankcrm.customers.encryption import key_census, reseal, row_count


class Command(BaseCommand):
    help = "Show which keys hold the encrypted ID numbers and mobiles, or re-encrypt them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="How many values each key holds.")
        status.add_argument("--json", action="store_true")
        rotate = sub.add_parser(
            "rotate", help="Re-encrypt every value under the first key of BANKCRM_PII_KEYS."
        )
        rotate.add_argument(
            "--reindex",
            action="store_true",
            help="Also recompute every keyed hash (after BANKCRM_PII_INDEX_KEY changed).",
        )
        rotate.add_argument("--no-progress", action="store_true")
        key = sub.add_parser("new-key", help="Print a new key entry for BANKCRM_PII_KEYS.")
        key.add_argument("--id", default="", help="The key's id (default: k + a random tag).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "new-key":
            kid = options["id"] or "k" + new_key()[:6].lower().replace("-", "").replace("_", "")
            self.stdout.write(f"{kid}:{new_key()}")
            return
        ring = keyring()
        if action == "status":
            census = {table: dict(c) for table, c in key_census().items()}
            if options["json"]:
                self.stdout.write(json.dumps({"current": ring.current, "tables": census}))
                return
            derived = " (derived from SECRET_KEY)" if ring.derived else ""
            self.stdout.write(f"current key: {ring.current}{derived}")
            for table, counts in census.items():
                shown = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "empty"
                self.stdout.write(f"{table}: {shown}")
            return
        bar = tqdm(
            total=row_count(),
            unit="rows",
            disable=options["no_progress"],
            desc="re-encrypting",
            file=self.stderr._out,
        )
        with bar:
            rewritten = reseal(reindex=options["reindex"], progress=bar.update)
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            object_type="pii.keys",
            object_id=ring.current,
            purpose="key rotation",
            changes={"rewritten": rewritten, "reindex": bool(options["reindex"])},
        )
        self.stdout.write(f"{rewritten} rows re-encrypted under key {ring.current}")
