"""Churn early warning: who is likely to leave, how likely, and why, in plain words.

Pure pandas/scikit-learn/LightGBM (no Django). The model works on any per-customer feature
table: numeric columns, text-coded or categorical columns and missing values.

* Gradient-boosted trees (Ke et al. 2017, LightGBM) rank customers by risk. Text and
  categorical columns become pandas categories that LightGBM splits on natively (Fisher's
  optimal grouping of categories); a category never seen in training is treated as missing,
  so scoring a new branch code or customer type does not fail. NaN is LightGBM's own
  "missing" branch.
* The scores are calibrated into probabilities with scikit-learn's
  ``CalibratedClassifierCV(cv=3, ensemble=False)``: three-fold out-of-fold scores fit one
  isotonic (Zadrozny & Elkan 2002) or sigmoid (Platt 1999) map, and the boosted model
  itself is refitted on all the data. The probabilities and the reasons therefore come
  from the same trees, and calibration, being monotone, never reorders customers.
* Reasons are TreeSHAP contributions to the log-odds of the uncalibrated model (Lundberg
  et al. 2020, LightGBM's ``pred_contrib=True``): for each customer the features that push
  the risk up most, phrased in English and Chinese by
  :func:`bankcrm.analytics.churn_reasons.explain`.

How well the model does (cross-validation, calibration and lift tables, the comparison with
a baseline) is :mod:`bankcrm.analytics.churn_evaluation`.

Training on a time-based split
------------------------------
A churn model must be trained the way it is used: on what was known at a cut-off date,
to predict what happened after it. The insights app builds one row per customer and
snapshot date: features computed from data up to the snapshot date (never after), and the
label "left within the next N months" from the N months that follow. :func:`time_split`
then trains on snapshots before a cut-off and tests on snapshots on or after it; with
``horizon_months=N`` it also drops training rows whose N-month label window reaches past
the cut-off, so no training label was observed in the test period.

References
----------
Ke, G. et al. (2017). LightGBM: A Highly Efficient Gradient Boosting Decision Tree. NeurIPS.
Lundberg, S. M. et al. (2020). From local explanations to global understanding with
explainable AI for trees. Nature Machine Intelligence 2, 56-67.
Platt, J. (1999). Probabilistic outputs for support vector machines. Advances in Large
Margin Classifiers, 61-74.
Zadrozny, B. and Elkan, C. (2002). Transforming classifier scores into accurate multiclass
probability estimates. KDD, 694-699.
"""

from __future__ import annotations

import datetime as dt
import numbers
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Label spellings a bank export uses for "left" and "stayed" (compared stripped, lower-case).
_POSITIVE = {"1", "1.0", "true", "t", "yes", "y", "是"}
_NEGATIVE = {"0", "0.0", "false", "f", "no", "n", "否"}

# Below this many rows LightGBM runs on one thread: threads gain nothing on small tables
# (LightGBM's parameter-tuning guide says as much), and on a busy two-core machine their
# OpenMP barriers turned a one-second cross-validation into minutes.
SINGLE_THREAD_BELOW = 10_000


def coerce_label(values: ArrayLike | pd.Series) -> IntArray:
    """Turn a churn label into 0/1 integers.

    Accepts 1/0 (integers, floats or text), True/False, and the text answers yes/no, y/n,
    t/f and 是/否 in any case and with surrounding spaces.

    Raises
    ------
    ValueError
        If any value is missing or something else, naming up to five offending values.
    """
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    series = series.reset_index(drop=True).astype(object)
    missing = int(series.isna().sum())
    mapping: dict[Any, int] = {}
    bad: list[str] = []
    for value in series.dropna().unique():
        code = _label_code(value)
        if code is None:
            bad.append(repr(value))
        else:
            mapping[value] = code
    if bad or missing:
        problems = bad[:5] + (["…"] if len(bad) > 5 else [])
        if missing:
            problems.append(f"{missing} missing")
        raise ValueError(
            "churn label must be 1/0, True/False, yes/no, y/n or 是/否; found "
            + ", ".join(problems)
        )
    return series.map(mapping).to_numpy(dtype=np.int64)


def _label_code(value: Any) -> int | None:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        return int(number) if number in (0.0, 1.0) else None
    text = str(value).strip().lower()
    if text in _POSITIVE:
        return 1
    if text in _NEGATIVE:
        return 0
    return None


def time_split(
    frame: pd.DataFrame,
    *,
    date_column: str,
    cutoff: str | dt.date | pd.Timestamp,
    horizon_months: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split snapshot rows at a cut-off date into (train, test) without looking ahead.

    Train holds rows dated strictly before ``cutoff``, test rows dated on or after it; a row
    without a date is in neither, since it cannot be placed in time. With
    ``horizon_months=N`` (the label is "left within N months of the row's date"), train
    keeps only rows whose label window has closed by the cut-off (date + N months <= cutoff),
    so that nothing observed on or after the cut-off leaks into training.

    The date column stays in both frames; drop it before fitting.
    """
    if date_column not in frame.columns:
        raise ValueError(f"no column {date_column!r} to split on")
    dates = pd.to_datetime(frame[date_column], errors="coerce")
    cut = pd.Timestamp(cutoff)
    tz = getattr(dates.dt, "tz", None)
    if tz is not None and cut.tzinfo is None:
        cut = cut.tz_localize(tz)
    elif tz is None and cut.tzinfo is not None:
        cut = cut.tz_convert(None)
    train_mask = dates < cut
    if horizon_months:
        train_mask &= dates + pd.DateOffset(months=horizon_months) <= cut
    test_mask = dates >= cut
    return frame.loc[train_mask.to_numpy()], frame.loc[test_mask.to_numpy()]


@dataclass(frozen=True)
class Reason:
    """One feature pushing a customer's churn risk up: its value and log-odds contribution."""

    feature: str
    value: Any
    contribution: float


class ChurnModel(BaseEstimator):
    """Calibrated gradient-boosted churn model with per-customer reasons.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves : int, float, int
        LightGBM's boosting rounds, shrinkage and leaves per tree.
    calibration : {"isotonic", "sigmoid"}
        The map from scores to probabilities, fitted on 3-fold out-of-fold scores (2-fold
        when a class has only 2 customers); sigmoid is the steadier choice below about a
        thousand customers.
    random_state : int
        Seeds LightGBM and the calibration folds; with it fixed the fit is deterministic.
    n_jobs : int
        LightGBM threads for tables of ``SINGLE_THREAD_BELOW`` rows or more (one below).

    Attributes
    ----------
    feature_names_ : list of str
        The columns learned from, in order.
    feature_importances_ : ndarray
        Total gain of the splits on each feature (LightGBM ``importance_type="gain"``).
    base_log_odds_ : float
        TreeSHAP's expected value: a customer's contributions plus this is the model's
        uncalibrated log-odds.
    """

    def __init__(
        self,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        calibration: Literal["isotonic", "sigmoid"] = "isotonic",
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.calibration = calibration
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- fitting ----------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: ArrayLike | pd.Series) -> ChurnModel:
        if self.calibration not in ("isotonic", "sigmoid"):
            raise ValueError(
                f"calibration must be 'isotonic' or 'sigmoid', not {self.calibration!r}"
            )
        labels = coerce_label(y)
        frame = self._learn_columns(X)
        if len(frame) != len(labels):
            raise ValueError(f"{len(frame)} rows of features but {len(labels)} labels")
        smallest = int(min(np.sum(labels == 1), np.sum(labels == 0)))
        if smallest < 2:
            raise ValueError(
                "need at least 2 churners and 2 non-churners to fit and calibrate, found "
                f"{int(labels.sum())} churners among {len(labels)} customers"
            )
        folds = StratifiedKFold(min(3, smallest), shuffle=True, random_state=self.random_state)
        calibrated = CalibratedClassifierCV(
            self._booster_estimator(len(frame)), method=self.calibration, cv=folds, ensemble=False
        )
        calibrated.fit(self._encode(frame), labels)
        self.calibrated_ = calibrated
        self.estimator_ = calibrated.calibrated_classifiers_[0].estimator
        self._learn_importances()
        return self

    def fit_uncalibrated(self, X: pd.DataFrame, y: IntArray) -> ChurnModel:
        """Fit only the boosted trees (for gain importances, without the calibration folds)."""
        frame = self._learn_columns(X)
        self.estimator_ = self._booster_estimator(len(frame)).fit(self._encode(frame), y)
        self._learn_importances()
        return self

    def _booster_estimator(self, rows: int) -> LGBMClassifier:
        return LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            random_state=self.random_state,
            n_jobs=self.n_jobs if rows >= SINGLE_THREAD_BELOW else 1,
            verbose=-1,
            deterministic=True,
            force_row_wise=True,
        )

    def _learn_importances(self) -> None:
        booster = self.estimator_.booster_
        self.feature_importances_ = np.asarray(
            booster.feature_importance(importance_type="gain"), dtype=np.float64
        )
        # TreeSHAP's expected value is the same for every row; probe with an empty one so the
        # fitted model keeps no customer's data.
        probe = self._encode(pd.DataFrame({name: [None] for name in self.feature_names_}))
        self.base_log_odds_ = float(booster.predict(probe, pred_contrib=True)[0, -1])

    def _learn_columns(self, X: pd.DataFrame) -> pd.DataFrame:
        """Decide once, at fit time, how each column is read: number, date or category."""
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        if frame.shape[1] == 0:
            raise ValueError("the feature table has no columns")
        names = [str(c) for c in frame.columns]
        if len(set(names)) != len(names):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"duplicate feature columns: {', '.join(duplicated)}")
        frame = frame.set_axis(names, axis=1)
        kinds: dict[str, str] = {}
        categories: dict[str, list[str]] = {}
        for name in names:
            column = frame[name]
            kinds[name] = _column_kind(column)
            if kinds[name] == "category":
                text = _as_text(column)
                categories[name] = sorted(text.dropna().unique().tolist())
        self.feature_names_ = names
        self.column_kinds_ = kinds
        self.categories_ = categories
        return frame

    def _columns(self, X: pd.DataFrame) -> pd.DataFrame:
        """The learned columns of ``X`` by name, in training order (extra columns ignored)."""
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        absent = [n for n in self.feature_names_ if n not in frame.columns]
        if absent:
            raise ValueError(f"feature columns missing: {', '.join(absent)}")
        return frame[self.feature_names_]

    def _encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Numbers as float64, dates as days since 1970, categories with the learned levels.

        Columns are renamed f0, f1, … because LightGBM refuses some characters in names.
        """
        encoded: dict[str, Any] = {}
        for i, name in enumerate(self.feature_names_):
            column = frame[name]
            kind = self.column_kinds_[name]
            if kind == "category":
                levels = self.categories_[name]
                text = _as_text(column)
                text = text.where(text.isin(levels))  # unseen levels read as missing
                encoded[f"f{i}"] = pd.Categorical(text, categories=levels)
            elif kind == "datetime":
                encoded[f"f{i}"] = _days(column)
            elif kind == "timedelta":
                delta = pd.to_timedelta(column, errors="coerce")
                encoded[f"f{i}"] = (delta.dt.total_seconds() / 86400.0).to_numpy(np.float64)
            else:
                numbers_ = pd.to_numeric(column.astype(object), errors="coerce")
                encoded[f"f{i}"] = numbers_.to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.DataFrame(encoded, index=frame.index)

    # -- scoring ----------------------------------------------------------------------------

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Calibrated probability that each customer leaves (one value per row)."""
        encoded = self._encode(self._columns(X))
        return np.asarray(self.calibrated_.predict_proba(encoded)[:, 1], dtype=np.float64)

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """TreeSHAP contribution of each feature to each customer's log-odds of leaving.

        From the uncalibrated boosted model; a row's sum plus ``base_log_odds_`` is its raw
        log-odds. Rows keep the index of ``X``, columns are ``feature_names_``.
        """
        frame = self._columns(X)
        raw = self.estimator_.booster_.predict(self._encode(frame), pred_contrib=True)
        values = np.asarray(raw, dtype=np.float64)[:, :-1]
        return pd.DataFrame(values, index=frame.index, columns=self.feature_names_)

    def top_reasons(self, X: pd.DataFrame, n: int = 3) -> list[list[Reason]]:
        """Up to ``n`` features pushing each customer's risk up most (positive contributions)."""
        frame = self._columns(X)
        contrib = self.contributions(frame).to_numpy()
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :n]
        reasons: list[list[Reason]] = []
        for row, columns in enumerate(order):
            reasons.append(
                [
                    Reason(
                        feature=self.feature_names_[j],
                        value=plain_value(frame.iat[row, j]),
                        contribution=float(contrib[row, j]),
                    )
                    for j in columns
                    if contrib[row, j] > 0
                ]
            )
        return reasons


def _column_kind(column: pd.Series) -> str:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    # Text that is entirely numbers (e.g. read from a file as strings) is still a number.
    present = column.dropna()
    as_numbers = pd.to_numeric(present.astype(object), errors="coerce")
    if len(present) and as_numbers.notna().all():
        return "number"
    return "category"


def _as_text(column: pd.Series) -> pd.Series:
    """Category levels as text, so 1 and "1" are one level and levels always sort."""
    values = column.astype(object)
    missing = values.isna().to_numpy()
    text = np.array([None if m else str(v) for v, m in zip(values, missing, strict=True)])
    return pd.Series(text, index=column.index, dtype=object)


def _days(column: pd.Series) -> NDArray[np.float64]:
    moments = pd.to_datetime(column, errors="coerce", utc=True)
    days = (moments - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / 86400.0
    return days.to_numpy(dtype=np.float64, na_value=np.nan)


def plain_value(value: Any) -> Any:
    """numpy scalars as Python values and every kind of missing as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


__all__ = [
    "ChurnModel",
    "Reason",
    "coerce_label",
    "plain_value",
    "time_split",
]
