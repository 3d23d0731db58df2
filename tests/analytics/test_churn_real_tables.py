"""The churn model on tables built the way real exports break it.

A 50-level state code that carries signal, numbers written as text with blanks, thousands
separators and full-width digits, identifiers and constants among the features, tied
predictions, the same table in another row order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bankcrm.analytics.churn import ChurnModel, coerce_label
from bankcrm.analytics.churn_columns import plan_columns
from bankcrm.analytics.churn_evaluation import calibration_table, evaluate, lift_table

FAST = {"n_estimators": 60, "learning_rate": 0.1, "inner_folds": 3}
STATES = [f"S{i:02d}" for i in range(50)]


def loans(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Default log-odds = state effect (50 levels, sd 1) + 1.2·rate − 1; income is noise."""
    rng = np.random.default_rng(seed)
    effect = dict(zip(STATES, np.random.default_rng(99).normal(0, 1.0, 50), strict=True))
    state = rng.choice(STATES, n)
    rate = rng.normal(size=n)
    income = rng.lognormal(10, 0.5, n)
    logit = np.array([effect[s] for s in state]) + 1.2 * rate - 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"state": state, "rate": rate, "income": income}), y


@pytest.fixture(scope="module")
def loan_report():
    X, y = loans(1500, seed=1)
    return evaluate(X, y, folds=3, model=ChurnModel(**FAST))


def test_fifty_level_state_with_signal_is_learned_as_well_as_the_best_baseline(loan_report):
    baselines = {b["name"]: b["auc"] for b in loan_report.baselines}
    assert set(baselines) == {"logistic regression", "HistGradientBoosting", "LightGBM"}
    assert loan_report.auc >= max(baselines.values()) - 0.01
    assert loan_report.auc > 0.7
    assert loan_report.auc_difference == pytest.approx(loan_report.auc - max(baselines.values()))
    assert len(loan_report.chosen_per_fold) == 3


def test_fifty_level_state_is_target_encoded_for_the_trees():
    X, y = loans(600, seed=2)
    model = ChurnModel(**FAST).fit(X, y)
    trees = [m.trees for m in model.members_ if m.trees is not None]
    if not trees:  # the logistic regression was chosen: it one-hot encodes the state
        pytest.skip("logistic regression chosen on this draw")
    assert trees[0].encoded_ == ["state"]


def test_text_coded_numbers_with_blanks_are_read_as_numbers_and_reported():
    rng = np.random.default_rng(3)
    n = 400
    balance = rng.lognormal(8, 1, n)
    text = [f"{v:,.2f}" for v in balance]  # thousands separators: "12,345.67"
    for i in range(0, n, 25):
        text[i] = " "  # blanks as a core-banking export writes them
    text[7] = "１２３４"  # full-width digits  # noqa: RUF001
    y = (rng.random(n) < 1 / (1 + np.exp(-(np.log(balance) - 8) * 2))).astype(int)
    X = pd.DataFrame(
        {
            "balance": text,
            "customer_code": [f"C{i:05d}" for i in range(n)],
            "row": np.arange(1, n + 1),
            "country": "CN",
            "segment": rng.choice(["mass", "affluent"], n),
        }
    )
    plan = plan_columns(X)
    assert plan.kinds["balance"] == "number"
    assert plan.coerced == [{"column": "balance", "blanks": 16, "unreadable": 0}]
    assert plan.dropped == [
        {"column": "customer_code", "reason": "identifier"},
        {"column": "row", "reason": "identifier"},
        {"column": "country", "reason": "constant"},
    ]
    assert plan.encode(X)["balance"].iloc[7] == 1234.0
    report = evaluate(X, y, folds=3, model=ChurnModel(**FAST), baselines=False)
    assert report.features == ["balance", "segment"]
    assert report.columns["coerced"][0]["column"] == "balance"
    assert report.auc > 0.75


def test_positive_class_can_be_named():
    labels = pd.Series(["good", "bad", " Bad ", "good"])
    assert coerce_label(labels, positive="bad").tolist() == [0, 1, 1, 0]
    assert coerce_label(pd.Series([1.0, 0.0, 2.0]), positive="1").tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="no label is 'churned'"):
        coerce_label(labels, positive="churned")
    with pytest.raises(ValueError, match="positive class"):
        coerce_label(labels)


def test_same_table_in_another_row_order_gives_the_same_report_to_the_last_digit():
    X, y = loans(300, seed=4)
    ids = pd.Series([f"K{i:04d}" for i in range(len(y))])
    first = evaluate(X, y, folds=3, model=ChurnModel(**FAST), ids=ids).to_dict()
    shuffle = np.random.default_rng(5).permutation(len(y))
    again = evaluate(
        X.iloc[shuffle].reset_index(drop=True),
        y[shuffle],
        folds=3,
        model=ChurnModel(**FAST),
        ids=ids.iloc[shuffle].reset_index(drop=True),
    ).to_dict()
    assert first == again
    assert first["fold_rule"] == "customer id"
    # Without ids the folds come from each row's content: the same holds.
    plain = evaluate(X, y, folds=3, model=ChurnModel(**FAST), baselines=False).to_dict()
    plain_again = evaluate(
        X.iloc[shuffle], y[shuffle], folds=3, model=ChurnModel(**FAST), baselines=False
    ).to_dict()
    assert plain == plain_again


def test_tied_predictions_are_shared_between_bins_whatever_the_row_order():
    rng = np.random.default_rng(6)
    p = rng.choice([0.05, 0.1, 0.3, 0.6], 1003)  # four values: ties straddle every boundary
    y = (rng.random(1003) < p).astype(int)
    lift, calibration = lift_table(y, p), calibration_table(y, p)
    for _ in range(3):
        order = rng.permutation(len(p))
        assert lift_table(y[order], p[order]) == lift
        assert calibration_table(y[order], p[order]) == calibration
    assert sum(row["churners"] for row in lift) == pytest.approx(y.sum())
    assert [row["count"] for row in lift] == [101, 101, 101, 100, 100, 100, 100, 100, 100, 100]
    # Decile 1 lies inside the 0.6 group: its churn rate is that group's.
    top = y[p == 0.6].mean()
    assert lift[0]["rate"] == pytest.approx(top)
    assert calibration[-1]["mean_predicted"] == pytest.approx(0.6)


def test_isotonic_calibration_only_with_enough_rows():
    X, y = loans(600, seed=7)
    small = ChurnModel(**FAST).fit(X, y)
    assert small.calibration_methods_ == ["sigmoid"]  # 600 rows: fewer than 1,000
    enough = ChurnModel(**FAST, isotonic_min_rows=500).fit(X, y)
    assert enough.calibration_methods_ == ["isotonic"]
    # One map, fitted on the held-out log-odds of the fold models it is applied to.
    assert len({id(m.calibrator) for m in enough.members_}) == 1 and len(enough.members_) == 3
    p = enough.predict_proba(X)
    assert np.all((p >= 0) & (p <= 1)) and p.mean() == pytest.approx(y.mean(), abs=0.03)


def test_linear_signal_chooses_the_logistic_regression():
    rng = np.random.default_rng(8)
    X = pd.DataFrame({f"x{i}": rng.normal(size=800) for i in range(6)})
    logit = X.to_numpy() @ np.array([1.0, -0.8, 0.6, 0.4, 0.0, 0.0]) - 0.5
    y = (rng.random(800) < 1 / (1 + np.exp(-logit))).astype(int)
    model = ChurnModel(**FAST).fit(X, y)
    assert "logistic" in model.chosen_
    assert model.candidate_auc_[model.chosen_] == max(model.candidate_auc_.values())
