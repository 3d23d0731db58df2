"""Import speed and memory on PostgreSQL: a 5,000,000-row transactions file.

Prints, in one run:
- a bare `COPY` of the file into an unindexed table of text columns (the ceiling),
- the database floor: that COPY plus one set-based INSERT … SELECT into the real, indexed
  table and its commit (the least any importer landing these rows can take),
- `bankcrm import transactions FILE` into a bank (20,000 customers, their accounts and
  transactions): rows/s, the ratio to the bare COPY (goal ≥ 0.5×), peak RSS (goal ≤ 500 MB),
  the time of each step (read, check, classify, write, commit),
- the same file imported again: zero changes (goal: at least 2× faster than the 58 s measured
  before the columnar reader, on the faster machine of the earlier note),
- the import's ratio to the floor (goal ≤ 1.2×) and the share of its time spent reading and
  checking the file (goal < 10 %),
- customers (with their ID numbers and mobiles encrypted and hashed) and monthly balances, each
  against its own floor (a bare COPY and one INSERT … SELECT of the same rows, plaintext).

Environment: BENCH_IMPORT_URL (default postgres://postgres@127.0.0.1:5432/bankcrm_bench_import),
BENCH_IMPORT_ROWS (default 5,000,000), BENCH_CUSTOMER_ROWS (default 100,000), BENCH_BALANCE_ROWS
(default 1,000,000). The bank is built once (`bankcrm demo --direct`) and
the benchmark's rows are deleted afterwards, so runs start from the same state.
"""

from __future__ import annotations

import csv
import datetime as dt
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
CUSTOMER_ROWS = int(os.environ.get("BENCH_CUSTOMER_ROWS", "100000"))
BALANCE_ROWS = int(os.environ.get("BENCH_BALANCE_ROWS", "1000000"))
BEFORE_REIMPORT = 58.0  # seconds, 5,000,000 rows, before the columnar reader
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


def run_import(path: Path, kind: str = "transactions") -> tuple[dict, float, float]:
    """The import's JSON summary, its wall time and the child's peak RSS in MiB."""
    command = [str(BIN / "bankcrm"), "import", kind, str(path), "--json", "--no-progress"]
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


def _reading_share(summary: dict, seconds: float) -> float:
    """Reading and checking the file (the read and check steps) as a share of the import."""
    t = summary["timings"]
    return (t.get("read", 0.0) + t.get("check", 0.0)) / seconds


def _bare_copy_table(conn: psycopg.Connection, table: str, columns: list[str], path: Path) -> float:
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} text' for c in columns)})")
    started = time.perf_counter()
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        path.open("rb") as f,
    ):
        while chunk := f.read(1 << 20):
            copy.write(chunk)
    conn.commit()
    return time.perf_counter() - started


def _fill(conn: psycopg.Connection, table: str, given: dict[str, str]) -> tuple[str, str]:
    """The INSERT's column list and SELECT list: ``given`` expressions, and for every other
    NOT NULL column without a default a value of its type."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND column_name <> 'id'",
        (table,),
    ).fetchall()
    filler = {"boolean": "false", "date": "current_date", "integer": "0", "bigint": "0"}
    exprs = dict(given)
    for name, typ in rows:
        if name not in exprs:
            if typ.startswith("timestamp"):
                exprs[name] = "now()"
            elif typ == "numeric":
                exprs[name] = "0"
            else:
                exprs[name] = filler.get(typ, "''")
    return ", ".join(exprs), ", ".join(exprs.values())


def _floor(conn: psycopg.Connection, sql: str) -> tuple[float, float]:
    started = time.perf_counter()
    conn.execute(sql)
    inserted = time.perf_counter()
    conn.commit()
    return inserted - started, time.perf_counter() - inserted


def _resident_id(serial: int) -> str:
    from bankcrm.core.validators import resident_id_check_char

    birth = 19600101 + (serial % 28) + 100 * (serial // 28 % 12) + 10000 * (serial // 336 % 40)
    first17 = f"110101{birth:08d}{serial % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def bench_customers(stamp: str) -> None:
    """Customers with resident IDs and mobiles, new numbers each run, against their floor."""
    n = CUSTOMER_ROWS
    with psycopg.connect(URL) as conn:
        branches = [r[0] for r in conn.execute("SELECT code FROM core_branch ORDER BY code")]
    header = [
        "customer_no",
        "name_zh",
        "branch",
        "gender",
        "birth_date",
        "id_type",
        "id_number",
        "mobile",
        "occupation",
        "onboarded_on",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(header)
            for i in range(n):
                rid = _resident_id(i)
                out.writerow(
                    [
                        f"K{stamp}{i:07d}",
                        f"客户{i}",
                        branches[i % len(branches)],
                        "male" if i % 2 else "female",
                        f"{rid[6:10]}-{rid[10:12]}-{rid[12:14]}",
                        "resident_id",
                        rid,
                        f"1{3 + i % 7}{i:09d}"[:11],
                        "职员",
                        "2024-01-02",
                    ]
                )
        summary, seconds, rss = run_import(path, "customers")
        with psycopg.connect(URL) as conn:
            bare = _bare_copy_table(conn, "bench_bare_customers", header, path)
            cols, exprs = _fill(
                conn,
                "customers_customer",
                {
                    "customer_no": "'F' || substr(b.customer_no, 2)",
                    "name_zh": "b.name_zh",
                    "branch_id": "br.id",
                    "gender": "b.gender",
                    "birth_date": "b.birth_date::date",
                    "id_type": "b.id_type",
                    "id_number": "b.id_number",
                    "id_number_hash": "md5(b.id_number)",
                    "id_last4": "right(b.id_number, 4)",
                    "mobile": "b.mobile",
                    "mobile_hash": "md5(b.mobile)",
                    "mobile_last4": "right(b.mobile, 4)",
                    "occupation": "b.occupation",
                    "onboarded_on": "b.onboarded_on::date",
                },
            )
            insert, commit = _floor(
                conn,
                f"INSERT INTO customers_customer ({cols}) SELECT {exprs} "
                "FROM bench_bare_customers b JOIN core_branch br ON br.code = b.branch",
            )
            conn.execute(
                "DELETE FROM customers_customer WHERE customer_no LIKE 'F%%' "
                "AND customer_no IN "
                "(SELECT 'F' || substr(customer_no, 2) FROM bench_bare_customers)"
            )
            conn.execute("DROP TABLE bench_bare_customers")
            conn.commit()
    floor = bare + insert + commit
    c = summary["counts"]
    print(
        f"  customers     {seconds:9.1f} s   {n / seconds:>11,.0f} rows/s   "
        f"created {c['created']:,}, rejected {c['rejected']:,}   peak RSS {rss:,.0f} MiB"
    )
    print(f"                steps: {_steps(summary)}")
    print(
        f"                floor {floor:.1f} s (bare COPY {bare:.1f} s + INSERT {insert:.1f} s + "
        f"commit {commit:.1f} s, plaintext, no audit): the import took {seconds / floor:.1f}× its "
        f"floor; reading and checking {_reading_share(summary, seconds):.0%} of it"
    )


def bench_balances() -> None:
    """Monthly balances for months before any the bank has, against their floor."""
    with psycopg.connect(URL) as conn:
        accounts = [
            r[0] for r in conn.execute("SELECT account_no FROM banking_account ORDER BY id")
        ]
        first = conn.execute("SELECT MIN(month) FROM banking_balancesnapshot").fetchone()[0]
    months_needed = -(-BALANCE_ROWS // len(accounts))
    start = (first.year * 12 + first.month - 1) - months_needed
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "balances.csv"
        written = 0
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["account_no", "month", "balance"])
            for m in range(months_needed):
                y, mo = divmod(start + m, 12)
                take = min(len(accounts), BALANCE_ROWS - written)
                cents = rng.integers(0, 10**9, take)
                out.writerows(
                    (a, f"{y}-{mo + 1:02d}", f"{c // 100}.{c % 100:02d}")
                    for a, c in zip(accounts[:take], cents.tolist(), strict=True)
                )
                written += take
        low = dt.date(start // 12, start % 12 + 1, 1)
        try:
            summary, seconds, rss = run_import(path, "balances")
        finally:
            with psycopg.connect(URL) as conn:
                conn.execute("DELETE FROM banking_balancesnapshot WHERE month < %s", (first,))
                conn.commit()
        with psycopg.connect(URL) as conn:
            bare = _bare_copy_table(
                conn, "bench_bare_balances", ["account_no", "month", "balance"], path
            )
            insert, commit = _floor(
                conn,
                "INSERT INTO banking_balancesnapshot (account_id, customer_id, month, balance, "
                "counts_to_aum) SELECT a.id, a.customer_id, (b.month || '-01')::date, "
                "b.balance::numeric, true FROM bench_bare_balances b JOIN banking_account a "
                "ON a.account_no = b.account_no ORDER BY a.id, 3",
            )
            conn.execute(
                "DELETE FROM banking_balancesnapshot WHERE month >= %s AND month < %s", (low, first)
            )
            conn.execute("DROP TABLE bench_bare_balances")
            conn.commit()
    floor = bare + insert + commit
    c = summary["counts"]
    print(
        f"  balances      {seconds:9.1f} s   {written / seconds:>11,.0f} rows/s   created "
        f"{c['created']:,}, rejected {c['rejected']:,}   peak RSS {rss:,.0f} MiB"
    )
    print(f"                steps: {_steps(summary)}")
    print(
        f"                floor {floor:.1f} s (bare COPY {bare:.1f} s + INSERT {insert:.1f} s + "
        f"commit {commit:.1f} s): the import took {seconds / floor:.1f}× its floor; "
        f"reading and checking {_reading_share(summary, seconds):.0%} of it"
    )


def main() -> None:
    print(f"import benchmark: {ROWS:,} transactions on {URL.rsplit('/', 1)[1]}")
    la = os.getloadavg()
    print(f"  load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} (1, 5, 15 min) at the start")
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
                f"{bare / seconds:.2f}× bare COPY   "
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
            verdict = (
                f"{BEFORE_REIMPORT / seconds2:.1f}× faster than the {BEFORE_REIMPORT:.0f} s before"
            )
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
        print(
            f"                the import took {seconds / floor:.2f}× the database floor "
            "(goal ≤ 1.2×); "
            f"reading and checking {_reading_share(first, seconds):.1%} of it (goal < 10 %), "
            f"the server storing the rows in the stage {first['timings'].get('stage', 0):.1f} s "
            "apart"
        )
    if CUSTOMER_ROWS:
        bench_customers(time.strftime("%m%d%H%M"))
    if BALANCE_ROWS:
        bench_balances()
    print(
        f"  load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
        f" (1, 5, 15 min) on {os.cpu_count()} cores at the end"
    )


if __name__ == "__main__":
    main()
