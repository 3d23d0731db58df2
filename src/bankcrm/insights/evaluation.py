"""The analytics models on a bank's own files: a churn table, a transaction log.

``bankcrm analytics evaluate-churn`` and ``bankcrm analytics clv`` read exports from the
core-banking system here: the file (UTF-8 with or without BOM, else GB18030), the columns
named on the command line, labels, dates and amounts; the models in ``analytics`` then get
clean frames. Every problem with a file is a :class:`TableError` whose message names the
file, and the row or column where it lies.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bankcrm.analytics.churn import coerce_label
from bankcrm.analytics.churn_evaluation import EvaluationReport, evaluate
from bankcrm.analytics.clv import ClvFit, fit_clv, summarise_transactions


class TableError(Exception):
    """A file the models cannot be run on; the message says which file and why."""


# -- churn ------------------------------------------------------------------------------------


def read_table(path: str) -> pd.DataFrame:
    """A CSV file as read by pandas: UTF-8 (with or without BOM), else GB18030."""
    try:
        try:
            return pd.read_csv(path, encoding="utf-8-sig")
        except UnicodeDecodeError:
            return pd.read_csv(path, encoding="gb18030")
    except FileNotFoundError as exc:
        raise TableError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise TableError(f"{path}: is a directory, not a CSV file") from exc
    except pd.errors.EmptyDataError as exc:
        raise TableError(f"{path}: the file is empty") from exc
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TableError(f"{path}: cannot read it as CSV ({exc})") from exc


def churn_table(
    table: pd.DataFrame,
    *,
    name: str,
    label: str,
    id_column: str | None,
    positive: str | None = None,
) -> tuple[pd.DataFrame, NDArray[np.int64], pd.Series | None]:
    """The features (every column but the label and the id), the 0/1 label and the ids.

    With ``positive`` the label is 1 where the label column reads that value.
    """
    if table.empty:
        raise TableError(f"{name}: the file has a header but no rows")
    for role, column in (("label", label), ("id", id_column)):
        if column is not None and column not in table.columns:
            shown = ", ".join(map(str, table.columns[:20]))
            raise TableError(f"{name}: no {role} column {column!r} (the columns are: {shown})")
    if id_column == label:
        raise TableError(f"{name}: the label and the id are the same column {label!r}")
    try:
        y = coerce_label(table[label], positive=positive)
    except ValueError as exc:
        hint = "" if positive is not None else " (name the positive class with --positive)"
        raise TableError(f"{name}: column {label!r}: {exc}{hint}") from exc
    features = table.drop(columns=[c for c in (label, id_column) if c is not None])
    if features.shape[1] == 0:
        raise TableError(f"{name}: no feature columns besides {label!r}")
    ids = table[id_column] if id_column is not None else None
    if ids is not None and ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise TableError(f"{name}: row {row + 1}: no customer id in column {id_column!r}")
    return features, y, ids


def churn_evaluate(
    features: pd.DataFrame,
    y: NDArray[np.int64],
    *,
    name: str,
    label: str,
    folds: int,
    ids: pd.Series | None = None,
) -> EvaluationReport:
    """Cross-validate the churn model and its baselines on a table from :func:`churn_table`.

    Folds come from the customer ids when there are some (``folds`` ≥ 2).
    """
    if len(features) < folds:
        raise TableError(
            f"{name}: {len(features)} rows are fewer than the {folds} cross-validation folds"
        )
    if y.min() == y.max():
        raise TableError(
            f"{name}: column {label!r} has one class only (every row is {int(y[0])}); "
            "the model needs customers who left and customers who stayed"
        )
    try:
        return evaluate(features, y, folds=folds, ids=ids)
    except ValueError as exc:
        raise TableError(f"{name}: {exc}") from exc


# -- CLV --------------------------------------------------------------------------------------


def clv_log_fit(
    path: str, *, customer: str, date: str, amount: str, calibration_end: dt.date | None
) -> ClvFit:
    """BG/NBD and Gamma-Gamma fitted on the transaction log in ``path``.

    ``customer``, ``date`` and ``amount`` name columns of the header, or are 1-based column
    numbers for a file without one. With ``calibration_end`` the models learn from the
    transactions up to that day and the rest is the hold-out period.
    """
    name = Path(path).name
    columns = pick_columns(
        read_log(path), {"customer": customer, "date": date, "amount": amount}, name
    )
    if columns.empty:
        raise TableError(f"{name}: no transactions")
    days = parse_dates(columns["date"], name)
    values = parse_amounts(columns["amount"], name)
    if calibration_end is not None and calibration_end < days.min().date():
        raise TableError(
            f"{name}: the calibration end {calibration_end} is before the first "
            f"transaction ({days.min().date()})"
        )
    summary = summarise_transactions(
        columns["customer"], days, values, calibration_end=calibration_end
    )
    f = summary.frame
    if len(f) < 10 or (f["frequency"] > 0).sum() < 2:
        raise TableError(
            f"{name}: {len(f)} customers with {(f['frequency'] > 0).sum()} repeat "
            "buyers are too few to fit BG/NBD"
        )
    try:
        return fit_clv(summary)
    except ValueError as exc:
        raise TableError(f"{name}: {exc}") from exc


def read_log(path: str) -> pd.DataFrame:
    """A transaction log with a comma, semicolon, tab, pipe or whitespace delimiter."""
    raw = Path(path)
    if not raw.is_file():
        raise TableError(f"{path}: no such file")
    head = raw.read_bytes()[:65536]
    encoding = "utf-8-sig"
    try:
        sample = head.decode(encoding)
    except UnicodeDecodeError:
        encoding = "gb18030"
        sample = head.decode(encoding, errors="replace")
    first = next((line for line in sample.splitlines() if line.strip()), "")
    if not first:
        raise TableError(f"{path}: the file is empty")
    sep = next((d for d in (",", "\t", ";", "|") if d in first), r"\s+")
    try:
        return pd.read_csv(path, sep=sep, header=None, dtype=str, encoding=encoding).dropna(
            how="all"
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TableError(f"{path}: cannot read it as a table ({exc})") from exc


def pick_columns(table: pd.DataFrame, wanted: dict[str, str], name: str) -> pd.DataFrame:
    """The wanted columns by header name, or by 1-based position when the file has none."""
    header = [str(v).strip() for v in table.iloc[0]]
    if all(col in header for col in wanted.values()):
        body = table.iloc[1:]
        return pd.DataFrame(
            {role: body.iloc[:, header.index(col)].str.strip() for role, col in wanted.items()}
        )
    if all(col.isdigit() and 1 <= int(col) <= table.shape[1] for col in wanted.values()):
        return pd.DataFrame(
            {role: table.iloc[:, int(col) - 1].str.strip() for role, col in wanted.items()}
        )
    missing = [c for c in wanted.values() if c not in header]
    raise TableError(
        f"{name}: no column {missing[0]!r}; the header has {', '.join(header[:20])} "
        f"(or give 1-based column numbers for a file without a header)"
    )


def parse_dates(values: pd.Series, name: str) -> pd.Series:
    """Dates as YYYYMMDD, or ISO-like with - or /; the first that is none names its row."""
    text = values.astype(str).str.strip()
    if text.str.fullmatch(r"\d{8}").all():
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    else:
        parsed = pd.to_datetime(text.str.replace("/", "-"), errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TableError(f"{name}: row {row + 1}: {text.iloc[row]!r} is not a date")
    return parsed


def parse_amounts(values: pd.Series, name: str) -> pd.Series:
    """Amounts, with thousands separators allowed; the first that is none names its row."""
    text = values.astype(str).str.replace(",", "", regex=False).str.strip()
    parsed = pd.to_numeric(text, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TableError(f"{name}: row {row + 1}: {values.iloc[row]!r} is not an amount")
    return parsed


__all__ = [
    "EvaluationReport",
    "TableError",
    "churn_evaluate",
    "churn_table",
    "clv_log_fit",
    "parse_amounts",
    "parse_dates",
    "pick_columns",
    "read_log",
    "read_table",
]
