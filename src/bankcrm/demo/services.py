"""Setting up the demo bank as `bankcrm demo` asks: build it, say what was built, score it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from bankcrm.demo.build import bank_exists, build_demo_bank, flush_database
from bankcrm.demo.loyalty import demo_loyalty
from bankcrm.demo.plan import BuildResult, DemoBankError, DemoConfig
from bankcrm.demo.sales import build_demo_sales


@dataclass(frozen=True)
class DemoRequest:
    """What to build, where, and how."""

    config: DemoConfig
    using: str = DEFAULT_DB_ALIAS
    if_empty: bool = False  # leave a database that holds customers as it is
    flush: bool = False  # empty the whole database first
    direct: bool = False  # write the tables instead of exporting files and importing them
    export_dir: Path | None = None
    progress: bool = False  # progress bars and import timings on stderr
    analytics: bool = True  # score the customers afterwards


def demo_bank_setup(*, request: DemoRequest, out: Callable[[str], None]) -> BuildResult | None:
    """Build the demo bank `request` describes, writing what was done line by line to `out`.

    Returns None when the database already holds customers and `if_empty` leaves it so;
    raises DemoBankError when it holds customers and neither `if_empty` nor `flush` is given.
    """
    using = request.using
    if bank_exists(using=using):
        if request.if_empty:
            out("demo bank already present")
            return None
        if not request.flush:
            raise DemoBankError(
                "The database already holds customers: the demo bank is only built on an "
                "empty database. Use --flush to empty it first (everything, staff included) "
                "or --if-empty to leave it as it is."
            )
    if request.flush:
        flush_database(using=using)
    if request.direct or using != DEFAULT_DB_ALIAS:
        result = _build_direct(request)
    else:
        result = _build_through_import(request, out=out)
    for line in report_lines(config=request.config, result=result):
        out(line)
    if using == DEFAULT_DB_ALIAS:
        out(demo_loyalty(config=request.config, show=request.progress))
    if request.analytics and using == DEFAULT_DB_ALIAS:
        out(_score(request.config, show=request.progress))
    if using == DEFAULT_DB_ALIAS:
        out(build_demo_sales(config=request.config, out=out if request.progress else None))
    return result


def _build_direct(request: DemoRequest) -> BuildResult:
    config, using = request.config, request.using
    if not request.progress:
        return build_demo_bank(config=config, using=using)
    from tqdm import tqdm

    with tqdm(total=config.customers, unit=" customers", unit_scale=True, file=sys.stderr) as bar:
        return build_demo_bank(config=config, using=using, on_progress=bar.update)


def _build_through_import(request: DemoRequest, *, out: Callable[[str], None]) -> BuildResult:
    """Core-banking export files first, then `bankcrm import` of each, in order."""
    from tqdm import tqdm

    from bankcrm.demo.exports import load_demo_bank

    config, show = request.config, request.progress
    export_dir = request.export_dir or settings.VAR_DIR / "demo-exports"
    bar = tqdm(
        total=config.customers,
        desc="export",
        unit=" customers",
        unit_scale=True,
        file=sys.stderr,
        disable=not show,
    )

    bars: list[Any] = []

    def started(kind: str, path: Path) -> Any:
        """A bar per import, in bytes of its file, so every phase shows it is moving."""
        bar.close()
        file_bar = tqdm(
            total=path.stat().st_size,
            desc=f"import {kind}",
            unit="B",
            unit_scale=True,
            file=sys.stderr,
            disable=not show,
            leave=False,
        )
        bars.append(file_bar)

        def moved(rows: int, done: int, total: int) -> None:
            file_bar.update(max(0, done - file_bar.n))

        return moved

    def imported(kind: str, outcome: Any) -> None:
        bar.close()
        for b in bars:
            b.close()
        bars.clear()
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
            on_start=started,
        )
    out(f"Export files (imported through bankcrm import): {export_dir}")
    return result


def report_lines(*, config: DemoConfig, result: BuildResult) -> list[str]:
    """What was built: rows per table, then the demo log-ins as a table."""
    lines = [
        f"Demo bank built: {config.customers:,} customers, {config.months} months "
        f"to {config.as_of:%Y-%m-%d}, seed {config.seed}, in {result.seconds:.1f} s."
    ]
    width = max(len(t) for t in result.counts)
    lines += [f"  {table:<{width}}  {n:>12,}" for table, n in result.counts.items()]
    lines += ["", "Demo log-ins:"]
    rows = [("username", "role", "password", "branch")]
    rows += [(x.username, x.role, config.password, x.branch) for x in result.logins]
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    for i, row in enumerate(rows):
        lines.append(
            "  " + "  ".join(f"{v:<{widths[j]}}" for j, v in enumerate(row[:3])) + f"  {row[3]}"
        )
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 6)
    return lines


def _score(config: DemoConfig, *, show: bool = False) -> str:
    """Run the analytics over the new bank; one line saying how it went (and, with ``show``,
    a line on stderr as each of its steps finishes)."""
    from bankcrm.insights.runs import RunSettings, analytics_run

    started = time.perf_counter()

    def step(name: str) -> None:
        sys.stderr.write(f"  scoring: {name:<20} done at {time.perf_counter() - started:6.1f} s\n")

    if show:
        sys.stderr.write(f"Scoring {config.customers:,} customers…\n")
    run = analytics_run(settings=RunSettings(as_of=config.as_of), progress=step if show else None)
    churn = run.metrics.get("churn", {})
    auc = f", churn AUC {churn['auc']:.3f}" if "auc" in churn else ""
    return (
        f"Analytics run {run.pk}: {run.customers:,} customers scored{auc} "
        f"(bankcrm analytics run to score again)."
    )
