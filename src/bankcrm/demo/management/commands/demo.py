"""`bankcrm demo`: build the synthetic demo bank (a thin wrapper over demo.build)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bankcrm.demo.build import bank_exists, build_demo_bank, flush_database
from bankcrm.demo.plan import (
    DEFAULT_PASSWORD,
    BuildResult,
    DemoBankError,
    DemoConfig,
    default_as_of,
)


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
        using = options["database"]
        as_of = (
            _date(options["as_of"])
            if options["as_of"]
            else default_as_of(today=timezone.localdate())
        )
        if options["customers"] < 1:
            raise CommandError("--customers must be at least 1.")
        if not 1 <= options["months"] <= 240:
            raise CommandError("--months must be between 1 and 240.")
        if bank_exists(using=using):
            if options["if_empty"]:
                self.stdout.write("demo bank already present")
                return
            if not options["flush"]:
                raise CommandError(
                    "The database already holds customers: the demo bank is only built on an "
                    "empty database. Use --flush to empty it first (everything, staff included) "
                    "or --if-empty to leave it as it is."
                )
        if options["flush"]:
            flush_database(using=using)
        config = DemoConfig(
            customers=options["customers"],
            seed=options["seed"],
            months=options["months"],
            as_of=as_of,
            password=options["password"],
        )
        show = options["progress"] or sys.stderr.isatty()
        direct = options["direct"] or using != "default"
        try:
            if direct:
                result = self._build_direct(config, using=using, show=show)
            else:
                result = self._build_through_import(config, options=options, show=show)
        except DemoBankError as exc:
            raise CommandError(str(exc)) from exc
        self._report(config=config, result=result)
        if options["analytics"] and using == "default":
            from bankcrm.insights.runs import RunSettings, analytics_run

            run = analytics_run(settings=RunSettings(as_of=config.as_of))
            churn = run.metrics.get("churn", {})
            auc = f", churn AUC {churn['auc']:.3f}" if "auc" in churn else ""
            self.stdout.write(
                f"Analytics run {run.pk}: {run.customers:,} customers scored{auc} "
                f"(bankcrm analytics run to score again)."
            )

    def _build_direct(self, config: DemoConfig, *, using: str, show: bool) -> BuildResult:
        if not show:
            return build_demo_bank(config=config, using=using)
        from tqdm import tqdm

        with tqdm(
            total=config.customers, unit=" customers", unit_scale=True, file=sys.stderr
        ) as bar:
            return build_demo_bank(config=config, using=using, on_progress=bar.update)

    def _build_through_import(
        self, config: DemoConfig, *, options: dict[str, Any], show: bool
    ) -> BuildResult:
        """Core-banking export files first, then `bankcrm import` of each, in order."""
        from pathlib import Path

        from django.conf import settings
        from tqdm import tqdm

        from bankcrm.demo.exports import load_demo_bank

        export_dir = Path(options["export_dir"] or settings.VAR_DIR / "demo-exports")
        bar = tqdm(
            total=config.customers,
            desc="export",
            unit=" customers",
            unit_scale=True,
            file=sys.stderr,
            disable=not show,
        )

        def imported(kind: str, outcome: Any) -> None:
            bar.close()
            rate = outcome.rows_read / outcome.seconds if outcome.seconds else 0
            if show:
                sys.stderr.write(
                    f"  imported {kind:<13} {outcome.created:>10,} rows  {outcome.seconds:6.1f} s"
                    f"  {rate:>9,.0f} rows/s\n"
                )

        with bar:
            result = load_demo_bank(
                config=config,
                export_dir=export_dir,
                on_progress=bar.update,
                on_import=imported,
                second_source=True,
            )
        self.stdout.write(f"Export files (imported through bankcrm import): {export_dir}")
        return result

    def _report(self, *, config: DemoConfig, result: BuildResult) -> None:
        out = self.stdout
        out.write(
            f"Demo bank built: {config.customers:,} customers, {config.months} months "
            f"to {config.as_of:%Y-%m-%d}, seed {config.seed}, in {result.seconds:.1f} s."
        )
        width = max(len(t) for t in result.counts)
        for table, n in result.counts.items():
            out.write(f"  {table:<{width}}  {n:>12,}")
        out.write("")
        out.write("Demo log-ins:")
        rows = [("username", "role", "password", "branch")]
        rows += [(x.username, x.role, config.password, x.branch) for x in result.logins]
        widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
        for i, row in enumerate(rows):
            out.write(
                "  " + "  ".join(f"{v:<{widths[j]}}" for j, v in enumerate(row[:3])) + f"  {row[3]}"
            )
            if i == 0:
                out.write("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 6)
