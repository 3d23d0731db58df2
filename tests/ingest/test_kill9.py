"""`kill -9` at any moment of an import leaves the data as before or as after the file.

Real processes on PostgreSQL: a throwaway database, the example bank imported, then a
transactions file imported again and again and killed at many moments spread over the run.
After each kill the tables must match one of the two fingerprints; re-running the command
must then finish the job exactly.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BANKCRM = Path(sys.executable).parent / "bankcrm"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
KILLS = 22
ROWS = 50_000
ACCOUNTS = ["6222000000000001", "6222000000000002", "6222000000000003"]

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="kill -9 is tested against PostgreSQL"
)

FINGERPRINT_SQL = {
    "transactions": "SELECT t.txn_id, a.account_no, t.booked_at, t.amount, t.direction, "
    "t.txn_type, t.channel, t.description FROM banking_transaction t "
    "JOIN banking_account a ON a.id = t.account_id ORDER BY t.txn_id",
    "accounts": "SELECT account_no, balance, status FROM banking_account ORDER BY account_no",
    "customers": "SELECT customer_no, name_zh, mobile_hash, aum FROM customers_customer "
    "ORDER BY customer_no",
}


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    out = {}
    with psycopg.connect(url) as conn:
        for name, sql in FINGERPRINT_SQL.items():
            digest = hashlib.sha256()
            n = 0
            for row in conn.execute(sql):
                digest.update(repr(row).encode())
                n += 1
            out[name] = (n, digest.hexdigest())
    return out


@pytest.fixture
def throwaway(tmp_path):
    name = f"bankcrm_kill9_{os.getpid()}"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "BANKCRM_DATABASE_URL": url,
        "BANKCRM_VAR_DIR": str(tmp_path / "var"),
        "BANKCRM_IMPORT_DIR": str(tmp_path / "imports"),
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
    }
    subprocess.run([BANKCRM, "migrate", "-v0"], env=env, check=True)
    yield url, env
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _transactions_file(path: Path) -> Path:
    rng = random.Random(7)
    lines = ["txn_id,account_no,booked_at,amount,direction,txn_type,counterparty_category,channel"]
    for i in range(ROWS):
        day = 1 + i % 28
        lines.append(
            f"K{i:09d},{rng.choice(ACCOUNTS)},2025-10-{day:02d} {i % 24:02d}:{i % 60:02d}:00,"
            f"{rng.randint(1, 500_000) / 100:.2f},{rng.choice(['credit', 'debit'])},"
            f"{rng.choice(['purchase', 'transfer', 'bill'])},merchant,"
            f"{rng.choice(['pos', 'online'])}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _settled(url: str) -> None:
    """Wait until the killed client's server process is gone (it may still be committing)."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for _ in range(500):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.01)
    raise AssertionError("the killed import's database session did not end")


def _runs(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM ingest_importrun").fetchone()
    return int(row[0]) if row else 0


def _import(env: dict[str, str], kind: str, path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [BANKCRM, "import", kind, str(path), "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_at_any_moment_leaves_before_or_after_and_a_rerun_finishes(throwaway, tmp_path):
    url, env = throwaway
    for kind in ("branches", "staff", "products", "customers", "accounts"):
        assert _import(env, kind, EXAMPLES / f"{kind}.csv").wait() == 0, kind
    before = fingerprint(url)
    path = _transactions_file(tmp_path / "transactions.csv")

    # Clean runs give the "after" state and the import's window: when it begins (the process
    # first starts Django) and when it commits (the run reads "succeeded"). The first one warms
    # the caches, so that the timed one is as fast as the runs that will be killed.
    for _run in range(2):
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT COALESCE(MAX(id), 0) FROM ingest_importrun").fetchone()
        last_run = row[0] if row else 0
        started = time.monotonic()
        proc = _import(env, "transactions", path)
        begins = commits = None
        with psycopg.connect(url, autocommit=True) as conn:
            while proc.poll() is None:
                status = conn.execute(
                    "SELECT status FROM ingest_importrun WHERE id > %s ORDER BY id DESC LIMIT 1",
                    (last_run,),
                ).fetchone()
                now = time.monotonic() - started
                if begins is None and status and status[0] == "running":
                    begins = now
                if commits is None and status and status[0] == "succeeded":
                    commits = now
                time.sleep(0.01)
        duration = time.monotonic() - started
        commits = commits or duration
        assert proc.returncode == 0 and begins is not None
        after = fingerprint(url)
        assert after["transactions"][0] == before["transactions"][0] + ROWS
        with psycopg.connect(url) as conn:
            conn.execute("DELETE FROM banking_transaction WHERE txn_id LIKE 'K%'")
        assert fingerprint(url) == before

    outcomes = []
    rng = random.Random(3)
    for i in range(KILLS):
        # Kill moments spread over the import, from its start to its usual commit.
        delay = begins + (commits - begins) * (i + rng.random()) / KILLS
        runs_before = _runs(url)
        proc = _import(env, "transactions", path)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        _settled(url)
        recorded = _runs(url) > runs_before
        state = fingerprint(url)
        assert state in (before, after), f"kill {i} at {delay:.2f}s left a third state"
        landed = state == after
        state = "after" if landed else "before"
        outcomes.append((round(delay, 2), code, state, recorded))
        print(f"kill {i:2d} at {delay:5.2f} s ({begins:.2f}–{commits:.2f} s): {code}, {state}")
        if landed:  # the file got in before the kill: start the next round from "before"
            with psycopg.connect(url) as conn:
                conn.execute("DELETE FROM banking_transaction WHERE txn_id LIKE 'K%'")
    # A kill that lands between the commit and the process's exit leaves "after": fine.
    killed = [o for o in outcomes if o[1] == -signal.SIGKILL]
    assert len(outcomes) >= 20 and len(killed) >= 12
    assert sum(1 for o in killed if o[2] == "before") >= 10

    # Re-running the same command finishes the job exactly: no duplicate, no lost row.
    assert _import(env, "transactions", path).wait() == 0
    assert fingerprint(url) == after
    with psycopg.connect(url) as conn:
        dupes = conn.execute(
            "SELECT count(*) - count(DISTINCT txn_id) FROM banking_transaction"
        ).fetchone()
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM ingest_importrun WHERE kind = 'transactions' "
                "GROUP BY status"
            ).fetchall()
        )
    assert dupes == (0,)
    # Runs killed after they were recorded are marked interrupted once a new import starts
    # (a process killed while Django was still starting had not recorded one).
    assert set(statuses) <= {"succeeded", "interrupted"}, statuses
    assert statuses["interrupted"] == sum(1 for o in killed if o[2] == "before" and o[3])
    print(f"{len(outcomes)} kills, {len(killed)} before the end; runs by status: {statuses}")
