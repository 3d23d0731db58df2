"""The audit chain at scale on PostgreSQL: seal and verify 1,000,000 events.

Prints the time to chain (seal) the events and the time `bankcrm audit verify` takes to walk
the whole chain, with its rate and peak RSS.

Environment: BENCH_AUDIT_URL (default postgres://postgres@127.0.0.1:5432/bankcrm_bench_audit; the
database is dropped and created again), BENCH_AUDIT_EVENTS (default 1,000,000).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

BIN = Path(sys.executable).parent
URL = os.environ.get("BENCH_AUDIT_URL", "postgres://postgres@127.0.0.1:5432/bankcrm_bench_audit")
EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))
ACTIONS = ["view", "reveal", "update", "create", "login", "export"]


def _env() -> dict[str, str]:
    return {**os.environ, "BANKCRM_DATABASE_URL": URL, "DJANGO_SETTINGS_MODULE": "bankcrm.settings"}


def fresh_database(url: str = URL, env: dict[str, str] | None = None) -> None:
    """Drop and create the database at ``url`` and migrate it (other benchmarks use it too)."""
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([BIN / "bankcrm", "migrate", "-v0"], env=env or _env(), check=True)


def write_events() -> float:
    started = time.perf_counter()
    with psycopg.connect(URL) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY core_auditevent (at, actor_username, action, object_type, object_id, "
            "customer_id, ip_address, channel, purpose, changes) FROM STDIN"
        ) as copy:
            for i in range(EVENTS):
                copy.write_row(
                    (
                        f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 09:{i % 60:02d}:00+08",
                        f"rm_{i % 500:03d}",
                        ACTIONS[i % len(ACTIONS)],
                        "customers.customer",
                        str(i % 200_000),
                        i % 200_000,
                        f"10.0.{i % 250}.{i % 200}",
                        "web",
                        "customer 360",
                        json.dumps({"field": "mobile", "n": i}, ensure_ascii=False),
                    )
                )
        conn.commit()
    return time.perf_counter() - started


def timed(args: list[str]) -> tuple[str, float, float]:
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", str(BIN / "bankcrm"), *args],
        env=_env(),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"bankcrm {' '.join(args)} failed: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        )
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return done.stdout, seconds, int(peak.group(1)) / 1024 if peak else float("nan")


def main() -> None:
    print(f"audit chain benchmark: {EVENTS:,} events on {URL.rsplit('/', 1)[1]}")
    fresh_database()
    took = write_events()
    print(f"  write (COPY)  {took:8.1f} s")
    _out, seal, seal_rss = timed(["audit", "seal", "--no-progress"])
    print(
        f"  seal          {seal:8.1f} s   {EVENTS / seal:>10,.0f} events/s   "
        f"peak RSS {seal_rss:,.0f} MiB"
    )
    out, verify, verify_rss = timed(["audit", "verify", "--json", "--no-seal"])
    report = json.loads(out)
    state = "intact" if report["intact"] else f"BROKEN at {report['broken_seq']}"
    print(
        f"  verify        {verify:8.1f} s   {report['checked'] / verify:>10,.0f} events/s   "
        f"peak RSS {verify_rss:,.0f} MiB   {report['checked']:,} events, {state}"
    )


if __name__ == "__main__":
    main()
