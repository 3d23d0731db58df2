"""Churn model on synthetic customers whose churn depends on known features."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from bankcrm.analytics.churn import ChurnModel, Reason, coerce_label, time_split
from bankcrm.analytics.churn_evaluation import evaluate
from bankcrm.analytics.churn_reasons import DEFAULT_REASON_TEMPLATES, explain

CAUSAL = {"aum_change_6m", "salary_stopped"}
FAST = {"n_estimators": 60, "learning_rate": 0.1}


def synthetic_customers(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Churn log-odds = −2.4 − 5·AUM change + 3·salary stopped; the rest is noise."""
    rng = np.random.default_rng(seed)
    aum_change = rng.normal(0.0, 0.3, n)
    salary_stopped = (rng.random(n) < 0.15).astype(float)
    X = pd.DataFrame(
        {
            "aum_change_6m": aum_change,
            "salary_stopped": salary_stopped,
            "age": rng.uniform(20, 80, n),
            "noise": rng.normal(size=n),
            "segment": rng.choice(np.array(["mass", "affluent", "private", None], object), n),
        }
    )
    X.loc[rng.random(n) < 0.1, "noise"] = np.nan
    logit = -2.4 - 5.0 * aum_change + 3.0 * salary_stopped
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def customers():
    return synthetic_customers(2000, seed=7)


@pytest.fixture(scope="module")
def report(customers):
    X, y = customers
    return evaluate(X, y, folds=5, model=ChurnModel(**FAST))


@pytest.fixture(scope="module")
def model(customers):
    X, y = customers
    return ChurnModel(**FAST).fit(X, y)


def test_cross_validated_auc_is_high_on_learnable_churn(report):
    assert report.auc > 0.8
    assert len(report.auc_per_fold) == 5
    assert min(report.auc_per_fold) > 0.75


def test_shuffled_labels_give_auc_near_one_half(customers, report):
    X, y = customers
    shuffled = np.random.default_rng(1).permutation(y)
    chance = evaluate(X, shuffled, folds=5, model=ChurnModel(**FAST), baselines=False)
    assert abs(chance.auc - 0.5) < 0.06
    assert report.auc - chance.auc > 0.25


def test_out_of_fold_probabilities_are_calibrated(report):
    counts = np.array([b["count"] for b in report.calibration])
    predicted = np.array([b["mean_predicted"] for b in report.calibration])
    observed = np.array([b["observed_rate"] for b in report.calibration])
    assert len(report.calibration) == 10 and counts.sum() == report.n
    rate = report.positives / report.n
    # The mean predicted risk is within 2 points of the churn rate, every bin within 10.
    assert np.average(predicted, weights=counts) == pytest.approx(rate, abs=0.02)
    assert np.max(np.abs(predicted - observed)) < 0.10
    assert report.brier < rate * (1 - rate)


def test_lift_is_highest_in_the_riskiest_decile(report):
    lift = report.lift
    assert [row["decile"] for row in lift] == list(range(1, 11))
    assert lift[0]["lift"] > 2.5
    assert lift[0]["rate"] > lift[-1]["rate"]
    assert lift[-1]["cumulative_gain"] == pytest.approx(1.0)
    assert {f["feature"] for f in report.top_features[:2]} == CAUSAL


def test_report_is_plain_json(report):
    data = json.loads(json.dumps(report.to_dict()))
    assert {"auc", "auc_per_fold", "brier", "calibration", "lift", "n", "positives"} <= set(data)
    assert data["features"] == ["aum_change_6m", "salary_stopped", "age", "noise", "segment"]


def test_top_reasons_of_high_risk_customers_name_the_causes(customers, model):
    X, _ = customers
    risk = model.predict_proba(X)
    riskiest = X.iloc[np.argsort(-risk)[:50]]
    reasons = model.top_reasons(riskiest, n=2)
    named = [r.feature for row in reasons for r in row]
    assert sum(f in CAUSAL for f in named) / len(named) > 0.9
    assert all(r.contribution > 0 for row in reasons for r in row)
    first = reasons[0][0]
    assert first.value == riskiest.iloc[0][first.feature]


def test_reasons_are_only_features_that_raise_risk(customers, model):
    X, _ = customers
    safest = X.iloc[np.argsort(model.predict_proba(X))[:20]]
    contributions = model.contributions(safest)
    for row, (_, contrib) in zip(
        model.top_reasons(safest, n=3), contributions.iterrows(), strict=True
    ):
        assert len(row) == min(3, int((contrib > 0).sum()))


def test_contributions_add_up_to_the_uncalibrated_log_odds(customers, model):
    X, _ = customers
    head = X.head(25)
    contributions = model.contributions(head)
    assert list(contributions.columns) == model.feature_names_
    assert list(contributions.index) == list(head.index)
    # The fold models' own log-odds, averaged: the learners' raw scores, not the contributions.
    raw = np.mean([m.log_odds(model.columns_.encode(head)) for m in model.members_], axis=0)
    assert_allclose(contributions.sum(axis=1) + model.base_log_odds_, raw, atol=1e-6)
    assert_allclose(model.raw_log_odds(head), raw, atol=1e-12)


def test_feature_importances_are_mean_absolute_contributions_per_feature(model):
    assert model.feature_importances_.shape == (5,)
    top_two = {model.feature_names_[i] for i in np.argsort(-model.feature_importances_)[:2]}
    assert top_two == CAUSAL


def test_unseen_category_and_extra_columns_do_not_break_scoring(customers, model):
    X, _ = customers
    new = X.head(4).copy()
    new["segment"] = ["brand-new tier", "mass", None, "private"]
    new["unrelated"] = "ignored"
    risk = model.predict_proba(new)
    assert risk.shape == (4,) and np.all(np.isfinite(risk))
    assert np.all((risk >= 0) & (risk <= 1))
    assert len(model.top_reasons(new)) == 4


def test_missing_feature_column_at_scoring_is_named(customers, model):
    X, _ = customers
    with pytest.raises(ValueError, match="salary_stopped"):
        model.predict_proba(X.drop(columns=["salary_stopped"]).head())


def test_fit_is_deterministic_for_a_random_state(customers):
    X, y = customers
    a = ChurnModel(n_estimators=20, random_state=3).fit(X.head(600), y[:600])
    b = ChurnModel(n_estimators=20, random_state=3).fit(X.head(600), y[:600])
    assert_allclose(a.predict_proba(X.head(50)), b.predict_proba(X.head(50)), rtol=0, atol=0)


def test_sigmoid_calibration_and_text_labels(customers):
    X, y = customers
    words = np.where(y[:800] == 1, "是", "否")
    fitted = ChurnModel(n_estimators=30, calibration="sigmoid").fit(X.head(800), words)
    risk = fitted.predict_proba(X.head(800))
    assert risk.mean() == pytest.approx(y[:800].mean(), abs=0.03)


def test_unknown_calibration_method_is_rejected(customers):
    X, y = customers
    with pytest.raises(ValueError, match="calibration"):
        ChurnModel(calibration="beta").fit(X.head(100), y[:100])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["yes", "no", "YES", " No "], [1, 0, 1, 0]),
        (["y", "n", "Y", "N"], [1, 0, 1, 0]),
        (["是", "否", "是"], [1, 0, 1]),
        ([True, False, True], [1, 0, 1]),
        (["True", "false"], [1, 0]),
        ([1, 0, 0], [1, 0, 0]),
        ([1.0, 0.0], [1, 0]),
        (["1", "0"], [1, 0]),
    ],
)
def test_coerce_label_reads_the_usual_spellings(values, expected):
    result = coerce_label(pd.Series(values))
    assert result.tolist() == expected
    assert result.dtype == np.int64


def test_coerce_label_names_the_offending_values():
    with pytest.raises(ValueError, match="'maybe'"):
        coerce_label(pd.Series(["yes", "maybe", "no"]))
    with pytest.raises(ValueError, match="2"):
        coerce_label(pd.Series([1, 0, 2]))
    with pytest.raises(ValueError, match="1 missing"):
        coerce_label(pd.Series(["yes", None, "no"]))


def test_explain_reads_a_decrease_as_a_decrease():
    reason = Reason("aum_change_6m", -0.42, 1.3)
    assert explain(reason, DEFAULT_REASON_TEMPLATES) == (
        "AUM down 42% in 6 months",
        "近6个月资产下降42%",
    )
    assert explain(Reason("aum_change_6m", 0.1, 0.2))[0] == "AUM up 10% in 6 months"


def test_explain_fills_numbers_into_both_languages():
    assert explain(Reason("days_since_last_txn", 95.0, 0.5)) == (
        "no transaction for 95 days",
        "已95天无交易",
    )
    assert explain(Reason("complaints_12m", 3, 0.5)) == (
        "3 complaints in 12 months",
        "近12个月投诉3次",
    )
    assert explain(Reason("salary_stopped", 1.0, 0.5)) == (
        "salary no longer credited",
        "工资不再入账",
    )
    assert (
        explain(Reason("digital_share_change", -0.25, 0.1))[1] == "数字渠道交易占比下降25个百分点"
    )


def test_explain_falls_back_to_a_generic_phrase():
    assert explain(Reason("branch_code", "BJ01", 0.2)) == (
        "branch_code = BJ01",
        "branch_code为BJ01",
    )
    assert explain(Reason("score", 3.5, 0.2)) == ("score = 3.5", "score为3.5")
    assert explain(Reason("score", None, 0.2)) == ("score not known", "score未知")
    # A template that cannot format this value (text where a number is expected).
    assert explain(Reason("age", "unknown", 0.2)) == ("age = unknown", "age为unknown")


def test_explain_uses_custom_templates():
    templates = {"fx_share": ("{pct:.0%} of spending abroad", "境外消费占{pct:.0%}")}
    assert explain(Reason("fx_share", 0.3, 0.1), templates) == (
        "30% of spending abroad",
        "境外消费占30%",
    )


def test_time_split_keeps_every_row_on_or_after_the_cutoff_out_of_train():
    rng = np.random.default_rng(0)
    dates = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, 500), unit="D")
    frame = pd.DataFrame({"as_of": dates, "x": rng.normal(size=500)})
    frame.loc[3, "as_of"] = pd.NaT
    cutoff = "2025-07-01"
    train, test = time_split(frame, date_column="as_of", cutoff=cutoff)
    assert train["as_of"].max() < pd.Timestamp(cutoff)
    assert test["as_of"].min() >= pd.Timestamp(cutoff)
    assert len(train) + len(test) == 499
    assert set(train.index).isdisjoint(test.index)


def test_time_split_drops_training_rows_whose_label_window_crosses_the_cutoff():
    frame = pd.DataFrame({"as_of": ["2025-01-31", "2025-03-31", "2025-05-31", "2025-07-31"]})
    train, test = time_split(frame, date_column="as_of", cutoff="2025-07-01", horizon_months=3)
    assert train["as_of"].tolist() == ["2025-01-31", "2025-03-31"]
    assert test["as_of"].tolist() == ["2025-07-31"]


def test_evaluate_rejects_too_few_rows_or_one_class(customers):
    X, y = customers
    with pytest.raises(ValueError, match="too few"):
        evaluate(X.head(3), y[:3], folds=5)
    with pytest.raises(ValueError, match="one class"):
        evaluate(X.head(20), np.zeros(20, dtype=int), folds=5)


def test_counts_of_one_read_in_the_singular():
    assert explain(Reason("product_count", 1, 0.3))[0] == "holds 1 product"
    assert explain(Reason("product_count", 3.0, 0.3)) == ("holds 3 products", "持有3个产品")
    assert explain(Reason("closed_accounts_6m", 1, 0.3))[0] == "1 account closed in 6 months"
    words = [
        explain(Reason(feature, n, 0.1))[0] for feature in DEFAULT_REASON_TEMPLATES for n in (1, 2)
    ]
    assert not [w for w in words if "(s)" in w]
