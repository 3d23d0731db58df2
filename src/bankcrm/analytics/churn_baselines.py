"""The plain models a churn model must beat, with their default settings.

Pure scikit-learn/LightGBM (no Django). Each takes the encoded table of
:class:`bankcrm.analytics.churn_columns.ColumnPlan` (the same columns the churn model sees)
and gives probabilities, so the evaluation can put them beside the model on the same split:

* logistic regression on one-hot categories and standardised numbers (missing numbers at
  the median), scikit-learn's defaults otherwise;
* scikit-learn's ``HistGradientBoostingClassifier`` with its defaults (categories natively
  where they have at most 255 levels, their codes as numbers above);
* LightGBM's ``LGBMClassifier`` with its defaults (categories natively).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from bankcrm.analytics.churn_portfolio import SINGLE_THREAD_BELOW

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

BASELINES = ("logistic regression", "HistGradientBoosting", "LightGBM")


def baseline_probabilities(
    train: pd.DataFrame,
    y: IntArray,
    test: pd.DataFrame,
    *,
    random_state: int = 0,
    n_jobs: int = 2,
) -> dict[str, FloatArray]:
    """Each baseline's churn probabilities for ``test``, fitted on ``train`` and ``y``."""
    return {
        "logistic regression": _logistic(train, y, test),
        "HistGradientBoosting": _hist_gradient_boosting(train, y, test, random_state),
        "LightGBM": _lightgbm(train, y, test, random_state, n_jobs),
    }


def _categories(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]


def _logistic(train: pd.DataFrame, y: IntArray, test: pd.DataFrame) -> FloatArray:
    categories = _categories(train)
    numbers = [c for c in train.columns if c not in categories]

    def text(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for c in categories:
            out[c] = frame[c].astype(object).where(frame[c].notna(), "missing").astype(str)
        return out

    prepare = ColumnTransformer(
        [
            ("numbers", SimpleImputer(strategy="median"), numbers),
            ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categories),
        ]
    )
    model = make_pipeline(prepare, StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(text(train), y)
    return np.asarray(model.predict_proba(text(test))[:, 1], dtype=np.float64)


def _hist_gradient_boosting(
    train: pd.DataFrame, y: IntArray, test: pd.DataFrame, random_state: int
) -> FloatArray:
    def frame(source: pd.DataFrame) -> pd.DataFrame:
        out = source.copy()
        for c in _categories(source):
            if len(source[c].cat.categories) > 255:
                codes = source[c].cat.codes.astype(np.float64)
                out[c] = codes.where(codes >= 0)
        return out

    model = HistGradientBoostingClassifier(random_state=random_state)
    # One OpenMP thread on small tables, as for LightGBM (see SINGLE_THREAD_BELOW).
    with threadpool_limits(1 if len(train) < SINGLE_THREAD_BELOW else None, "openmp"):
        model.fit(frame(train), y)
        return np.asarray(model.predict_proba(frame(test))[:, 1], dtype=np.float64)


def _lightgbm(
    train: pd.DataFrame, y: IntArray, test: pd.DataFrame, random_state: int, n_jobs: int
) -> FloatArray:
    def frame(source: pd.DataFrame) -> pd.DataFrame:
        return source.set_axis([f"f{i}" for i in range(source.shape[1])], axis=1)

    model = LGBMClassifier(
        random_state=random_state,
        n_jobs=n_jobs if len(train) >= SINGLE_THREAD_BELOW else 1,
        verbose=-1,
        deterministic=True,
        force_row_wise=True,
    )
    model.fit(frame(train), y)
    proba = np.asarray(model.predict_proba(frame(test)), dtype=np.float64)
    return proba[:, 1]


__all__ = ["BASELINES", "baseline_probabilities"]
