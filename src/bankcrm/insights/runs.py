"""One analytics run: features from the database, every model, per-customer scores stored.

Stages (each timed into the run's metrics):

1. features — ``extract_features`` as of the run date and at two earlier cut-offs, set-based
   SQL; plus balances by product category, fees and holdings;
2. churn — a time-based split: the evaluation model learns from customers as they were two
   horizons ago (label: closed within the next horizon) and is scored on customers one
   horizon ago against what then happened, beside a logistic regression on RFM; the model
   that scores today learns from one horizon ago;
3. rfm, tiers, lifecycle, segments — vectorised rules, k-means clusters;
4. clv — BG/NBD P(alive) and the bank CLV (margin on balances and fees, discounted);
5. recommend — next best products with the hard suitability filter, and a hold-out check
   against a popularity baseline;
6. write — one ``CustomerScore`` per customer and the lifecycle transitions, in one
   transaction, so a run's scores appear all at once or not at all.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import sklearn
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bankcrm.analytics.churn import ChurnModel
from bankcrm.analytics.churn_evaluation import calibration_table, lift_table
from bankcrm.analytics.churn_reasons import explain
from bankcrm.analytics.clv import BankClvSettings, BetaGeoModel, bank_clv
from bankcrm.analytics.lifecycle import LifecycleRules, lifecycle_stages
from bankcrm.analytics.recommend import NextBestProduct, holdout_hit_rate
from bankcrm.analytics.rfm import rfm_scores
from bankcrm.analytics.segments import BehaviourClusters, life_stage
from bankcrm.analytics.tiers import DEFAULT_TIERS, assign_tiers
from bankcrm.banking.models import (
    Account,
    BalanceSnapshot,
    Product,
    ProductCategory,
    ProductStatus,
    Transaction,
    TransactionType,
)
from bankcrm.core.bulk import bulk_insert
from bankcrm.insights.features import CHURN_FEATURES, extract_features, months_before
from bankcrm.insights.models import (
    SCORE_FIELDS,
    AnalyticsRun,
    CustomerScore,
    LifecycleTransition,
    RunStatus,
)

MODEL_VERSION = "insights-2026.11"
STALE_AFTER = dt.timedelta(hours=6)  # a "running" run older than this died without saying

# Behaviour features the k-means clusters are found on, with readable names.
CLUSTER_FEATURES: dict[str, tuple[str, str]] = {
    "log_aum": ("assets", "资产"),
    "log_frequency": ("transaction frequency", "交易频次"),
    "products": ("products held", "持有产品数"),
    "digital_share": ("digital channel use", "数字渠道使用"),
    "tenure_months": ("tenure", "客户年限"),
}

Progress = Callable[[str], None]


@dataclass
class RunSettings:
    """What a run can be told; every field is stored with the run."""

    as_of: dt.date | None = None  # default: the day of the newest transaction
    horizon_months: int = 6
    max_train_rows: int = 300_000
    clusters: int = 5
    reasons_top: int = 3
    recommendations_top: int = 3
    seed: int = 0
    clv: BankClvSettings = field(default_factory=BankClvSettings)
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        out["clv"]["margins"] = dict(self.clv.margins)
        return out


class RunError(Exception):
    """A run that cannot start (another is running, or there is nothing to score)."""


def default_as_of() -> dt.date:
    last = Transaction.objects.aggregate(m=Max("booked_at"))["m"]
    return timezone.localtime(last).date() if last else timezone.localdate()


class _Clock:
    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    def stage(self, name: str) -> _Stage:
        return _Stage(self, name)


class _Stage:
    def __init__(self, clock: _Clock, name: str) -> None:
        self.clock, self.name = clock, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.start
        self.clock.timings[self.name] = round(elapsed, 3)
        if self.clock.progress is not None and exc[0] is None:
            self.clock.progress(self.name)


STAGES = ("features", "churn", "segments", "clv", "recommend", "write")


def analytics_run(
    *, settings: RunSettings | None = None, progress: Progress | None = None
) -> AnalyticsRun:
    """Run every model over every customer and store the scores; returns the run.

    A failure marks the run failed with the error and re-raises; the scores of a failed run
    are never written (the write stage is one transaction).
    """
    cfg = settings or RunSettings()
    as_of = cfg.as_of or default_as_of()
    cfg.as_of = as_of
    with transaction.atomic():
        stale = timezone.now() - STALE_AFTER
        AnalyticsRun.objects.select_for_update().filter(
            status=RunStatus.RUNNING, started_at__lt=stale
        ).update(status=RunStatus.FAILED, error="no word from the run for 6 hours")
        if AnalyticsRun.objects.filter(status=RunStatus.RUNNING).exists():
            raise RunError("another analytics run is in progress")
        run = AnalyticsRun.objects.create(
            started_at=timezone.now(),
            as_of=as_of,
            model_version=MODEL_VERSION,
            parameters={
                **cfg.to_json(),
                "libraries": {
                    "lightgbm": lightgbm.__version__,
                    "scikit-learn": sklearn.__version__,
                },
            },
        )
    try:
        holdout = _execute(run, cfg, as_of, _Clock(progress))
    except BaseException as exc:
        AnalyticsRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        raise
    run.refresh_from_db()
    # Not stored: the hold-out customers' labels and scores, for checks against other truth.
    run.holdout = holdout  # type: ignore[attr-defined]
    return run


def _execute(run: AnalyticsRun, cfg: RunSettings, as_of: dt.date, clock: _Clock) -> pd.DataFrame:
    h = cfg.horizon_months
    cutoff = _shift(as_of, -h)
    cutoff2 = _shift(as_of, -2 * h)
    metrics: dict[str, Any] = {"as_of": as_of.isoformat(), "horizon_months": h}

    with clock.stage("features"):
        now = extract_features(as_of=as_of)
        if now.empty:
            raise RunError("there are no customers to score")
        then = extract_features(as_of=cutoff)
        before = extract_features(as_of=cutoff2)
        balances = _balances_by_category(as_of)
        fees = _monthly_fees(as_of)
        holdings, current = _holdings(as_of)
        catalogue = _catalogue()
    open_now = ~now["is_closed"].astype(bool)
    scored = now.index[open_now]

    with clock.stage("churn"):
        churn = _churn(cfg, now.loc[scored], then, before, cutoff, cutoff2, as_of)
        metrics["churn"] = churn.metrics

    with clock.stage("segments"):
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

    with clock.stage("clv"):
        p_alive, clv, bg = _clv(cfg, now.loc[scored], balances, fees, churn.probability)
        metrics["bgnbd"] = bg

    with clock.stage("recommend"):
        recs, nbp_metrics = _recommend(cfg, now.loc[scored], balances, holdings, current, catalogue)
        metrics["recommend"] = nbp_metrics

    metrics["segments"] = {k: int(v) for k, v in rfm["segment"].value_counts().items()}
    metrics["tiers"] = {k: int(v) for k, v in tiers.loc[scored].value_counts().items()}
    metrics["lifecycle"] = {k: int(v) for k, v in stages.value_counts().items()}
    metrics["life_stages"] = {k: int(v) for k, v in life.loc[scored].value_counts().items()}
    metrics["clusters"] = profiles
    clv_frame = pd.DataFrame({"segment": rfm["segment"], "clv": clv})
    metrics["clv_by_segment"] = {
        k: round(float(v), 2) for k, v in clv_frame.groupby("segment")["clv"].median().items()
    }

    with clock.stage("write"), transaction.atomic():
        previous = _previous_stages(run)
        rows = _score_rows(
            run=run,
            now=now,
            scored=scored,
            rfm=rfm,
            tiers=tiers,
            stages=stages,
            life=life,
            clusters=clusters,
            p_alive=p_alive,
            clv=clv,
            churn=churn,
            recs=recs,
        )
        written = bulk_insert(CustomerScore, SCORE_COLUMNS, rows)
        moved = _transitions(run, previous, stages, as_of)
        metrics["transitions"] = moved
        metrics["timings"] = clock.timings
        AnalyticsRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED,
            finished_at=timezone.now(),
            customers=written,
            metrics=metrics,
        )
    # The write stage's timing lands after the update above: store it too.
    metrics["timings"] = clock.timings
    AnalyticsRun.objects.filter(pk=run.pk).update(metrics=metrics)
    return churn.holdout


def _shift(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    first = dt.date(y, m + 1, 1)
    last_day = (months_before(first, -1) - dt.timedelta(days=1)).day
    return first.replace(day=min(d.day, last_day))


# -- reading ----------------------------------------------------------------------------------


def _balances_by_category(as_of: dt.date) -> pd.DataFrame:
    """Month-end balance of each customer in each product category (columns)."""
    rows = (
        BalanceSnapshot.objects.filter(month=months_before(as_of, 0))
        .values("customer_id", "account__product__category")
        .annotate(balance=Sum("balance"))
    )
    frame = pd.DataFrame.from_records(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=[str(c) for c in ProductCategory])
    wide = frame.pivot_table(
        index="customer_id",
        columns="account__product__category",
        values="balance",
        aggfunc="sum",
    ).astype(float)
    return wide.reindex(columns=[str(c) for c in ProductCategory]).fillna(0.0)


def _monthly_fees(as_of: dt.date) -> pd.Series:
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=365)
    rows = (
        Transaction.objects.filter(
            txn_type=TransactionType.FEE, booked_at__gte=start, booked_at__lt=end
        )
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .values_list("customer_id", "total")
    )
    return pd.Series({c: float(t) / 12 for c, t in rows}, dtype=float)


def _holdings(as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every product each customer took up by ``as_of`` (with when), and what they hold now."""
    rows = Account.objects.filter(opened_on__lte=as_of).values_list(
        "customer_id", "product__code", "opened_on", "closed_on"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["customer", "product", "opened", "closed"]
    )
    history = (
        frame.sort_values("opened")
        .drop_duplicates(["customer", "product"])
        .reset_index(drop=True)[["customer", "product", "opened"]]
    )
    closed = pd.to_datetime(frame["closed"])
    held = frame[closed.isna() | (closed > pd.Timestamp(as_of))]
    return history, held[["customer", "product"]].drop_duplicates()


def _catalogue() -> pd.DataFrame:
    rows = Product.objects.values_list(
        "code", "risk_level", "min_amount", "status", "name_en", "name_zh"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["product", "risk_level", "min_amount", "status", "name_en", "name_zh"]
    )
    frame["on_sale"] = frame["status"] == ProductStatus.ON_SALE
    frame["min_amount"] = frame["min_amount"].astype(float)
    return frame


# -- churn ------------------------------------------------------------------------------------


@dataclass
class ChurnResult:
    probability: pd.Series  # by customer id (scored customers), NaN when no model
    reasons: dict[int, list[dict[str, Any]]]
    metrics: dict[str, Any]
    holdout: pd.DataFrame  # the evaluation's customers: label and predicted probability


def _labelled(frame: pd.DataFrame, start: dt.date, months: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers open on ``start`` and whether each closed within the next ``months``."""
    open_ = frame[~frame["is_closed"].astype(bool)]
    closed = pd.to_datetime(open_["closed_on"])
    end = _shift(start, months)
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


RFM_BASELINE = ["days_since_last_txn", "frequency_12m", "monetary_12m"]


def _rfm_matrix(frame: pd.DataFrame) -> np.ndarray:
    x = frame[RFM_BASELINE].astype(float).fillna(0.0).to_numpy()
    return np.column_stack([x[:, 0], np.log1p(np.clip(x[:, 1:], 0, None))])


def _churn(
    cfg: RunSettings,
    now: pd.DataFrame,
    then: pd.DataFrame,
    before: pd.DataFrame,
    cutoff: dt.date,
    cutoff2: dt.date,
    as_of: dt.date,
) -> ChurnResult:
    h = cfg.horizon_months
    metrics: dict[str, Any] = {"features": CHURN_FEATURES}
    holdout = pd.DataFrame(columns=["label", "probability"])
    empty = pd.Series(np.nan, index=now.index)
    x_train, y_train = _labelled(before, cutoff2, h) if not before.empty else (before, np.array([]))
    x_test, y_test = _labelled(then, cutoff, h) if not then.empty else (then, np.array([]))
    # Held-out evaluation: learn from two horizons ago, judge on one horizon ago.
    if _fittable(y_train) and _fittable(y_test):
        xs, ys = _sample(x_train, y_train, cfg.max_train_rows, cfg.seed)
        model = _model(len(xs), cfg).fit(xs[CHURN_FEATURES], ys)
        p = model.predict_proba(x_test[CHURN_FEATURES])
        baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        baseline.fit(_rfm_matrix(xs), ys)
        p_base = baseline.predict_proba(_rfm_matrix(x_test))[:, 1]
        gain = model.feature_importances_
        total = float(gain.sum()) or 1.0
        order = np.argsort(-gain, kind="stable")
        metrics.update(
            {
                "evaluation": "time-based hold-out",
                "train_as_of": cutoff2.isoformat(),
                "test_as_of": cutoff.isoformat(),
                "train_customers": len(xs),
                "test_customers": len(x_test),
                "test_churners": int(y_test.sum()),
                "auc": float(roc_auc_score(y_test, p)),
                "baseline_auc": float(roc_auc_score(y_test, p_base)),
                "baseline": "logistic regression on recency, frequency, monetary",
                "brier": float(brier_score_loss(y_test, p)),
                "base_rate_brier": float(y_test.mean() * (1 - y_test.mean())),
                "calibration": calibration_table(y_test, p),
                "lift": lift_table(y_test, p),
                "top_features": [
                    {
                        "feature": model.feature_names_[j],
                        "importance": float(gain[j]),
                        "share": float(gain[j] / total),
                    }
                    for j in order[:15]
                ],
            }
        )
        holdout = pd.DataFrame({"label": y_test, "probability": p}, index=x_test.index)
    else:
        metrics["evaluation"] = "not enough history for a hold-out evaluation"
    # The model that scores today learns from one horizon ago.
    if not _fittable(y_test):
        metrics["scoring"] = "not enough churners to learn from; no churn scores"
        return ChurnResult(probability=empty, reasons={}, metrics=metrics, holdout=holdout)
    xs, ys = _sample(x_test, y_test, cfg.max_train_rows, cfg.seed)
    model = _model(len(xs), cfg).fit(xs[CHURN_FEATURES], ys)
    probability = pd.Series(model.predict_proba(now[CHURN_FEATURES]), index=now.index)
    base_rate = float(ys.mean())
    metrics["base_rate"] = base_rate
    metrics["scoring_train_as_of"] = cutoff.isoformat()
    metrics["scoring_train_customers"] = len(xs)
    # Reasons for customers at above-average risk: why an RM should call.
    flagged = now.index[probability.to_numpy() >= base_rate]
    reasons: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(flagged, 50_000):
        frame = now.loc[chunk, CHURN_FEATURES]
        for cid, found in zip(chunk, model.top_reasons(frame, n=cfg.reasons_top), strict=True):
            reasons[int(cid)] = [
                dict(
                    zip(
                        ("feature", "en", "zh", "contribution"),
                        (r.feature, *explain(r), round(r.contribution, 4)),
                        strict=True,
                    )
                )
                for r in found
            ]
    return ChurnResult(probability=probability, reasons=reasons, metrics=metrics, holdout=holdout)


def _model(rows: int, cfg: RunSettings) -> ChurnModel:
    # Isotonic calibration wants plenty of customers; sigmoid is steadier below a thousand.
    return ChurnModel(calibration="isotonic" if rows >= 1000 else "sigmoid", random_state=cfg.seed)


def _chunks(index: pd.Index, size: int) -> Iterator[pd.Index]:
    for lo in range(0, len(index), size):
        yield index[lo : lo + size]


# -- segments, CLV, recommendations -----------------------------------------------------------


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


def _clv(
    cfg: RunSettings,
    now: pd.DataFrame,
    balances: pd.DataFrame,
    fees: pd.Series,
    churn: pd.Series,
) -> tuple[pd.Series, pd.Series, dict[str, Any]]:
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
    return p_alive, pd.Series(np.maximum(value, 0.0), index=now.index), info


def _recommend(
    cfg: RunSettings,
    now: pd.DataFrame,
    balances: pd.DataFrame,
    history: pd.DataFrame,
    current: pd.DataFrame,
    catalogue: pd.DataFrame,
) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
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


# -- writing ----------------------------------------------------------------------------------

SCORE_COLUMNS = ("run_id", "customer_id", "recency_days", *SCORE_FIELDS)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if np.isnan(v) else v


def _money(value: Any) -> Decimal | None:
    v = _num(value)
    return None if v is None else Decimal(f"{v:.2f}")


def _score_rows(
    *,
    run: AnalyticsRun,
    now: pd.DataFrame,
    scored: pd.Index,
    rfm: pd.DataFrame,
    tiers: pd.Series,
    stages: pd.Series,
    life: pd.Series,
    clusters: pd.Series,
    p_alive: pd.Series,
    clv: pd.Series,
    churn: ChurnResult,
    recs: list[list[dict[str, Any]]],
) -> Iterator[tuple[Any, ...]]:
    position = {int(c): i for i, c in enumerate(scored)}
    rfm_code = rfm["rfm"].to_dict()
    segment = rfm["segment"].to_dict()
    recency = now["recency_days"]
    for cid in now.index:
        c = int(cid)
        i = position.get(c)
        if i is None:  # closed: only its stage matters now
            yield (
                run.pk,
                c,
                None,
                "",
                "lost",
                tiers[cid],
                stages[cid],
                life[cid],
                None,
                None,
                None,
                None,
                None,
                [],
                [],
            )
            continue
        p = _num(churn.probability.iat[i])
        value = _num(clv.iat[i])
        cluster = _num(clusters.iat[i])
        yield (
            run.pk,
            c,
            None if pd.isna(recency[cid]) else int(recency[cid]),
            rfm_code[cid],
            segment[cid],
            tiers[cid],
            stages[cid],
            life[cid],
            None if cluster is None else int(cluster),
            _num(p_alive.iat[i]),
            _money(value),
            p,
            _money(value * p) if value is not None and p is not None else None,
            churn.reasons.get(c, []),
            recs[i],
        )


def _previous_stages(run: AnalyticsRun) -> dict[int, str]:
    last = (
        AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED, pk__lt=run.pk)
        .order_by("-pk")
        .first()
    )
    if last is None:
        return {}
    return dict(
        CustomerScore.objects.filter(run=last).values_list("customer_id", "lifecycle_stage")
    )


def _transitions(
    run: AnalyticsRun, previous: dict[int, str], stages: pd.Series, as_of: dt.date
) -> dict[str, int]:
    moved: dict[str, int] = {}

    def rows() -> Iterator[tuple[Any, ...]]:
        for cid, stage in stages.items():
            before = previous.get(int(cid), "")
            if before != stage:
                moved[str(stage)] = moved.get(str(stage), 0) + 1
                yield (run.pk, int(cid), before, stage, as_of)

    bulk_insert(
        LifecycleTransition, ("run_id", "customer_id", "from_stage", "to_stage", "on"), rows()
    )
    return moved


__all__ = ["MODEL_VERSION", "RunError", "RunSettings", "analytics_run"]
