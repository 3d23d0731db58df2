"""`bankcrm analytics …`: the analytics models from the command line, on any table."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bankcrm.analytics.churn import EvaluationReport, coerce_label, evaluate


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


class Command(BaseCommand):
    help = "Run analytics models on a table from a file (evaluate-churn: cross-validate churn)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
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

    def handle(self, *args: Any, **options: Any) -> None:
        actions: dict[str, Callable[..., None]] = {
            "evaluate-churn": self.evaluate_churn,
        }
        actions[options["action"]](**options)

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
