"""`bankcrm analytics …`: the analytics models from the command line, on any table."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from bankcrm.analytics.churn import coerce_label
from bankcrm.analytics.churn_evaluation import EvaluationReport, evaluate
from bankcrm.analytics.clv import BetaGeoModel, GammaGammaModel, summarise_transactions


def read_table(path: str) -> pd.DataFrame:
    """A CSV file as read by pandas: UTF-8 (with or without BOM), else GB18030."""
    try:
        try:
            return pd.read_csv(path, encoding="utf-8-sig")
        except UnicodeDecodeError:
            return pd.read_csv(path, encoding="gb18030")
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise CommandError(f"{path}: is a directory, not a CSV file") from exc
    except pd.errors.EmptyDataError as exc:
        raise CommandError(f"{path}: the file is empty") from exc
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CommandError(f"{path}: cannot read it as CSV ({exc})") from exc


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
                "except the label and the id is a feature. Prints AUC, Brier score, a "
                "calibration table, lift by risk decile and the most important features."
            ),
        )
        churn.add_argument(
            "file", metavar="FILE", help="CSV file (UTF-8 or GB18030), one row per customer"
        )
        churn.add_argument(
            "--label", required=True, help="column saying whether the customer left (1/0, 是/否)"
        )
        churn.add_argument("--id", dest="id_column", help="customer id column (not a feature)")
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
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        m = run.metrics
        if as_json:
            payload = {
                "run": run.pk,
                "status": run.status,
                "as_of": run.as_of.isoformat(),
                "model_version": run.model_version,
                "customers": run.customers,
                "metrics": {k: v for k, v in m.items() if k != "clusters"},
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, default=str))
            return
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
            + ", ".join(f"{k} {m['timings'][k]:.1f} s" for k in STAGES if k in m.get("timings", {}))
        )
        self.stdout.write("\n".join(lines))

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
        name = Path(file).name
        columns = pick_columns(
            read_log(file), {"customer": customer, "date": date, "amount": amount}, name
        )
        if columns.empty:
            raise CommandError(f"{name}: no transactions")
        days = parse_dates(columns["date"], name)
        values = parse_amounts(columns["amount"], name)
        if calibration_end is not None and calibration_end < days.min().date():
            raise CommandError(
                f"{name}: the calibration end {calibration_end} is before the first "
                f"transaction ({days.min().date()})"
            )
        summary = summarise_transactions(
            columns["customer"], days, values, calibration_end=calibration_end
        )
        f = summary.frame
        if len(f) < 10 or (f["frequency"] > 0).sum() < 2:
            raise CommandError(
                f"{name}: {len(f)} customers with {(f['frequency'] > 0).sum()} repeat "
                "buyers are too few to fit BG/NBD"
            )
        bg = BetaGeoModel().fit(f["frequency"], f["recency"], f["T"])
        repeaters = f[f["frequency"] > 0]
        gg = GammaGammaModel().fit(repeaters["frequency"], repeaters["monetary"])
        payload: dict[str, Any] = {
            "file": file,
            "customers": len(f),
            "calibration_end": summary.calibration_end.isoformat(),
            "bgnbd": {
                **{k: float(v) for k, v in bg.params_.items()},
                "log_likelihood": bg.log_likelihood_,
            },
            "gamma_gamma": {k: float(v) for k, v in gg.params_.items()},
        }
        if summary.holdout_weeks > 0:
            predicted = bg.expected_transactions(
                summary.holdout_weeks, f["frequency"], f["recency"], f["T"]
            )
            by = pd.DataFrame(
                {
                    "group": np.minimum(f["frequency"].to_numpy(), 7).astype(int),
                    "actual": f["holdout_frequency"].to_numpy(),
                    "predicted": predicted,
                }
            ).groupby("group")
            payload["holdout"] = {
                "weeks": summary.holdout_weeks,
                "end": summary.observation_end.isoformat(),
                "actual": float(f["holdout_frequency"].sum()),
                "predicted": float(predicted.sum()),
                "by_frequency": [
                    {
                        "frequency": f"{g}+" if g == 7 else str(g),
                        "customers": int(len(rows)),
                        "actual": float(rows["actual"].mean()),
                        "predicted": float(rows["predicted"].mean()),
                    }
                    for g, rows in by
                ],
            }
        if as_json:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        b, g = payload["bgnbd"], payload["gamma_gamma"]
        lines = [
            f"{len(f):,} customers, calibration to {payload['calibration_end']} (weeks)",
            f"BG/NBD       r = {b['r']:.4f}  alpha = {b['alpha']:.4f}  a = {b['a']:.4f}  "
            f"b = {b['b']:.4f}  log-likelihood = {b['log_likelihood']:.2f}",
            f"Gamma-Gamma  p = {g['p']:.4f}  q = {g['q']:.4f}  gamma = {g['gamma']:.4f}  "
            f"({len(repeaters):,} repeat buyers)",
        ]
        if "holdout" in payload:
            h = payload["holdout"]
            lines += [
                "",
                f"Hold-out, {h['weeks']:.1f} weeks to {h['end']}: "
                f"{h['actual']:,.0f} repeat transactions, predicted {h['predicted']:,.1f}",
                f"  {'frequency':>9}  {'customers':>9}  {'actual':>7}  {'predicted':>9}",
            ]
            lines += [
                f"  {r['frequency']:>9}  {r['customers']:>9,}  {r['actual']:>7.3f}  "
                f"{r['predicted']:>9.3f}"
                for r in h["by_frequency"]
            ]
        self.stdout.write("\n".join(lines))

    # -- evaluate-churn ---------------------------------------------------------------------

    def evaluate_churn(
        self,
        *,
        file: str,
        label: str,
        id_column: str | None,
        folds: int,
        as_json: bool,
        **_: Any,
    ) -> None:
        table = read_table(file)
        name = Path(file).name
        for role, column in (("label", label), ("id", id_column)):
            if column is not None and column not in table.columns:
                shown = ", ".join(map(str, table.columns[:20]))
                raise CommandError(
                    f"{name}: no {role} column {column!r} (the columns are: {shown})"
                )
        if id_column == label:
            raise CommandError(f"{name}: the label and the id are the same column {label!r}")
        try:
            y = coerce_label(table[label])
        except ValueError as exc:
            raise CommandError(f"{name}: column {label!r}: {exc}") from exc
        features = table.drop(columns=[c for c in (label, id_column) if c is not None])
        if features.shape[1] == 0:
            raise CommandError(f"{name}: no feature columns besides {label!r}")
        if folds < 2:
            raise CommandError(f"--folds must be at least 2, not {folds}")
        if len(table) < folds:
            raise CommandError(
                f"{name}: {len(table)} rows are fewer than the {folds} cross-validation folds"
            )
        if y.min() == y.max():
            raise CommandError(
                f"{name}: column {label!r} has one class only (every row is {int(y[0])}); "
                "the model needs customers who left and customers who stayed"
            )
        try:
            report = evaluate(features, y, folds=folds)
        except ValueError as exc:
            raise CommandError(f"{name}: column {label!r}: {exc}") from exc
        if as_json:
            payload = {"file": file, "label": label, **report.to_dict()}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(_readable(report, file=file, label=label))


def _readable(report: EvaluationReport, *, file: str, label: str) -> str:
    share = report.positives / report.n
    lines = [
        f"Churn model, {report.folds}-fold stratified cross-validation on {file}",
        f"{report.n:,} customers, {report.positives:,} left ({share:.1%}, column {label!r}), "
        f"{len(report.features)} features",
        "",
        f"AUC          {report.auc:.3f} ± {report.auc_std:.3f}",
        "  per fold   " + "  ".join(f"{a:.3f}" for a in report.auc_per_fold),
        f"Brier score  {report.brier:.4f}  (predicting the base rate: {share * (1 - share):.4f})",
        "",
        "Calibration (equal-count bins of out-of-fold predicted risk)",
        f"  {'bin':>3}  {'predicted':>9}  {'observed':>8}  {'customers':>9}",
    ]
    lines += [
        f"  {row['bin']:>3}  {row['mean_predicted']:>9.1%}  {row['observed_rate']:>8.1%}  "
        f"{row['count']:>9,}"
        for row in report.calibration
    ]
    lines += [
        "",
        "Lift by risk decile (1 = riskiest tenth)",
        f"  {'decile':>6}  {'churners':>8}  {'rate':>6}  {'lift':>5}  {'cumulative gain':>15}",
    ]
    lines += [
        f"  {row['decile']:>6}  {row['churners']:>8,}  {row['rate']:>6.1%}  "
        f"{row['lift']:>5.2f}  {row['cumulative_gain']:>15.1%}"
        for row in report.lift
    ]
    lines += ["", "Top features (share of total split gain)"]
    top = report.top_features[:10]
    width = max((_columns(str(f["feature"])) for f in top), default=7)
    lines += [
        f"  {f['feature']}{' ' * (width - _columns(str(f['feature'])))}  {f['share']:>6.1%}"
        for f in top
    ]
    return "\n".join(lines)


def _columns(text: str) -> int:
    """Terminal columns a text takes: Chinese characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# -- clv ------------------------------------------------------------------------------------


def read_log(path: str) -> pd.DataFrame:
    """A transaction log with a comma, semicolon, tab, pipe or whitespace delimiter."""
    raw = Path(path)
    if not raw.is_file():
        raise CommandError(f"{path}: no such file")
    head = raw.read_bytes()[:65536]
    encoding = "utf-8-sig"
    try:
        sample = head.decode(encoding)
    except UnicodeDecodeError:
        encoding = "gb18030"
        sample = head.decode(encoding, errors="replace")
    first = next((line for line in sample.splitlines() if line.strip()), "")
    if not first:
        raise CommandError(f"{path}: the file is empty")
    sep = next((d for d in (",", "\t", ";", "|") if d in first), r"\s+")
    try:
        return pd.read_csv(path, sep=sep, header=None, dtype=str, encoding=encoding).dropna(
            how="all"
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CommandError(f"{path}: cannot read it as a table ({exc})") from exc


def pick_columns(table: pd.DataFrame, wanted: dict[str, str], name: str) -> pd.DataFrame:
    """The wanted columns by header name, or by 1-based position when the file has none."""
    header = [str(v).strip() for v in table.iloc[0]]
    if all(col in header for col in wanted.values()):
        body = table.iloc[1:]
        return pd.DataFrame(
            {role: body.iloc[:, header.index(col)].str.strip() for role, col in wanted.items()}
        )
    if all(col.isdigit() and 1 <= int(col) <= table.shape[1] for col in wanted.values()):
        return pd.DataFrame(
            {role: table.iloc[:, int(col) - 1].str.strip() for role, col in wanted.items()}
        )
    missing = [c for c in wanted.values() if c not in header]
    raise CommandError(
        f"{name}: no column {missing[0]!r}; the header has {', '.join(header[:20])} "
        f"(or give 1-based column numbers for a file without a header)"
    )


def parse_dates(values: pd.Series, name: str) -> pd.Series:
    text = values.astype(str).str.strip()
    if text.str.fullmatch(r"\d{8}").all():
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    else:
        parsed = pd.to_datetime(text.str.replace("/", "-"), errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CommandError(f"{name}: row {row + 1}: {text.iloc[row]!r} is not a date")
    return parsed


def parse_amounts(values: pd.Series, name: str) -> pd.Series:
    text = values.astype(str).str.replace(",", "", regex=False).str.strip()
    parsed = pd.to_numeric(text, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CommandError(f"{name}: row {row + 1}: {values.iloc[row]!r} is not an amount")
    return parsed
