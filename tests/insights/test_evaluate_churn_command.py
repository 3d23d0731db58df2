"""`bankcrm analytics evaluate-churn FILE --label COLUMN` on CSV exports."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def export(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """A core-banking style export: Chinese headers and values, 是/否 churn flag."""
    rng = np.random.default_rng(seed)
    aum_change = rng.normal(0.0, 0.3, n)
    salary_stopped = rng.random(n) < 0.2
    left = rng.random(n) < 1 / (1 + np.exp(2.0 + 5.0 * aum_change - 3.0 * salary_stopped))
    return pd.DataFrame(
        {
            "客户号": [f"C{i:05d}" for i in range(n)],
            "资产变化": aum_change.round(3),
            "工资停发": np.where(salary_stopped, "是", "否"),
            "客户类型": rng.choice(["个人", "小微企业"], n),
            "年龄": rng.integers(20, 80, n),
            "是否流失": np.where(left, "是", "否"),
        }
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def bom_csv(tmp_path):
    path = tmp_path / "客户流失.csv"
    export().to_csv(path, index=False, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    return path


@pytest.fixture
def gb18030_csv(tmp_path):
    path = tmp_path / "export_gb.csv"
    export(seed=4).to_csv(path, index=False, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    return path


def test_json_output_is_one_object_with_the_figures(bom_csv):
    out = run("evaluate-churn", str(bom_csv), "--label", "是否流失", "--id", "客户号", "--json")
    report = json.loads(out)  # exactly one JSON document, nothing else on stdout
    assert len(report["auc_per_fold"]) == 5
    assert report["n"] == 400
    assert 0.7 < report["auc"] <= 1.0
    assert 0.0 < report["brier"] < 0.25
    assert "客户号" not in report["features"]
    assert "是否流失" not in report["features"]
    assert len(report["calibration"]) == 10 and len(report["lift"]) == 10


def test_gb18030_file_is_read(gb18030_csv):
    out = run("evaluate-churn", str(gb18030_csv), "--label", "是否流失", "--json", "--folds", "3")
    report = json.loads(out)
    assert len(report["auc_per_fold"]) == 3
    assert "客户类型" in report["features"]


def test_readable_report_shows_auc_calibration_lift_and_features(bom_csv):
    out = run("evaluate-churn", str(bom_csv), "--label", "是否流失", "--id", "客户号")
    assert "AUC" in out and "±" in out
    assert "Brier score" in out
    assert "Calibration" in out and "Lift by risk decile" in out
    assert "资产变化" in out


def test_missing_label_column_is_named(bom_csv):
    with pytest.raises(CommandError, match="churned") as error:
        run("evaluate-churn", str(bom_csv), "--label", "churned")
    assert bom_csv.name in str(error.value)


def test_missing_id_column_is_named(bom_csv):
    with pytest.raises(CommandError, match="customer_id"):
        run("evaluate-churn", str(bom_csv), "--label", "是否流失", "--id", "customer_id")


def test_label_with_other_values_names_them(tmp_path):
    frame = export(60)
    frame.loc[5, "是否流失"] = "maybe"
    path = tmp_path / "bad_label.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(CommandError, match="'maybe'") as error:
        run("evaluate-churn", str(path), "--label", "是否流失")
    assert "bad_label.csv" in str(error.value) and "是否流失" in str(error.value)


def test_label_with_one_class_is_refused(tmp_path):
    frame = export(60).assign(是否流失="否")
    path = tmp_path / "one_class.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(CommandError, match="one class"):
        run("evaluate-churn", str(path), "--label", "是否流失")


def test_fewer_rows_than_folds_is_refused(tmp_path):
    path = tmp_path / "tiny.csv"
    export(3).to_csv(path, index=False)
    with pytest.raises(CommandError, match="fewer than the 5"):
        run("evaluate-churn", str(path), "--label", "是否流失")


def test_unreadable_files_are_reported(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("evaluate-churn", str(tmp_path / "absent.csv"), "--label", "x")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        run("evaluate-churn", str(empty), "--label", "x")


def test_label_option_is_required(bom_csv):
    with pytest.raises(CommandError, match="--label"):
        run("evaluate-churn", str(bom_csv))


def credit_export(n: int = 240, seed: int = 11) -> pd.DataFrame:
    """A credit file: good/bad status, income as text with blanks and separators, an id."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(8.5, 0.6, n)
    debt = rng.uniform(0, 1, n)
    bad = rng.random(n) < 1 / (1 + np.exp(-(3 * debt - 1.5 - (np.log(income) - 8.5))))
    text = [f"{v:,.0f}" for v in income]
    for i in range(0, n, 30):
        text[i] = ""
    return pd.DataFrame(
        {
            "id": [f"A{i:04d}" for i in range(n)],
            "Status": np.where(bad, "bad", "good"),
            "Income": text,
            "Debt": debt.round(4),
            "Home": rng.choice(["rent", "owner", "parents"], n),
        }
    )


def test_positive_class_bad_is_named_and_text_numbers_reported(tmp_path):
    path = tmp_path / "credit.csv"
    frame = credit_export()
    frame.to_csv(path, index=False)
    args = ["evaluate-churn", str(path), "--label", "Status", "--id", "id", "--folds", "3"]
    with pytest.raises(CommandError, match="--positive") as error:
        run(*args, "--json")
    assert error.value.returncode == 2
    report = json.loads(run(*args, "--positive", "bad", "--json"))
    assert report["positives"] == int((frame["Status"] == "bad").sum())
    assert report["columns"]["coerced"] == [{"column": "Income", "blanks": 8, "unreadable": 0}]
    assert {b["name"] for b in report["baselines"]} == {
        "logistic regression",
        "HistGradientBoosting",
        "LightGBM",
    }
    assert len(report["chosen_per_fold"]) == 3
    text = run(*args, "--positive", "bad")
    assert "Read as numbers from text: Income (8 blank, 0 unreadable)" in text
    assert "HistGradientBoosting" in text and "Chosen per fold:" in text
    assert "best baseline" in text


def test_same_file_in_another_row_order_gives_an_identical_report(tmp_path):
    frame = credit_export(seed=12)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    frame.to_csv(first, index=False)
    frame.sample(frac=1.0, random_state=1).to_csv(second, index=False)
    common = ["--label", "Status", "--positive", "bad", "--id", "id", "--folds", "3", "--json"]
    a = json.loads(run("evaluate-churn", str(first), *common))
    b = json.loads(run("evaluate-churn", str(second), *common))
    a.pop("file"), b.pop("file")
    assert a == b


def _exit(argv: list[str], capsys) -> tuple[int, str]:
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as stop:
        execute_from_command_line(["bankcrm", "analytics", *argv])
    return int(stop.value.code or 0), capsys.readouterr().err


def test_every_failure_is_one_line_with_exit_status_2(tmp_path, capsys):
    good = tmp_path / "credit.csv"
    credit_export().to_csv(good, index=False)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,Status,Income\n")
    one_class = tmp_path / "one.csv"
    credit_export().assign(Status="good").to_csv(one_class, index=False)
    bad_date = tmp_path / "log.csv"
    bad_date.write_text("id,day,value\n1,2024-01-01,10\n1,2024-13-45,5\n")
    cases = [
        (["evaluate-churn", str(good), "--label", "churned"], "no label column 'churned'"),
        (["evaluate-churn", str(good), "--label", "Status", "--positive", "x"], "no label is"),
        (["evaluate-churn", str(empty), "--label", "Status"], "empty"),
        (["evaluate-churn", str(header_only), "--label", "Status"], "no rows"),
        (["evaluate-churn", str(one_class), "--label", "Status", "--positive", "bad"], "no label"),
        (["evaluate-churn", str(good), "--label", "Status", "--folds", "1"], "--folds"),
        (
            ["clv", str(bad_date), "--customer", "id", "--date", "day", "--amount", "value"],
            "row 2: '2024-13-45' is not a date",
        ),
        (["clv", str(bad_date), "--customer", "id", "--date", "when", "--amount", "value"], "when"),
    ]
    for argv, message in cases:
        status, err = _exit(argv, capsys)
        assert status == 2, (argv, err)
        assert message in err, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
