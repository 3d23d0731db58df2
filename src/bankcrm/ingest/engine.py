"""The import engine: one file → validated rows in a staging table → one set-based upsert.

A file lands whole or not at all. Everything happens in one database transaction:

1. Stream the file row by row, parse and check every cell, and write the good rows to a
   temporary staging table (COPY on PostgreSQL, batched inserts on SQLite).
2. Check the file as a whole in SQL: duplicate natural keys, references to unknown records.
3. If more rows were rejected than tolerated, roll back. Otherwise count what would be
   created, updated and left unchanged, and (unless it is a dry run) upsert by natural key,
   changing only rows whose values differ.

A killed import leaves the transaction uncommitted, so the database is as it was; running the
same command again imports the file from the start.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import itertools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.banking.models import AUM_CATEGORIES, Account, AccountStatus, Product
from bankcrm.core.audit import audit_record, current_context, jsonable
from bankcrm.core.chain import CONTENT
from bankcrm.core.crypto import BlindIndexField, EncryptedCharField, decrypt
from bankcrm.core.models import AuditAction, AuditEvent
from bankcrm.core.pii import mask_changes, mask_field
from bankcrm.customers.models import Customer, CustomerAlias, RmAssignment
from bankcrm.ingest import parsing
from bankcrm.ingest.mapping import Mapping
from bankcrm.ingest.models import ImportRun, ImportStatus
from bankcrm.ingest.reading import FileError, Source
from bankcrm.ingest.specs import (
    BOOL,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    INT,
    MONTH,
    Column,
    Kind,
)

BATCH_ROWS = 5_000
KEEP_ERRORS = 100_000  # rejected rows kept for the report; reading stops beyond this
RUN_ERRORS = 200  # rejected rows stored on the run itself (the report has them all)
STAGE = "ingest_stage"
BAD = "ingest_bad_lines"
# PostgreSQL memory for each sort and hash of an import (the server's default is 4 MB): the
# checks, the counts and the ordered upsert sort and join whole files, and would otherwise
# spill to disk in many passes. Set for the import's transaction only.
WORK_MEM = "256MB"

Progress = Callable[[int, int, int], None]  # rows read, bytes read, total bytes


@dataclass
class Options:
    dry_run: bool = False
    max_errors: int = 0
    encoding: str = "auto"
    mapping: Mapping | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass
class Outcome:
    run_id: int
    kind: str
    file_name: str
    status: str = ImportStatus.RUNNING
    dry_run: bool = False
    detected: dict[str, Any] = field(default_factory=dict)
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False
    message: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def landed(self) -> bool:
        return self.status == ImportStatus.SUCCEEDED

    @property
    def valid(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.VALIDATED)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "file": self.file_name,
            "status": self.status,
            "dry_run": self.dry_run,
            "landed": self.landed,
            "detected": self.detected,
            "counts": {
                "read": self.rows_read,
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "rejected": self.rejected,
            },
            "message": self.message,
            "seconds": round(self.seconds, 3),
            "timings": self.timings,
            "errors": [e.as_dict() for e in self.errors],
            "errors_truncated": self.errors_truncated,
        }


class _Rejected(Exception):
    """Raised inside the transaction to roll the file back."""


def import_dir() -> Path:
    path = Path(getattr(settings, "BANKCRM_IMPORT_DIR", settings.VAR_DIR / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def error_report_path(run_id: int) -> Path:
    return import_dir() / f"run-{run_id}-errors.csv"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- planning: which file column feeds which column ---------------------------------------


def _norm(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower().replace(" ", "_")


def header_names(kind: Kind) -> dict[str, str]:
    """Every accepted header (English name, target name, Chinese aliases) → column name."""
    names: dict[str, str] = {}
    for col in kind.columns:
        names[_norm(col.name)] = col.name
        names[_norm(col.attname)] = col.name
        for alias in col.zh:
            names[_norm(alias)] = col.name
    return names


@dataclass
class Plan:
    kind: Kind
    columns: list[Column]  # file columns present (from the header or a constant), stage order
    sources: list[int]  # index into the row's cells, or -1 for a constant
    constants: list[Any]
    parsers: list[Callable[[Any], Any]]
    stage_names: list[str]  # stage column per file column, then derived columns
    derived: list[str]
    present: frozenset[str]  # target columns the file sets
    ignored: list[str]
    width: int
    empties: list[Any]  # what an empty cell stores, per column


def _empty_value(kind: Kind, col: Column) -> Any:
    """An empty cell: NULL where the column allows it, else the field's default or ''."""
    if col.ref is not None:
        return None
    f = _field(kind.model, col.attname)
    if f.null:
        return None
    if f.has_default():
        return f.get_default()
    if isinstance(f, models.CharField | models.TextField):
        return ""
    return None


def _parser(col: Column, mapping: Mapping | None) -> Callable[[Any], Any]:
    fmt = (mapping.date_format if mapping else "") or None
    translations = dict(mapping.values.get(col.name, {})) if mapping else {}
    if col.dtype == CHOICE:
        assert col.choices is not None
        return parsing.choice_parser(col.choices.choices, {**dict(col.codes), **translations})
    base: Callable[[Any], Any]
    if col.dtype == DATE:
        base = lambda v: parsing.parse_date(v, fmt)  # noqa: E731
    elif col.dtype == DATETIME:
        base = functools.partial(parsing.parse_datetime, fmt=fmt, zone=parsing.local_zone())
    elif col.dtype == MONTH:
        base = lambda v: parsing.parse_month(v, fmt)  # noqa: E731
    elif col.dtype == DECIMAL:
        base = parsing.decimal_parser(
            places=col.places, max_digits=col.max_digits, signed=col.signed
        )
    elif col.dtype == INT:
        base = parsing.parse_int
    elif col.dtype == BOOL:
        base = parsing.parse_bool
    else:
        limit = col.max_length

        def base(value: Any) -> str:
            text = value.strip() if isinstance(value, str) else parsing.clean_text(value)
            if "\x00" in text:
                raise parsing.CellError(_("The value contains a NUL character."))
            if limit and len(text) > limit:
                raise parsing.CellError(
                    _("“%(value)s” is longer than %(limit)d characters.")
                    % {"value": text[:40], "limit": limit}
                )
            return text

    if not translations:
        return base
    lowered = {k.strip().lower(): v for k, v in translations.items()}

    def translated(value: Any) -> Any:
        if isinstance(value, str):
            value = lowered.get(value.strip().lower(), value)
        return base(value)

    return translated


def make_plan(kind: Kind, header: Sequence[str], mapping: Mapping | None) -> Plan:
    names = header_names(kind)
    renames = {_norm(k): v for k, v in (mapping.columns if mapping else {}).items()}
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        target = renames.get(_norm(raw), raw)
        name = names.get(_norm(target))
        if name is None:
            if _norm(raw) in renames:
                raise FileError(
                    _(
                        "The mapping sends column “%(column)s” to “%(target)s”, "
                        "which %(kind)s files do not have."
                    )
                    % {"column": raw, "target": target, "kind": kind.name},
                    line=1,
                )
            ignored.append(raw)
            continue
        if name in found:
            raise FileError(
                _("Two columns of the header are both “%(column)s”.") % {"column": name}, line=1
            )
        found[name] = index
    constants = dict(mapping.constants) if mapping else {}
    for cname in constants:
        if _norm(cname) not in names:
            raise FileError(
                _("The mapping sets a constant for “%(column)s”, which %(kind)s files do not have.")
                % {"column": cname, "kind": kind.name}
            )
    constants = {names[_norm(k)]: v for k, v in constants.items()}
    missing = [
        c.name
        for c in kind.columns
        if c.required and c.name not in found and c.name not in constants
    ]
    if missing:
        raise FileError(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)},
            line=1,
        )
    columns = [c for c in kind.columns if c.name in found or c.name in constants]
    present: set[str] = set()
    stage_names: list[str] = []
    for col in columns:
        if col.ref is not None:
            stage_names.append(f"ref_{col.name}")
            present.update(col.ref.outputs)
        else:
            stage_names.append(col.attname)
            present.add(col.attname)
    derived = [t for t, src in kind.derived.items() if src in {c.name for c in columns}]
    derived = [t for t in derived if t not in stage_names]
    present.update(derived)
    return Plan(
        kind=kind,
        columns=columns,
        sources=[found.get(c.name, -1) for c in columns],
        constants=[constants.get(c.name) for c in columns],
        parsers=[_parser(c, mapping) for c in columns],
        stage_names=stage_names + derived,
        derived=derived,
        present=frozenset(present),
        ignored=ignored,
        width=len(header),
        empties=[_empty_value(kind, c) for c in columns],
    )


# --- SQL helpers ------------------------------------------------------------------------------


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _field(model: type[models.Model], attname: str) -> models.Field[Any, Any]:
    for f in model._meta.concrete_fields:
        if f.attname == attname or f.name == attname:
            return f
    raise KeyError(f"{model._meta.label} has no column {attname}")


def _distinct(left: str, right: str, columns: Sequence[str]) -> str:
    """SQL true when the rows differ in any of ``columns`` (NULL-safe)."""
    if not columns:
        return "1 = 0"
    if _postgres():
        a = ", ".join(f"{left}.{q(c)}" for c in columns)
        b = ", ".join(f"{right}.{q(c)}" for c in columns)
        return f"ROW({a}) IS DISTINCT FROM ROW({b})"
    same = " AND ".join(f"{left}.{q(c)} IS {right}.{q(c)}" for c in columns)
    return f"NOT ({same})"


def _prep(f: models.Field[Any, Any], value: Any) -> Any:
    return f.get_db_prep_save(value, connection)


def _sqlite_datetime(value: dt.datetime) -> str:
    """As Django stores an aware datetime in SQLite: naive UTC, ``str()`` format."""
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _sqlite_prep(f: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """A fast equivalent of get_db_prep_save for the value types the parsers produce."""
    if isinstance(f, models.DateTimeField):
        return _sqlite_datetime
    if isinstance(f, models.DateField):
        return dt.date.isoformat
    if isinstance(f, models.DecimalField):
        return str
    if isinstance(f, models.CharField | models.TextField | models.BooleanField):
        return None
    if isinstance(f, models.IntegerField) and not f.choices:
        return None
    return functools.partial(_prep, f)


class Stage:
    """The temporary staging table of one import, and the SQL that reads it."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.kind = plan.kind
        self.model = plan.kind.model
        model = self.model
        self.types: list[str] = []
        self.preps: list[Callable[[Any], Any] | None] = []
        for col in plan.columns:
            if col.ref is not None:
                self.types.append("text")
                self.preps.append(None)
            else:
                self._add_field(_field(model, col.attname))
        for name in plan.derived:
            self._add_field(_field(model, name))
        # Encrypted columns arrive encrypted (by the kind's check) and differ at every write:
        # whether a row changed is told by their keyed hashes, which are derived columns.
        fields = model._meta.concrete_fields
        self.encrypted = {f.attname for f in fields if isinstance(f, EncryptedCharField)}
        self.hash_of = {f.attname: f.source for f in fields if isinstance(f, BlindIndexField)}

    def _add_field(self, f: models.Field[Any, Any]) -> None:
        self.types.append(str(f.db_type(connection)))
        self.preps.append(None if _postgres() else _sqlite_prep(f))

    def create(self) -> None:
        cols = ", ".join(
            f"{q(n)} {t}" for n, t in zip(self.plan.stage_names, self.types, strict=True)
        )
        self.drop()
        with connection.cursor() as cur:
            if _postgres():
                cur.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")  # until the import ends
            tail = " ON COMMIT DROP" if _postgres() else ""
            cur.execute(f"CREATE TEMPORARY TABLE {q(STAGE)} (_line bigint, {cols}){tail}")
            cur.execute(f"CREATE TEMPORARY TABLE {q(BAD)} (_line bigint){tail}")

    def drop(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {q(STAGE)}")
            cur.execute(f"DROP TABLE IF EXISTS {q(BAD)}")

    def writer(self) -> Callable[[list[list[Any]]], None]:
        names = ", ".join(["_line", *(q(n) for n in self.plan.stage_names)])
        if _postgres():

            def write_pg(rows: list[list[Any]]) -> None:
                with (
                    connection.cursor() as cur,
                    cur.cursor.copy(f"COPY {q(STAGE)} ({names}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)

            return write_pg
        marks = ", ".join(["%s"] * (len(self.plan.stage_names) + 1))
        sql = f"INSERT INTO {q(STAGE)} ({names}) VALUES ({marks})"  # noqa: S608
        preps = self.preps

        def write_sqlite(rows: list[list[Any]]) -> None:
            prepared = [
                [
                    row[0],
                    *(
                        p(v) if p and v is not None else v
                        for p, v in zip(preps, row[1:], strict=True)
                    ),
                ]
                for row in rows
            ]
            with connection.cursor() as cur:
                cur.executemany(sql, prepared)

        return write_sqlite

    # -- whole-file checks ------------------------------------------------------------------
    def _stage_col(self, file_col: str) -> str:
        index = [c.name for c in self.plan.columns].index(file_col)
        return self.plan.stage_names[index]

    def duplicates(self) -> Iterator[RowError]:
        keys = [self._stage_col(k) for k in self.kind.key]
        group = ", ".join(q(k) for k in keys)
        join = " AND ".join(f"d.{q(k)} = s.{q(k)}" for k in keys)
        sql = (
            f"SELECT s._line, d.first_line, {', '.join(f's.{q(k)}' for k in keys)} "  # noqa: S608
            f"FROM {q(STAGE)} s JOIN (SELECT {group}, MIN(_line) AS first_line FROM {q(STAGE)} "
            f"GROUP BY {group} HAVING COUNT(*) > 1) d ON {join} "
            "WHERE s._line > d.first_line ORDER BY s._line"
        )
        with connection.cursor() as cur:
            cur.execute(sql)
            for line, first, *values in cur.fetchall():
                yield RowError(
                    line,
                    " + ".join(self.kind.key),
                    " / ".join(str(v) for v in values),
                    _("The same %(key)s is already on line %(first)d.")
                    % {"key": " + ".join(self.kind.key), "first": first},
                )

    def _ref_source(self, col: Column) -> str:
        assert col.ref is not None
        return col.ref.source or q(col.ref.model._meta.db_table)

    def missing_references(self) -> Iterator[RowError]:
        for col, name in zip(self.plan.columns, self.plan.stage_names, strict=False):
            ref = col.ref
            if ref is None:
                continue
            also = ""
            if ref.self_ref:
                own_key = q(self._stage_col(self.kind.key[0]))
                also = f" AND s.{q(name)} NOT IN (SELECT {own_key} FROM {q(STAGE)})"  # noqa: S608
            sql = (
                f"SELECT s._line, s.{q(name)} FROM {q(STAGE)} s "  # noqa: S608
                f"WHERE s.{q(name)} IS NOT NULL AND s.{q(name)} <> '' AND NOT EXISTS "
                f"(SELECT 1 FROM {self._ref_source(col)} r WHERE r.{q(ref.key)} = s.{q(name)})"
                f"{also} ORDER BY s._line"
            )
            what = str(ref.model._meta.verbose_name)
            with connection.cursor() as cur:
                cur.execute(sql)
                for line, value in cur.fetchall():
                    yield RowError(
                        line,
                        col.name,
                        str(value),
                        _("There is no %(what)s “%(value)s”.") % {"what": what, "value": value},
                    )

    def drop_lines(self, lines: Sequence[int]) -> None:
        if not lines:
            return
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {q(BAD)} (_line) VALUES (%s)", [(n,) for n in lines])  # noqa: S608
            cur.execute(f"DELETE FROM {q(STAGE)} WHERE _line IN (SELECT _line FROM {q(BAD)})")  # noqa: S608

    # -- the resolved rows and the upsert ---------------------------------------------------
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
                f"LEFT JOIN {self._ref_source(col)} {alias} ON {alias}.{q(ref.key)} = s.{q(name)}"
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
        return [self.hash_of.get(c, c) for c in compare]

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

    def upsert(self, now: dt.datetime, *, only_new: bool = False) -> None:
        """Insert new keys and update changed rows; ``only_new``: no key exists yet (faster)."""
        select, targets = self.resolved()
        model = self.model
        table = q(model._meta.db_table)
        insert_cols: list[str] = []
        exprs: list[str] = []
        params: list[Any] = []
        touch: list[str] = []
        for f in model._meta.concrete_fields:
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
        compare = self._compare_columns(targets)
        sets = [f"{q(c)} = excluded.{q(c)}" for c in self._set_columns(targets) + touch]
        sets += [f"{q(c)} = {table}.{q(c)} + 1" for c in self.kind.counters]
        conflict = ", ".join(q(c) for c in self.kind.conflict)
        action = (
            f"DO UPDATE SET {', '.join(sets)} WHERE {_distinct(table, 'excluded', compare)}"
            if compare
            else "DO NOTHING"
        )
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
            sql += f" ON CONFLICT ({conflict}) {action}"
        with connection.cursor() as cur:
            cur.execute(sql, params)
            if self_ref:
                cur.execute(sql, params)  # parents new in this file exist now

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

    def audit_rows(self, run_id: int, actor: Any, now: dt.datetime) -> int:
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
        stage_key = q(self._stage_col(self.kind.key[0]))
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
        stage_key = q(self._stage_col("customer_no"))
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {history} (customer_id, rm_id, branch_id, started_on, ended_on, "  # noqa: S608
                f"reason) SELECT t.id, t.rm_id, t.branch_id, t.onboarded_on, NULL, %s "
                f"FROM {customer} t WHERE t.created_at = %s "
                f"AND t.customer_no IN (SELECT {stage_key} FROM {q(STAGE)})",
                [f"import run {run_id}", field.get_db_prep_save(now, connection)],
            )
            return max(cur.rowcount, 0)

    def drop_aliases(self) -> int:
        """Remove rows whose customer number now belongs to a merged-away record."""
        alias = q(CustomerAlias._meta.db_table)
        col = q(self._stage_col(self.kind.key[0]))
        with connection.cursor() as cur:
            cur.execute(
                f"DELETE FROM {q(STAGE)} WHERE {col} IN (SELECT customer_no FROM {alias})"  # noqa: S608
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
    from bankcrm.core.bulk import bulk_insert

    ctx = current_context()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    label = model._meta.label_lower
    customer = model is Customer
    purpose = f"import run {run_id}"
    n = len(columns)
    # An encrypted column is compared by its plaintext (the trail then masks it).
    opened: dict[int, str] = {}
    for i, column in enumerate(columns):
        f = _field(model, column)
        if isinstance(f, EncryptedCharField):
            opened[i] = f.purpose

    def value(raw: Any, i: int) -> Any:
        if i in opened and raw:
            return decrypt(raw, opened[i])
        return jsonable(raw)

    def rows() -> Iterator[tuple[Any, ...]]:
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

    cols = list(CONTENT[1:])  # an audit event's content columns, as the chain hashes them
    # Read everything first: one connection cannot stream a SELECT and COPY at once.
    return bulk_insert(AuditEvent, cols, list(rows()))


def refresh_aum(customer_ids_sql: str) -> None:
    """Set each listed customer's AUM to their open deposit and investment balances."""
    customer, account, product = (
        q(Customer._meta.db_table),
        q(Account._meta.db_table),
        q(Product._meta.db_table),
    )
    categories = ", ".join(f"'{c}'" for c in sorted(str(c) for c in AUM_CATEGORIES))
    sql = (
        f"UPDATE {customer} SET aum = COALESCE((SELECT SUM(a.balance) FROM {account} a "  # noqa: S608
        f"JOIN {product} p ON p.id = a.product_id WHERE a.customer_id = {customer}.id "
        f"AND p.category IN ({categories}) AND a.status <> '{AccountStatus.CLOSED}'), 0) "
        f"WHERE id IN ({customer_ids_sql})"
    )
    with connection.cursor() as cur:
        cur.execute(sql)


# --- the run ------------------------------------------------------------------------------


class _Errors:
    """The rejected rows; an ID number or mobile among them is kept masked (in the run, the
    report and the summary alike): the line and column find the cell in the bank's own file."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.items: list[RowError] = []
        self.lines: set[int] = set()
        self.count = 0

    def add(self, error: RowError) -> None:
        if "\x00" in error.value or "\x00" in error.reason:  # not storable in PostgreSQL text
            error = RowError(
                error.line,
                error.column,
                error.value.replace("\x00", "\\0"),
                error.reason.replace("\x00", "\\0"),
            )
        shown = mask_field(self.model, error.column, error.value)
        if shown != error.value:
            # The reason may quote the cell ("… is longer than 32 characters"): masked too.
            reason = error.reason
            for quoted in {error.value, error.value[:40]}:
                if quoted and quoted in reason:
                    reason = reason.replace(quoted, mask_field(self.model, error.column, quoted))
            error = RowError(error.line, error.column, shown, reason)
        self.count += 1
        self.lines.add(error.line)
        if len(self.items) < KEEP_ERRORS:
            self.items.append(error)

    @property
    def full(self) -> bool:
        return self.count >= KEEP_ERRORS


def _read_into_stage(
    source: Source, plan: Plan, stage: Stage, errors: _Errors, progress: Progress | None
) -> int:
    write = stage.writer()
    kind = plan.kind
    check = kind.check
    present = plan.present
    columns = plan.columns
    width = plan.width
    # Each column reads the row at an index; constants from a mapping follow the file's cells.
    extra: list[Any] = []
    indexes: list[int] = []
    for index, constant in zip(plan.sources, plan.constants, strict=True):
        if index < 0:
            indexes.append(width + len(extra))
            extra.append(constant)
        else:
            indexes.append(index)
    fast = list(zip(indexes, plan.parsers, strict=True))
    steps = list(zip(indexes, plan.parsers, columns, plan.empties, strict=True))
    names = [c.attname if c.ref is None else f"ref_{c.name}" for c in columns]
    outputs = names + plan.derived  # what a checked row writes, in stage order
    total = source.total_bytes
    batch: list[list[Any]] = []
    rows = 0
    next_tick = time.monotonic() + 0.5
    csv_file = source.detected.format == "csv"
    for line, cells in source.rows():
        rows += 1
        if csv_file and len(cells) != width:
            errors.add(
                RowError(
                    line,
                    "",
                    "",
                    _("This row has %(cells)d fields; the header has %(width)d.")
                    % {"cells": len(cells), "width": width},
                )
            )
            continue
        if extra:
            cells = cells + extra
        # The common case first: every cell parses and none is empty.
        try:
            parsed = [parse(cells[i]) for i, parse in fast]
            clean = None not in parsed and "" not in parsed
        except parsing.CellError:
            clean = False
        if clean:
            values: list[Any] = [line, *parsed]
        else:
            values = [line]
            bad = False
            for index, parse, col, empty in steps:
                raw = cells[index]
                try:
                    value = parse(raw)
                except parsing.CellError as exc:
                    errors.add(RowError(line, col.name, parsing.clean_text(raw)[:200], str(exc)))
                    bad = True
                    continue
                if value is None or value == "":
                    if col.required:
                        errors.add(RowError(line, col.name, "", _("A value is required.")))
                        bad = True
                        continue
                    value = empty
                values.append(value)
            if bad:
                if errors.full:
                    break
                continue
        if check is not None:
            row = dict(zip(names, values[1:], strict=True))
            problems = check(row, present)
            if problems:
                for column, reason in problems.items():
                    shown = row.get(column, "")
                    errors.add(RowError(line, column, "" if shown is None else str(shown), reason))
                if errors.full:
                    break
                continue
            values = [line, *map(row.get, outputs)]
        batch.append(values)
        if len(batch) >= BATCH_ROWS:
            write(batch)
            batch = []
            if progress is not None and time.monotonic() >= next_tick:
                progress(rows, source.bytes_read, total)
                next_tick = time.monotonic() + 0.5
    if batch:
        write(batch)
    if progress is not None:
        progress(rows, source.bytes_read, total)
    return rows


def _write_report(run_id: int, file_name: str, errors: list[RowError]) -> None:
    path = error_report_path(run_id)
    if not errors:
        path.unlink(missing_ok=True)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([_("file"), _("line"), _("column"), _("value"), _("reason")])
        for e in errors:
            out.writerow([file_name, e.line, e.column, e.value, e.reason])


def _finish(run: ImportRun, outcome: Outcome, started: float) -> None:
    outcome.seconds = time.monotonic() - started
    run.status = outcome.status
    run.finished_at = timezone.now()
    run.detected = outcome.detected
    run.rows_read = outcome.rows_read
    run.created, run.updated, run.unchanged = outcome.created, outcome.updated, outcome.unchanged
    run.rejected = outcome.rejected
    run.errors = [e.as_dict() for e in outcome.errors[:RUN_ERRORS]]
    run.message = outcome.message
    run.save()


_ACTIVE: set[int] = set()  # runs this process is importing now (threads included)


def mark_interrupted_runs() -> int:
    """Runs left 'running' by a process that no longer exists on this machine: interrupted."""
    n = 0
    for run in ImportRun.objects.filter(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]):
        alive = False
        if run.pid:
            if run.pid == os.getpid():
                # This process's own queued runs are about to start on a thread.
                alive = run.pk in _ACTIVE or run.status == ImportStatus.QUEUED
            else:
                try:
                    os.kill(run.pid, 0)
                    alive = True
                except OSError:
                    alive = False
        if not alive:
            run.status = ImportStatus.INTERRUPTED
            run.finished_at = timezone.now()
            run.message = _("The import stopped before it finished; nothing of it was saved.")
            run.save(update_fields=["status", "finished_at", "message"])
            n += 1
    return n


def run_import(
    run: ImportRun,
    path: Path,
    kind: Kind,
    options: Options,
    *,
    actor: Any = None,
    progress: Progress | None = None,
) -> Outcome:
    """Import one file for ``run`` (already saved). Never raises for bad data: see the outcome."""
    _ACTIVE.add(run.pk)
    try:
        return _run_import(run, path, kind, options, actor=actor, progress=progress)
    finally:
        _ACTIVE.discard(run.pk)


def _run_import(
    run: ImportRun,
    path: Path,
    kind: Kind,
    options: Options,
    *,
    actor: Any,
    progress: Progress | None,
) -> Outcome:
    started = time.monotonic()
    outcome = Outcome(
        run_id=run.pk, kind=kind.name, file_name=run.file_name, dry_run=options.dry_run
    )
    run.status = ImportStatus.RUNNING
    run.started_at = timezone.now()
    run.pid = os.getpid()
    run.file_size = path.stat().st_size
    run.file_sha256 = file_sha256(path)
    run.save()
    errors = _Errors(kind.model)
    mapping = options.mapping
    encoding = (mapping.encoding if mapping and mapping.encoding else "") or options.encoding
    delimiter = mapping.delimiter if mapping else ""
    timings: dict[str, float] = {}
    last = [time.monotonic()]

    def lap(name: str) -> None:
        now = time.monotonic()
        timings[name] = round(timings.get(name, 0.0) + now - last[0], 3)
        last[0] = now

    outcome.timings = timings
    try:
        with transaction.atomic(), Source(path, encoding=encoding, delimiter=delimiter) as source:
            outcome.detected = source.detected.as_dict()
            plan = make_plan(kind, source.detected.header, mapping)
            outcome.detected["columns"] = [c.name for c in plan.columns]
            outcome.detected["ignored_columns"] = plan.ignored
            stage = Stage(plan)
            stage.create()
            outcome.rows_read = _read_into_stage(source, plan, stage, errors, progress)
            lap("read")
            if errors.full:
                outcome.errors_truncated = True
            else:
                for error in stage.duplicates():
                    errors.add(error)
                for error in stage.missing_references():
                    errors.add(error)
            lap("check")
            outcome.rejected = len(errors.lines)
            if errors.count and (errors.full or outcome.rejected > options.max_errors):
                outcome.status = ImportStatus.REJECTED
                outcome.message = _(
                    "%(rejected)d of %(rows)d rows were rejected; nothing was imported."
                ) % {"rejected": outcome.rejected, "rows": outcome.rows_read}
                raise _Rejected
            stage.drop_lines(sorted(errors.lines))
            merged = stage.drop_aliases() if kind.skip_aliases else 0
            outcome.created, outcome.updated, outcome.unchanged = stage.classify()
            outcome.unchanged += merged
            lap("classify")
            if options.dry_run:
                outcome.status = ImportStatus.VALIDATED
                outcome.message = _("Dry run: the file is valid; nothing was written.")
                raise _Rejected
            now = timezone.now()
            audited = kind.audit_rows and (outcome.created or outcome.updated)
            if audited and outcome.updated:
                stage.audit_rows(run.pk, actor, now)
            if kind.track_assignments and outcome.updated:
                stage.reassign(run.pk, timezone.localdate())
            if outcome.created or outcome.updated:
                stage.upsert(now, only_new=not (outcome.updated or outcome.unchanged))
                if audited and outcome.created:
                    stage.audit_created(run.pk, actor, now)
                if kind.track_assignments and outcome.created:
                    stage.assign_created(run.pk, now)
                if kind.refresh_aum:
                    refresh_aum(stage.customer_ids_sql())
                if kind.refresh_summaries:
                    from bankcrm.insights.services import dashboard_summaries_refresh

                    dashboard_summaries_refresh()
            lap("write")
            stage.drop()
            outcome.status = ImportStatus.SUCCEEDED
            note = (
                " "
                + _("%(n)d rows name customers merged into others and were left as they are.")
                % {"n": merged}
                if merged
                else ""
            )
            outcome.message = (
                _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {
                    "created": outcome.created,
                    "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                }
                if outcome.created or outcome.updated
                else _(
                    "Nothing changed: every row is already in the database as it is in the file."
                )
            ) + note
            _record(run, outcome, errors, started, actor)
            last[0] = time.monotonic()
        lap("commit")
        outcome.seconds = time.monotonic() - started
        run.finished_at = timezone.now()
        run.detected = {**outcome.detected, "timings": timings}
        run.save(update_fields=["finished_at", "detected"])
    except _Rejected:
        pass
    except FileError as exc:
        outcome.status = ImportStatus.REJECTED
        where = _("line %d: ") % exc.line if exc.line else ""
        outcome.message = where + str(exc)
        errors.add(RowError(exc.line, "", "", str(exc)))
    except Exception as exc:
        outcome.status = ImportStatus.FAILED
        outcome.message = _("The import failed: %s") % exc
        _record(run, outcome, errors, started, actor)
        raise
    if outcome.status != ImportStatus.SUCCEEDED:
        _record(run, outcome, errors, started, actor)
    _write_report(run.pk, run.file_name, outcome.errors)
    return outcome


def _record(run: ImportRun, outcome: Outcome, errors: _Errors, started: float, actor: Any) -> None:
    """Save the run's outcome and put it in the audit trail."""
    outcome.errors = sorted(errors.items, key=lambda e: e.line)
    _finish(run, outcome, started)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=run,
        changes=_audit_changes(run, outcome),
        purpose="import",
    )


def _audit_changes(run: ImportRun, outcome: Outcome) -> dict[str, Any]:
    return {
        "kind": run.kind,
        "file": run.file_name,
        "sha256": run.file_sha256,
        "status": outcome.status,
        "dry_run": outcome.dry_run,
        "read": outcome.rows_read,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
    }
