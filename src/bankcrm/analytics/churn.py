"""Churn early warning: who is likely to leave, how likely, and why, in plain words.

Pure pandas/scikit-learn/LightGBM (no Django). The model works on any per-customer feature
table: numeric columns (also numbers written as text), dates, categorical columns and
missing values; :mod:`bankcrm.analytics.churn_columns` decides how each column is read.

* No single learner wins on every table: boosted trees find interactions and thresholds, a
  regularised logistic regression wins on small tables and on additive signal. The model
  therefore chooses, by cross-validation inside its own training rows, among a portfolio:
  a ridge logistic regression on one-hot/standardised columns, LightGBM boosted trees (Ke
  et al. 2017) with high-cardinality categories target encoded inside the fold, and blends
  of their log-odds (:mod:`bankcrm.analytics.churn_portfolio`).
* The log-odds are calibrated into probabilities on the same inner folds: the fold models'
  held-out log-odds fit one isotonic (Zadrozny & Elkan 2002) map when there are enough
  rows, a sigmoid (Platt 1999) below, applied to those fold models; the probability is the
  mean of the calibrated fold models.
* Reasons are additive contributions to the log-odds (TreeSHAP, Lundberg et al. 2020, for
  the trees; coefficient times standardised value for the logistic regression): for each
  customer the features that push the risk up most, phrased in English and Chinese by
  :func:`bankcrm.analytics.churn_reasons.explain`.

How well the model does (cross-validation beside plain baselines, calibration and lift
tables) is :mod:`bankcrm.analytics.churn_evaluation`.

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
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from bankcrm.analytics.churn_columns import ColumnPlan, plan_columns
from bankcrm.analytics.churn_portfolio import SINGLE_THREAD_BELOW, LinearLearner, TreesLearner

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Label spellings a bank export uses for "left" and "stayed" (compared stripped, lower-case).
_POSITIVE = {"1", "1.0", "true", "t", "yes", "y", "是"}
_NEGATIVE = {"0", "0.0", "false", "f", "no", "n", "否"}


def coerce_label(values: ArrayLike | pd.Series, *, positive: Any = None) -> IntArray:
    """Turn a churn label into 0/1 integers.

    With ``positive`` (say ``"bad"``, ``"Yes"``, ``1``), a value is 1 when it reads the same
    (as text, stripped, case-insensitive; 1, 1.0 and "1" alike) and 0 otherwise. Without
    it, accepts 1/0 (integers, floats or text), True/False, and the text answers yes/no,
    y/n, t/f and 是/否 in any case and with surrounding spaces.

    Raises
    ------
    ValueError
        If any value is missing or something else, naming up to five offending values.
    """
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    series = series.reset_index(drop=True).astype(object)
    missing = int(series.isna().sum())
    if positive is not None:
        return _label_positive(series, positive, missing)
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
            "churn label must be 1/0, True/False, yes/no, y/n or 是/否 (or name the "
            "positive class); found " + ", ".join(problems)
        )
    return series.map(mapping).to_numpy(dtype=np.int64)


def _label_text(value: Any) -> str:
    if isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_):
        number = float(value)  # type: ignore[arg-type]
        if number.is_integer():
            return str(int(number))
    text = str(value).strip().lower()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _label_positive(series: pd.Series, positive: Any, missing: int) -> IntArray:
    if missing:
        raise ValueError(f"{missing} missing labels")
    text = series.map(_label_text)
    wanted = _label_text(positive)
    hits = text.eq(wanted).to_numpy()
    if not hits.any():
        seen = sorted(set(series.astype(str).str.strip()))
        shown = ", ".join(repr(v) for v in seen[:5]) + (", …" if len(seen) > 5 else "")
        raise ValueError(f"no label is {positive!r}; the labels are {shown}")
    return hits.astype(np.int64)


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


# The portfolio: weight of the logistic regression's log-odds in the blend (1 − weight on
# the boosted trees'), in the order a tie is settled.
PORTFOLIO: tuple[tuple[str, float], ...] = (
    ("boosted trees", 0.0),
    ("logistic regression", 1.0),
    ("blend 50/50", 0.5),
    ("blend 75% trees", 0.25),
    ("blend 75% logistic", 0.75),
)
ISOTONIC_MIN_ROWS = 1000  # a calibration map fitted on fewer rows is a sigmoid (Platt)
IMPORTANCE_ROWS = 2000  # training rows the mean absolute contributions are averaged over


class ChurnModel(BaseEstimator):
    """Churn model chosen among a logistic regression, boosted trees and their blends.

    Fitting runs ``inner_folds``-fold cross-validation on the training rows: in each fold a
    :class:`~bankcrm.analytics.churn_portfolio.LinearLearner` and a
    :class:`~bankcrm.analytics.churn_portfolio.TreesLearner` learn from the other folds and
    give log-odds for the held-out one. The member of ``PORTFOLIO`` (trees, logistic
    regression or a weighted sum of their log-odds) with the highest mean held-out AUC is
    chosen. The fold models are kept, and their held-out log-odds (every training row once,
    each from the model that did not see it) fit one calibration map (isotonic from
    ``isotonic_min_rows`` rows, sigmoid below, with ``calibration="auto"``), so the map is
    applied to the models it was fitted for; the probability is the mean of the calibrated
    fold models. Contributions are the mean of the fold models' additive log-odds
    contributions.

    Rows are put in an order that depends only on their content before anything is fitted,
    so the same table in another row order gives the same model to the last digit.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves : int, float, int
        LightGBM's boosting rounds, shrinkage and leaves per tree.
    C : float
        Inverse L2 penalty of the logistic regression.
    calibration : {"auto", "isotonic", "sigmoid"}
        The map from log-odds to probabilities.
    inner_folds : int
        Folds of the choice and calibration (fewer when a class has fewer customers).
    random_state : int
        Seeds LightGBM, the target encoding and the fold assignment.
    n_jobs : int
        LightGBM threads for tables of ``SINGLE_THREAD_BELOW`` rows or more (one below).

    Attributes
    ----------
    feature_names_ : list of str
        The columns of the table, in order (dropped ones contribute nothing).
    columns_ : ColumnPlan
        How each column was read, which were read as numbers from text and which left out.
    chosen_ : str
        The portfolio member chosen; ``candidate_auc_`` the held-out AUC of each.
    feature_importances_ : ndarray
        Mean absolute contribution of each feature to the log-odds, on training rows.
    base_log_odds_ : float
        A customer's contributions plus this are the model's uncalibrated log-odds.
    """

    def __init__(
        self,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        C: float = 1.0,
        calibration: Literal["auto", "isotonic", "sigmoid"] = "auto",
        inner_folds: int = 5,
        isotonic_min_rows: int = ISOTONIC_MIN_ROWS,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.C = C
        self.calibration = calibration
        self.inner_folds = inner_folds
        self.isotonic_min_rows = isotonic_min_rows
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- fitting ----------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: ArrayLike | pd.Series) -> ChurnModel:
        if self.calibration not in ("auto", "isotonic", "sigmoid"):
            raise ValueError(
                f"calibration must be 'auto', 'isotonic' or 'sigmoid', not {self.calibration!r}"
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
        encoded = self.columns_.encode(frame).reset_index(drop=True)
        order = canonical_order(encoded, labels, salt=self.random_state + 1)
        encoded, labels = encoded.iloc[order].reset_index(drop=True), labels[order]
        folds = stratified_folds(labels, min(self.inner_folds, smallest))
        self._fit_members(encoded, labels, folds)
        self._learn_importances(encoded)
        return self

    def _fit_members(self, encoded: pd.DataFrame, labels: IntArray, folds: IntArray) -> None:
        """Fit both learners per fold, choose the portfolio member, calibrate each fold model."""
        n = len(labels)
        z_lin, z_trees = np.zeros(n), np.zeros(n)
        pairs: list[tuple[LinearLearner, TreesLearner]] = []
        for k in range(int(folds.max()) + 1):
            train, test = folds != k, folds == k
            lin = LinearLearner(C=self.C).fit(encoded[train], labels[train])
            trees = TreesLearner(
                n_estimators=self.n_estimators,
                learning_rate=self.learning_rate,
                num_leaves=self.num_leaves,
                random_state=self.random_state,
                n_jobs=self.n_jobs,
            ).fit(encoded[train], labels[train])
            z_lin[test], z_trees[test] = lin.log_odds(encoded[test]), trees.log_odds(encoded[test])
            pairs.append((lin, trees))
        self.candidate_auc_ = {
            name: float(
                np.mean(
                    [
                        roc_auc_score(
                            labels[folds == k], (w * z_lin + (1 - w) * z_trees)[folds == k]
                        )
                        for k in range(len(pairs))
                    ]
                )
            )
            for name, w in PORTFOLIO
        }
        best = max(PORTFOLIO, key=lambda member: self.candidate_auc_[member[0]])
        self.chosen_, self.weight_ = best
        z = self.weight_ * z_lin + (1 - self.weight_) * z_trees
        # One map from the fold models' held-out log-odds (every training row once) to
        # probability, applied to those same fold models: more rows than one fold holds.
        calibrator = self._calibrator(z, labels)
        self.members_: list[_Member] = [
            _Member(
                linear=lin if self.weight_ > 0 else None,
                trees=trees if self.weight_ < 1 else None,
                weight=self.weight_,
                calibrator=calibrator,
            )
            for lin, trees in pairs
        ]
        self.calibration_methods_ = [calibrator.method]

    def _calibrator(self, z: FloatArray, labels: IntArray) -> _Calibrator:
        method = self.calibration
        if method == "auto":
            method = "isotonic" if len(z) >= self.isotonic_min_rows else "sigmoid"
        return _Calibrator(method).fit(z, labels)

    def _learn_importances(self, encoded: pd.DataFrame) -> None:
        step = max(1, len(encoded) // IMPORTANCE_ROWS)
        contrib, base = self._contributions(encoded.iloc[::step])
        self.feature_importances_ = np.abs(contrib).mean(axis=0)
        self.base_log_odds_ = base

    def _learn_columns(self, X: pd.DataFrame) -> pd.DataFrame:
        """Decide once, at fit time, how each column is read (see :func:`plan_columns`)."""
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        if frame.shape[1] == 0:
            raise ValueError("the feature table has no columns")
        names = [str(c) for c in frame.columns]
        if len(set(names)) != len(names):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"duplicate feature columns: {', '.join(duplicated)}")
        frame = frame.set_axis(names, axis=1)
        plan = plan_columns(frame)
        if not plan.kept:
            left_out = ", ".join(f"{d['column']} ({d['reason']})" for d in plan.dropped)
            raise ValueError(f"no usable feature column; left out: {left_out}")
        self.feature_names_ = names
        self.columns_ = plan
        return frame

    def _columns(self, X: pd.DataFrame) -> pd.DataFrame:
        """The learned columns of ``X`` by name, in training order (extra columns ignored)."""
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        absent = [n for n in self.feature_names_ if n not in frame.columns]
        if absent:
            raise ValueError(f"feature columns missing: {', '.join(absent)}")
        return frame[self.feature_names_]

    # -- scoring ----------------------------------------------------------------------------

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Calibrated probability that each customer leaves (one value per row)."""
        encoded = self.columns_.encode(self._columns(X))
        p = np.mean([m.proba(encoded) for m in self.members_], axis=0)
        return np.asarray(p, dtype=np.float64).reshape(len(encoded))

    def raw_log_odds(self, X: pd.DataFrame) -> FloatArray:
        """The uncalibrated log-odds: the mean of the fold models' log-odds."""
        encoded = self.columns_.encode(self._columns(X))
        return np.asarray(np.mean([m.log_odds(encoded) for m in self.members_], axis=0))

    def _contributions(self, encoded: pd.DataFrame) -> tuple[FloatArray, float]:
        """Mean fold-model contributions on the kept columns, and the mean constant."""
        parts = [m.contributions(encoded) for m in self.members_]
        kept = np.mean([c for c, _ in parts], axis=0).reshape(len(encoded), -1)
        full = np.zeros((len(encoded), len(self.feature_names_)))
        index = [self.feature_names_.index(n) for n in self.columns_.kept]
        full[:, index] = kept
        return full, float(np.mean([b for _, b in parts]))

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each feature's contribution to each customer's log-odds of leaving.

        TreeSHAP for the trees, coefficient times standardised input for the logistic
        regression, weighted by the blend and averaged over the fold models. A row's sum plus
        ``base_log_odds_`` is :meth:`raw_log_odds`. Rows keep the index of ``X``, columns
        are ``feature_names_``.
        """
        frame = self._columns(X)
        values, _ = self._contributions(self.columns_.encode(frame))
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


@dataclass
class _Calibrator:
    """A monotone map from log-odds to probability: isotonic or sigmoid (Platt)."""

    method: str

    def fit(self, z: FloatArray, labels: IntArray) -> _Calibrator:
        if self.method == "isotonic":
            self.map_: Any = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.map_.fit(z, labels)
        else:
            self.map_ = LogisticRegression(C=1e6, max_iter=1000).fit(z.reshape(-1, 1), labels)
        return self

    def __call__(self, z: FloatArray) -> FloatArray:
        if self.method == "isotonic":
            return np.asarray(self.map_.predict(z), dtype=np.float64)
        return np.asarray(self.map_.predict_proba(z.reshape(-1, 1))[:, 1], dtype=np.float64)


@dataclass
class _Member:
    """One fold's model: the chosen weighting of its learners and its own calibration map."""

    linear: LinearLearner | None
    trees: TreesLearner | None
    weight: float
    calibrator: _Calibrator

    def contributions(self, X: pd.DataFrame) -> tuple[FloatArray, float]:
        total, base = np.zeros((len(X), X.shape[1])), 0.0
        for learner, w in ((self.linear, self.weight), (self.trees, 1 - self.weight)):
            if learner is not None and w > 0:
                c, b = learner.contributions(X)
                total, base = total + w * c, base + w * b
        return total, base

    def log_odds(self, X: pd.DataFrame) -> FloatArray:
        z = np.zeros(len(X))
        for learner, w in ((self.linear, self.weight), (self.trees, 1 - self.weight)):
            if learner is not None and w > 0:
                z = z + w * learner.log_odds(X)
        return z

    def proba(self, X: pd.DataFrame) -> FloatArray:
        return self.calibrator(self.log_odds(X))


def canonical_order(frame: pd.DataFrame, labels: ArrayLike, *, salt: int = 0) -> IntArray:
    """An order of the rows that depends on their content only (a salted hash of each row).

    Rows with the same hash are the same row, so their order among themselves is immaterial.
    """
    key = f"{salt % 10**9:09d}bankcrm"
    hashed = pd.util.hash_pandas_object(
        frame.assign(__label__=np.asarray(labels)), index=False, hash_key=key
    )
    return np.argsort(hashed.to_numpy(), kind="stable").astype(np.int64)


def stratified_folds(labels: IntArray, k: int) -> IntArray:
    """Fold of each row, dealt round-robin within each class in the rows' current order."""
    folds = np.zeros(len(labels), dtype=np.int64)
    for value in (0, 1):
        rows = np.flatnonzero(labels == value)
        folds[rows] = np.arange(len(rows)) % k
    return folds


def plain_value(value: Any) -> Any:
    """numpy scalars as Python values and every kind of missing as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


__all__ = [
    "PORTFOLIO",
    "SINGLE_THREAD_BELOW",
    "ChurnModel",
    "ColumnPlan",
    "Reason",
    "canonical_order",
    "coerce_label",
    "plain_value",
    "stratified_folds",
    "time_split",
]
