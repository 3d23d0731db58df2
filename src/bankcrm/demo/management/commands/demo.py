"""`bankcrm demo`: build the synthetic demo bank (a thin wrapper over `demo.services`)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bankcrm.demo.plan import DEFAULT_PASSWORD, DemoBankError, DemoConfig, default_as_of
from bankcrm.demo.services import DemoRequest, demo_bank_setup


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of wants a date as YYYY-MM-DD, not {value!r}.") from None


HELP = _(
    "Build a synthetic demo bank: branches, staff, customers and their history, "
    "the same for the same seed."
)


class Command(BaseCommand):
    help = "Build a synthetic demo bank."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # argparse needs real strings: help texts are translated when the parser is built.
        self.help = str(HELP)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=20_000,
            help=str(_("Number of customers (20,000).")),
        )
        parser.add_argument("--seed", type=int, default=42, help=str(_("Random seed (42).")))
        parser.add_argument(
            "--months",
            type=int,
            default=36,
            help=str(_("Months of history up to --as-of (36).")),
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help=str(_("Last day of the history, YYYY-MM-DD (default: end of last month).")),
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=str(_("Password of every demo staff user (%(default)s).")),
        )
        parser.add_argument(
            "--if-empty",
            dest="if_empty",
            action="store_true",
            help=str(_("Do nothing when the database already holds customers.")),
        )
        parser.add_argument(
            "--flush",
            "--force",
            dest="flush",
            action="store_true",
            help=str(_("Empty the whole database first (all data, staff users included).")),
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help=str(_("Show a progress bar even when stderr is not a terminal.")),
        )
        parser.add_argument(
            "--no-analytics",
            dest="analytics",
            action="store_false",
            help=str(_("Do not score the customers after building the bank.")),
        )
        parser.add_argument(
            "--direct",
            action="store_true",
            help=str(
                _(
                    "Write the tables directly (fastest, for benchmarks) instead of exporting "
                    "core-banking files and importing them."
                )
            ),
        )
        parser.add_argument(
            "--export-dir",
            dest="export_dir",
            help=str(_("Where the export files are written (var/demo-exports).")),
        )
        parser.add_argument("--database", default="default", help=str(_("Database alias.")))

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = (
            _date(options["as_of"])
            if options["as_of"]
            else default_as_of(today=timezone.localdate())
        )
        if options["customers"] < 1:
            raise CommandError("--customers must be at least 1.")
        if not 1 <= options["months"] <= 240:
            raise CommandError("--months must be between 1 and 240.")
        config = DemoConfig(
            customers=options["customers"],
            seed=options["seed"],
            months=options["months"],
            as_of=as_of,
            password=options["password"],
        )
        request = DemoRequest(
            config=config,
            using=options["database"],
            if_empty=options["if_empty"],
            flush=options["flush"],
            direct=options["direct"],
            export_dir=Path(options["export_dir"]) if options["export_dir"] else None,
            progress=options["progress"] or sys.stderr.isatty(),
            analytics=options["analytics"],
        )
        try:
            demo_bank_setup(request=request, out=self.stdout.write)
        except DemoBankError as exc:
            raise CommandError(str(exc)) from exc
