"""Import speed and memory on PostgreSQL: a 5,000,000-row transactions file.

Prints, in one run:
- a bare `COPY` of the file into an unindexed table of text columns (the ceiling),
- the database floor: that COPY plus one set-based INSERT … SELECT into the real, indexed
  table and its commit (the least any importer landing these rows can take),
- `bankcrm import transactions FILE` into a bank (20,000 customers, their accounts and
  transactions): rows/s, the ratio to the bare COPY (goal ≥ 0.5×), peak RSS (goal ≤ 500 MB),
  the time of each step (read, check, classify, write, commit),
- the same file imported again: zero changes, and whether it was at least as fast.

Environment: BENCH_IMPORT_URL (default postgres://postgres@127.0.0.1:5432/bankcrm_bench_import),
BENCH_IMPORT_ROWS (default 5,000,000). The bank is built once (`bankcrm demo --direct`) and
the benchmark's rows are deleted afterwards, so runs start from the same state.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

BIN = Path(sys.executable).parent
URL = os.environ.get("BENCH_IMPORT_URL", "postgres://postgres@127.0.0.1:5432/bankcrm_bench_import")
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "5000000"))
CHUNK = 250_000
TYPES = ["purchase", "transfer", "bill", "salary", "withdrawal", "deposit"]
COUNTERPARTIES = ["merchant", "individual", "utility", "employer"]
CHANNELS = ["mobile", "online", "pos", "atm", "wechat_pay", "alipay", "counter"]
WORDS = ["超市购物", "转账", "电费", "工资", "取现", "存现", "网购", "餐饮"]


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "BANKCRM_DATABASE_URL": URL,
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
        "BANKCRM_IMPORT_DIR": str(Path(tempfile.gettempdir()) / "bench-imports"),
    }


def ensure_bank() -> list[str]:
    name = URL.rsplit("/", 1)[1]
    admin = URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([BIN / "bankcrm", "migrate", "-v0"], env=_env(), check=True)
    subprocess.run(
        [
            BIN / "bankcrm",
            "demo",
            "--customers",
            "20000",
            "--months",
            "12",
            "--seed",
            "7",
            "--no-analytics",
            "--direct",
            "--if-empty",
        ],
        env=_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with psycopg.connect(URL) as conn:
        conn.execute("DELETE FROM banking_transaction WHERE txn_id LIKE 'B%'")
        conn.commit()
        return [r[0] for r in conn.execute("SELECT account_no FROM banking_account")]


def write_file(path: Path, accounts: list[str]) -> None:
    rng = np.random.default_rng(5)
    acc = np.asarray(accounts, dtype=object)
    start = np.datetime64("2025-01-01T00:00:00")
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "txn_id",
                "account_no",
                "booked_at",
                "amount",
                "direction",
                "txn_type",
                "counterparty_category",
                "channel",
                "description",
            ]
        )
        for first in range(0, ROWS, CHUNK):
            n = min(CHUNK, ROWS - first)
            ids = [f"B{i:012d}" for i in range(first, first + n)]
            when = np.datetime_as_string(start + rng.integers(0, 365 * 86400, n).astype("m8[s]"))
            cents = rng.lognormal(9, 1.2, n).astype(np.int64) + 1
            amount = [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]
            direction = np.where(rng.random(n) < 0.4, "credit", "debit")
            out.writerows(
                zip(
                    ids,
                    acc[rng.integers(0, len(acc), n)],
                    [w.replace("T", " ") for w in when.tolist()],
                    amount,
                    direction,
                    np.asarray(TYPES)[rng.integers(0, len(TYPES), n)],
                    np.asarray(COUNTERPARTIES)[rng.integers(0, len(COUNTERPARTIES), n)],
                    np.asarray(CHANNELS)[rng.integers(0, len(CHANNELS), n)],
                    np.asarray(WORDS)[rng.integers(0, len(WORDS), n)],
                    strict=True,
                )
            )


def bare_copy(path: Path) -> float:
    with psycopg.connect(URL) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare_copy")
        conn.execute(
            "CREATE TABLE bench_bare_copy (txn_id text, account_no text, booked_at text, "
            "amount text, direction text, txn_type text, counterparty text, channel text, "
            "description text)"
        )
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as f,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
    return seconds


def database_floor() -> tuple[float, float]:
    """What the database alone needs to land the rows in the real table: one set-based
    INSERT … SELECT from the bare COPY's table (accounts joined, text cast, every index, unique
    and check constraint of banking_transaction maintained) and its commit (the deferred foreign
    key checks run there). No importer into this schema can beat bare COPY + these two."""
    with psycopg.connect(URL) as conn:
        started = time.perf_counter()
        conn.execute(
            "INSERT INTO banking_transaction (txn_id, account_id, customer_id, booked_at, amount, "
            "direction, txn_type, counterparty_category, channel, description) "
            "SELECT b.txn_id, a.id, a.customer_id, b.booked_at::timestamptz, b.amount::numeric, "
            "b.direction, b.txn_type, b.counterparty, b.channel, b.description "
            "FROM bench_bare_copy b JOIN banking_account a ON a.account_no = b.account_no "
            "ORDER BY a.id, b.booked_at::timestamptz"  # the import's write order: local indexes
        )
        inserted = time.perf_counter()
        conn.commit()
        committed = time.perf_counter()
        conn.execute("DELETE FROM banking_transaction WHERE txn_id LIKE 'B%'")
        conn.execute("DROP TABLE bench_bare_copy")
        conn.commit()
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE banking_transaction")
    return inserted - started, committed - inserted


def run_import(path: Path) -> tuple[dict, float, float]:
    """The import's JSON summary, its wall time and the child's peak RSS in MiB."""
    command = [str(BIN / "bankcrm"), "import", "transactions", str(path), "--json", "--no-progress"]
    started = time.perf_counter()
    timed = subprocess.run(
        ["/usr/bin/time", "-v", *command], env=_env(), capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if timed.returncode != 0:
        raise SystemExit(f"import failed: {timed.stdout[-2000:]} {timed.stderr[-2000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr)
    return json.loads(timed.stdout), seconds, int(peak.group(1)) / 1024 if peak else float("nan")


def _steps(summary: dict) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in summary["timings"].items())


def main() -> None:
    print(f"import benchmark: {ROWS:,} transactions on {URL.rsplit('/', 1)[1]}")
    accounts = ensure_bank()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "transactions.csv"
        t0 = time.perf_counter()
        write_file(path, accounts)
        size = path.stat().st_size
        took = time.perf_counter() - t0
        print(f"  file          {size / 2**20:9.0f} MiB, {ROWS:,} rows ({took:.0f} s to write)")
        bare = bare_copy(path)
        print(
            f"  bare COPY     {bare:9.1f} s   {ROWS / bare:>11,.0f} rows/s   (unindexed text table)"
        )
        try:
            first, seconds, rss = run_import(path)
            c = first["counts"]
            print(
                f"  import        {seconds:9.1f} s   {ROWS / seconds:>11,.0f} rows/s   "
                f"{bare / seconds:.2f}× bare COPY (goal ≥ 0.5×)   "
                f"peak RSS {rss:,.0f} MiB (goal ≤ 500)"
            )
            print(
                f"                created {c['created']:,}, updated {c['updated']:,}, "
                f"unchanged {c['unchanged']:,}, rejected {c['rejected']:,}"
            )
            print(
                "                steps: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in first["timings"].items())
            )
            again, seconds2, rss2 = run_import(path)
            c2 = again["counts"]
            verdict = "at least as fast" if seconds2 <= seconds else "SLOWER"
            print(
                f"  re-import     {seconds2:9.1f} s   {ROWS / seconds2:>11,.0f} rows/s   "
                f"created {c2['created']:,}, updated {c2['updated']:,}, "
                f"unchanged {c2['unchanged']:,}   peak RSS {rss2:,.0f} MiB   {verdict}"
            )
            print(
                "                steps: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in again["timings"].items())
            )
        finally:
            with psycopg.connect(URL) as conn:
                conn.execute("DELETE FROM banking_transaction WHERE txn_id LIKE 'B%'")
                conn.commit()
            with psycopg.connect(URL, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE banking_transaction")
        insert, commit = database_floor()
        floor = bare + insert + commit
        print(
            f"  database floor {floor:8.1f} s   {ROWS / floor:>11,.0f} rows/s   bare COPY + one "
            f"INSERT…SELECT into banking_transaction ({insert:.1f} s) + its commit "
            f"({commit:.1f} s): {bare / floor:.2f}× bare COPY at best for any importer"
        )
        print(f"                the import took {seconds / floor:.1f}× the database floor")


if __name__ == "__main__":
    main()
