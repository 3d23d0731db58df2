"""How good the churn model is: cross-validation beside plain baselines, calibration, lift.

Pure numpy/pandas/scikit-learn (no Django). :func:`evaluate` cross-validates
:class:`bankcrm.analytics.churn.ChurnModel` on one table, and on the same folds the
baselines of :mod:`bankcrm.analytics.churn_baselines` (logistic regression, default
HistGradientBoosting, default LightGBM), so a bank sees whether the model earns its keep.
:func:`holdout_metrics` judges a model fitted before a cut-off on the customers after it,
beside a logistic regression on recency, frequency and monetary value
(:func:`rfm_baseline`) and the same baselines.

Every figure is independent of the order of the rows: the rows are put in an order that
depends only on the customer id (or, without one, on the row's content) before folds are
dealt, and the calibration and lift tables treat customers with the same predicted risk as
ties, sharing a bin boundary between the bins in proportion (the expected table under a
random order of the tied customers).
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
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bankcrm.analytics.churn import ChurnModel, canonical_order, coerce_label, stratified_folds
from bankcrm.analytics.churn_baselines import BASELINES, baseline_probabilities
from bankcrm.analytics.churn_columns import plan_columns

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TOP_FEATURES = 20  # how many feature importances an evaluation report keeps

RFM_BASELINE_NAME = "logistic regression on recency, frequency, monetary"


@dataclass
class EvaluationReport:
    """Out-of-fold quality of the churn model and its baselines (see :func:`evaluate`)."""

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
    baselines: list[dict[str, Any]] = field(default_factory=list)
    best_baseline: str = ""
    auc_difference: float = 0.0  # the model's AUC minus the best baseline's
    brier_difference: float = 0.0  # the model's Brier score minus the best baseline Brier
    chosen_per_fold: list[str] = field(default_factory=list)
    calibration_per_fold: list[str] = field(default_factory=list)
    columns: dict[str, Any] = field(default_factory=dict)
    fold_rule: str = "row content"

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
    ids: ArrayLike | pd.Series | None = None,
    baselines: bool = True,
) -> EvaluationReport:
    """Stratified k-fold cross-validation of the churn model beside the baselines.

    Columns are read as :func:`~bankcrm.analytics.churn_columns.plan_columns` says (the
    report lists the ones read as numbers from text and the ones left out). Folds are dealt
    round-robin within each class in an order set by a hash of ``ids`` when given, else of
    each row's content. Each fold fits a fresh model (the settings of ``model``, default
    ``ChurnModel()``) and each baseline on the other folds and predicts the held-out one.
    From the out-of-fold probabilities: the ROC AUC of each fold (and their mean), the Brier
    score, a reliability table over ten equal-count bins of predicted risk, the lift of each
    risk decile (decile 1 = the riskiest tenth) with the cumulative share of churners
    caught, the same AUC and Brier for every baseline, the portfolio member each fold chose,
    and the model's mean absolute contributions (``top_features``).
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1).reset_index(drop=True)
    labels = coerce_label(y)
    _check_evaluable(frame, labels, folds)
    plan = plan_columns(frame)
    if not plan.kept:
        left_out = ", ".join(f"{d['column']} ({d['reason']})" for d in plan.dropped)
        raise ValueError(f"no usable feature column; left out: {left_out}")
    frame = frame[plan.kept]
    encoded = plan.encode(frame)
    order = _order(encoded, labels, ids, random_state)
    frame, encoded = frame.iloc[order].reset_index(drop=True), encoded.iloc[order]
    encoded, labels = encoded.reset_index(drop=True), labels[order]
    fold_of = stratified_folds(labels, folds)
    settings = (model or ChurnModel(random_state=random_state)).get_params()
    runs = _cross_validate(frame, encoded, labels, fold_of, settings, baselines, random_state)
    return _report(
        runs, labels, fold_of, plan, rule="customer id" if ids is not None else "row content"
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


def _order(
    encoded: pd.DataFrame, labels: IntArray, ids: ArrayLike | pd.Series | None, salt: int
) -> IntArray:
    """Rows in an order set by the customer id, or by the row's content without one."""
    if ids is None:
        return canonical_order(encoded, labels, salt=salt)
    key = pd.DataFrame({"id": pd.Series(np.asarray(ids, dtype=object)).astype(str)})
    if len(key) != len(labels):
        raise ValueError(f"{len(key)} customer ids but {len(labels)} labels")
    return canonical_order(key, np.zeros(len(labels), dtype=np.int64), salt=salt)


@dataclass
class _Runs:
    """Out-of-fold probabilities of the model and the baselines, and what each fold chose."""

    model: FloatArray
    baselines: dict[str, FloatArray]
    chosen: list[str]
    calibration: list[str]
    importances: FloatArray
    features: list[str]


def _cross_validate(
    frame: pd.DataFrame,
    encoded: pd.DataFrame,
    labels: IntArray,
    fold_of: IntArray,
    settings: dict[str, Any],
    with_baselines: bool,
    random_state: int,
) -> _Runs:
    n = len(labels)
    runs = _Runs(
        model=np.zeros(n),
        baselines={name: np.zeros(n) for name in BASELINES} if with_baselines else {},
        chosen=[],
        calibration=[],
        importances=np.zeros(frame.shape[1]),
        features=list(frame.columns),
    )
    for k in range(int(fold_of.max()) + 1):
        train, test = fold_of != k, fold_of == k
        fitted = ChurnModel(**settings).fit(frame[train], labels[train])
        runs.model[test] = fitted.predict_proba(frame[test])
        runs.chosen.append(fitted.chosen_)
        runs.calibration.append("/".join(fitted.calibration_methods_))
        runs.importances += fitted.feature_importances_ / (int(fold_of.max()) + 1)
        if with_baselines:
            found = baseline_probabilities(
                encoded[train], labels[train], encoded[test], random_state=random_state
            )
            for name, p in found.items():
                runs.baselines[name][test] = p
    return runs


def _fold_aucs(labels: IntArray, p: FloatArray, fold_of: IntArray) -> list[float]:
    return [
        float(roc_auc_score(labels[fold_of == k], p[fold_of == k]))
        for k in range(int(fold_of.max()) + 1)
    ]


def _report(
    runs: _Runs, labels: IntArray, fold_of: IntArray, plan: Any, *, rule: str
) -> EvaluationReport:
    aucs = _fold_aucs(labels, runs.model, fold_of)
    brier = float(brier_score_loss(labels, runs.model))
    baselines: list[dict[str, Any]] = []
    for name, p in runs.baselines.items():
        per_fold = _fold_aucs(labels, p, fold_of)
        baselines.append(
            {
                "name": name,
                "auc": float(np.mean(per_fold)),
                "auc_std": float(np.std(per_fold)),
                "auc_per_fold": per_fold,
                "brier": float(brier_score_loss(labels, p)),
            }
        )
    best = max(baselines, key=lambda b: b["auc"], default=None)
    return EvaluationReport(
        auc=float(np.mean(aucs)),
        auc_std=float(np.std(aucs)),
        auc_per_fold=aucs,
        brier=brier,
        calibration=calibration_table(labels, runs.model),
        lift=lift_table(labels, runs.model),
        n=len(labels),
        positives=int(labels.sum()),
        folds=int(fold_of.max()) + 1,
        features=runs.features,
        top_features=importance_shares(runs.features, runs.importances, TOP_FEATURES),
        baselines=baselines,
        best_baseline=best["name"] if best else "",
        auc_difference=float(np.mean(aucs)) - best["auc"] if best else 0.0,
        brier_difference=brier - min(b["brier"] for b in baselines) if best else 0.0,
        chosen_per_fold=runs.chosen,
        calibration_per_fold=runs.calibration,
        columns=plan.report(),
        fold_rule=rule,
    )


def importance_shares(
    names: Sequence[str], importances: ArrayLike, top: int
) -> list[dict[str, Any]]:
    """The ``top`` features by importance, each with its importance and share of the total."""
    values = np.asarray(importances, dtype=np.float64)
    total = float(values.sum()) or 1.0
    ranked = np.argsort(-values, kind="stable")[:top]
    return [
        {"feature": names[j], "importance": float(values[j]), "share": float(values[j] / total)}
        for j in ranked
    ]


def baseline_metrics(
    train: pd.DataFrame,
    y_train: ArrayLike,
    test: pd.DataFrame,
    y_test: ArrayLike,
    *,
    random_state: int = 0,
) -> list[dict[str, Any]]:
    """AUC and Brier score of each baseline fitted on ``train`` and judged on ``test``."""
    plan = plan_columns(train)
    y_fit, y_judge = np.asarray(y_train, dtype=np.int64), np.asarray(y_test, dtype=np.int64)
    found = baseline_probabilities(
        plan.encode(train), y_fit, plan.encode(test), random_state=random_state
    )
    return [
        {
            "name": name,
            "auc": float(roc_auc_score(y_judge, p)),
            "brier": float(brier_score_loss(y_judge, p)),
        }
        for name, p in found.items()
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
    that of predicting the base rate, the calibration and lift tables, the portfolio member
    the model chose (with its inner cross-validated AUC of every member) and the ``top``
    importances (mean absolute contributions) of ``model``.
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
        "chosen": model.chosen_,
        "candidates": dict(model.candidate_auc_),
        "top_features": importance_shares(model.feature_names_, model.feature_importances_, top),
    }


def _tied_bins(
    y: ArrayLike, proba: ArrayLike, bins: int, *, riskiest_first: bool
) -> list[dict[str, float]]:
    """Equal-count bins of the customers ranked by predicted risk, ties shared out.

    Customers with the same predicted risk are one group; a group that straddles a bin
    boundary is split between the bins in proportion to the places it takes in each, with
    its churners and its predicted risk. The bins thus do not depend on row order.
    """
    labels = np.asarray(y, dtype=np.float64)
    p = np.asarray(proba, dtype=np.float64)
    values, inverse = np.unique(p, return_inverse=True)
    counts = np.bincount(inverse).astype(np.float64)
    churners = np.bincount(inverse, weights=labels)
    if riskiest_first:
        values, counts, churners = values[::-1], counts[::-1], churners[::-1]
    sizes = np.array([len(part) for part in np.array_split(np.arange(len(p)), bins) if len(part)])
    edges = np.concatenate([[0], np.cumsum(sizes)]).astype(np.float64)
    group_edges = np.concatenate([[0.0], np.cumsum(counts)])
    # Places of each group inside each bin: bins × groups.
    lo = np.maximum(edges[:-1, None], group_edges[None, :-1])
    hi = np.minimum(edges[1:, None], group_edges[None, 1:])
    places = np.clip(hi - lo, 0.0, None)
    share = places / counts[None, :]
    return [
        {
            "count": int(size),
            "churners": float(share[k] @ churners),
            "predicted": float(places[k] @ values / size),
        }
        for k, size in enumerate(sizes)
    ]


def calibration_table(y: ArrayLike, proba: ArrayLike, bins: int = 10) -> list[dict[str, float]]:
    """Reliability table: mean predicted risk against the observed churn rate per bin.

    Bins are equal-count quantile bins of the predicted probability, lowest risk first;
    tied predictions are shared between bins (see :func:`_tied_bins`).
    """
    return [
        {
            "bin": k + 1,
            "mean_predicted": row["predicted"],
            "observed_rate": row["churners"] / row["count"],
            "count": row["count"],
        }
        for k, row in enumerate(_tied_bins(y, proba, bins, riskiest_first=False))
    ]


def lift_table(y: ArrayLike, proba: ArrayLike, bins: int = 10) -> list[dict[str, float]]:
    """Churners caught per risk decile, riskiest first, with lift and cumulative gain.

    lift = the decile's churn rate / the overall rate; cumulative gain = the share of all
    churners found in this and the riskier deciles. Tied predictions are shared between
    deciles (see :func:`_tied_bins`), so ``churners`` may be fractional.
    """
    labels = np.asarray(y, dtype=np.float64)
    overall = float(labels.mean())
    total = float(labels.sum())
    rows: list[dict[str, float]] = []
    caught = 0.0
    for k, row in enumerate(_tied_bins(labels, proba, bins, riskiest_first=True)):
        caught += row["churners"]
        rate = row["churners"] / row["count"]
        rows.append(
            {
                "decile": k + 1,
                "count": row["count"],
                "churners": row["churners"],
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
    "baseline_metrics",
    "holdout_metrics",
    "importance_shares",
    "lift_table",
    "rfm_baseline",
]
