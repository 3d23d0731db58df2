"""`make bench`: build (or reuse) the benchmark bank on PostgreSQL and print figures.

Prints the demo-generation rate, then search and Customer 360 latency (p50/p95/p99) through
the whole Django stack (test client: URL routing, middleware, scope, templates, audit write).

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
    rng.shuffle(sample)
    queries: list[str] = []
    for _id, no, name, mobile, last4 in sample[:samples]:
        queries.append(
            rng.choice(
                [name, name[:2], name[:1] + name[-1:] if len(name) > 2 else name, no, mobile, last4]
            )
        )
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


if __name__ == "__main__":
    main()
