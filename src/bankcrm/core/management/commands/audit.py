"""`bankcrm audit verify | seal | export | purge`: check, chain, export and retire events."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from bankcrm.core import chain
from bankcrm.core.audit_export import EXPORT_FORMATS, audit_export
from bankcrm.core.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain, seal new events, or export events for an auditor."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Walk the chain; name the first broken event.")
        verify.add_argument("--json", action="store_true", help="Print the result as JSON.")
        verify.add_argument("--no-progress", action="store_true")
        verify.add_argument(
            "--no-seal", action="store_true", help="Do not chain new events before checking."
        )
        seal = sub.add_parser("seal", help="Chain every event not chained yet.")
        seal.add_argument("--no-progress", action="store_true")
        purge = sub.add_parser(
            "purge", help="Archive, then remove, events older than the retention period."
        )
        purge.add_argument("--archive", required=True, help="JSON-lines file to write first.")
        purge.add_argument(
            "--before",
            type=dt.date.fromisoformat,
            help="Cut-off day (default: today minus BANKCRM_AUDIT_RETENTION_DAYS).",
        )
        export = sub.add_parser("export", help="Write events to a file (CSV or JSON lines).")
        export.add_argument("file", help="Output file, or - for standard output.")
        export.add_argument("--format", choices=EXPORT_FORMATS, default="csv")
        export.add_argument("--since", type=dt.date.fromisoformat, help="First day (YYYY-MM-DD).")
        export.add_argument("--until", type=dt.date.fromisoformat, help="Last day (YYYY-MM-DD).")
        export.add_argument("--customer", type=int, help="Only events about this customer id.")
        export.add_argument("--actor", help="Only events by this user name.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "seal":
            self._seal(options)
        elif action == "verify":
            self._verify(options)
        elif action == "purge":
            self._purge(options)
        else:
            self._export(options)

    def _bar(self, options: dict[str, Any], total: int, what: str) -> tqdm[Any] | None:
        if options.get("no_progress") or options.get("json") or not total:
            return None
        return tqdm(total=total, unit=" events", desc=what, file=sys.stderr, dynamic_ncols=True)

    def _seal(self, options: dict[str, Any]) -> int:
        bar = self._bar(options, AuditEvent.objects.filter(seq__isnull=True).count(), _("Seal"))
        done = [0]

        def tick(n: int) -> None:
            if bar is not None:
                bar.update(n - done[0])
            done[0] = n

        sealed = chain.chain_seal(progress=tick)
        if bar is not None:
            bar.close()
        if not options.get("json") and options["action"] == "seal":
            self.stdout.write(_("%(n)d events chained.") % {"n": sealed})
        return sealed

    def _verify(self, options: dict[str, Any]) -> None:
        if not options["no_seal"]:
            self._seal(options)
        bar = self._bar(options, AuditEvent.objects.filter(seq__isnull=False).count(), _("Verify"))
        done = [0]

        def tick(n: int) -> None:
            if bar is not None:
                bar.update(n - done[0])
            done[0] = n

        result = chain.chain_verify(progress=tick)
        if bar is not None:
            bar.close()
        chain.verification_record(result=result, actor=None)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        elif result.intact:
            self.stdout.write(
                _(
                    "The audit chain is intact: %(n)d events checked in %(s).1f s "
                    "(last position %(seq)s, hash %(hash)s); %(u)d not chained yet."
                )
                % {
                    "n": result.checked,
                    "s": result.seconds,
                    "seq": result.head_seq if result.head_seq is not None else "-",
                    "hash": result.head_hash[:16] or "-",
                    "u": result.unsealed,
                }
            )
        else:
            self.stdout.write(
                _(
                    "The audit chain is BROKEN at position %(seq)s (event %(id)s): %(reason)s "
                    "%(n)d events before it are intact."
                )
                % {
                    "seq": result.broken_seq,
                    "id": result.broken_event_id if result.broken_event_id else "-",
                    "reason": result.reason,
                    "n": result.checked,
                }
            )
        if not result.intact:
            # An error, not a bare exit: the scheduler reports it as a failed job and carries on.
            raise CommandError(
                _("The audit chain is broken at position %(seq)s.") % {"seq": result.broken_seq}
            )

    def _purge(self, options: dict[str, Any]) -> None:
        before = options["before"] or (
            timezone.localdate() - dt.timedelta(days=settings.BANKCRM_AUDIT_RETENTION_DAYS)
        )
        try:
            purge = chain.audit_purge(before=before, archive=Path(options["archive"]), actor=None)
        except chain.PurgeRefused as exc:
            raise CommandError(str(exc)) from None
        if purge is None:
            self.stdout.write(_("No event is older than %(date)s.") % {"date": before.isoformat()})
            return
        self.stdout.write(
            _(
                "%(n)d events before %(date)s archived to %(file)s (SHA-256 %(sha)s) and removed; "
                "the chain now starts at position %(seq)d."
            )
            % {
                "n": purge.removed,
                "date": before.isoformat(),
                "file": purge.archive,
                "sha": purge.archive_sha256,
                "seq": purge.first_kept_seq,
            }
        )

    def _export(self, options: dict[str, Any]) -> None:
        target = options["file"]
        filters = {k: options[k] for k in ("since", "until", "customer") if options[k]}
        filters["by"] = options["actor"]
        try:
            if target == "-":
                stream = cast(IO[str], self.stdout._out)  # the raw stream: csv writes its own ends
                n = audit_export(stream, fmt=options["format"], actor=None, **filters)
            else:
                with Path(target).open("w", encoding="utf-8-sig", newline="") as out:
                    n = audit_export(out, fmt=options["format"], actor=None, **filters)
        except OSError as exc:
            raise CommandError(  # noqa: B904 (the OS message is the whole story)
                _("Cannot write %(file)s: %(error)s") % {"file": target, "error": exc}
            )
        if target != "-":
            self.stdout.write(_("%(n)d events written to %(file)s.") % {"n": n, "file": target})
