"""The two learners the churn model chooses between, and blends: both give additive log-odds.

Pure numpy/pandas/scikit-learn/LightGBM (no Django). Each learner takes the encoded table of
:class:`bankcrm.analytics.churn_columns.ColumnPlan` (float64 numbers, pandas categoricals)
and gives, per customer, the log-odds of leaving split into one contribution per column plus
a constant, so a blend of the two (a weighted sum of log-odds) is explained exactly as well.

* :class:`LinearLearner`: L2-regularised logistic regression (Hoerl & Kennard's ridge
  penalty, scikit-learn's ``C=1``) on standardised numbers (clipped to the training 0.5%
  and 99.5% quantiles, missing values at the median with a missing flag) and one-hot
  categories (levels seen at least ``MIN_LEVEL_ROWS`` times; the rest share the reference).
  A column's contribution is the sum of its coefficients times its standardised inputs.
* :class:`TreesLearner`: LightGBM (Ke et al. 2017). Categories with at most
  ``NATIVE_LEVELS`` levels are split natively; more levels invite splits that only fit the
  training rows (a 50-level state code), so those are target encoded (Micci-Barreca 2001,
  scikit-learn's ``TargetEncoder``: smoothed churn rate of the level, cross-fitted on the
  training rows so a row's own label never encodes it). Contributions are TreeSHAP
  (Lundberg et al. 2020, LightGBM's ``pred_contrib``).

References
----------
Micci-Barreca, D. (2001). A preprocessing scheme for high-cardinality categorical
attributes in classification and prediction problems. SIGKDD Explorations 3(1), 27-32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import TargetEncoder

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MIN_LEVEL_ROWS = 5  # a category level needs this many training rows for its own coefficient
MAX_ONE_HOT = 200  # at most this many one-hot columns per category column
NATIVE_LEVELS = 10  # LightGBM splits natively on categories with at most this many levels
# Below this many rows LightGBM runs on one thread: threads gain nothing on small tables
# (LightGBM's parameter-tuning guide says as much), and on a busy two-core machine their
# OpenMP barriers turned a one-second cross-validation into minutes.
SINGLE_THREAD_BELOW = 10_000
_MISSING = "\x00missing"


class LinearLearner:
    """Ridge logistic regression on one-hot/standardised columns, with additive contributions."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: pd.DataFrame, y: IntArray) -> LinearLearner:
        self.columns_ = list(X.columns)
        self.steps_: list[dict[str, Any]] = []
        for name in self.columns_:
            column = X[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                counts = pd.Series(column).value_counts()
                keep = counts[counts >= MIN_LEVEL_ROWS].index[:MAX_ONE_HOT]
                levels = sorted(str(v) for v in keep)
                self.steps_.append({"kind": "category", "levels": levels})
            else:
                values = column.to_numpy(dtype=np.float64)
                finite = values[np.isfinite(values)]
                lo, hi = np.quantile(finite, [0.005, 0.995]) if len(finite) else (0.0, 0.0)
                median = float(np.median(finite)) if len(finite) else 0.0
                flag = bool(len(finite) < len(values))
                self.steps_.append(
                    {"kind": "number", "lo": lo, "hi": hi, "median": median, "flag": flag}
                )
        raw, self.owner_ = self._design(X)
        self.mean_ = raw.mean(axis=0)
        std = raw.std(axis=0)
        self.std_ = np.where(std > 1e-12, std, 1.0)
        model = LogisticRegression(C=self.C, max_iter=2000)
        model.fit((raw - self.mean_) / self.std_, y)
        self.coef_ = model.coef_[0]
        self.intercept_ = float(model.intercept_[0])
        return self

    def _design(self, X: pd.DataFrame) -> tuple[FloatArray, IntArray]:
        """The unscaled design matrix and, per design column, the index of its table column."""
        blocks: list[FloatArray] = []
        owner: list[int] = []
        for j, (name, step) in enumerate(zip(self.columns_, self.steps_, strict=True)):
            column = X[name]
            if step["kind"] == "category":
                text = np.asarray(column.astype(object).to_numpy(), dtype=object)
                for level in step["levels"]:
                    blocks.append((text == level).astype(np.float64))
                    owner.append(j)
            else:
                values = column.to_numpy(dtype=np.float64)
                missing = ~np.isfinite(values)
                blocks.append(
                    np.clip(np.where(missing, step["median"], values), step["lo"], step["hi"])
                )
                owner.append(j)
                if step["flag"]:
                    blocks.append(missing.astype(np.float64))
                    owner.append(j)
        matrix = np.column_stack(blocks) if blocks else np.zeros((len(X), 0))
        return matrix, np.asarray(owner, dtype=np.int64)

    def contributions(self, X: pd.DataFrame) -> tuple[FloatArray, float]:
        """Per-column contributions to the log-odds (rows × columns) and the constant."""
        raw, _ = self._design(X)
        terms = (raw - self.mean_) / self.std_ * self.coef_
        out = np.zeros((len(X), len(self.columns_)))
        np.add.at(out.T, self.owner_, terms.T)
        return out, self.intercept_

    def log_odds(self, X: pd.DataFrame) -> FloatArray:
        contrib, base = self.contributions(X)
        return contrib.sum(axis=1) + base


class TreesLearner:
    """LightGBM with native low-cardinality and target-encoded high-cardinality categories."""

    def __init__(
        self,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: pd.DataFrame, y: IntArray) -> TreesLearner:
        self.columns_ = list(X.columns)
        smallest = int(min(np.sum(y == 1), np.sum(y == 0)))
        self.encoded_ = [
            name
            for name in self.columns_
            if isinstance(X[name].dtype, pd.CategoricalDtype)
            and len(X[name].cat.categories) > NATIVE_LEVELS
            and smallest >= 2  # cross-fitting needs both classes in every fold
        ]
        self.encoder_: TargetEncoder | None = None
        frame = self._frame(X)
        if self.encoded_:
            folds = StratifiedKFold(min(5, smallest), shuffle=True, random_state=self.random_state)
            self.encoder_ = TargetEncoder(target_type="binary", cv=folds)
            fitted = self.encoder_.fit_transform(_category_text(X, self.encoded_), y)
            frame[[self._key(n) for n in self.encoded_]] = fitted
        self.booster_ = LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            random_state=self.random_state,
            n_jobs=self.n_jobs if len(X) >= SINGLE_THREAD_BELOW else 1,
            verbose=-1,
            deterministic=True,
            force_row_wise=True,
        ).fit(frame, y)
        # TreeSHAP's expected value is the same for every row.
        probe = self.booster_.booster_.predict(frame.iloc[:1], pred_contrib=True)
        self.base_ = float(np.asarray(probe)[0, -1])
        return self

    def _key(self, name: str) -> str:
        # LightGBM refuses some characters in column names.
        return f"f{self.columns_.index(name)}"

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame({self._key(n): X[n] for n in self.columns_}, index=X.index)
        for name in self.encoded_:
            frame[self._key(name)] = np.nan
        return frame

    def encode(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = self._frame(X)
        if self.encoder_ is not None:
            frame[[self._key(n) for n in self.encoded_]] = self.encoder_.transform(
                _category_text(X, self.encoded_)
            )
        return frame

    def contributions(self, X: pd.DataFrame) -> tuple[FloatArray, float]:
        raw = np.asarray(
            self.booster_.booster_.predict(self.encode(X), pred_contrib=True), dtype=np.float64
        ).reshape(len(X), len(self.columns_) + 1)
        return raw[:, :-1], self.base_

    def log_odds(self, X: pd.DataFrame) -> FloatArray:
        raw = self.booster_.booster_.predict(self.encode(X), raw_score=True)
        return np.asarray(raw, dtype=np.float64)


def _category_text(X: pd.DataFrame, names: list[str]) -> NDArray[np.object_]:
    return np.column_stack(
        [X[n].astype(object).where(X[n].notna(), _MISSING).astype(str).to_numpy() for n in names]
    )


__all__ = ["LinearLearner", "TreesLearner", "SINGLE_THREAD_BELOW"]
