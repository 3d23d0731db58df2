"""The points programme at scale on PostgreSQL: earning over transactions (rows/s, one set-based
INSERT … SELECT per chunk), the nightly balance check over every member, and redemptions per
second from 50 concurrent clients with zero overspend.

Run: ``BANKCRM_DATABASE_URL=postgres://…/bankcrm_h_loyalty python benchmarks/bench_loyalty.py``
(the database is dropped and created again). Environment: BENCH_LOYALTY_TRANSACTIONS (default
5,000,000), BENCH_LOYALTY_MEMBERS (default 1,000,000: customers, each with one account),
BENCH_LOYALTY_CLIENTS (default 50), BENCH_LOYALTY_REDEMPTIONS (per client, default 40).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
URL = os.environ.get("BANKCRM_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bankcrm_h_loyalty")
TRANSACTIONS = int(os.environ.get("BENCH_LOYALTY_TRANSACTIONS", "5000000"))
MEMBERS = int(os.environ.get("BENCH_LOYALTY_MEMBERS", "1000000"))
CLIENTS = int(os.environ.get("BENCH_LOYALTY_CLIENTS", "50"))
PER_CLIENT = int(os.environ.get("BENCH_LOYALTY_REDEMPTIONS", "40"))


def _env() -> dict[str, str]:
    return {**os.environ, "BANKCRM_DATABASE_URL": URL, "DJANGO_SETTINGS_MODULE": "bankcrm.settings"}


def fresh_database() -> None:
    name, admin = URL.rsplit("/", 1)[1], URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([BIN / "bankcrm", "migrate", "-v0"], env=_env(), check=True)


def _filler(cur: psycopg.Cursor, table: str, given: dict[str, str]) -> tuple[str, str]:
    """Columns and SQL values for every NOT NULL column of ``table`` (``given`` first)."""
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    )
    by_type = {
        "boolean": "false",
        "date": "DATE '2020-01-10'",
        "numeric": "0",
        "integer": "0",
        "bigint": "0",
        "smallint": "0",
        "jsonb": "'{}'::jsonb",
        "timestamp with time zone": "now()",
    }
    cols = dict(given)
    for name, kind in cur.fetchall():
        if name != "id" and name not in cols:
            cols[name] = by_type.get(kind, "''")
    return ", ".join(cols), ", ".join(cols.values())


def populate() -> float:
    """MEMBERS customers with an account each and TRANSACTIONS purchases over 24 months."""
    started = time.perf_counter()
    with psycopg.connect(URL) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO core_branch (code, name_zh, name_en, city) "
            "VALUES ('BJ', '北京分行', 'Beijing', '北京') RETURNING id"
        )
        (branch,) = cur.fetchone()
        cur.execute(
            "INSERT INTO banking_product (code, name_zh, name_en, category, risk_level, "
            "min_amount, status) VALUES ('CC', '信用卡', 'Card', 'credit_card', 'R1', 0, "
            "'on_sale') RETURNING id"
        )
        (product,) = cur.fetchone()
        cols, vals = _filler(
            cur,
            "customers_customer",
            {
                "customer_no": "'B' || lpad(g::text, 9, '0')",
                "branch_id": str(branch),
                "name_zh": "'客户'",
                "kind": "'individual'",
                "status": "'active'",
                "aum": "(g %% 5000) * 1000",
            },
        )
        cur.execute(
            f"INSERT INTO customers_customer ({cols}) "  # noqa: S608
            f"SELECT {vals} FROM generate_series(1, %s) g",
            [MEMBERS],
        )
        cur.execute(
            "INSERT INTO banking_account (account_no, customer_id, product_id, branch_id, "
            "currency, balance, status, opened_on) SELECT 'A' || c.id, c.id, %s, %s, 'CNY', 0, "
            "'open', DATE '2020-01-10' FROM customers_customer c",
            [product, branch],
        )
        cur.execute(
            """
            INSERT INTO banking_transaction (txn_id, account_id, customer_id, booked_at, amount,
                direction, txn_type, counterparty_category, channel, description)
            SELECT 'T' || g, a.id, a.customer_id,
                   TIMESTAMPTZ '2024-12-01' + (g %% 730) * INTERVAL '1 day',
                   10 + (g::bigint * 7919 %% 2000), 'debit',
                   (ARRAY['purchase','purchase','purchase','bill','fee','transfer'])[1 + g %% 6],
                   CASE WHEN g %% 11 = 0 THEN 'own_account' ELSE 'merchant' END,
                   (ARRAY['pos','mobile','wechat_pay','alipay','online'])[1 + g %% 5], ''
            FROM generate_series(1, %s) g
            JOIN banking_account a ON a.id = (SELECT min(id) FROM banking_account) + g %% %s
            """,
            [TRANSACTIONS, MEMBERS],
        )
        conn.commit()
        cur.execute("ANALYZE")
    return time.perf_counter() - started


def main() -> None:
    os.environ.update(_env())
    name = URL.rsplit("/", 1)[1]
    print(f"Loyalty at {TRANSACTIONS:,} transactions, {MEMBERS:,} customers, PostgreSQL {name}")
    fresh_database()
    print(f"  bank written in {populate():.1f} s")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection

    from bankcrm.core.models import User
    from bankcrm.loyalty import defaults, runs, services
    from bankcrm.loyalty.models import Member, Redemption, Reward

    defaults.programme_setup_defaults(actor=None)
    earned = runs.earn_transactions(chunk=1_000_000)
    print(
        f"  earning: {earned.scanned:,} transactions in {earned.seconds:.1f} s = "
        f"{earned.scanned / earned.seconds:,.0f} rows/s ({earned.entries:,} entries, "
        f"{earned.enrolled:,} members enrolled)"
    )
    again = runs.earn_transactions(since_id=0, chunk=1_000_000)
    print(f"  replayed from the start: {again.entries} entries added in {again.seconds:.1f} s")
    check = runs.balance_check()
    print(
        f"  nightly balance check: {check.members:,} members in {check.seconds:.1f} s, "
        f"{check.differences} differences"
    )

    admin = User.objects.create(username="bench", role="admin")
    stock = CLIENTS * PER_CLIENT // 2  # half the requests find stock
    reward = Reward.objects.create(
        code="bench", name_zh="礼品", name_en="Gift", kind="gift", points_price=100, stock=stock
    )
    rich = list(
        Member.objects.filter(balance__gte=100)
        .order_by("pk")
        .values_list("customer_id", flat=True)[: CLIENTS * 4]
    )
    from bankcrm.customers.models import Customer

    customers = list(Customer.objects.filter(pk__in=rich))
    connection.close()
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(i: int) -> None:
        mine = customers[i::CLIENTS]
        start.wait()
        for k in range(PER_CLIENT):
            try:
                services.redemption_create(actor=admin, customer=mine[k % len(mine)], reward=reward)
                got = "ok"
            except services.LoyaltyRefused as exc:
                got = exc.code
            with lock:
                outcomes.append(got)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    reward.refresh_from_db()
    made = outcomes.count("ok")
    check = runs.balance_check()
    negative = Member.objects.filter(balance__lt=0).count()
    print(
        f"  redemptions: {CLIENTS} clients × {PER_CLIENT} = {len(outcomes):,} requests in "
        f"{seconds:.1f} s = {len(outcomes) / seconds:,.0f}/s ({made:,} redeemed, "
        f"{len(outcomes) - made:,} refused: {sorted(set(outcomes) - {'ok'})}); stock left "
        f"{reward.stock} of {stock}, redemptions recorded {Redemption.objects.count():,}, "
        f"negative balances {negative}, balance differences {check.differences}"
    )
    assert reward.stock == stock - made >= 0 and negative == 0 and check.differences == 0


if __name__ == "__main__":
    main()
