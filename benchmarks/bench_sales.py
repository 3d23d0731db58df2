"""The sales pages at scale on PostgreSQL: the RM's agenda for an RM with 2,000 customers in a
1,000,000-customer bank (goal p95 < 300 ms), and the RM performance page of a branch with 40
RMs, through the whole Django stack (test client: routing, middleware, scope, templates).

The bank is written with SQL (INSERT … SELECT over generate_series), not the demo generator:
the agenda reads customers, accounts, tasks, scores, opportunities and leads, and those are
what is generated — one account, half a task, a score, a tenth of an opportunity and some
interactions per customer; a million customers take a few minutes instead of the hour the
demo's transactions would. Identifiers are left empty (the agenda never reads them).

Environment: BENCH_SALES_URL (default postgres://postgres@127.0.0.1:5432/bankcrm_h_sales; the
bank is rebuilt when its size differs or BENCH_REBUILD=1), BENCH_SALES_CUSTOMERS (default
1,000,000), BENCH_SAMPLES (default 100).
Run: PYTHONPATH=src python benchmarks/bench_sales.py
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

URL = os.environ.get("BENCH_SALES_URL", "postgres://postgres@127.0.0.1:5432/bankcrm_h_sales")
CUSTOMERS = int(os.environ.get("BENCH_SALES_CUSTOMERS", "1000000"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "100"))
PORTFOLIO = 2_000  # customers of every RM, the measured one included
BRANCH_RMS = 40  # RMs of the measured branch


def _setup() -> None:
    os.environ["BANKCRM_DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankcrm.settings")
    import psycopg

    name = URL.rsplit("/", 1)[1]
    with psycopg.connect(URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "-m", "bankcrm", "migrate", "--noinput", "-v0"], check=True)
    import django

    django.setup()


def _fill(cur, table: str, n_sql: str, values: dict[str, str]) -> None:
    """INSERT … SELECT … FROM generate_series(1, n) AS g: every NOT NULL column without a
    default gets its type's empty value unless ``values`` gives its SQL."""
    cur.execute(
        "SELECT column_name, data_type, is_nullable, column_default FROM "
        "information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    cols, exprs = [], []
    empty = {
        "character varying": "''",
        "text": "''",
        "integer": "0",
        "bigint": "0",
        "smallint": "0",
        "numeric": "0",
        "double precision": "0",
        "boolean": "false",
        "date": "current_date",
        "timestamp with time zone": "now()",
        "jsonb": "'[]'::jsonb",
    }
    for name, kind, nullable, default in cur.fetchall():
        if name in values:
            cols.append(name)
            exprs.append(values[name])
        elif name != "id" and nullable == "NO" and default is None:
            cols.append(name)
            exprs.append(empty[kind])
    cur.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
        f"FROM generate_series(1, {n_sql}) AS g"
    )


def build() -> None:
    from django.db import connection, transaction

    with transaction.atomic():
        _build(connection)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def _build(connection) -> None:

    from bankcrm.core.models import Branch, User

    t0 = time.perf_counter()
    rms = CUSTOMERS // PORTFOLIO
    with connection.cursor() as cur:
        cur.execute(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = "
            "'public' AND tablename NOT LIKE 'django_%%' AND tablename NOT IN "
            "('core_auditevent', 'auth_permission', 'auth_group')"
        )
        tables = cur.fetchone()[0]
        cur.execute("SET bankcrm.allow_truncate = 'on'")
        cur.execute(f"TRUNCATE {tables}, core_auditevent RESTART IDENTITY CASCADE")
    head = Branch.objects.create(code="HQ", name_zh="总行", name_en="Head office", city="北京")
    branches = [
        Branch.objects.create(
            code=f"B{i:02d}", name_zh=f"第{i}支行", name_en=f"Branch {i}", parent=head
        )
        for i in range(max(1, rms // BRANCH_RMS))
    ]
    users = [
        User(
            username=f"rm_{i:04d}",
            role="rm",
            branch=branches[min(i // BRANCH_RMS, len(branches) - 1)],
            name_zh=f"经理{i}",
        )
        for i in range(rms)
    ]
    User.objects.bulk_create(users)
    User.objects.create(username="bench_manager", role="branch_manager", branch=branches[0])
    with connection.cursor() as cur:
        cur.execute("SELECT min(id) FROM core_user WHERE role = 'rm'")
        first_rm = cur.fetchone()[0]
        cur.execute("SELECT min(id), count(*) FROM core_branch WHERE parent_id IS NOT NULL")
        first_branch, n_branches = cur.fetchone()
        rm_of = f"({first_rm} + (g - 1) % {rms})"
        last = n_branches - 1
        branch_of = f"({first_branch} + least(((g - 1) % {rms}) / {BRANCH_RMS}, {last}))"
        _fill(
            cur,
            "customers_customer",
            str(CUSTOMERS),
            {
                "customer_no": "'B' || lpad(g::text, 9, '0')",
                "kind": "'individual'",
                "name_zh": "'客户' || g",
                "gender": "'unknown'",
                "id_type": "'resident_id'",
                "kyc_status": "'verified'",
                "status": "'active'",
                "onboarded_on": "current_date - (g % 2000)",
                "onboarding_channel": "'branch'",
                "birth_date": "date '1950-01-01' + (g::bigint * 37 % 18000)::int",
                "branch_id": branch_of,
                "rm_id": rm_of,
                "aum": "(g::bigint * 7919 % 2000000)::numeric",
            },
        )
        cur.execute(
            "INSERT INTO banking_product (code, name_zh, name_en, category, risk_level, "
            "term_months, status, rate, min_amount) VALUES "
            "('CA', '活期', 'Current', 'deposit', 'R1', NULL, 'on_sale', NULL, 0), "
            "('TD3', '三个月定期', '3-month TD', 'time_deposit', 'R1', 3, 'on_sale', NULL, 0), "
            "('TD12', '一年定期', '1-year TD', 'time_deposit', 'R1', 12, 'on_sale', NULL, 0), "
            "('WM6', '六个月理财', '6-month WM', 'wealth', 'R2', 6, 'on_sale', NULL, 0), "
            "('FD', '基金', 'Fund', 'fund', 'R4', NULL, 'on_sale', NULL, 0)"
        )
        cur.execute("SELECT min(id) FROM banking_product")
        p0 = cur.fetchone()[0]
        cur.execute("SELECT min(id) FROM customers_customer")
        c0 = cur.fetchone()[0]
        _fill(
            cur,
            "banking_account",
            str(CUSTOMERS),
            {
                "account_no": "'A' || lpad(g::text, 12, '0')",
                "customer_id": f"{c0} + g - 1",
                "product_id": f"{p0} + g % 5",
                "branch_id": branch_of,
                "currency": "'CNY'",
                "balance": "(g::bigint * 104729 % 500000)::numeric",
                "status": "'open'",
                "opened_on": "current_date - (g::bigint * 13 % 1100)::int",
            },
        )
        _fill(
            cur,
            "interactions_task",
            str(CUSTOMERS // 2),
            {
                "customer_id": f"{c0} + g - 1",
                "assignee_id": rm_of,
                "title": "'跟进' || g",
                "due_on": "current_date + (abs(hashtext('d' || g)) % 60) - 30",
                "status": "CASE WHEN hashtext('s' || g) % 3 = 0 THEN 'done' ELSE 'open' END",
                "version": "1",
            },
        )
        _fill(
            cur,
            "interactions_interaction",
            str(CUSTOMERS),
            {
                "customer_id": f"{c0} + g - 1",
                "staff_id": rm_of,
                "kind": "'call'",
                "occurred_at": "now() - ((g % 60) || ' days')::interval",
                "subject": "'回访'",
            },
        )
        cur.execute(
            "INSERT INTO insights_analyticsrun (started_at, finished_at, status, as_of, "
            "model_version, customers, parameters, metrics, error) VALUES "
            "(now(), now(), 'succeeded', current_date, 'bench', %s, '{}', '{}', '') RETURNING id",
            [CUSTOMERS],
        )
        run = cur.fetchone()[0]
        _fill(
            cur,
            "insights_customerscore",
            str(CUSTOMERS),
            {
                "run_id": str(run),
                "customer_id": f"{c0} + g - 1",
                # Spread within every RM's portfolio too (a multiple of g would not be).
                "churn_probability": "(abs(hashtext(g::text)) % 100) / 100.0",
                "value_at_risk": "(abs(hashtext('v' || g)) % 90000)::numeric",
                "clv": "(g::bigint * 613 % 200000)::numeric",
                "churn_reasons": "'[]'::jsonb",
                "recommendations": '\'[{"product": "FD", "en": "Fund", "zh": "基金"}]\'::jsonb',
            },
        )
        stages = (
            "(ARRAY['identified','contacted','needs_assessed','proposal','application',"
            "'won','lost'])"
        )
        _fill(
            cur,
            "sales_opportunity",
            str(CUSTOMERS // 10),
            {
                "customer_id": f"{c0} + g - 1",
                "product_id": f"{p0} + g % 5",
                # The customer's RM and branch (customer k has RM k mod rms).
                "rm_id": rm_of,
                "branch_id": branch_of,
                "stage": f"{stages}[1 + (g / {rms}) % 7]",
                "lost_reason": f"CASE WHEN (g / {rms}) % 7 = 6 THEN 'price' ELSE '' END",
                "expected_amount": "(g::bigint * 7 % 500) * 1000",
                "next_step": "'电话沟通'",
                "next_step_on": "current_date + (abs(hashtext('n' || g)) % 20) - 5",
                "origin": "'staff'",
                "created_at": "now() - ((g % 90) || ' days')::interval",
                "closed_at": (
                    f"CASE WHEN (g / {rms}) % 7 >= 5 "
                    "THEN now() - ((g % 25) || ' days')::interval END"
                ),
                "version": "1",
            },
        )
        cur.execute(
            "INSERT INTO sales_stagechange (opportunity_id, from_stage, to_stage, changed_at) "
            "SELECT id, '', 'identified', created_at FROM sales_opportunity UNION ALL "
            "SELECT id, 'identified', stage, coalesce(closed_at, created_at) "
            "FROM sales_opportunity WHERE stage <> 'identified'"
        )
        _fill(
            cur,
            "sales_lead",
            str(CUSTOMERS // 20),
            {
                "name": "'线索' || g",
                "source": "'walk_in'",
                "branch_id": branch_of,
                "rm_id": rm_of,
                "status": "'new'",
                "follow_up_on": "current_date + (g % 14) - 3",
            },
        )
        cur.execute(
            "INSERT INTO insights_aummonthly (month, branch_id, rm_id, aum) "
            "SELECT date_trunc('month', current_date)::date - m * interval '1 month', branch_id, "
            "rm_id, sum(aum) FROM customers_customer, generate_series(0, 1) AS m "
            "GROUP BY 1, branch_id, rm_id"
        )
        cur.execute(
            "INSERT INTO sales_rmtarget (rm_id, month, new_customers, aum_growth, products_sold, "
            "pipeline_won, activities) SELECT id, date_trunc('month', current_date)::date, 10, "
            "1000000, 20, 2000000, 100 FROM core_user WHERE role = 'rm'"
        )
    print(f"  built in {time.perf_counter() - t0:,.0f} s")


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {q[49]:7.1f} ms   p95 {q[94]:7.1f} ms   p99 {q[98]:7.1f} ms   (n={len(ms)})"


def timed(client, url: str, n: int, check: str = "") -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(url)
        out.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
        assert check in response.content.decode()
    return out


@contextlib.contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    from django.db import connection

    seen: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield seen


def main() -> None:
    _setup()
    from django.test import Client

    from bankcrm.core.models import User
    from bankcrm.customers.models import Customer

    print(f"== sales: the agenda and RM performance ({URL.rsplit('/', 1)[1]})")
    present = Customer.objects.count()
    if present != CUSTOMERS or os.environ.get("BENCH_REBUILD"):
        print(f"  building a {CUSTOMERS:,}-customer bank ({PORTFOLIO:,} per RM) with SQL…")
        build()
    else:
        print(f"  reusing the bank already built ({present:,} customers)")
    rm = User.objects.get(username="rm_0000")
    manager = User.objects.get(username="bench_manager")
    mine = Customer.objects.filter(rm=rm).count()
    rms = User.objects.filter(role="rm", branch=manager.branch).count()
    c = Client()
    c.force_login(rm)
    c.get("/sales/")  # warm: the session, templates, translations
    with counted() as queries:
        items = c.get("/sales/").content.decode().count('data-testid="agenda-item"')
    lat = timed(c, "/sales/", SAMPLES, 'data-testid="agenda"')
    print(
        f"  agenda (GET /sales/), an RM with {mine:,} customers of {Customer.objects.count():,}: "
        f"{items} items, {len(queries)} queries"
    )
    print(f"    {percentiles(lat)}   goal p95 < 300 ms")
    m = Client()
    m.force_login(manager)
    m.get("/sales/performance/")
    with counted() as queries:
        m.get("/sales/performance/")
    lat = timed(m, "/sales/performance/", max(10, SAMPLES // 4), "data-figure")
    print(
        f"  RM performance (GET /sales/performance/), a branch of {rms} RMs: {len(queries)} queries"
    )
    print(f"    {percentiles(lat)}")
    lat = timed(m, "/api/v1/rm-performance", max(10, SAMPLES // 4))
    print(f"  GET /api/v1/rm-performance, the same branch: {percentiles(lat)}")


if __name__ == "__main__":
    main()
