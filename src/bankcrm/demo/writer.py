"""The demo's table writer: the deliberate fast path that bulk-writes generated batches.

It exists beside `bankcrm.core.bulk.bulk_insert`, the bulk writer of the rest of the
project, because the demo writes tens of millions of rows from numpy columns: `bulk_insert`
takes one Python tuple per row and adapts every value on its own, while this writer turns
whole columns into COPY text (PostgreSQL) or bound parameters (SQLite) in vectorised steps,
a slice of rows at a time, and writes to any database alias, not only the default one.

What it guarantees, so that a row it writes reads back exactly like one the ORM wrote:

- every `EncryptedCharField` in a batch (resident ID and USCC numbers, mobiles) is stored
  encrypted with `core.crypto.encrypt` under the field's own purpose, and every
  `BlindIndexField` whose source column is in the batch gets its keyed hash from
  `core.crypto.blind_index` with the field's purpose, as the fields' own `get_prep_value`
  and `pre_save` do; the plaintext never reaches the database;
- values are stored the way Django stores them: dates in ISO form, datetimes in UTC,
  money as 2-place decimals from integer cents, booleans, JSON;
- it never commits: the writes belong to the caller's transaction.

It writes exactly the tables of the batches it is given (the generated ones); summaries that
other apps keep over those tables are theirs to rebuild.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, cast

import numpy as np
from django.db import connections, models

from bankcrm.core.crypto import BlindIndexField, EncryptedCharField, blind_index, encrypt, keyring
from bankcrm.demo.columns import Batch, Cat, Cents, Column

_SLICE_ROWS = 50_000


def _column_name(model: type[models.Model], attname: str) -> str:
    field = model._meta.get_field(attname)
    assert isinstance(field, models.Field)
    return str(field.column)


def _py_value_sqlite(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(value)


def _py_value_text(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return _escape(str(value))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _strings_safe(values: list[str]) -> bool:
    joined = "".join(values)
    return not any(ch in joined for ch in "\\\t\n\r")


def _dates_text(values: np.ndarray, null: str | None) -> list[Any]:
    text = np.datetime_as_string(values).tolist()
    return [null if t == "NaT" else t for t in text] if np.isnat(values).any() else text


def _datetimes_text(values: np.ndarray, null: str | None, *, sqlite: bool) -> list[Any]:
    """'YYYY-MM-DD HH:MM:SS' in UTC (Django's SQLite storage) or ISO with 'Z' for COPY."""
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    if sqlite and len(text):
        chars = np.ascontiguousarray(text).view("<U1").reshape(len(text), -1)
        chars[:, 10] = " "
        out = chars.view(f"<U{chars.shape[1]}").ravel().tolist()
    else:
        out = [t + "Z" for t in text.tolist()]
    if np.isnat(values).any():
        return [null if t.startswith("NaT") else t for t in out]
    return out


def _to_sqlite(col: Column) -> list[Any]:
    if isinstance(col, Cat):
        return np.asarray(col.labels, dtype=object)[col.codes].tolist()
    if isinstance(col, Cents):
        return (col.values / 100).tolist()
    if isinstance(col, list):
        return [v if type(v) is str else _py_value_sqlite(v) for v in col]
    if col.dtype.kind == "M":
        if np.datetime_data(col.dtype)[0] == "D":
            return _dates_text(col, None)
        return _datetimes_text(col, None, sqlite=True)
    if col.dtype == bool:
        return col.astype(np.int64).tolist()
    return col.tolist()


def _to_text(col: Column) -> list[str]:
    if isinstance(col, Cat):
        labels = np.asarray([_escape(str(x)) for x in col.labels], dtype=object)
        return labels[col.codes].tolist()
    if isinstance(col, Cents):
        return [repr(x) for x in (col.values / 100).tolist()]
    if isinstance(col, list):
        if all(type(v) is str for v in col) and _strings_safe(col):
            return col
        return [_py_value_text(v) for v in col]
    if col.dtype.kind == "M":
        if np.datetime_data(col.dtype)[0] == "D":
            return _dates_text(col, r"\N")
        return _datetimes_text(col, r"\N", sqlite=False)
    if col.dtype == bool:
        return np.where(col, "t", "f").tolist()
    return [str(x) for x in col.tolist()]


def _slice(col: Column, start: int, stop: int) -> Column:
    if isinstance(col, Cat):
        return Cat(col.codes[start:stop], col.labels)
    if isinstance(col, Cents):
        return Cents(col.values[start:stop])
    return col[start:stop]


def sealed(batch: Batch) -> Batch:
    """The batch as the import path stores it: encrypted columns encrypted (the plaintext
    stays in ``batch`` for the export files), with their keyed hashes."""
    fields = batch.model._meta.concrete_fields
    encrypted = {f.attname: f.purpose for f in fields if isinstance(f, EncryptedCharField)}
    if not encrypted.keys() & batch.columns.keys():
        return batch
    ring = keyring()
    columns = dict(batch.columns)
    for f in fields:
        if isinstance(f, BlindIndexField) and f.source in batch.columns:
            plain = cast(list[str], batch.columns[f.source])
            columns[f.attname] = [blind_index(v, f.purpose, ring=ring) for v in plain]
    for name, purpose in encrypted.items():
        if name in batch.columns:
            plain = cast(list[str], batch.columns[name])
            columns[name] = [encrypt(v, purpose, ring=ring) for v in plain]
    return Batch(batch.model, columns)


class TableWriter:
    """Appends batches to their tables: COPY on PostgreSQL, executemany on SQLite.

    Rows are converted and sent a slice at a time, so only one slice of Python objects is
    alive however large the batch.
    """

    def __init__(self, using: str) -> None:
        self.connection = connections[using]
        self.vendor = self.connection.vendor

    def write(self, batch: Batch) -> int:
        """Append the batch's rows (encrypted columns sealed); returns how many."""
        n = len(batch)
        if not n:
            return 0
        batch = sealed(batch)
        model = batch.model
        quote = self.connection.ops.quote_name
        table = quote(model._meta.db_table)
        names = ", ".join(quote(_column_name(model, a)) for a in batch.columns)
        columns = list(batch.columns.values())
        if self.vendor == "postgresql":
            self._copy(table, names, columns, n)
        else:
            self._insert(table, names, columns, n)
        return n

    def _copy(self, table: str, names: str, columns: list[Column], n: int) -> None:
        with self.connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for start in range(0, n, _SLICE_ROWS):
                    cols = [_to_text(_slice(c, start, start + _SLICE_ROWS)) for c in columns]
                    copy.write("\n".join(map("\t".join, zip(*cols, strict=True))) + "\n")

    def _insert(self, table: str, names: str, columns: list[Column], n: int) -> None:
        marks = ", ".join(["?"] * len(columns))
        # Identifiers come from the models' metadata, quoted; values are bound.
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        self.connection.ensure_connection()
        raw_conn = self.connection.connection
        assert raw_conn is not None
        for start in range(0, n, _SLICE_ROWS):
            cols = [_to_sqlite(_slice(c, start, start + _SLICE_ROWS)) for c in columns]
            raw_conn.executemany(sql, zip(*cols, strict=True))
