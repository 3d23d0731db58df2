"""`make bench`: build (or reuse) the benchmark bank on PostgreSQL and print figures.

Prints the demo-generation rate, then search and Customer 360 latency (p50/p95/p99) through
the whole Django stack (test client: URL routing, middleware, scope, templates, audit write),
then analytics: RFM at 1M rows, BG/NBD against Lifetimes (its own virtualenv, created on
first use), the churn model beside three baselines on public customer tables and CLV on the
CDNOW logs (`benchmarks/bench_insights_real_data.py`), and a full `bankcrm analytics run`
with per-stage timings and peak RSS; then
the import benchmark (`benchmarks/bench_ingest.py`: 5,000,000 transactions against a bare
COPY, peak RSS, re-import); schemathesis over the API as every role (5xx, schema
violations); the audit chain sealed and verified at 1,000,000 events; the encryption at rest
of ID numbers and mobiles (`benchmarks/bench_pii.py`); jobs through Redis and RabbitMQ
(`benchmarks/bench_jobs.py`: tasks/s, enqueue-to-start p95, recovery after SIGKILL); last,
a load test of RMs searching, opening 360 pages and logging interactions through gunicorn
(`benchmarks/bench_load.py`: requests/s and p50/p95/p99 per step of users); the sales
agenda and RM performance pages (`benchmarks/bench_sales.py`).

Environment: BANKCRM_DATABASE_URL (PostgreSQL), BENCH_CUSTOMERS (default 1,000,000),
BENCH_MONTHS (default 12), BENCH_SAMPLES (default 300), BENCH_REBUILD=1 to rebuild.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankcrm.settings")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _ensure_database(url: str) -> None:
    import psycopg

    if not url.startswith("postgres"):
        return
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {q[49]:7.1f} ms   p95 {q[94]:7.1f} ms   p99 {q[98]:7.1f} ms   (n={len(ms)})"


def timed(fn: Callable[[], int], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        status = fn()
        out.append(time.perf_counter() - t0)
        assert status == 200, status
    return out


def main() -> None:
    url = os.environ.get("BANKCRM_DATABASE_URL", "")
    customers = int(os.environ.get("BENCH_CUSTOMERS", "1000000"))
    months = int(os.environ.get("BENCH_MONTHS", "12"))
    samples = int(os.environ.get("BENCH_SAMPLES", "300"))
    _ensure_database(url)
    bankcrm = str(BIN / "bankcrm")
    subprocess.run([bankcrm, "migrate", "--noinput", "-v0"], check=True)

    import django

    django.setup()
    from bankcrm.customers.models import Customer

    present = Customer.objects.count()
    print(f"== benchmark bank: {url.split('@')[-1]}")
    if present != customers or os.environ.get("BENCH_REBUILD"):
        t0 = time.perf_counter()
        subprocess.run(
            [
                bankcrm,
                "demo",
                "--customers",
                str(customers),
                "--months",
                str(months),
                "--seed",
                "42",
                "--flush",
                "--progress",
                "--no-analytics",
                "--direct",
            ],
            check=True,
        )
        elapsed = time.perf_counter() - t0
        from bankcrm.banking.models import Transaction

        n_tx = Transaction.objects.count()
        print(
            f"demo generation: {customers:,} customers, {n_tx:,} transactions, {months} months "
            f"in {elapsed:,.0f} s = {customers / elapsed:,.0f} customers/s, "
            f"{n_tx / elapsed:,.0f} transactions/s"
        )
    else:
        print(f"reusing the bank already built ({present:,} customers); BENCH_REBUILD=1 rebuilds")

    from django.db import connection
    from django.test import Client

    from bankcrm.core.models import User

    rng = random.Random(7)
    admin = User.objects.get(username="admin_demo")
    rm = User.objects.get(username="rm_demo")
    manager = User.objects.get(username="manager_demo")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, customer_no, name_zh, mobile, id_last4 FROM customers_customer "
            "TABLESAMPLE SYSTEM (1) LIMIT 5000"
        )
        sample = cur.fetchall()
    from bankcrm.core.crypto import decrypt

    sample = [
        (i, no, name, decrypt(mobile, "mobile"), last4) for i, no, name, mobile, last4 in sample
    ]
    rng.shuffle(sample)
    queries: list[str] = []
    for _id, no, name, mobile, last4 in sample[:samples]:
        queries.append(
            rng.choice(
                [name, name[:2], name[:1] + name[-1:] if len(name) > 2 else name, no, mobile, last4]
            )
        )
    # The per-user limit on identifier searches (30 per 10 minutes) would turn most of the
    # timed mobile and last-4 searches into refusals: measure the searches themselves (each
    # revealing one still writes its audit event).
    from django.conf import settings

    settings.BANKCRM_ID_SEARCH_LIMIT = 0
    clients = {}
    for role, user in (("admin", admin), ("branch manager", manager), ("rm", rm)):
        c = Client()
        c.force_login(user)
        clients[role] = c

    print("\n== customer search (GET /customers/?q=…, full page; all-bank scope unless noted)")
    it = iter(queries * 3)
    for role, c in clients.items():
        lat = timed(lambda c=c: c.get("/customers/", {"q": next(it)}).status_code, len(queries))
        print(f"  {role:15s} free text      {percentiles(lat)}")
    c = clients["admin"]
    filt = [
        {
            "risk": rng.choice(["R1", "R2", "R3", "R4", "R5"]),
            "aum_min": rng.choice([0, 50000, 500000]),
            "sort": rng.choice(["-aum", "name"]),
            "status": "active",
        }
        for _ in range(samples)
    ]
    fit = iter(filt)
    lat = timed(lambda: c.get("/customers/", next(fit)).status_code, len(filt))
    print(f"  {'admin':15s} filters+sort   {percentiles(lat)}")
    lat = timed(lambda: c.get("/api/v1/customers", {"q": rng.choice(queries)}).status_code, samples)
    print(f"  {'admin':15s} API search     {percentiles(lat)}")

    print("\n== Customer 360 (page and API; includes the audit write)")
    ids = [row[0] for row in sample[:samples]]
    iit = iter(ids)
    lat = timed(lambda: c.get(f"/customers/{next(iit)}/").status_code, len(ids))
    print(f"  page  {percentiles(lat)}")
    iit = iter(ids)
    lat = timed(lambda: c.get(f"/api/v1/customers/{next(iit)}/360").status_code, len(ids))
    print(f"  API   {percentiles(lat)}")

    bench_analytics(bankcrm)

    # The import benchmark uses its own database (a 20,000-customer bank) so that it measures
    # the same thing whatever the size of the benchmark bank.
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_ingest

    print()
    bench_ingest.main()

    # The API fuzzed as every role (`benchmarks/bench_schemathesis.py`): its own test database.
    import bench_schemathesis

    print()
    bench_schemathesis.main()

    # The audit trail's hash chain: seal and verify 1,000,000 events (its own database).
    import bench_audit

    print()
    bench_audit.main()

    # Resident IDs and mobiles encrypted at rest: cost per value, import rate with and without
    # them, search by keyed hash, key rotation (its own database).
    import bench_pii

    print()
    bench_pii.main()

    # Loyalty: earning over 5,000,000 transactions, the nightly balance check over 1,000,000
    # members, redemptions/s at 50 concurrent clients (`benchmarks/bench_loyalty.py`, its own
    # database: BENCH_LOYALTY_URL).
    import bench_loyalty

    print()
    bench_loyalty.URL = os.environ.get(
        "BENCH_LOYALTY_URL", "postgres://postgres@127.0.0.1:5432/bankcrm_bench_loyalty"
    )
    bench_loyalty.main()

    # Jobs through Redis and RabbitMQ: tasks/s, enqueue-to-start latency, import recovery
    # after a worker is killed (`benchmarks/bench_jobs.py`, its own database).
    import bench_jobs

    print()
    bench_jobs.main()

    # The sales pages at scale (`benchmarks/bench_sales.py`): the agenda of an RM with 2,000
    # customers in a 1,000,000-customer bank, RM performance for a branch of 40 RMs (its own
    # SQL-built bank in BENCH_SALES_URL).
    import bench_sales

    print()
    bench_sales.main()

    # RMs under load through gunicorn (`benchmarks/bench_load.py`): its own 100,000-customer
    # bank unless BENCH_LOAD_URL points at this one.
    import bench_load

    print()
    bench_load.main()


MEASURE_RSS = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": done.returncode, "seconds": time.perf_counter() - t0,
                  "peak_mib": peak_kib / 1024, "stdout": done.stdout, "stderr": done.stderr}))
"""


def bench_analytics(bankcrm: str) -> None:
    """RFM at 1M rows, BG/NBD against Lifetimes, and a full analytics run on this bank."""
    import json

    import numpy as np
    import pandas as pd

    from bankcrm.analytics.rfm import rfm_scores

    print("\n== RFM scoring of 1,000,000 customers (goal < 0.5 s)")
    rng = np.random.default_rng(0)
    n = 1_000_000
    frame = pd.DataFrame(
        {
            "recency_days": rng.integers(0, 400, n),
            "frequency": rng.poisson(20, n),
            "monetary": rng.lognormal(8, 1, n),
        }
    )
    best = min(_seconds(lambda: rfm_scores(frame)) for _ in range(3))
    print(f"  best of 3: {best:.3f} s")

    print()
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bgnbd_vs_lifetimes.py")], check=True)

    print()
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_insights_real_data.py")], check=True
    )

    print("\n== full analytics run on the benchmark bank (goal < 10 min, < 8 GB peak RSS)")
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE_RSS, bankcrm, "analytics", "run", "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(measured.stdout)
    if result["rc"] != 0:
        print(result["stderr"][-2000:])
        raise SystemExit("the analytics run failed")
    run = json.loads(result["stdout"].strip().splitlines()[-1])
    m = run["metrics"]
    print(
        f"  run {run['run']}: {run['customers']:,} customers in {result['seconds']:,.0f} s, "
        f"peak RSS {result['peak_mib']:,.0f} MiB"
    )
    from bankcrm.insights.runs import STAGES

    timings = m["timings"]
    print("  stages: " + ", ".join(f"{k} {timings[k]:,.1f} s" for k in STAGES if k in timings))
    churn = m.get("churn", {})
    if "auc" in churn:
        print(
            f"  churn hold-out AUC {churn['auc']:.3f} (RFM logistic {churn['baseline_auc']:.3f}) "
            f"on {churn['test_customers']:,} customers, {churn['test_churners']:,} left"
        )
    rec = m.get("recommend", {})
    if rec.get("customers"):
        print(
            f"  next best product hit rate@{rec['k']} {rec['hit_rate']:.3f} "
            f"(popularity {rec['popularity_hit_rate']:.3f}) on {rec['customers']:,} customers"
        )


def _seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
