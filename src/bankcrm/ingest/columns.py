"""Checking a block of rows column by column (pyarrow compute), not cell by cell.

Each column of the plan is read in one pass over the block: text trimmed and measured, amounts
and moments in their common spellings parsed by compiled kernels (and checked by writing them
back), and every column with few distinct values (codes, yes/no, dates, months, whole numbers)
parsed once per distinct value by the column's own Python parser. What a kernel does not
recognise is parsed by that same Python parser, once per distinct value. The kind's row rule
(a transaction's sign, an account's dates, a customer's ID number and mobile) is vectorised too.

The result is a mask: the rows every check passed, with their values as arrays in stage order;
every other row goes through the row-by-row path (:class:`bankcrm.ingest.stage._RowReader`),
which reports each of its problems exactly as it always has — so a kernel only ever has to
recognise values that are certainly good, and never has to word an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import models

from bankcrm.ingest import parsing
from bankcrm.ingest.plan import Plan, model_field
from bankcrm.ingest.specs import DATETIME, DECIMAL, TEXT, Column

# What str.strip() strips (str.isspace): the text parser's trim, to the character.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# 2025-01-31 14:30:00 (or with T) from 1900 to 2999: the spelling of almost every export.
_MOMENT = r"^(?:19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}$"
_MOMENT_FORMAT = "%Y-%m-%d %H:%M:%S"

Values = tuple[pa.Array, np.ndarray, np.ndarray]  # values, parsed, empty
Reader = Callable[[pa.Array], Values]


def arrow_type(f: models.Field[Any, Any]) -> pa.DataType:
    """The arrow type a stage column's values are held in."""
    if isinstance(f, models.DateTimeField):
        return pa.timestamp("us", tz="UTC")
    if isinstance(f, models.DateField):
        return pa.date32()
    if isinstance(f, models.DecimalField):
        return pa.decimal128(f.max_digits or 38, f.decimal_places or 0)
    if isinstance(f, models.BooleanField):
        return pa.bool_()
    if isinstance(f, models.IntegerField) and not isinstance(f, models.ForeignKey):
        return pa.int64()
    return pa.string()


def _mask(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.bool_())


def _np(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean array as numpy (null as False)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _strings(raw: pa.Array) -> pa.Array | None:
    """The column as plain strings (null as ''), or None if it is not text (Parquet)."""
    if pa.types.is_dictionary(raw.type):
        raw = raw.dictionary_decode()
    if pa.types.is_large_string(raw.type):
        raw = raw.cast(pa.string())
    if not pa.types.is_string(raw.type):
        return None
    return raw.fill_null("") if raw.null_count else raw


def python_map(raw: pa.Array, parse: Callable[[Any], Any], typ: pa.DataType) -> Values:
    """``parse`` applied once to each distinct value: the values, whether each parsed, and
    whether it was empty (parsed to nothing)."""
    if pa.types.is_dictionary(raw.type):
        raw = raw.dictionary_decode()
    encoded = pc.dictionary_encode(raw, null_encoding="encode")
    results: list[Any] = []
    parsed: list[bool] = []
    empty: list[bool] = []
    for value in encoded.dictionary.to_pylist():
        try:
            result = parse(value)
        except parsing.CellError:
            results.append(None)
            parsed.append(False)
            empty.append(False)
            continue
        nothing = result is None or (isinstance(result, str) and result == "")
        results.append(None if nothing else result)
        parsed.append(True)
        empty.append(nothing)
    indices = encoded.indices
    where = indices.to_numpy(zero_copy_only=False)
    values = pa.array(results, type=typ).take(indices)
    return values, np.asarray(parsed, dtype=bool)[where], np.asarray(empty, dtype=bool)[where]


def _patch(values: Values, rest: np.ndarray, raw: pa.Array, parse: Any, typ: Any) -> Values:
    """The rows ``rest`` (not recognised by a kernel) parsed by the Python parser."""
    if not rest.any():
        return values
    array, ok, empty = values
    sub, sub_ok, sub_empty = python_map(raw.filter(_mask(rest)), parse, typ)
    array = pc.replace_with_mask(array, _mask(rest), sub)
    ok, empty = ok.copy(), empty.copy()
    ok[rest], empty[rest] = sub_ok, sub_empty
    return array, ok, empty


def _text_reader(limit: int) -> Callable[[pa.Array], Values | None]:
    def read(raw: pa.Array) -> Values | None:
        s = _strings(raw)
        if s is None:
            return None
        text = pc.utf8_trim(s, characters=PY_WHITESPACE)
        bad = _np(pc.match_substring(text, "\x00"))
        if limit:
            bad |= _np(pc.greater(pc.utf8_length(text), limit))
        return text, ~bad, _np(pc.equal(text, ""))

    return read


def _decimal_reader(
    col: Column, parse: Any, typ: pa.DataType
) -> Callable[[pa.Array], Values | None]:
    whole = col.max_digits - col.places
    pattern = rf"^[0-9]{{1,{whole}}}\.[0-9]{{{col.places}}}$"

    def read(raw: pa.Array) -> Values | None:
        s = _strings(raw)
        if s is None or col.places < 1:
            return None
        text = pc.utf8_trim(s, characters=PY_WHITESPACE)
        fast = _np(pc.match_substring_regex(text, pattern))
        empty = _np(pc.equal(text, ""))
        values = pc.if_else(_mask(fast), text, pa.scalar(None, pa.string())).cast(typ)
        values, ok, _e = _patch((values, fast, empty), ~fast & ~empty, s, parse, typ)
        return values, ok | empty, empty

    return read


def _fixed_width(text: pa.Array, width: int) -> np.ndarray:
    """Strings all ``width`` bytes long as a (rows, width) array of bytes (no copy)."""
    offsets = np.frombuffer(text.buffers()[1], np.int32)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(text.buffers()[2], np.uint8)
    return data[offsets[0] : offsets[0] + width * len(text)].reshape(len(text), width)


def _number(digits: np.ndarray, first: int, count: int) -> np.ndarray:
    value = np.zeros(len(digits), np.int64)
    for i in range(first, first + count):
        value = value * 10 + (digits[:, i] - 48)
    return value


def _moments(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Cells spelled 2025-01-31 14:30:00 (checked by the pattern): local seconds since the
    epoch, and whether each is a real moment (no 30 February, no 25 o'clock)."""
    digits = _fixed_width(text, 19)
    year, month, day = _number(digits, 0, 4), _number(digits, 5, 2), _number(digits, 8, 2)
    hour, minute, second = _number(digits, 11, 2), _number(digits, 14, 2), _number(digits, 17, 2)
    months = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("M8[M]")
    days = months.astype("M8[D]") + (np.clip(day, 1, 31) - 1).astype("m8[D]")
    real = (
        (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (days.astype("M8[M]") == months)  # the day is in the month, not past its end
        & (hour < 24)
        & (minute < 60)
        & (second < 60)
    )
    seconds = days.astype("M8[s]").astype(np.int64) + hour * 3600 + minute * 60 + second
    return seconds, real


def _moment_reader(parse: Any, typ: pa.DataType) -> Callable[[pa.Array], Values | None]:
    zone = settings.TIME_ZONE

    def read(raw: pa.Array) -> Values | None:
        s = _strings(raw)
        if s is None:
            return None
        text = pc.utf8_trim(s, characters=PY_WHITESPACE)
        fast = _np(pc.match_substring_regex(text, _MOMENT))
        empty = _np(pc.equal(text, ""))
        values = pa.nulls(len(s), typ)
        if fast.any():
            seconds, real = _moments(text.filter(_mask(fast)))
            naive = pa.array(seconds, pa.timestamp("s"), mask=~real)
            local = pc.assume_timezone(
                naive, timezone=zone, ambiguous="earliest", nonexistent="earliest"
            )
            other = pc.assume_timezone(
                naive, timezone=zone, ambiguous="latest", nonexistent="latest"
            )
            # A local time a clock change skips or repeats: the Python parser decides.
            real &= _np(pc.equal(local, other))
            local = local.cast(typ)
            values = pc.replace_with_mask(values, _mask(fast), local)
            fast[fast] = real
        values, ok, _e = _patch((values, fast, empty), ~fast & ~empty, s, parse, typ)
        return values, ok | empty, empty

    return read


def format_moments(values: pa.Array) -> pa.Array:
    """Moments (timestamp[us, UTC]) as PostgreSQL reads them, 2025-01-31 06:30:00.000000+00:
    written digit by digit (arrow's formatter takes a microsecond a value)."""
    n = len(values)
    micros = values.cast(pa.int64()).fill_null(0).to_numpy()
    seconds, fraction = np.divmod(micros, 1_000_000)
    days, clock = np.divmod(seconds, 86_400)
    day = days.astype("M8[D]")
    month = day.astype("M8[M]")
    year = month.astype("M8[Y]")
    years = year.astype(np.int64) + 1970
    pairs = [  # (two-digit number, its column in the text)
        (years // 100 % 100, 0),
        (years % 100, 2),
        ((month - year.astype("M8[M]")).astype(np.int64) + 1, 5),
        ((day - month.astype("M8[D]")).astype(np.int64) + 1, 8),
        (clock // 3600, 11),
        (clock // 60 % 60, 14),
        (clock % 60, 17),
        (fraction // 10_000, 20),
        (fraction // 100 % 100, 22),
        (fraction % 100, 24),
    ]
    out = np.empty((n, 29), np.uint8)
    out[:] = np.frombuffer(b"0000-00-00 00:00:00.000000+00", np.uint8)
    for number, at in pairs:
        tens, ones = np.divmod(number.astype(np.int32), 10)
        out[:, at] = tens + 48
        out[:, at + 1] = ones + 48
    offsets = np.arange(0, 29 * (n + 1), 29, dtype=np.int32)
    text = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out))
    if values.null_count:
        text = pc.if_else(pc.is_null(values), pa.scalar(None, pa.string()), text)
    if n and (years.min() < 1 or years.max() > 9999):  # not four digits: as Python writes it
        text = pa.array([None if v is None else v.isoformat(" ") for v in values.to_pylist()])
    return text


def stage_types(plan: Plan) -> list[pa.DataType]:
    """The arrow type of each stage column: the plan's columns, then the derived ones."""
    model = plan.kind.model
    types = [
        pa.string() if c.ref is not None else arrow_type(model_field(model, c.attname))
        for c in plan.columns
    ]
    return types + [arrow_type(model_field(model, name)) for name in plan.derived]


class ColumnChecker:
    """The plan's columns read from a block of raw cells, vectorised where possible."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.names = [c.attname if c.ref is None else f"ref_{c.name}" for c in plan.columns]
        self.types: list[pa.DataType] = []
        self.readers: list[Callable[[pa.Array], Values | None]] = []
        mapping = plan.mapping
        fmt = mapping.date_format if mapping else ""
        for col, parse in zip(plan.columns, plan.parsers, strict=True):
            if col.ref is not None:
                typ = pa.string()
            else:
                typ = arrow_type(model_field(plan.kind.model, col.attname))
            self.types.append(typ)
            translated = bool(mapping and mapping.values.get(col.name))
            fast: Callable[[pa.Array], Values | None] | None = None
            if not translated and col.dtype == TEXT:
                fast = _text_reader(col.max_length)
            elif not translated and col.dtype == DECIMAL:
                fast = _decimal_reader(col, parse, typ)
            elif not translated and col.dtype == DATETIME and not fmt:
                fast = _moment_reader(parse, typ)
            self.readers.append(_with_fallback(fast, parse, typ))
        self.derived_types = [
            arrow_type(model_field(plan.kind.model, name)) for name in plan.derived
        ]

    def read(self, columns: list[pa.Array]) -> tuple[dict[str, pa.Array], np.ndarray]:
        """The plan's columns (raw cells, one array each, constants included): the values by
        stage name, and the rows whose every cell was read (empty where allowed)."""
        n = len(columns[0]) if columns else 0
        ok = np.ones(n, dtype=bool)
        values: dict[str, pa.Array] = {}
        for name, col, read, typ, empty_value, raw in zip(
            self.names,
            self.plan.columns,
            self.readers,
            self.types,
            self.plan.empties,
            columns,
            strict=True,
        ):
            array, parsed, empty = read(raw)
            ok &= parsed
            if col.required:
                ok &= ~empty
            elif empty.any() and empty_value is not None:
                array = pc.if_else(_mask(empty), pa.scalar(_scalar(empty_value), typ), array)
            elif empty.any():
                array = pc.if_else(_mask(empty), pa.scalar(None, typ), array)
            values[name] = array
        return values, ok


def _scalar(value: Any) -> Any:
    return str(value) if isinstance(value, str) else value  # a TextChoices member: its code


def _with_fallback(
    fast: Callable[[pa.Array], Values | None] | None, parse: Any, typ: pa.DataType
) -> Reader:
    def read(raw: pa.Array) -> Values:
        if fast is not None:
            result = fast(raw)
            if result is not None:
                return result
        return python_map(raw, parse, typ)

    return read


# --- the kinds' row rules, vectorised -------------------------------------------------------
# Each takes the block's values by stage name and the rows read so far, and returns both with
# the rule applied: values it derives set, rows it cannot vouch for dropped from the mask (the
# row-by-row path then applies the kind's own check to them and words what is wrong).
RowRule = Callable[[dict[str, pa.Array], np.ndarray], tuple[dict[str, pa.Array], np.ndarray]]


def _transaction_rule(
    values: dict[str, pa.Array], ok: np.ndarray
) -> tuple[dict[str, pa.Array], np.ndarray]:
    amount = values["amount"]
    negative = _np(pc.less(amount, pa.scalar(0, amount.type)))
    given = values.get("direction")
    has = _np(pc.not_equal(given, "")) if given is not None else np.zeros(len(ok), bool)
    ok = ok & ~(negative & has)
    if negative.any():
        values["amount"] = pc.if_else(_mask(negative), pc.negate(amount), amount)
    implied = pc.if_else(_mask(negative), "debit", "credit")
    values["direction"] = implied if given is None else pc.if_else(_mask(has), given, implied)
    return values, ok


def _account_rule(
    values: dict[str, pa.Array], ok: np.ndarray
) -> tuple[dict[str, pa.Array], np.ndarray]:
    opened, closed = values.get("opened_on"), values.get("closed_on")
    if opened is not None and closed is not None:
        ok = ok & ~_np(pc.less(closed, opened))
    return values, ok


ROW_RULES: dict[str, RowRule] = {
    "transactions": _transaction_rule,
    "accounts": _account_rule,
}


# --- whole-file checks, kept up while reading -------------------------------------------------
_MULTIPLIER = np.uint64(0x100000001B3)  # FNV's prime: the polynomial hash of a string's bytes
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _string_hashes(text: pa.Array) -> np.ndarray:
    """A 64-bit polynomial hash of each string's bytes (wrapping arithmetic)."""
    n = len(text)
    if pa.types.is_large_string(text.type):
        text = text.cast(pa.string())
    offsets = np.frombuffer(text.buffers()[1], np.int32)[text.offset : text.offset + n + 1]
    start = int(offsets[0])
    body = np.frombuffer(text.buffers()[2], np.uint8)[start : int(offsets[-1])]
    lengths = np.diff(offsets).astype(np.int64)
    if not len(body):
        return lengths.astype(np.uint64)
    longest = int(lengths.max())
    powers = np.cumprod(np.full(longest, _MULTIPLIER, np.uint64), dtype=np.uint64)
    if longest <= 64 and int(lengths.min()) == longest:  # all as long: a column at a time
        rows = body.reshape(n, longest)
        sums = np.zeros(n, np.uint64)
        for j in range(longest):
            sums += (rows[:, j].astype(np.uint64) + np.uint64(1)) * powers[j]
        return sums ^ (lengths.astype(np.uint64) * _MIX)
    position = np.arange(len(body)) - np.repeat(offsets[:-1].astype(np.int64) - start, lengths)
    terms = (body.astype(np.uint64) + np.uint64(1)) * powers[position]
    starts = np.minimum(offsets[:-1].astype(np.int64) - start, len(body) - 1)
    sums = np.add.reduceat(terms, starts)
    sums[lengths == 0] = 0  # reduceat gives an empty string the next string's first term
    return sums ^ (lengths.astype(np.uint64) * _MIX)


def key_hashes(columns: list[pa.Array]) -> np.ndarray:
    """A 64-bit hash of each row's natural key (its stage values): different hashes, different
    keys; equal hashes are told apart by the exact check in SQL."""
    combined: np.ndarray | None = None
    for array in columns:
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            hashes = _string_hashes(array.fill_null(""))
        elif pa.types.is_date32(array.type):
            hashes = array.view(pa.int32()).fill_null(0).to_numpy().astype(np.uint64)
        elif pa.types.is_timestamp(array.type) or pa.types.is_integer(array.type):
            hashes = array.cast(pa.int64()).fill_null(0).to_numpy().astype(np.uint64)
        else:
            hashes = _string_hashes(array.cast(pa.string()).fill_null(""))
        combined = hashes if combined is None else (combined * _MIX) ^ hashes
    assert combined is not None
    return combined


class WholeFile:
    """What the checks of the file as a whole need, gathered block by block from the rows
    written to the stage: a hash of each natural key (no two equal: no duplicate key, and the
    SQL check is not needed), and the distinct values of each reference column (looked up in
    the database once, at the end, rather than row by row)."""

    MAX_DISTINCT = 1_000_000  # more distinct references than this: looked up in SQL

    def __init__(self, key_columns: list[int], ref_columns: list[int]) -> None:
        self.key_columns = key_columns  # indexes into a block's stage columns
        self.hashes: list[np.ndarray] = []
        self.refs: dict[int, list[pa.Array]] = {i: [] for i in ref_columns}
        self.pending: dict[int, int] = dict.fromkeys(ref_columns, 0)
        self.distinct: dict[int, pa.Array | None] = {
            i: pa.array([], pa.string()) for i in ref_columns
        }

    def add(self, columns: list[pa.Array]) -> None:
        """A block as written to the stage: its stage columns (without the line)."""
        if not len(columns[0]):
            return
        self.hashes.append(key_hashes([columns[i] for i in self.key_columns]))
        for i in self.refs:
            if self.distinct[i] is None:
                continue
            values = pc.unique(columns[i])
            self.refs[i].append(values)
            self.pending[i] += len(values)
            current = self.distinct[i]
            assert current is not None
            if self.pending[i] > max(len(current), 50_000):
                self._merge(i)

    def _merge(self, i: int) -> None:
        current = self.distinct[i]
        assert current is not None
        merged = pc.unique(pa.chunked_array([current, *self.refs[i]], pa.string()))
        self.refs[i], self.pending[i] = [], 0
        self.distinct[i] = None if len(merged) > self.MAX_DISTINCT else merged

    def may_have_duplicates(self) -> bool:
        if not self.hashes:
            return False
        hashes = np.concatenate(self.hashes)
        self.hashes = []
        hashes.sort()
        return bool(len(hashes) > 1 and (hashes[1:] == hashes[:-1]).any())

    def distinct_values(self, i: int) -> pa.Array | None:
        """The distinct values of stage column ``i`` (None: too many, look them up in SQL)."""
        if self.distinct[i] is not None and self.refs[i]:
            self._merge(i)
        return self.distinct[i]
