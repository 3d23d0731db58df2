"""Writing many rows fast: COPY on PostgreSQL, batched executemany on SQLite.

Callers stay inside their own transaction: nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models

from bankcrm.core.crypto import EncryptedCharField, blind_indexes

BATCH_ROWS = 5_000


def _db_value(value: Any, field: models.Field[Any, Any]) -> Any:
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(field, EncryptedCharField):
        return field.get_prep_value(value)
    return value


def bulk_insert(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``, model attribute names).

    Returns the number of rows written. JSON fields take Python values.
    """
    meta = model._meta
    fields: list[models.Field[Any, Any]] = []
    for name in columns:
        f = meta.get_field(name)
        assert isinstance(f, models.Field), f"{name} is not a column of {meta.label}"
        fields.append(f)
    for source, index in blind_indexes(model).items():
        if source in columns and index.name not in columns:
            raise ValueError(f"{meta.label}: write {source} with its keyed hash {index.name}")
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(str(f.column)) for f in fields)
    written = 0
    iterator = iter(rows)
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in iterator:
                copy.write_row([_db_value(v, f) for v, f in zip(row, fields, strict=True)])
                written += 1
        return written
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 (names are ours)
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, BATCH_ROWS)):
            cursor.executemany(
                sql,
                [[_db_value(v, f) for v, f in zip(row, fields, strict=True)] for row in batch],
            )
            written += len(batch)
    return written
