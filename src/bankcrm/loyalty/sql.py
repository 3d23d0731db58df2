"""The set-based statements of the programme: earning over transactions and AUM, expiry, the
balance update of a batch and the nightly check. One INSERT … SELECT per chunk, never a Python
loop per row; PostgreSQL and SQLite spell dates and rounding differently, nothing else."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _offset() -> str:
    """SQLite stores instants in UTC: the bank's zone as a fixed offset ('+8 hours')."""
    delta = dt.datetime(2024, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE)).utcoffset()
    hours = int((delta or dt.timedelta()).total_seconds() // 3600)
    return f"{hours:+d} hours"


def local_date(col: str) -> str:
    if _pg():
        return f"(({col}) AT TIME ZONE '{settings.TIME_ZONE}')::date"
    return f"date({col}, '{_offset()}')"


def local_month(col: str) -> str:
    if _pg():
        return f"date_trunc('month', ({col}) AT TIME ZONE '{settings.TIME_ZONE}')::date"
    return f"strftime('%Y-%m-01', {col}, '{_offset()}')"


def floor_int(expr: str) -> str:
    """Whole points, rounded down (the expressions here are never negative)."""
    return f"FLOOR({expr})::bigint" if _pg() else f"CAST({expr} AS INTEGER)"


def expiry_of(col: str, years: int) -> str:
    """The last day of the ``years``-th calendar year after the one ``col`` falls in."""
    if years <= 0:
        return "NULL"
    if _pg():
        year = f"EXTRACT(YEAR FROM ({col}) AT TIME ZONE '{settings.TIME_ZONE}')::int"
        return f"make_date({year} + {years}, 12, 31)"
    return f"(CAST(strftime('%Y', {col}, '{_offset()}') AS INTEGER) + {years}) || '-12-31'"


def concat(*parts: str) -> str:
    if _pg():
        return "(" + " || ".join(f"({p})::text" for p in parts) + ")"
    return "(" + " || ".join(parts) + ")"


def _matches(rule: str) -> str:
    """A transaction ``t`` (its account's product ``p``) meets the conditions of rule ``rule``."""
    return (
        f"({rule}.txn_type = '' OR {rule}.txn_type = t.txn_type)"
        f" AND ({rule}.channel = '' OR {rule}.channel = t.channel)"
        f" AND ({rule}.product_category = '' OR {rule}.product_category = p.category)"
        f" AND ({rule}.counterparty_category = ''"
        f" OR {rule}.counterparty_category = t.counterparty_category)"
        f" AND ({rule}.direction = '' OR {rule}.direction = t.direction)"
        f" AND {rule}.effective_from <= {local_date('t.booked_at')}"
        f" AND ({rule}.effective_to IS NULL OR {rule}.effective_to > {local_date('t.booked_at')})"
    )


# The advisory lock enrolment takes (PostgreSQL): there is no unique constraint on a member's
# customer (see models.Member), so whoever enrols holds it until their transaction ends.
ENROL_LOCK = 0x4C6F79616C7479


def enrol_lock() -> None:
    """Wait for, then hold until commit, the right to enrol customers (one enroller at a
    time; SQLite serializes every writer anyway)."""
    if _pg():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [ENROL_LOCK])


def enrol_transacting(*, lo: int, hi: int, now: dt.datetime, today: dt.date) -> int:
    """Enrol the customers of transactions lo < id ≤ hi who are not members yet."""
    sql = """
        INSERT INTO loyalty_member
            (customer_id, status, balance, tier_id, tier_since, enrolled_at)
        SELECT c.customer_id, 'active', 0,
               (SELECT id FROM loyalty_tier ORDER BY rank LIMIT 1), %s, %s
        FROM (SELECT DISTINCT t.customer_id FROM banking_transaction t
              WHERE t.id > %s AND t.id <= %s) c
        WHERE NOT EXISTS (SELECT 1 FROM loyalty_member m
                          WHERE m.customer_id = c.customer_id AND m.status = 'active')
    """
    with connection.cursor() as cur:
        cur.execute(sql, [today, now, lo, hi])
        return max(cur.rowcount, 0)


def earn_spend(*, lo: int, hi: int, batch: int, now: dt.datetime, expiry_years: int) -> int:
    """Earn on the transactions lo < id ≤ hi by every spend rule in force on their booking
    day, none where an exclusion rule applies, with the member's tier multiplier and each
    rule's monthly cap; one entry per transaction and rule code, keyed so a replay adds none."""
    key = concat("'earn:t'", "t.id", "':'", "r.code")
    raw = floor_int(
        f"{floor_int('t.amount / r.per_cny')} * r.points * COALESCE(tr.earn_multiplier, 1)"
    )
    month = local_month("t.booked_at")
    sql = f"""
        WITH base AS (
            SELECT t.id AS txn_id, t.booked_at, m.id AS member_id, r.id AS rule_id,
                   r.code, r.monthly_cap AS cap, {month} AS month, {raw} AS raw,
                   {key} AS ikey, r.name_en AS reason,
                   {expiry_of("t.booked_at", expiry_years)} AS expires_on
            FROM banking_transaction t
            JOIN banking_account a ON a.id = t.account_id
            JOIN banking_product p ON p.id = a.product_id
            JOIN loyalty_member m ON m.customer_id = t.customer_id AND m.status = 'active'
            LEFT JOIN loyalty_tier tr ON tr.id = m.tier_id
            JOIN loyalty_earnrule r ON r.kind = 'spend' AND {_matches("r")}
            WHERE t.id > %s AND t.id <= %s
              AND NOT EXISTS (SELECT 1 FROM loyalty_earnrule x
                              WHERE x.kind = 'exclude' AND {_matches("x")})
              AND NOT EXISTS (SELECT 1 FROM loyalty_entry e WHERE e.idempotency_key = {key})
        ),
        prev AS (
            SELECT e.member_id, r2.code, {local_month("e.occurred_at")} AS month,
                   SUM(e.points) AS pts
            FROM loyalty_entry e JOIN loyalty_earnrule r2 ON r2.id = e.rule_id
            WHERE e.kind = 'earn' AND r2.monthly_cap IS NOT NULL
              AND e.member_id IN (SELECT member_id FROM base WHERE cap IS NOT NULL)
            GROUP BY e.member_id, r2.code, {local_month("e.occurred_at")}
        ),
        ranked AS (
            SELECT b.*, COALESCE(pv.pts, 0) AS before,
                   SUM(b.raw) OVER (PARTITION BY b.member_id, b.code, b.month
                                    ORDER BY b.booked_at, b.txn_id
                                    ROWS UNBOUNDED PRECEDING) AS cum
            FROM base b
            LEFT JOIN prev pv ON pv.member_id = b.member_id AND pv.code = b.code
                             AND pv.month = b.month
        ),
        awarded AS (
            SELECT ranked.*,
                   CASE WHEN cap IS NULL THEN raw
                        WHEN cap - before - cum + raw <= 0 THEN 0
                        WHEN cap - before - cum + raw < raw THEN cap - before - cum + raw
                        ELSE raw END AS pts
            FROM ranked
        )
        INSERT INTO loyalty_entry
            (member_id, kind, source, points, reason, idempotency_key, rule_id,
             transaction_id, occurred_at, created_at, expires_on, created_by_id, batch)
        SELECT member_id, 'earn', 'transaction', pts, reason, ikey, rule_id, txn_id,
               booked_at, %s, expires_on, NULL, %s
        FROM awarded WHERE pts > 0
        ON CONFLICT (idempotency_key) DO NOTHING
    """  # noqa: S608 -- fragments are constants and column names, values bound
    with connection.cursor() as cur:
        cur.execute(sql, [lo, hi, now, batch])
        return max(cur.rowcount, 0)


def earn_aum(
    *, month: dt.date, batch: int, now: dt.datetime, at: dt.datetime, expiry_years: int
) -> int:
    """AUM points for ``month`` (its first day): each member's month-end AUM from the
    balance snapshots, by every AUM rule in force that month for their tier."""
    key = concat("'aum:m'", "s.member_id", "':'", "%s", "':'", "r.code")
    raw = floor_int(f"{floor_int('s.aum / r.per_cny')} * r.points")
    sql = f"""
        WITH s AS (
            SELECT m.id AS member_id, m.tier_id, SUM(b.balance) AS aum
            FROM banking_balancesnapshot b
            JOIN loyalty_member m ON m.customer_id = b.customer_id AND m.status = 'active'
            WHERE b.month = %s AND b.counts_to_aum
            GROUP BY m.id, m.tier_id
        ),
        base AS (
            SELECT s.member_id, r.id AS rule_id, r.monthly_cap AS cap, {raw} AS raw,
                   {key} AS ikey, r.name_en AS reason
            FROM s JOIN loyalty_earnrule r
              ON r.kind = 'aum' AND (r.tier_id IS NULL OR r.tier_id = s.tier_id)
             AND r.effective_from <= %s AND (r.effective_to IS NULL OR r.effective_to > %s)
        )
        INSERT INTO loyalty_entry
            (member_id, kind, source, points, reason, idempotency_key, rule_id,
             transaction_id, occurred_at, created_at, expires_on, created_by_id, batch)
        SELECT member_id, 'earn', 'aum',
               CASE WHEN cap IS NOT NULL AND raw > cap THEN cap ELSE raw END,
               reason, ikey, rule_id, NULL, %s, %s, {expiry_of("%s", expiry_years)}, NULL, %s
        FROM base WHERE raw > 0
        ON CONFLICT (idempotency_key) DO NOTHING
    """  # noqa: S608 -- fragments are constants and column names, values bound
    label = f"{month:%Y-%m}"
    params: list[Any] = [month, label, month, month, at, now]
    if expiry_years > 0:
        params.append(at)
    params.append(batch)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return max(cur.rowcount, 0)


def expire(*, on: dt.date, batch: int, now: dt.datetime) -> int:
    """Expire, first in first out, what is left of the lots whose last day was before ``on``:
    per member, the credits expired by then less every debit so far (debits take the oldest
    lots first), when positive."""
    key = concat("'expire:m'", "x.member_id", "':'", "%s")
    sql = f"""
        INSERT INTO loyalty_entry
            (member_id, kind, source, points, reason, idempotency_key, rule_id,
             transaction_id, occurred_at, created_at, expires_on, created_by_id, batch)
        SELECT x.member_id, 'expire', 'programme', -x.amount, %s, {key}, NULL, NULL,
               %s, %s, NULL, NULL, %s
        FROM (
            SELECT e.member_id,
                   SUM(CASE WHEN e.points > 0 AND e.expires_on < %s THEN e.points ELSE 0 END)
                   + SUM(CASE WHEN e.points < 0 THEN e.points ELSE 0 END) AS amount
            FROM loyalty_entry e
            WHERE e.member_id IN (SELECT member_id FROM loyalty_entry
                                  WHERE points > 0 AND expires_on < %s)
            GROUP BY e.member_id
        ) x
        WHERE x.amount > 0
        ON CONFLICT (idempotency_key) DO NOTHING
    """  # noqa: S608 -- fragments are constants and column names, values bound
    reason = f"expired before {on.isoformat()}"
    with connection.cursor() as cur:
        cur.execute(sql, [reason, on.isoformat(), now, now, batch, on, on])
        return max(cur.rowcount, 0)


def apply_batch(batch: int) -> tuple[int, int, int]:
    """Add a batch's entries to their members' stored balances; (entries, members, points)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE loyalty_member SET balance = loyalty_member.balance + s.pts
            FROM (SELECT member_id, SUM(points) AS pts FROM loyalty_entry
                  WHERE batch = %s GROUP BY member_id) s
            WHERE loyalty_member.id = s.member_id
            """,
            [batch],
        )
        members = max(cur.rowcount, 0)
        cur.execute(
            "SELECT COUNT(*), COALESCE(SUM(points), 0) FROM loyalty_entry WHERE batch = %s",
            [batch],
        )
        entries, points = cur.fetchone()
    return int(entries), members, int(points)


def balance_differences(limit: int = 20) -> tuple[int, int, list[dict[str, int]]]:
    """Every member's stored balance against the sum of their entries: (members checked,
    members that differ, the first ``limit`` of them)."""
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM loyalty_member")
        members = int(cur.fetchone()[0])
        cur.execute(
            """
            SELECT m.id, m.balance, COALESCE(s.total, 0)
            FROM loyalty_member m
            LEFT JOIN (SELECT member_id, SUM(points) AS total FROM loyalty_entry
                       GROUP BY member_id) s ON s.member_id = m.id
            WHERE m.balance <> COALESCE(s.total, 0)
            ORDER BY m.id
            """
        )
        rows = cur.fetchall()
    sample = [{"member": r[0], "stored": int(r[1]), "sum": int(r[2])} for r in rows[:limit]]
    return members, len(rows), sample
