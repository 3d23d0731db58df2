"""`bankcrm analytics …`: the analytics models from the command line, on any table."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from bankcrm.insights.evaluation import (
    EvaluationReport,
    TableError,
    churn_evaluate,
    churn_table,
    clv_log_fit,
    read_table,
)
from bankcrm.insights.models import AnalyticsRun


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = (
        "Analytics: run (score every customer and store the run), evaluate-churn "
        "(cross-validate the churn model on a CSV), clv (fit BG/NBD and Gamma-Gamma on a "
        "transaction log)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        run = actions.add_parser(
            "run",
            help="Score every customer with every model and store the run.",
            description=(
                "Extracts features in the database, fits and evaluates the churn model on a "
                "time-based split, computes RFM, tiers, lifecycle stages, segments, CLV and "
                "next best products, and stores one score per customer with the run id."
            ),
        )
        run.add_argument("--as-of", type=_date, help="score as of this day (YYYY-MM-DD)")
        run.add_argument(
            "--horizon", type=int, default=6, help="churn horizon in months (default 6)"
        )
        run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        run.add_argument(
            "--json", dest="as_json", action="store_true", help="print the run as one JSON object"
        )
        run.add_argument("--no-progress", action="store_true", help="no progress bar")
        churn = actions.add_parser(
            "evaluate-churn",
            help="Cross-validate the churn model on a CSV with one row per customer.",
            description=(
                "Stratified k-fold cross-validation of the churn model on FILE: every column "
                "except the label and the id is a feature. Prints AUC and Brier score beside "
                "a logistic regression, default HistGradientBoosting and default LightGBM "
                "on the same folds, the model chosen in each fold, the columns read as "
                "numbers or left out, a calibration table, lift by risk decile and the most "
                "important features. Exit status 2 when the file cannot be evaluated."
            ),
        )
        churn.add_argument(
            "file", metavar="FILE", help="CSV file (UTF-8 or GB18030), one row per customer"
        )
        churn.add_argument(
            "--label", required=True, help="column saying whether the customer left (1/0, 是/否)"
        )
        churn.add_argument(
            "--positive",
            metavar="VALUE",
            help="the label value of a customer who left (e.g. bad, Yes, 1, churned)",
        )
        churn.add_argument(
            "--id",
            dest="id_column",
            help="customer id column (not a feature; the folds are dealt from it)",
        )
        churn.add_argument(
            "--folds", type=int, default=5, help="cross-validation folds (default 5)"
        )
        churn.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="print one JSON object instead of a report",
        )
        clv = actions.add_parser(
            "clv",
            help="Fit BG/NBD and Gamma-Gamma on a transaction log (CSV, any delimiter).",
            description=(
                "Fits BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma on FILE, one row per "
                "transaction; time in weeks, transactions of the same customer on the same day "
                "merged. With --calibration-end, fits on the transactions up to that day and "
                "compares predicted with actual repeat transactions after it. Columns are "
                "names from the header, or 1-based positions for a file without one."
            ),
        )
        clv.add_argument("file", metavar="FILE", help="transaction log (CSV, TSV or whitespace)")
        clv.add_argument("--customer", required=True, help="customer id column (name or number)")
        clv.add_argument("--date", required=True, help="transaction date column")
        clv.add_argument("--amount", required=True, help="transaction amount column")
        clv.add_argument("--calibration-end", type=_date, help="last day of the calibration period")
        clv.add_argument(
            "--json", dest="as_json", action="store_true", help="print one JSON object"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actions: dict[str, Callable[..., None]] = {
            "run": self.run,
            "evaluate-churn": self.evaluate_churn,
            "clv": self.clv,
        }
        actions[options["action"]](**options)

    # -- run --------------------------------------------------------------------------------

    def run(
        self,
        *,
        as_of: dt.date | None,
        horizon: int,
        seed: int,
        as_json: bool,
        no_progress: bool,
        **_: Any,
    ) -> None:
        from bankcrm.insights.runs import STAGES, RunError, RunSettings, analytics_run

        if horizon < 1:
            raise CommandError(f"--horizon must be at least 1 month, not {horizon}")
        bar = tqdm(
            total=len(STAGES),
            desc="analytics run",
            unit="stage",
            disable=no_progress or as_json,
            file=self.stderr._out,
        )

        def advance(stage: str) -> None:
            bar.set_postfix_str(f"{stage} done")
            bar.update(1)

        try:
            run = analytics_run(
                settings=RunSettings(as_of=as_of, horizon_months=horizon, seed=seed),
                progress=advance,
            )
        except RunError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        finally:
            bar.close()
        if as_json:
            self.stdout.write(json.dumps(_run_payload(run), ensure_ascii=False, default=str))
        else:
            self.stdout.write(_run_text(run, stages=STAGES))

    # -- clv --------------------------------------------------------------------------------

    def clv(
        self,
        *,
        file: str,
        customer: str,
        date: str,
        amount: str,
        calibration_end: dt.date | None,
        as_json: bool,
        **_: Any,
    ) -> None:
        try:
            fit = clv_log_fit(
                file, customer=customer, date=date, amount=amount, calibration_end=calibration_end
            )
        except TableError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        payload: dict[str, Any] = {"file": file, **fit.to_dict()}
        if as_json:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(_clv_text(payload, repeat_buyers=fit.repeat_buyers))

    # -- evaluate-churn ---------------------------------------------------------------------

    def evaluate_churn(
        self,
        *,
        file: str,
        label: str,
        id_column: str | None,
        positive: str | None,
        folds: int,
        as_json: bool,
        **_: Any,
    ) -> None:
        name = Path(file).name
        if folds < 2:
            raise CommandError(f"--folds must be at least 2, not {folds}", returncode=2)
        try:
            features, y, ids = churn_table(
                read_table(file), name=name, label=label, id_column=id_column, positive=positive
            )
            report = churn_evaluate(features, y, name=name, label=label, folds=folds, ids=ids)
        except TableError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if as_json:
            payload = {"file": file, "label": label, **report.to_dict()}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(_churn_text(report, file=file, label=label))


# -- the text reports -------------------------------------------------------------------------


def _run_payload(run: AnalyticsRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "status": run.status,
        "as_of": run.as_of.isoformat(),
        "model_version": run.model_version,
        "customers": run.customers,
        "metrics": {k: v for k, v in run.metrics.items() if k != "clusters"},
    }


def _run_text(run: AnalyticsRun, *, stages: tuple[str, ...]) -> str:
    m = run.metrics
    churn = m.get("churn", {})
    rec = m.get("recommend", {})
    lines = [
        f"Run {run.pk}: {run.customers:,} customers scored as of {run.as_of} "
        f"(model {run.model_version})",
    ]
    if "auc" in churn:
        lines.append(
            f"Churn, {churn['evaluation']}: AUC {churn['auc']:.3f} "
            f"(RFM logistic baseline {churn['baseline_auc']:.3f}), "
            f"Brier {churn['brier']:.4f} (base rate {churn['base_rate_brier']:.4f}), "
            f"{churn['test_customers']:,} customers, {churn['test_churners']:,} left"
        )
    else:
        lines.append(f"Churn: {churn.get('evaluation', '')}")
    if rec.get("customers"):
        lines.append(
            f"Next best product, hit rate@{rec['k']} on the last product taken up: "
            f"{rec['hit_rate']:.1%} (popularity {rec['popularity_hit_rate']:.1%}, "
            f"{rec['customers']:,} customers)"
        )
    lines.append(
        "Stage timings: "
        + ", ".join(f"{k} {m['timings'][k]:.1f} s" for k in stages if k in m.get("timings", {}))
    )
    return "\n".join(lines)


def _clv_text(payload: dict[str, Any], *, repeat_buyers: int) -> str:
    b, g = payload["bgnbd"], payload["gamma_gamma"]
    degenerate = "  (degenerate: see the warnings)"
    lines = [
        f"{payload['customers']:,} customers, calibration to {payload['calibration_end']} (weeks)",
        f"BG/NBD       r = {b['r']:.4f}  alpha = {b['alpha']:.4f}  a = {b['a']:.4f}  "
        f"b = {b['b']:.4f}  log-likelihood = {b['log_likelihood']:.2f}"
        + (degenerate if b["degenerate"] else ""),
    ]
    left_out = sum(payload["left_out"].values())
    if g is not None:
        lines.append(
            f"Gamma-Gamma  p = {g['p']:.4f}  q = {g['q']:.4f}  gamma = {g['gamma']:.4f}  "
            f"({payload['value_customers']:,} of {repeat_buyers:,} repeat buyers)"
            + (degenerate if g["degenerate"] else "")
        )
    if left_out:
        lines.append(
            "  left out of Gamma-Gamma: "
            + ", ".join(f"{n:,} ({why})" for why, n in payload["left_out"].items() if n)
        )
    lines += [f"Warning: {w}" for w in payload["warnings"]]
    if "holdout" in payload:
        lines += _holdout_text(payload["holdout"])
    return "\n".join(lines)


def _holdout_text(h: dict[str, Any]) -> list[str]:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:+.1f}%"

    lines = [
        "",
        f"Hold-out, {h['weeks']:.1f} weeks to {h['end']}: "
        f"{h['actual']:,.0f} repeat transactions, predicted {h['predicted']:,.1f} "
        f"(error {pct(h['error_pct'])})",
        f"  {'frequency':>9}  {'customers':>9}  {'actual':>7}  {'predicted':>9}  {'error':>7}",
    ]
    lines += [
        f"  {r['frequency']:>9}  {r['customers']:>9,}  {r['actual']:>7.3f}  "
        f"{r['predicted']:>9.3f}  {pct(r['error_pct']):>7}"
        for r in h["by_frequency"]
    ]
    return lines


def _churn_text(report: EvaluationReport, *, file: str, label: str) -> str:
    share = report.positives / report.n
    lines = [
        f"Churn model, {report.folds}-fold stratified cross-validation on {file} "
        f"(folds dealt from the {report.fold_rule})",
        f"{report.n:,} customers, {report.positives:,} left ({share:.1%}, column {label!r}), "
        f"{len(report.features)} features",
        *_columns_text(report.columns),
        "",
        *_baselines_text(report),
        "",
        f"Brier score of predicting the base rate: {share * (1 - share):.4f}",
        "Chosen per fold: " + ", ".join(report.chosen_per_fold),
        "Calibration per fold: " + ", ".join(report.calibration_per_fold),
        "",
        "Calibration (equal-count bins of out-of-fold predicted risk; ties shared)",
        f"  {'bin':>3}  {'predicted':>9}  {'observed':>8}  {'customers':>9}",
    ]
    lines += [
        f"  {row['bin']:>3}  {row['mean_predicted']:>9.1%}  {row['observed_rate']:>8.1%}  "
        f"{row['count']:>9,}"
        for row in report.calibration
    ]
    lines += [
        "",
        "Lift by risk decile (1 = riskiest tenth; tied customers shared between deciles)",
        f"  {'decile':>6}  {'churners':>8}  {'rate':>6}  {'lift':>5}  {'cumulative gain':>15}",
    ]
    lines += [
        f"  {row['decile']:>6}  {_count(row['churners']):>8}  {row['rate']:>6.1%}  "
        f"{row['lift']:>5.2f}  {row['cumulative_gain']:>15.1%}"
        for row in report.lift
    ]
    lines += ["", "Top features (share of the mean absolute contribution to the log-odds)"]
    top = report.top_features[:10]
    width = max((_columns(str(f["feature"])) for f in top), default=7)
    lines += [
        f"  {f['feature']}{' ' * (width - _columns(str(f['feature'])))}  {f['share']:>6.1%}"
        for f in top
    ]
    return "\n".join(lines)


def _columns_text(columns: dict[str, Any]) -> list[str]:
    lines = []
    coerced = columns.get("coerced", [])
    if coerced:
        lines.append(
            "Read as numbers from text: "
            + ", ".join(
                f"{c['column']} ({c['blanks']:,} blank, {c['unreadable']:,} unreadable)"
                for c in coerced
            )
        )
    dropped = columns.get("dropped", [])
    if dropped:
        lines.append("Left out: " + ", ".join(f"{d['column']} ({d['reason']})" for d in dropped))
    return lines


def _baselines_text(report: EvaluationReport) -> list[str]:
    lines = [
        f"  {'model':<24}  {'AUC':>5}  {'± sd':>5}  {'Brier':>6}  per-fold AUC",
        f"  {'churn model':<24}  {report.auc:>5.3f}  {report.auc_std:>5.3f}  "
        f"{report.brier:>6.4f}  " + "  ".join(f"{a:.3f}" for a in report.auc_per_fold),
    ]
    lines += [
        f"  {b['name']:<24}  {b['auc']:>5.3f}  {b['auc_std']:>5.3f}  {b['brier']:>6.4f}  "
        + "  ".join(f"{a:.3f}" for a in b["auc_per_fold"])
        for b in report.baselines
    ]
    if report.best_baseline:
        lines.append(
            f"AUC {report.auc:.3f} ± {report.auc_std:.3f}; best baseline "
            f"{report.best_baseline}: difference {report.auc_difference:+.3f} AUC, "
            f"{report.brier_difference:+.4f} Brier score"
        )
    return lines


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _columns(text: str) -> int:
    """Terminal columns a text takes: Chinese characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
