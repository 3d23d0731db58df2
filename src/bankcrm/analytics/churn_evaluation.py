"""How good the churn model is: cross-validation, calibration and lift tables, baselines.

Pure numpy/pandas/scikit-learn (no Django). :func:`evaluate` cross-validates
:class:`bankcrm.analytics.churn.ChurnModel` on one table; :func:`holdout_metrics` judges a
model fitted before a cut-off on the customers after it, beside a logistic regression on
recency, frequency and monetary value (:func:`rfm_baseline`), the model a churn model has
to beat to be worth its trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bankcrm.analytics.churn import ChurnModel, coerce_label

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TOP_FEATURES = 20  # how many gain importances an evaluation report keeps

RFM_BASELINE_NAME = "logistic regression on recency, frequency, monetary"


@dataclass
class EvaluationReport:
    """Out-of-fold quality of the churn model (see :func:`evaluate`)."""

    auc: float
    auc_std: float
    auc_per_fold: list[float]
    brier: float
    calibration: list[dict[str, float]]
    lift: list[dict[str, float]]
    n: int
    positives: int
    folds: int
    features: list[str]
    top_features: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values only, ready for ``json.dumps``."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def evaluate(
    X: pd.DataFrame,
    y: ArrayLike | pd.Series,
    *,
    folds: int = 5,
    random_state: int = 0,
    model: ChurnModel | None = None,
) -> EvaluationReport:
    """Stratified k-fold cross-validation of the churn model.

    Each fold fits a fresh model (the settings of ``model``, default ``ChurnModel()``) on
    the other folds and predicts the held-out one, so every customer gets an out-of-fold
    calibrated probability. From these: the ROC AUC of each fold (and their mean), the
    Brier score (mean squared error of the probability), a reliability table over ten
    equal-count bins of predicted risk, and the lift of each risk decile (decile 1 = the
    riskiest tenth) with the cumulative share of churners caught. ``top_features`` are gain
    importances of the boosted trees fitted on all the data.
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    labels = coerce_label(y)
    _check_evaluable(frame, labels, folds)
    settings = (model or ChurnModel(random_state=random_state)).get_params()
    oof, aucs = _out_of_fold(frame, labels, settings, folds=folds, random_state=random_state)
    full = ChurnModel(**settings).fit_uncalibrated(frame, labels)
    return EvaluationReport(
        auc=float(np.mean(aucs)),
        auc_std=float(np.std(aucs)),
        auc_per_fold=aucs,
        brier=float(brier_score_loss(labels, oof)),
        calibration=calibration_table(labels, oof),
        lift=lift_table(labels, oof),
        n=len(labels),
        positives=int(labels.sum()),
        folds=folds,
        features=list(full.feature_names_),
        top_features=gain_shares(full, TOP_FEATURES),
    )


def _check_evaluable(frame: pd.DataFrame, labels: IntArray, folds: int) -> None:
    """Refuse a table that k-fold cross-validation cannot be run on, saying why."""
    n = len(labels)
    if len(frame) != n:
        raise ValueError(f"{len(frame)} rows of features but {n} labels")
    if folds < 2:
        raise ValueError(f"need at least 2 folds, not {folds}")
    if n < folds:
        raise ValueError(f"{n} rows are too few for {folds}-fold cross-validation")
    positives = int(labels.sum())
    if positives in (0, n):
        raise ValueError(f"the label has one class only (all {labels[0]}); need both")
    smallest = min(positives, n - positives)
    if smallest < folds:
        raise ValueError(
            f"only {smallest} customers in the smaller class; {folds}-fold "
            f"cross-validation needs at least {folds}"
        )


def _out_of_fold(
    frame: pd.DataFrame,
    labels: IntArray,
    settings: dict[str, Any],
    *,
    folds: int,
    random_state: int,
) -> tuple[FloatArray, list[float]]:
    """Each customer's probability from the model that did not see them, and each fold's AUC."""
    n = len(labels)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    oof = np.zeros(n, dtype=np.float64)
    aucs: list[float] = []
    for train, test in splitter.split(np.zeros(n), labels):
        fold_model = ChurnModel(**settings).fit(frame.iloc[train], labels[train])
        oof[test] = fold_model.predict_proba(frame.iloc[test])
        aucs.append(float(roc_auc_score(labels[test], oof[test])))
    return oof, aucs


def gain_shares(model: ChurnModel, top: int, *, key: str = "gain") -> list[dict[str, Any]]:
    """The ``top`` features by total split gain, each with its gain (under ``key``) and share."""
    gain = model.feature_importances_
    total = float(gain.sum()) or 1.0
    ranked = np.argsort(-gain, kind="stable")[:top]
    return [
        {
            "feature": model.feature_names_[j],
            key: float(gain[j]),
            "share": float(gain[j] / total),
        }
        for j in ranked
    ]


def rfm_baseline(
    train: pd.DataFrame,
    y: ArrayLike,
    test: pd.DataFrame,
    *,
    columns: Sequence[str],
) -> FloatArray:
    """Churn probabilities of ``test`` from a logistic regression on RFM fitted on ``train``.

    ``columns`` name recency (days), frequency and monetary value, in that order; missing
    values are 0, frequency and monetary value enter as log(1 + x) of their non-negative
    part, and all three are standardised.
    """
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    baseline.fit(_rfm_matrix(train, columns), y)
    return np.asarray(baseline.predict_proba(_rfm_matrix(test, columns))[:, 1], dtype=np.float64)


def _rfm_matrix(frame: pd.DataFrame, columns: Sequence[str]) -> FloatArray:
    x = frame[list(columns)].astype(float).fillna(0.0).to_numpy()
    return np.column_stack([x[:, 0], np.log1p(np.clip(x[:, 1:], 0, None))])


def holdout_metrics(
    y: ArrayLike,
    proba: ArrayLike,
    baseline: ArrayLike,
    *,
    model: ChurnModel,
    baseline_name: str = RFM_BASELINE_NAME,
    top: int = 15,
) -> dict[str, Any]:
    """A fitted churn model judged on customers it did not learn from, beside a baseline.

    ``proba`` and ``baseline`` are the model's and the baseline's probabilities for the
    customers whose outcomes are ``y``. Gives the ROC AUC of both, the Brier score beside
    that of predicting the base rate, the calibration and lift tables, and the ``top`` gain
    importances of ``model``.
    """
    labels = np.asarray(y)
    return {
        "test_customers": len(labels),
        "test_churners": int(labels.sum()),
        "auc": float(roc_auc_score(labels, proba)),
        "baseline_auc": float(roc_auc_score(labels, baseline)),
        "baseline": baseline_name,
        "brier": float(brier_score_loss(labels, proba)),
        "base_rate_brier": float(labels.mean() * (1 - labels.mean())),
        "calibration": calibration_table(labels, proba),
        "lift": lift_table(labels, proba),
        "top_features": gain_shares(model, top, key="importance"),
    }


def _equal_bins(order: IntArray, bins: int) -> list[IntArray]:
    return [part for part in np.array_split(order, bins) if len(part)]


def calibration_table(y: ArrayLike, proba: ArrayLike, bins: int = 10) -> list[dict[str, float]]:
    """Reliability table: mean predicted risk against the observed churn rate per bin.

    Bins are equal-count quantile bins of the predicted probability, lowest risk first.
    """
    labels = np.asarray(y, dtype=np.float64)
    p = np.asarray(proba, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    return [
        {
            "bin": k + 1,
            "mean_predicted": float(p[part].mean()),
            "observed_rate": float(labels[part].mean()),
            "count": int(len(part)),
        }
        for k, part in enumerate(_equal_bins(order, bins))
    ]


def lift_table(y: ArrayLike, proba: ArrayLike, bins: int = 10) -> list[dict[str, float]]:
    """Churners caught per risk decile, riskiest first, with lift and cumulative gain.

    lift = the decile's churn rate / the overall rate; cumulative gain = the share of all
    churners found in this and the riskier deciles.
    """
    labels = np.asarray(y, dtype=np.float64)
    p = np.asarray(proba, dtype=np.float64)
    order = np.argsort(-p, kind="stable")
    overall = float(labels.mean())
    total = float(labels.sum())
    rows: list[dict[str, float]] = []
    caught = 0.0
    for k, part in enumerate(_equal_bins(order, bins)):
        churners = float(labels[part].sum())
        caught += churners
        rate = churners / len(part)
        rows.append(
            {
                "decile": k + 1,
                "count": int(len(part)),
                "churners": int(churners),
                "rate": rate,
                "lift": rate / overall if overall > 0 else 0.0,
                "cumulative_gain": caught / total if total > 0 else 0.0,
            }
        )
    return rows


__all__ = [
    "RFM_BASELINE_NAME",
    "EvaluationReport",
    "calibration_table",
    "evaluate",
    "gain_shares",
    "holdout_metrics",
    "lift_table",
    "rfm_baseline",
]
