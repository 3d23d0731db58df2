"""Time the demo bank generator: build a bank and print customers/s, transactions/s, peak RSS.

Builds on the database named by BANKCRM_DATABASE_URL (migrating it first); refuses a database
that already holds customers unless --flush is given.

    BANKCRM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bankcrm_hbench \\
        .venv/bin/python benchmarks/bench_demo.py --customers 100000 --months 12 --flush
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat)
    parser.add_argument("--flush", action="store_true", help="empty the database first")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    if not os.environ.get("BANKCRM_DATABASE_URL"):
        parser.error("set BANKCRM_DATABASE_URL to the database to build on")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankcrm.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bankcrm.demo.build import bank_exists, build_demo_bank, flush_database
    from bankcrm.demo.plan import DemoConfig, default_as_of

    call_command("migrate", verbosity=0, interactive=False)
    if bank_exists():
        if not args.flush:
            parser.error("the database already holds customers; pass --flush to empty it")
        flush_database()
    config = DemoConfig(
        customers=args.customers,
        seed=args.seed,
        months=args.months,
        as_of=args.as_of or default_as_of(today=timezone.localdate()),
    )
    bar = None
    if args.progress or sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=config.customers, unit=" customers", unit_scale=True, file=sys.stderr)
    started = time.perf_counter()
    result = build_demo_bank(config=config, on_progress=bar.update if bar else None)
    seconds = time.perf_counter() - started
    if bar is not None:
        bar.close()
    rows = sum(result.counts.values())
    txns = result.counts["banking_transaction"]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"database        {connection.vendor} {connection.settings_dict['NAME']}")
    print(
        f"bank            {config.customers:,} customers, {config.months} months "
        f"to {config.as_of}, seed {config.seed}"
    )
    for table, n in result.counts.items():
        print(f"  {table:<30} {n:>14,}")
    print(f"rows            {rows:,}")
    print(f"total seconds   {seconds:,.1f}")
    print(f"customers/s     {config.customers / seconds:,.0f}")
    print(f"transactions/s  {txns / seconds:,.0f}")
    print(f"rows/s          {rows / seconds:,.0f}")
    print(f"peak RSS        {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
