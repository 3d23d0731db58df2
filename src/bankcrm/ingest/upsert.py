"""Landing the staged rows: what they would create, change or leave as it is, the one set-based
upsert by natural key (changing only rows whose values differ), and what follows from it: the
audit trail of personal data, the RM assignment history and customers' AUM."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection, models

from bankcrm.banking.aum import aum_accounts_sql
from bankcrm.banking.models import Account, Product
from bankcrm.core.audit import current_context, jsonable
from bankcrm.core.chain import CONTENT
from bankcrm.core.crypto import BlindIndexField, EncryptedCharField, decrypt
from bankcrm.core.models import AuditAction, AuditEvent
from bankcrm.core.pii import mask_changes
from bankcrm.customers.models import Customer, RmAssignment
from bankcrm.ingest.plan import model_field
from bankcrm.ingest.stage import BATCH_ROWS, STAGE, Stage, is_postgres, q


def _distinct(left: str, right: str, columns: Sequence[str]) -> str:
    """SQL true when the rows differ in any of ``columns`` (NULL-safe)."""
    if not columns:
        return "1 = 0"
    if is_postgres():
        a = ", ".join(f"{left}.{q(c)}" for c in columns)
        b = ", ".join(f"{right}.{q(c)}" for c in columns)
        return f"ROW({a}) IS DISTINCT FROM ROW({b})"
    same = " AND ".join(f"{left}.{q(c)} IS {right}.{q(c)}" for c in columns)
    return f"NOT ({same})"


class Upsert:
    """The staged rows against the kind's table."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.plan = stage.plan
        self.kind = stage.kind
        self.model = stage.model
        # Encrypted columns arrive encrypted (by the kind's check) and differ at every write:
        # whether a row changed is told by their keyed hashes, which are derived columns.
        fields = self.model._meta.concrete_fields
        self.encrypted = {f.attname for f in fields if isinstance(f, EncryptedCharField)}
        self.hash_of = {f.attname: f.source for f in fields if isinstance(f, BlindIndexField)}

    def resolved(self) -> tuple[str, list[str]]:
        """SELECT of the staged rows with references resolved; and the target columns it has."""
        selects: list[str] = []
        joins: list[str] = []
        targets: list[str] = []
        for i, (col, name) in enumerate(
            zip(self.plan.columns, self.plan.stage_names, strict=False)
        ):
            ref = col.ref
            if ref is None:
                selects.append(f"s.{q(name)} AS {q(col.attname)}")
                targets.append(col.attname)
                continue
            alias = f"r{i}"
            joins.append(
                f"LEFT JOIN {self.stage.ref_source(col)} {alias} "
                f"ON {alias}.{q(ref.key)} = s.{q(name)}"
            )
            for target, expr in ref.outputs.items():
                selects.append(f"{expr.format(r=alias)} AS {q(target)}")
                targets.append(target)
        for name in self.plan.derived:
            selects.append(f"s.{q(name)} AS {q(name)}")
            targets.append(name)
        sql = f"SELECT {', '.join(selects)} FROM {q(STAGE)} s {' '.join(joins)}"  # noqa: S608
        return sql, targets

    def _compare_columns(self, targets: Sequence[str]) -> list[str]:
        """The columns that tell whether a row changed (an encrypted one by its hash)."""
        conflict = set(self.kind.conflict)
        return [t for t in targets if t not in conflict and t not in self.encrypted]

    def _set_columns(self, targets: Sequence[str]) -> list[str]:
        conflict = set(self.kind.conflict)
        return [t for t in targets if t not in conflict]

    def _shown_columns(self, compare: Sequence[str]) -> list[str]:
        """What the trail shows of a change: the field behind a keyed hash, not the hash."""
        shown = [self.hash_of.get(c, c) for c in compare]
        # The last 4 of a mobile follow the mobile: its change is the mobile's.
        return [c for c in shown if c != "mobile_last4" or "mobile" not in shown]

    def classify(self) -> tuple[int, int, int]:
        """(created, updated, unchanged) if the staged rows were upserted now."""
        select, targets = self.resolved()
        table = q(self.model._meta.db_table)
        pk = q(str(self.model._meta.pk.column))
        on = " AND ".join(f"t.{q(c)} = r.{q(c)}" for c in self.kind.conflict)
        changed = _distinct("t", "r", self._compare_columns(targets))
        sql = (
            f"SELECT COUNT(*), "  # noqa: S608
            f"COALESCE(SUM(CASE WHEN t.{pk} IS NULL THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN t.{pk} IS NOT NULL AND {changed} THEN 1 ELSE 0 END), 0) "
            f"FROM ({select}) r LEFT JOIN {table} t ON {on}"
        )
        with connection.cursor() as cur:
            cur.execute(sql)
            total, created, updated = cur.fetchone()
        return int(created), int(updated), int(total) - int(created) - int(updated)

    def write(self, now: dt.datetime, *, only_new: bool = False) -> None:
        """Insert new keys and update changed rows; ``only_new``: no key exists yet (faster)."""
        select, targets = self.resolved()
        table = q(self.model._meta.db_table)
        insert_cols, exprs, params, touch = self._insert_values(targets, now)
        sql = (
            f"INSERT INTO {table} ({', '.join(insert_cols)}) "  # noqa: S608
            f"SELECT {', '.join(exprs)} FROM ({select}) r WHERE 1 = 1"
        )
        # Only as far as the file gives the columns: one it leaves out cannot order the rows.
        order = list(itertools.takewhile(lambda c: c in targets, self.kind.write_order))
        if order:
            sql += f" ORDER BY {', '.join(f'r.{q(c)}' for c in order)}"
        self_ref = any(c.ref is not None and c.ref.self_ref for c in self.plan.columns)
        if not only_new or self_ref:
            sql += self._on_conflict(targets, touch)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            if self_ref:
                cur.execute(sql, params)  # parents new in this file exist now

    def _insert_values(
        self, targets: Sequence[str], now: dt.datetime
    ) -> tuple[list[str], list[str], list[Any], list[str]]:
        """The table's columns, what the upsert inserts in each (the staged value or a
        parameter) and the parameters; and the auto-now columns an update touches."""
        insert_cols: list[str] = []
        exprs: list[str] = []
        params: list[Any] = []
        touch: list[str] = []
        for f in self.model._meta.concrete_fields:
            if f.primary_key:
                continue
            column = str(f.column)
            insert_cols.append(q(column))
            if f.attname in targets:
                exprs.append(f"r.{q(f.attname)}")
                continue
            if getattr(f, "auto_now", False):
                touch.append(column)
            exprs.append("%s")
            params.append(f.get_db_prep_save(self._default(f, now), connection))
        return insert_cols, exprs, params, touch

    def _on_conflict(self, targets: Sequence[str], touch: list[str]) -> str:
        """An existing key: update the row if its values differ (counters + 1)."""
        table = q(self.model._meta.db_table)
        compare = self._compare_columns(targets)
        sets = [f"{q(c)} = excluded.{q(c)}" for c in self._set_columns(targets) + touch]
        sets += [f"{q(c)} = {table}.{q(c)} + 1" for c in self.kind.counters]
        conflict = ", ".join(q(c) for c in self.kind.conflict)
        action = (
            f"DO UPDATE SET {', '.join(sets)} WHERE {_distinct(table, 'excluded', compare)}"
            if compare
            else "DO NOTHING"
        )
        return f" ON CONFLICT ({conflict}) {action}"

    def _default(self, f: models.Field[Any, Any], now: dt.datetime) -> Any:
        if f.attname in self.kind.insert_defaults:
            return self.kind.insert_defaults[f.attname](now)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return now
        if f.has_default():
            return f.get_default()
        if f.null:
            return None
        if isinstance(f, models.CharField | models.TextField):
            return ""
        raise ValueError(f"{f.attname} needs a value")

    # -- what follows from the upsert -------------------------------------------------------
    def audit_updated(self, run_id: int, actor: Any, now: dt.datetime) -> int:
        """One audit event per record this import changes (before → after of each column)."""
        select, targets = self.resolved()
        table = q(self.model._meta.db_table)
        pk = q(str(self.model._meta.pk.column))
        compare = self._compare_columns(targets)
        if not compare:
            return 0
        on = " AND ".join(f"t.{q(c)} = r.{q(c)}" for c in self.kind.conflict)
        shown = self._shown_columns(compare)
        olds = ", ".join(f"t.{q(c)}" for c in shown)
        news = ", ".join(f"r.{q(c)}" for c in shown)
        sql = (
            f"SELECT t.{pk}, {olds}, {news} FROM ({select}) r "  # noqa: S608
            f"JOIN {table} t ON {on} WHERE {_distinct('t', 'r', compare)}"
        )
        return _write_audit(self.model, sql, [], shown, run_id, actor, now, AuditAction.UPDATE)

    def audit_created(self, run_id: int, actor: Any, now: dt.datetime) -> int:
        """One audit event per record this import created (rows stamped with this import's time)."""
        table = q(self.model._meta.db_table)
        pk = q(str(self.model._meta.pk.column))
        key = self.kind.conflict[0]
        stage_key = q(self.stage.stage_col(self.kind.key[0]))
        sql = (
            f"SELECT t.{pk} FROM {table} t WHERE t.created_at = %s "  # noqa: S608
            f"AND t.{q(key)} IN (SELECT {stage_key} FROM {q(STAGE)})"
        )
        field = self.model._meta.get_field("created_at")
        assert isinstance(field, models.Field)
        params = [field.get_db_prep_save(now, connection)]
        return _write_audit(self.model, sql, params, [], run_id, actor, now, AuditAction.CREATE)

    def reassign(self, run_id: int, today: dt.date) -> int:
        """Close the open RM assignment of customers whose RM or branch the file changes and
        open the new one (before the upsert, while the old values are still there)."""
        select, targets = self.resolved()
        moved = [c for c in ("rm_id", "branch_id") if c in targets]
        if not moved:
            return 0
        customer, history = q(Customer._meta.db_table), q(RmAssignment._meta.db_table)
        changed = (
            f"SELECT t.id AS customer_id, {self._or_old('rm_id', targets)} AS rm_id, "  # noqa: S608
            f"{self._or_old('branch_id', targets)} AS branch_id FROM ({select}) r "
            f"JOIN {customer} t ON t.customer_no = r.customer_no "
            f"WHERE {_distinct('t', 'r', moved)}"
        )
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {history} SET ended_on = %s WHERE ended_on IS NULL "  # noqa: S608
                f"AND customer_id IN (SELECT customer_id FROM ({changed}) c)",
                [today],
            )
            cur.execute(
                f"INSERT INTO {history} (customer_id, rm_id, branch_id, started_on, ended_on, "  # noqa: S608
                f"reason) SELECT customer_id, rm_id, branch_id, %s, NULL, %s FROM ({changed}) c",
                [today, f"import run {run_id}"],
            )
            return max(cur.rowcount, 0)

    def _or_old(self, column: str, targets: Sequence[str]) -> str:
        return f"r.{q(column)}" if column in targets else f"t.{q(column)}"

    def assign_created(self, run_id: int, now: dt.datetime) -> int:
        """The first RM assignment of each customer this import created (from onboarding)."""
        customer, history = q(Customer._meta.db_table), q(RmAssignment._meta.db_table)
        field = Customer._meta.get_field("created_at")
        assert isinstance(field, models.Field)
        stage_key = q(self.stage.stage_col("customer_no"))
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {history} (customer_id, rm_id, branch_id, started_on, ended_on, "  # noqa: S608
                f"reason) SELECT t.id, t.rm_id, t.branch_id, t.onboarded_on, NULL, %s "
                f"FROM {customer} t WHERE t.created_at = %s "
                f"AND t.customer_no IN (SELECT {stage_key} FROM {q(STAGE)})",
                [f"import run {run_id}", field.get_db_prep_save(now, connection)],
            )
            return max(cur.rowcount, 0)

    def customer_ids_sql(self) -> str:
        select, targets = self.resolved()
        assert "customer_id" in targets
        return f"SELECT r.customer_id FROM ({select}) r"  # noqa: S608


def _write_audit(
    model: type[models.Model],
    sql: str,
    params: list[Any],
    columns: list[str],
    run_id: int,
    actor: Any,
    now: dt.datetime,
    action: str,
) -> int:
    """One audit event for each row ``sql`` selects: its key, then the old and the new values
    of ``columns``; the number written."""
    from bankcrm.core.bulk import bulk_insert

    cols = list(CONTENT[1:])  # an audit event's content columns, as the chain hashes them
    events = _audit_events(model, sql, params, columns, run_id, actor, now, action)
    # Read everything first: one connection cannot stream a SELECT and COPY at once.
    return bulk_insert(AuditEvent, cols, list(events))


def _audit_events(
    model: type[models.Model],
    sql: str,
    params: list[Any],
    columns: list[str],
    run_id: int,
    actor: Any,
    now: dt.datetime,
    action: str,
) -> Iterator[tuple[Any, ...]]:
    ctx = current_context()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    label = model._meta.label_lower
    customer = model is Customer
    purpose = f"import run {run_id}"
    n = len(columns)
    # An encrypted column is compared by its plaintext (the trail then masks it).
    opened: dict[int, str] = {}
    for i, column in enumerate(columns):
        f = model_field(model, column)
        if isinstance(f, EncryptedCharField):
            opened[i] = f.purpose

    def value(raw: Any, i: int) -> Any:
        if i in opened and raw:
            return decrypt(raw, opened[i])
        return jsonable(raw)

    with connection.cursor() as cur:
        cur.execute(sql, params)
        while chunk := cur.fetchmany(BATCH_ROWS):
            for pk, *values in chunk:
                changes: dict[str, Any] = {"import_run": run_id}
                for i, column in enumerate(columns):
                    before, after = value(values[i], i), value(values[n + i], i)
                    if before != after:
                        changes[column] = [before, after]
                yield (
                    now,
                    actor.pk if is_user else None,
                    actor.username if is_user else "",
                    action,
                    label,
                    str(pk),
                    pk if customer else None,
                    ctx.ip_address,
                    ctx.channel,
                    purpose,
                    mask_changes(model, changes),  # ID numbers and mobiles masked
                )


def refresh_aum(customer_ids_sql: str) -> None:
    """Set each listed customer's AUM to their open deposit and investment balances."""
    customer, account, product = (
        q(Customer._meta.db_table),
        q(Account._meta.db_table),
        q(Product._meta.db_table),
    )
    sql = (
        f"UPDATE {customer} SET aum = COALESCE((SELECT SUM(a.balance) FROM {account} a "  # noqa: S608
        f"JOIN {product} p ON p.id = a.product_id WHERE a.customer_id = {customer}.id "
        f"AND {aum_accounts_sql(account='a', product='p')}), 0) "
        f"WHERE id IN ({customer_ids_sql})"
    )
    with connection.cursor() as cur:
        cur.execute(sql)
