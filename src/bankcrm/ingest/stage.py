"""The staging table of one import: the file's rows read, parsed and checked into it, then the
checks of the file as a whole (duplicate keys, unknown references) in SQL.

The table is temporary and lives in the import's transaction: COPY fills it on PostgreSQL,
batched inserts on SQLite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import queue
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext as _

from bankcrm.customers.models import CustomerAlias
from bankcrm.ingest import parsing
from bankcrm.ingest.columns import (
    ROW_RULES,
    ColumnChecker,
    WholeFile,
    format_moments,
    stage_types,
)
from bankcrm.ingest.outcome import RowError, RowErrors
from bankcrm.ingest.plan import Plan, model_field
from bankcrm.ingest.reading import Source
from bankcrm.ingest.specs import Column

BATCH_ROWS = 5_000
STAGE = "ingest_stage"
BAD = "ingest_bad_lines"
# PostgreSQL memory for each sort and hash of an import (the server's default is 4 MB): the
# checks, the counts and the ordered upsert sort and join whole files, and would otherwise
# spill to disk in many passes. Set for the import's transaction only.
WORK_MEM = "256MB"
COPY_QUEUE = 128  # pieces of 128 KiB: 16 MiB on their way to the server at most

Progress = Callable[[int, int, int], None]  # rows read, bytes read, total bytes
Writer = Callable[[list[list[Any]]], None]


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


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
    """The temporary staging table of one import, and the checks of its rows."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.kind = plan.kind
        self.model = plan.kind.model
        self._copy: Any = None
        # Seconds the reader waited for the server to store rows (the COPY into the stage).
        self.waited = 0.0
        self.whole: WholeFile | None = None
        if is_postgres():  # SQLite (small files) checks it all in SQL, as it always has
            names = plan.stage_names
            self.whole = WholeFile(
                [names.index(self.stage_col(k)) for k in self.kind.key],
                [i for i, c in enumerate(plan.columns) if c.ref is not None and not c.ref.self_ref],
            )
        self.types: list[str] = []
        self.preps: list[Callable[[Any], Any] | None] = []
        for col in plan.columns:
            if col.ref is not None:
                self.types.append("text")
                self.preps.append(None)
            else:
                self._add_field(model_field(self.model, col.attname))
        for name in plan.derived:
            self._add_field(model_field(self.model, name))

    def _add_field(self, f: models.Field[Any, Any]) -> None:
        self.types.append(str(f.db_type(connection)))
        self.preps.append(None if is_postgres() else _sqlite_prep(f))

    def create(self) -> None:
        cols = ", ".join(
            f"{q(n)} {t}" for n, t in zip(self.plan.stage_names, self.types, strict=True)
        )
        self.drop()
        with connection.cursor() as cur:
            if is_postgres():
                cur.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")  # until the import ends
            tail = " ON COMMIT DROP" if is_postgres() else ""
            cur.execute(f"CREATE TEMPORARY TABLE {q(STAGE)} (_line bigint, {cols}){tail}")
            cur.execute(f"CREATE TEMPORARY TABLE {q(BAD)} (_line bigint){tail}")

    def drop(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {q(STAGE)}")
            cur.execute(f"DROP TABLE IF EXISTS {q(BAD)}")

    def writer(self) -> Writer:
        """Writes a batch of rows (line, then the stage columns) to the table."""
        names = ", ".join(["_line", *(q(n) for n in self.plan.stage_names)])
        if not is_postgres():
            return self._insert_writer(names)
        import pyarrow as pa

        types = [pa.int64(), *stage_types(self.plan)]
        write_columns = self.column_writer()

        def write_pg(rows: list[list[Any]]) -> None:
            columns = zip(*rows, strict=True)
            write_columns([pa.array(c, t) for c, t in zip(columns, types, strict=True)])

        return write_pg

    def column_writer(self) -> Callable[[list[Any]], None]:
        """Writes a block of columns (arrow arrays: line, then the stage columns)."""
        names = ", ".join(["_line", *(q(n) for n in self.plan.stage_names)])
        if not is_postgres():
            write = self._insert_writer(names)

            def write_rows(columns: list[Any]) -> None:
                rows = [list(r) for r in zip(*(c.to_pylist() for c in columns), strict=True)]
                for first in range(0, len(rows), BATCH_ROWS):
                    write(rows[first : first + BATCH_ROWS])

            return write_rows
        import pyarrow as pa
        import pyarrow.csv as pacsv

        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        labels = [f"c{i}" for i in range(len(self.plan.stage_names) + 1)]

        def write_csv(columns: list[Any]) -> None:
            assert self._copy is not None, "write inside Stage.copying()"
            columns = [format_moments(c) if pa.types.is_timestamp(c.type) else c for c in columns]
            if self.whole is not None:
                self.whole.add(columns[1:])
            sink = pa.BufferOutputStream()
            pacsv.write_csv(pa.Table.from_arrays(columns, names=labels), sink, options)
            started = time.monotonic()
            self._copy.write(memoryview(sink.getvalue()))  # waits while the queue is full
            self.waited += time.monotonic() - started

        return write_csv

    @contextlib.contextmanager
    def copying(self) -> Iterator[None]:
        """On PostgreSQL, one COPY for all the writes of the rows read: sent by a thread of
        psycopg's, so that the server stores a block while the next one is read."""
        if not is_postgres():
            yield
            return
        from psycopg.copy import QueuedLibpqWriter

        class Pipelined(QueuedLibpqWriter):
            def __init__(self, cursor: Any) -> None:
                super().__init__(cursor)
                # At most this many 128 KiB pieces wait for the server: memory stays bounded
                # when it stores rows slower than they are read.
                self._queue = queue.Queue(maxsize=COPY_QUEUE)  # type: ignore[assignment]

        names = ", ".join(["_line", *(q(n) for n in self.plan.stage_names)])
        sql = f"COPY {q(STAGE)} ({names}) FROM STDIN WITH (FORMAT csv)"
        with connection.cursor() as cur:
            raw = cur.cursor
            with raw.copy(sql, writer=Pipelined(raw)) as copy:
                self._copy = copy
                try:
                    yield
                finally:
                    self._copy = None
                ending = time.monotonic()
            self.waited += time.monotonic() - ending  # the server storing the last rows

    def _insert_writer(self, names: str) -> Writer:
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

    def stage_col(self, file_col: str) -> str:
        index = [c.name for c in self.plan.columns].index(file_col)
        return self.plan.stage_names[index]

    def ref_source(self, col: Column) -> str:
        """The table (or sub-select) a reference column's values are looked up in."""
        assert col.ref is not None
        return col.ref.source or q(col.ref.model._meta.db_table)

    # -- whole-file checks ------------------------------------------------------------------
    def duplicates(self) -> Iterator[RowError]:
        if self.whole is not None and not self.whole.may_have_duplicates():
            return  # no two keys hash alike, so no two are the same
        keys = [self.stage_col(k) for k in self.kind.key]
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

    def missing_references(self) -> Iterator[RowError]:
        for col, name in zip(self.plan.columns, self.plan.stage_names, strict=False):
            ref = col.ref
            if ref is None:
                continue
            also = ""
            if ref.self_ref:
                own_key = q(self.stage_col(self.kind.key[0]))
                also = f" AND s.{q(name)} NOT IN (SELECT {own_key} FROM {q(STAGE)})"  # noqa: S608
            sql = (
                f"SELECT s._line, s.{q(name)} FROM {q(STAGE)} s "  # noqa: S608
                f"WHERE s.{q(name)} IS NOT NULL AND s.{q(name)} <> '' AND NOT EXISTS "
                f"(SELECT 1 FROM {self.ref_source(col)} r WHERE r.{q(ref.key)} = s.{q(name)})"
                f"{also} ORDER BY s._line"
            )
            params: list[Any] = []
            index = self.plan.columns.index(col)
            distinct = None
            if self.whole is not None and not ref.self_ref:
                distinct = self.whole.distinct_values(index)
            if distinct is not None:
                # The file's distinct values looked up once; the rows of the unknown ones.
                unknown = self._unknown(col, [v for v in distinct.to_pylist() if v])
                if not unknown:
                    continue
                sql = (
                    f"SELECT s._line, s.{q(name)} FROM {q(STAGE)} s "  # noqa: S608
                    f"WHERE s.{q(name)} = ANY(%s) ORDER BY s._line"
                )
                params = [unknown]
            what = str(ref.model._meta.verbose_name)
            with connection.cursor() as cur:
                cur.execute(sql, params)
                for line, value in cur.fetchall():
                    yield RowError(
                        line,
                        col.name,
                        str(value),
                        _("There is no %(what)s “%(value)s”.") % {"what": what, "value": value},
                    )

    def _unknown(self, col: Column, values: list[str]) -> list[str]:
        """Which of ``values`` name no record of the column's reference."""
        assert col.ref is not None
        sql = (
            f"SELECT u.v FROM unnest(%s::text[]) AS u(v) WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {self.ref_source(col)} r WHERE r.{q(col.ref.key)} = u.v)"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [values])
            return [v for (v,) in cur.fetchall()]

    def drop_lines(self, lines: Sequence[int]) -> None:
        if not lines:
            return
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {q(BAD)} (_line) VALUES (%s)", [(n,) for n in lines])  # noqa: S608
            cur.execute(f"DELETE FROM {q(STAGE)} WHERE _line IN (SELECT _line FROM {q(BAD)})")  # noqa: S608

    def drop_aliases(self) -> int:
        """Remove rows whose customer number now belongs to a merged-away record."""
        alias = q(CustomerAlias._meta.db_table)
        col = q(self.stage_col(self.kind.key[0]))
        with connection.cursor() as cur:
            cur.execute(
                f"DELETE FROM {q(STAGE)} WHERE {col} IN (SELECT customer_no FROM {alias})"  # noqa: S608
            )
            return max(cur.rowcount, 0)


# --- reading the file into the stage --------------------------------------------------------


def read_into_stage(
    source: Source, plan: Plan, stage: Stage, errors: RowErrors, progress: Progress | None
) -> int:
    """Parse and check every row of the file, write the good ones to the stage and record the
    rejected ones; the number of rows read."""
    with stage.copying():
        return _RowReader(plan, errors).read(source, stage, progress)


class _RowReader:
    """Turns the cells of a file's row into a row of the stage, or records why not."""

    def __init__(self, plan: Plan, errors: RowErrors) -> None:
        self.errors = errors
        self.check = plan.kind.check
        self.present = plan.present
        self.width = plan.width
        # Each column reads the row at an index; constants from a mapping follow the file's cells.
        self.extra: list[Any] = []
        indexes: list[int] = []
        for index, constant in zip(plan.sources, plan.constants, strict=True):
            if index < 0:
                indexes.append(plan.width + len(self.extra))
                self.extra.append(constant)
            else:
                indexes.append(index)
        self.fast = list(zip(indexes, plan.parsers, strict=True))
        self.steps = list(zip(indexes, plan.parsers, plan.columns, plan.empties, strict=True))
        self.names = [c.attname if c.ref is None else f"ref_{c.name}" for c in plan.columns]
        self.outputs = self.names + plan.derived  # what a checked row writes, in stage order
        self.plan = plan
        self.rows = 0
        self.stopped_at = -1
        self.checker = ColumnChecker(plan)
        self.rule = ROW_RULES.get(plan.kind.name) if self.check is not None else None

    def read(self, source: Source, stage: Stage, progress: Progress | None) -> int:
        """Every row of the file: blocks of columns checked at once (`columns`), the rows a
        vectorised check did not pass (and files the compiled reader does not read) row by
        row; the number of rows read."""
        write, write_columns = stage.writer(), stage.column_writer()
        total = source.total_bytes
        self.rows = 0
        next_tick = time.monotonic() + 0.5
        for batch in source.batches():
            if batch.table is not None:
                done = self.read_columns(batch.lines, batch.table, write, write_columns)
            else:
                done = self.read_rows(batch.rows, write, csv_file=True)
            if progress is not None and (done or time.monotonic() >= next_tick):
                progress(self.rows, source.bytes_read, total)
                next_tick = time.monotonic() + 0.5
            if done:
                return self.rows
        if progress is not None:
            progress(self.rows, source.bytes_read, total)
        return self.rows

    def read_columns(self, lines: Any, table: Any, write: Writer, write_columns: Any) -> bool:
        """One block of columns; True if reading must stop (too many rows rejected)."""
        import numpy as np
        import pyarrow as pa

        checker = self.checker
        n = table.num_rows
        raw = [
            table.column(i).combine_chunks() if i >= 0 else pa.array([c] * n, pa.string())
            for i, c in zip(self.plan.sources, self.plan.constants, strict=True)
        ]
        values, ok = checker.read(raw)
        if self.rule is not None:
            values, ok = self.rule(values, ok)
        elif self.check is not None:
            ok[:] = False  # a rule only Python knows: the row-by-row path applies it
        bad = np.flatnonzero(~ok)
        if len(bad):
            picked = pa.array(bad)
            cells = zip(
                *(table.column(i).take(picked).to_pylist() for i in range(table.num_columns)),
                strict=True,
            )
            rows = ((int(lines[k]), list(c)) for k, c in zip(bad.tolist(), cells, strict=True))
            if self.read_rows(rows, write, csv_file=False, counted=True):
                self.rows += int(bad[self.stopped_at]) + 1  # up to the row it stopped at
                return True
        if ok.all():  # the common case: the block as it is
            write_columns([pa.array(lines, pa.int64()), *(values[n] for n in self.outputs)])
        elif ok.any():
            picked = pa.array(np.flatnonzero(ok))
            out = [pa.array(lines[ok], pa.int64())]
            out += [values[name].take(picked) for name in self.outputs]
            write_columns(out)
        self.rows += n
        return False

    def read_rows(self, rows: Any, write: Writer, *, csv_file: bool, counted: bool = False) -> bool:
        """Rows of ``(line, cells)`` one by one; True if reading must stop."""
        errors, check, width, extra, fast = (
            self.errors,
            self.check,
            self.width,
            self.extra,
            self.fast,
        )
        parse_each, checked = self.parse_each, self.checked
        batch: list[list[Any]] = []
        index = -1
        stop = False
        for index, (line, cells) in enumerate(rows):  # noqa: B007 (the index is kept)
            if not counted:
                self.rows += 1
            if csv_file and len(cells) != width:
                errors.add(_width_error(line, len(cells), width))
                continue
            if extra:
                cells = cells + extra
            # The common case first: every cell parses and none is empty.
            try:
                parsed = [parse(cells[i]) for i, parse in fast]
                clean = None not in parsed and "" not in parsed
            except parsing.CellError:
                clean = False
            values = [line, *parsed] if clean else parse_each(line, cells)
            if values is not None and check is not None:
                values = checked(values)
            if values is None:
                if errors.full:
                    stop = True
                    break
                continue
            batch.append(values)
            if len(batch) >= BATCH_ROWS:
                write(batch)
                batch = []
        if batch:
            write(batch)
        self.stopped_at = index
        return stop

    def parse_each(self, line: int, cells: list[Any]) -> list[Any] | None:
        """The row's values, cell by cell, an empty cell as the column stores it; None (with
        every bad cell recorded) if a cell is wrong or a required one empty."""
        values: list[Any] = [line]
        bad = False
        for index, parse, col, empty in self.steps:
            raw = cells[index]
            try:
                value = parse(raw)
            except parsing.CellError as exc:
                self.errors.add(RowError(line, col.name, parsing.clean_text(raw)[:200], str(exc)))
                bad = True
                continue
            if value is None or value == "":
                if col.required:
                    self.errors.add(RowError(line, col.name, "", _("A value is required.")))
                    bad = True
                    continue
                value = empty
            values.append(value)
        return None if bad else values

    def checked(self, values: list[Any]) -> list[Any] | None:
        """The row after the kind's own check (which may derive columns); None if rejected."""
        assert self.check is not None
        line = values[0]
        row = dict(zip(self.names, values[1:], strict=True))
        problems = self.check(row, self.present)
        if problems:
            for column, reason in problems.items():
                shown = row.get(column, "")
                self.errors.add(RowError(line, column, "" if shown is None else str(shown), reason))
            return None
        return [line, *map(row.get, self.outputs)]


def _width_error(line: int, cells: int, width: int) -> RowError:
    return RowError(
        line,
        "",
        "",
        _("This row has %(cells)d fields; the header has %(width)d.")
        % {"cells": cells, "width": width},
    )
