"""How the churn model reads each column of a customer table: number, date or category.

Pure pandas (no Django). A bank export is rarely clean: numbers arrive as text with blanks,
thousands separators or full-width digits, an identifier sits among the features, a column
holds one value. :func:`plan_columns` decides once, on the training rows, how every column
is read, and :class:`ColumnPlan` says what it did (columns read as numbers from text, columns
left out and why) and turns any table with those columns into model input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Text that means "no value" in an export (compared stripped, lower-case).
BLANKS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "—", "?", "#n/a"}
# A text column is read as numbers when at least this share of its non-blank values are
# numbers and the others are few distinct words ("unknown", "n.a."): those become missing.
NUMERIC_SHARE = 0.95
NUMERIC_OTHER_LEVELS = 5
# A text column with at least this share of distinct values (and this many rows) says
# nothing a model can generalise from: an identifier, a free-text note.
NEAR_UNIQUE_SHARE = 0.9
NEAR_UNIQUE_MIN_ROWS = 20

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_CURRENCY = "¥$€£"


@dataclass
class ColumnPlan:
    """How each column is read (see :func:`plan_columns`).

    ``kinds`` maps every kept column to ``number``, ``datetime``, ``timedelta`` or
    ``category``; ``levels`` the category columns to their levels; ``coerced`` lists the
    text columns read as numbers, ``dropped`` the columns left out with the reason.
    """

    names: list[str]
    kinds: dict[str, str]
    levels: dict[str, list[str]] = field(default_factory=dict)
    coerced: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)

    @property
    def kept(self) -> list[str]:
        return [n for n in self.names if n in self.kinds]

    def report(self) -> dict[str, Any]:
        return {"coerced": list(self.coerced), "dropped": list(self.dropped)}

    def encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The kept columns as model input: numbers and dates as float64 (dates in days since
        1970), categories as pandas categoricals over the learned levels (an unseen level is
        missing). Column names stay."""
        out: dict[str, Any] = {}
        for name in self.kept:
            column = frame[name]
            kind = self.kinds[name]
            if kind == "category":
                text = as_text(column)
                text = text.where(text.isin(self.levels[name]))
                out[name] = pd.Categorical(text, categories=self.levels[name])
            elif kind == "datetime":
                out[name] = _days(column)
            elif kind == "timedelta":
                delta = pd.to_timedelta(column, errors="coerce")
                out[name] = (delta.dt.total_seconds() / 86400.0).to_numpy(np.float64)
            else:
                out[name] = parse_numbers(column)[0]
        return pd.DataFrame(out, index=frame.index)


def plan_columns(frame: pd.DataFrame) -> ColumnPlan:
    """Decide how each column of ``frame`` is read, from its values.

    * booleans and numbers are numbers; a numeric column with one value is dropped
      (constant), and so is a column of distinct consecutive integers (a row number);
    * datetimes and timedeltas are read as days;
    * text that is numbers (blanks, thousands separators, full-width digits, a currency
      sign allowed; at least 95% of the non-blank values, the rest at most five distinct
      words, read as missing) is a number, and listed in ``coerced``;
    * other text is a category, unless it has one value (constant) or nearly as many
      distinct values as rows (identifier / near-unique text).
    """
    names = [str(c) for c in frame.columns]
    frame = frame.set_axis(names, axis=1)
    plan = ColumnPlan(names=names, kinds={})
    for name in names:
        column = frame[name]
        kind, reason, note = _read_column(column)
        if reason:
            plan.dropped.append({"column": name, "reason": reason})
            continue
        plan.kinds[name] = kind
        if note is not None:
            plan.coerced.append({"column": name, **note})
        if kind == "category":
            plan.levels[name] = sorted(as_text(column).dropna().unique().tolist())
    return plan


def _read_column(column: pd.Series) -> tuple[str, str, dict[str, Any] | None]:
    """(kind, reason to drop or "", coercion note or None) for one column."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "number", _constant(column), None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime", _constant(column), None
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta", _constant(column), None
    if pd.api.types.is_numeric_dtype(dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return "number", _constant(column) or _row_number(values), None
    if not isinstance(dtype, pd.CategoricalDtype):
        numbers, unparsed, blanks = parse_numbers(column)
        present = int(np.isfinite(numbers).sum())
        other = column[unparsed]
        mostly = present and present >= NUMERIC_SHARE * (present + len(other))
        if mostly and other.astype(str).str.strip().nunique() <= NUMERIC_OTHER_LEVELS:
            reason = _constant(pd.Series(numbers)) or _row_number(numbers)
            note = {"blanks": blanks, "unreadable": int(len(other))}
            return "number", reason, note
    text = as_text(column).map(_clean, na_action="ignore")
    text = text.where(~text.isin(BLANKS) & text.notna())
    distinct = int(text.nunique())
    present = int(text.notna().sum())
    if distinct <= 1:
        return "category", "constant", None
    if present >= NEAR_UNIQUE_MIN_ROWS and distinct >= NEAR_UNIQUE_SHARE * present:
        return "category", "identifier" if distinct == present else "near-unique text", None
    return "category", "", None


def _constant(column: pd.Series) -> str:
    return "constant" if column.nunique(dropna=True) <= 1 else ""


def _row_number(values: FloatArray) -> str:
    finite = values[np.isfinite(values)]
    if len(finite) < NEAR_UNIQUE_MIN_ROWS or len(finite) < len(values):
        return ""
    if not np.all(finite == np.round(finite)):
        return ""
    distinct = np.unique(finite)
    if len(distinct) == len(finite) and distinct[-1] - distinct[0] == len(finite) - 1:
        return "identifier"
    return ""


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def parse_numbers(column: pd.Series) -> tuple[FloatArray, NDArray[np.bool_], int]:
    """Numbers of a column that may hold them as text.

    Returns the values (NaN where missing or unreadable), a mask of the values that are
    present but not numbers, and how many were blank. Full-width digits and separators are
    folded (NFKC), thousands separators (``1,234.5``) and a leading currency sign removed.
    """
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        values = pd.to_numeric(column, errors="coerce").astype("float64")
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(column), bool), 0
    values = column.astype(object).to_numpy()
    out = np.full(len(values), np.nan)
    unparsed = np.zeros(len(values), dtype=bool)
    blanks = 0
    cache: dict[Any, float | None] = {}
    for i, value in enumerate(values):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            blanks += 1
            continue
        if value not in cache:
            cache[value] = _number(value)
        number = cache[value]
        if number is None:
            if _clean(str(value)) in BLANKS:
                blanks += 1
            else:
                unparsed[i] = True
        else:
            out[i] = number
    return out, unparsed, blanks


def _number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.number):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    text = text.lstrip(_CURRENCY)
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if _NUMBER.fullmatch(text):
        number = float(text)
        return number if np.isfinite(number) else None
    return None


def as_text(column: pd.Series) -> pd.Series:
    """Category levels as text, so 1 and "1" are one level and levels always sort."""
    values = column.astype(object)
    missing = values.isna().to_numpy()
    text = np.array(
        [None if m else str(v) for v, m in zip(values, missing, strict=True)], dtype=object
    )
    return pd.Series(text, index=column.index, dtype=object)


def _days(column: pd.Series) -> FloatArray:
    moments = pd.to_datetime(column, errors="coerce", utc=True)
    days = (moments - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / 86400.0
    return days.to_numpy(dtype=np.float64, na_value=np.nan)


__all__ = ["ColumnPlan", "as_text", "parse_numbers", "plan_columns"]
