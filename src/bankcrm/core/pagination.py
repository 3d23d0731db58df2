"""Keyset (cursor) pagination: stable pages that stay fast deep into a large table."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class SortKey:
    """A sort on one column, ties broken by primary key in the same direction."""

    field: str
    descending: bool = False

    @property
    def order_by(self) -> list[str]:
        sign = "-" if self.descending else ""
        return [f"{sign}{self.field}", f"{sign}id"]


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([str(v) if isinstance(v, Decimal | dt.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != 2:
        return None
    return values


def _position(qs: QuerySet[Any], sort: SortKey, values: list[Any]) -> list[Any] | None:
    """The cursor's values as the sort column and the primary key hold them, or None when
    they cannot be theirs: a cursor this module did not issue names no position."""
    meta = qs.model._meta
    annotation = qs.query.annotations.get(sort.field)
    field = annotation.output_field if annotation is not None else meta.get_field(sort.field)
    try:
        last_value = None if values[0] is None else field.to_python(values[0])
        last_id = meta.pk.to_python(values[1])
        # The columns' own limits (digits, length, integer range): past them the database
        # fails the comparison instead of answering it.
        field.run_validators(last_value)
        meta.pk.run_validators(last_id)
    except (ValidationError, TypeError, ValueError):
        return None
    # PostgreSQL text cannot hold NUL; no value this module issued contains one.
    if last_id is None or (isinstance(last_value, str) and "\x00" in last_value):
        return None
    return [last_value, last_id]


def keyset_page(qs: QuerySet[Any], *, sort: SortKey, cursor: str | None, size: int) -> Page:
    """Return `size` rows after `cursor` in `sort` order, and the cursor of the next page."""
    qs = qs.order_by(*sort.order_by)
    values = decode_cursor(cursor) if cursor else None
    if values is not None:
        values = _position(qs, sort, values)
    if values is not None:
        last_value, last_id = values
        op = "lt" if sort.descending else "gt"
        if last_value is None:
            qs = qs.filter(**{f"id__{op}": last_id})
        else:
            qs = qs.filter(
                Q(**{f"{sort.field}__{op}": last_value})
                | Q(**{sort.field: last_value, f"id__{op}": last_id})
            )
    rows = list(qs[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, sort.field), last.pk])
    return Page(items=rows, next_cursor=next_cursor)
