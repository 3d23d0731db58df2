"""`bankcrm import KIND FILE…`: import core-banking export files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from tqdm import tqdm

from bankcrm.core.commands import command_language
from bankcrm.core.models import User
from bankcrm.ingest.mapping import Mapping, MappingError, load_mapping
from bankcrm.ingest.outcome import Outcome, error_report_path
from bankcrm.ingest.services import import_path
from bankcrm.ingest.specs import KINDS, Kind


class Command(BaseCommand):
    help = (
        "Import core-banking export files (CSV, gzip CSV or Parquet) of one kind. Each file "
        "lands whole or not at all; rows are upserted by natural key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS), help="what the files hold")
        parser.add_argument("files", nargs="+", type=Path, help="the files, imported in order")
        parser.add_argument("--dry-run", action="store_true", help="validate, write nothing")
        parser.add_argument("--mapping", type=Path, help="a mapping file (TOML) for the columns")
        parser.add_argument("--encoding", default="auto", help="auto (default), utf-8 or gb18030")
        parser.add_argument(
            "--max-errors",
            type=int,
            default=0,
            help="land the valid rows if at most this many are rejected (default 0: all or none)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--user", default="", help="staff username recorded as importer")
        parser.add_argument("--lang", default="", help="language of messages: en or zh-hans")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(command_language(options["lang"])):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        kind = KINDS[options["kind"]]
        mapping = self._mapping(options["mapping"], kind)
        actor = self._actor(options["user"])
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        as_json = options["json"]
        results = []
        for path in options["files"]:
            outcome = self._import(kind, path, mapping=mapping, actor=actor, options=options)
            results.append(outcome)
            if not as_json:
                self._print(outcome)
        if as_json:
            payload: Any = (
                results[0].as_dict() if len(results) == 1 else [r.as_dict() for r in results]
            )
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        if not all(r.valid for r in results):
            sys.exit(1)

    def _mapping(self, path: Path | None, kind: Kind) -> Mapping | None:
        if not path:
            return None
        try:
            mapping = load_mapping(path)
        except MappingError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if mapping.kind and mapping.kind != kind.name:
            raise CommandError(f"{path}: this mapping is for {mapping.kind} files, not {kind.name}")
        return mapping

    def _actor(self, username: str) -> User | None:
        if not username:
            return None
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"no staff member {username!r}")
        return actor

    def _import(
        self,
        kind: Kind,
        path: Path,
        *,
        mapping: Mapping | None,
        actor: User | None,
        options: dict[str, Any],
    ) -> Outcome:
        bar = _ProgressBar(
            f"{kind.name} {path.name}",
            path.stat().st_size,
            disable=options["no_progress"] or options["json"] or not sys.stderr.isatty(),
        )
        outcome = import_path(
            kind,
            path,
            dry_run=options["dry_run"],
            max_errors=options["max_errors"],
            encoding=options["encoding"],
            mapping=mapping,
            actor=actor,
            progress=bar.show,
            channel="cli",
        )
        bar.close()
        return outcome

    def _print(self, outcome: Outcome) -> None:
        d = outcome.detected
        if d:
            how = "detected" if d.get("encoding_detected") else "given"
            packed = f" ({d['compression']})" if d.get("compression") else ""
            self.stdout.write(
                f"{outcome.file_name}: {d.get('format')}{packed}"
                + (
                    f", encoding {d.get('encoding')} ({how}), delimiter {d.get('delimiter')!r}"
                    if d.get("format") == "csv"
                    else ""
                )
            )
            if d.get("ignored_columns"):
                self.stdout.write(f"  ignored columns: {', '.join(d['ignored_columns'])}")
        self.stdout.write(
            f"  {outcome.status}: read {outcome.rows_read}, created {outcome.created}, "
            f"updated {outcome.updated}, unchanged {outcome.unchanged}, "
            f"rejected {outcome.rejected} ({outcome.seconds:.1f} s)"
        )
        self.stdout.write(f"  {outcome.message}")
        for e in outcome.errors[:20]:
            self.stdout.write(f"  line {e.line}, {e.column or '-'}: {e.reason}")
        if len(outcome.errors) > 20:
            self.stdout.write(f"  … {len(outcome.errors) - 20} more")
        if outcome.errors:
            self.stdout.write(f"  error report: {error_report_path(outcome.run_id)}")


class _ProgressBar:
    """Bytes read of one file on stderr, with the rows read and the rows per second."""

    def __init__(self, desc: str, total: int, *, disable: bool) -> None:
        self.bar = tqdm(
            total=total, desc=desc, unit="B", unit_scale=True, disable=disable, file=sys.stderr
        )

    def show(self, rows: int, done: int, total: int) -> None:
        bar = self.bar
        bar.update(done - bar.n)
        rate = bar.format_dict.get("elapsed") or 0
        bar.set_postfix(rows=f"{rows:,}", rows_s=f"{rows / rate:,.0f}" if rate else "")

    def close(self) -> None:
        self.bar.close()
