"""The models of an analytics run, fitted on its inputs: churn, segments, CLV, next best products.

Each function takes the run's settings and feature frames and returns what is stored per
customer, with the figures that go into the run's metrics; nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bankcrm.analytics.churn import ChurnModel, Reason
from bankcrm.analytics.churn_evaluation import baseline_metrics, holdout_metrics, rfm_baseline
from bankcrm.analytics.churn_reasons import explain
from bankcrm.analytics.clv import BetaGeoModel, bank_clv
from bankcrm.analytics.lifecycle import lifecycle_stages
from bankcrm.analytics.recommend import NextBestProduct, holdout_hit_rate
from bankcrm.analytics.rfm import rfm_scores
from bankcrm.analytics.segments import BehaviourClusters, life_stage
from bankcrm.analytics.tiers import DEFAULT_TIERS, assign_tiers
from bankcrm.banking.models import ProductCategory
from bankcrm.core.dates import shift_months
from bankcrm.insights.features import CHURN_FEATURES
from bankcrm.insights.run_settings import RunSettings

# Behaviour features the k-means clusters are found on, with readable names.
CLUSTER_FEATURES: dict[str, tuple[str, str]] = {
    "log_aum": ("assets", "资产"),
    "log_frequency": ("transaction frequency", "交易频次"),
    "products": ("products held", "持有产品数"),
    "digital_share": ("digital channel use", "数字渠道使用"),
    "tenure_months": ("tenure", "客户年限"),
}

# The columns of the logistic-regression baseline: recency, frequency, monetary value.
RFM_BASELINE = ["days_since_last_txn", "frequency_12m", "monetary_12m"]

# -- churn ------------------------------------------------------------------------------------


@dataclass
class ChurnResult:
    probability: pd.Series  # by customer id (scored customers), NaN when no model
    reasons: dict[int, list[dict[str, Any]]]
    metrics: dict[str, Any]
    holdout: pd.DataFrame  # the evaluation's customers: label and predicted probability


def churn_scores(
    cfg: RunSettings,
    now: pd.DataFrame,
    then: pd.DataFrame,
    before: pd.DataFrame,
    *,
    cutoff: dt.date,
    cutoff2: dt.date,
) -> ChurnResult:
    """Judge the churn model on a time-based hold-out, then score ``now`` and give reasons.

    The evaluation learns from ``before`` (two horizons ago) and is judged on ``then`` (one
    horizon ago); the model that scores today learns from ``then``.
    """
    h = cfg.horizon_months
    metrics: dict[str, Any] = {"features": CHURN_FEATURES}
    x_train, y_train = _labelled(before, cutoff2, h) if not before.empty else (before, np.array([]))
    x_test, y_test = _labelled(then, cutoff, h) if not then.empty else (then, np.array([]))
    evaluation, holdout = _churn_holdout(
        cfg, x_train, y_train, x_test, y_test, cutoff=cutoff, cutoff2=cutoff2
    )
    metrics.update(evaluation)
    if not _fittable(y_test):
        metrics["scoring"] = "not enough churners to learn from; no churn scores"
        empty = pd.Series(np.nan, index=now.index)
        return ChurnResult(probability=empty, reasons={}, metrics=metrics, holdout=holdout)
    xs, ys = _sample(x_test, y_test, cfg.max_train_rows, cfg.seed)
    model = _model(len(xs), cfg).fit(xs[CHURN_FEATURES], ys)
    probability = pd.Series(model.predict_proba(now[CHURN_FEATURES]), index=now.index)
    base_rate = float(ys.mean())
    metrics["base_rate"] = base_rate
    metrics["scoring_train_as_of"] = cutoff.isoformat()
    metrics["scoring_train_customers"] = len(xs)
    metrics["scoring_chosen"] = model.chosen_
    # Reasons for customers at above-average risk: why an RM should call.
    flagged = now.index[probability.to_numpy() >= base_rate]
    reasons = _reasons(model, now, flagged, cfg.reasons_top)
    return ChurnResult(probability=probability, reasons=reasons, metrics=metrics, holdout=holdout)


def _churn_holdout(
    cfg: RunSettings,
    x_train: pd.DataFrame,
    y_train: np.ndarray,
    x_test: pd.DataFrame,
    y_test: np.ndarray,
    *,
    cutoff: dt.date,
    cutoff2: dt.date,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The held-out evaluation's metrics, and its customers' labels and probabilities."""
    if not (_fittable(y_train) and _fittable(y_test)):
        return (
            {"evaluation": "not enough history for a hold-out evaluation"},
            pd.DataFrame(columns=["label", "probability"]),
        )
    xs, ys = _sample(x_train, y_train, cfg.max_train_rows, cfg.seed)
    model = _model(len(xs), cfg).fit(xs[CHURN_FEATURES], ys)
    p = model.predict_proba(x_test[CHURN_FEATURES])
    p_base = rfm_baseline(xs, ys, x_test, columns=RFM_BASELINE)
    metrics = {
        "evaluation": "time-based hold-out",
        "train_as_of": cutoff2.isoformat(),
        "test_as_of": cutoff.isoformat(),
        "train_customers": len(xs),
        **holdout_metrics(y_test, p, p_base, model=model),
    }
    # The plain models on the same split, on the same features, with their defaults.
    metrics["baselines"] = [
        {**b, "auc_difference": metrics["auc"] - b["auc"]}
        for b in baseline_metrics(
            xs[CHURN_FEATURES], ys, x_test[CHURN_FEATURES], y_test, random_state=cfg.seed
        )
    ]
    return metrics, pd.DataFrame({"label": y_test, "probability": p}, index=x_test.index)


def _labelled(frame: pd.DataFrame, start: dt.date, months: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers open on ``start`` and whether each closed within the next ``months``."""
    open_ = frame[~frame["is_closed"].astype(bool)]
    closed = pd.to_datetime(open_["closed_on"])
    end = shift_months(start, months)
    label = closed.gt(pd.Timestamp(start)) & closed.le(pd.Timestamp(end))
    return open_, label.to_numpy(dtype=np.int64)


def _sample(
    frame: pd.DataFrame, y: np.ndarray, limit: int, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    if len(frame) <= limit:
        return frame, y
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(frame), size=limit, replace=False))
    return frame.iloc[pick], y[pick]


def _fittable(y: np.ndarray) -> bool:
    return bool(len(y) and min(int(y.sum()), int(len(y) - y.sum())) >= 5)


def _model(rows: int, cfg: RunSettings) -> ChurnModel:
    # The portfolio learner of `bankcrm analytics evaluate-churn`; its calibration is
    # isotonic where a fold holds enough customers and sigmoid below ("auto").
    return ChurnModel(random_state=cfg.seed)


def _reasons(
    model: ChurnModel, now: pd.DataFrame, flagged: pd.Index, top: int
) -> dict[int, list[dict[str, Any]]]:
    """The top reasons of each flagged customer, in English and Chinese."""
    reasons: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(flagged, 50_000):
        frame = now.loc[chunk, CHURN_FEATURES]
        for cid, found in zip(chunk, model.top_reasons(frame, n=top), strict=True):
            reasons[int(cid)] = [_reason_entry(r) for r in found]
    return reasons


def _reason_entry(reason: Reason) -> dict[str, Any]:
    en, zh = explain(reason)
    return {
        "feature": reason.feature,
        "en": en,
        "zh": zh,
        "contribution": round(reason.contribution, 4),
    }


def _chunks(index: pd.Index, size: int) -> Iterator[pd.Index]:
    for lo in range(0, len(index), size):
        yield index[lo : lo + size]


# -- segments ---------------------------------------------------------------------------------


@dataclass
class SegmentResult:
    rfm: pd.DataFrame  # RFM code and segment of each scored customer
    tiers: pd.Series  # wealth tier of every customer
    stages: pd.Series  # lifecycle stage of every customer
    life: pd.Series  # life stage of every customer
    clusters: pd.Series  # behaviour cluster of each scored customer, NaN with too few
    profiles: list[dict[str, Any]]  # what each cluster looks like


def segment_scores(cfg: RunSettings, now: pd.DataFrame, scored: pd.Index) -> SegmentResult:
    """RFM segments, wealth tiers, lifecycle and life stages, behaviour clusters."""
    rfm = rfm_scores(
        now.loc[scored].assign(recency_days=now.loc[scored, "days_since_last_txn"]),
        frequency="frequency_12m",
        monetary="monetary_12m",
    )
    rfm["rfm"] = rfm["rfm"].astype(str)
    rfm["segment"] = rfm["segment"].astype(str)
    tiers = pd.Series(assign_tiers(now["aum"].to_numpy(), DEFAULT_TIERS), index=now.index)
    stages = lifecycle_stages(now, cfg.lifecycle)
    life = life_stage(now["age"].where(now["kind"] == "individual"), now["products"])
    clusters, profiles = _clusters(now.loc[scored], cfg)
    return SegmentResult(
        rfm=rfm, tiers=tiers, stages=stages, life=life, clusters=clusters, profiles=profiles
    )


def segment_metrics(segments: SegmentResult, scored: pd.Index, clv: pd.Series) -> dict[str, Any]:
    """How many customers are in each segment, tier and stage, and the median CLV by segment."""
    clv_frame = pd.DataFrame({"segment": segments.rfm["segment"], "clv": clv})
    return {
        "segments": {k: int(v) for k, v in segments.rfm["segment"].value_counts().items()},
        "tiers": {k: int(v) for k, v in segments.tiers.loc[scored].value_counts().items()},
        "lifecycle": {k: int(v) for k, v in segments.stages.value_counts().items()},
        "life_stages": {k: int(v) for k, v in segments.life.loc[scored].value_counts().items()},
        "clusters": segments.profiles,
        "clv_by_segment": {
            k: round(float(v), 2) for k, v in clv_frame.groupby("segment")["clv"].median().items()
        },
    }


def _clusters(now: pd.DataFrame, cfg: RunSettings) -> tuple[pd.Series, list[dict[str, Any]]]:
    if len(now) < cfg.clusters * 10:
        return pd.Series(np.nan, index=now.index), []
    with np.errstate(divide="ignore", invalid="ignore"):
        digital = (now["digital_3m"] / now["txn_3m"].where(now["txn_3m"] > 0)).fillna(0.0)
    x = pd.DataFrame(
        {
            "log_aum": np.log1p(now["aum"].clip(lower=0)),
            "log_frequency": np.log1p(now["frequency_12m"]),
            "products": now["products"],
            "digital_share": digital,
            "tenure_months": now["tenure_months"],
        },
        index=now.index,
    )
    sample = x.sample(n=min(len(x), 50_000), random_state=cfg.seed)
    model = BehaviourClusters(n_clusters=cfg.clusters, random_state=cfg.seed).fit(
        sample, names=CLUSTER_FEATURES
    )
    labels = pd.Series(model.predict(x), index=x.index)
    sizes = labels.value_counts()
    profiles = [
        {
            "cluster": p.cluster,
            "size": int(sizes.get(p.cluster, 0)),
            "share": float(sizes.get(p.cluster, 0) / len(x)),
            "en": p.description_en,
            "zh": p.description_zh,
            "means": {k: round(v, 3) for k, v in p.means.items()},
        }
        for p in model.profiles_
    ]
    return labels, profiles


# -- CLV --------------------------------------------------------------------------------------


@dataclass
class ClvResult:
    p_alive: pd.Series  # BG/NBD probability of being active, NaN with no transaction in the year
    clv: pd.Series  # bank CLV of each scored customer, never negative
    bgnbd: dict[str, Any]  # the BG/NBD fit (empty with too few active customers)


def clv_scores(
    cfg: RunSettings,
    now: pd.DataFrame,
    balances: pd.DataFrame,
    fees: pd.Series,
    churn: pd.Series,
) -> ClvResult:
    """BG/NBD P(alive) and the bank CLV, discounted by the churn probability."""
    x, t_x, T = (now[c].astype(float).to_numpy() for c in ("bg_frequency", "bg_recency", "bg_T"))
    active = T > 0
    p_alive = pd.Series(np.nan, index=now.index)
    info: dict[str, Any] = {}
    if active.sum() >= 50:
        bg = BetaGeoModel().fit(x[active], t_x[active], T[active])
        p_alive[active] = bg.probability_alive(x[active], t_x[active], T[active])
        info = {
            **{k: float(v) for k, v in bg.params_.items()},
            "log_likelihood": bg.log_likelihood_,
            "customers": int(active.sum()),
            "time_unit": "weeks",
            "warnings": bg.warnings_,
        }
    bal = balances.reindex(now.index).fillna(0.0)
    # Churn risk over the horizon as a monthly survival rate; the training base rate where
    # there is no model.
    p_h = churn.reindex(now.index)
    p_h = p_h.fillna(float(np.nanmean(p_h)) if p_h.notna().any() else 0.05)
    monthly = (1 - p_h.clip(0, 0.999)) ** (1 / cfg.horizon_months)
    value = bank_clv(
        balances={c: bal[c].to_numpy() for c in bal.columns},
        monthly_fees=fees.reindex(now.index).fillna(0.0).to_numpy(),
        # No transaction in the window: BG/NBD cannot tell; the churn risk discounts instead.
        p_alive=p_alive.fillna(1.0).to_numpy(),
        monthly_retention=monthly.to_numpy(),
        settings=cfg.clv,
    )
    return ClvResult(
        p_alive=p_alive, clv=pd.Series(np.maximum(value, 0.0), index=now.index), bgnbd=info
    )


# -- recommendations --------------------------------------------------------------------------


def recommendations(
    cfg: RunSettings,
    now: pd.DataFrame,
    balances: pd.DataFrame,
    history: pd.DataFrame,
    current: pd.DataFrame,
    catalogue: pd.DataFrame,
) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
    """Next best products of each scored customer, and the hold-out hit rate beside popularity."""
    if history.empty or catalogue.empty:
        return [[] for _ in range(len(now))], {}
    liquid = balances.reindex(now.index).fillna(0.0)[str(ProductCategory.DEPOSIT)]
    customers = pd.DataFrame(
        {
            "risk_appetite": now["risk_appetite"].fillna(""),
            "risk_valid": now["risk_valid"].astype(bool),
            "age": now["age"].where(now["kind"] == "individual"),
            "liquid_balance": liquid,
        },
        index=now.index,
    )
    model = NextBestProduct().fit(history)
    found = model.recommend_many(
        customers=customers,
        holdings=current,
        catalogue=catalogue,
        n=cfg.recommendations_top,
    )
    recs = [
        [
            {"product": r.product, "because": r.because, "en": r.reason_en, "zh": r.reason_zh}
            for r in row
        ]
        for row in found
    ]
    check = holdout_hit_rate(
        history=history,
        customers=customers,
        catalogue=catalogue,
        k=cfg.recommendations_top,
        sample=20_000,
        seed=cfg.seed,
    )
    return recs, check


__all__ = [
    "ChurnResult",
    "ClvResult",
    "SegmentResult",
    "churn_scores",
    "clv_scores",
    "recommendations",
    "segment_metrics",
    "segment_scores",
]
