"""CLV on transaction logs the way real ones are: refunds, zero values, no heterogeneity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad

from bankcrm.analytics.clv import (
    BetaGeoModel,
    GammaGammaModel,
    _gamma_gamma_objective,
    fit_clv,
    summarise_transactions,
)


def shop_log(customers: int, seed: int, *, same_for_all: bool) -> pd.DataFrame:
    """Weekly shoppers over a year. ``same_for_all``: one purchase rate, no dropout, one
    basket value for everybody (no heterogeneity of any kind)."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-01-01")
    for c in range(customers):
        rate = 0.3 if same_for_all else rng.gamma(0.5, 0.6)
        days = np.flatnonzero(rng.random(365) < rate / 7) if rate > 0 else []
        value = 40.0 if same_for_all else rng.gamma(4, 10)
        for d in days:
            rows.append((f"c{c}", start + pd.Timedelta(days=int(d)), value))
    return pd.DataFrame(rows, columns=["customer", "day", "amount"])


def test_zero_and_negative_amounts_leave_repeat_buyers_out_of_gamma_gamma():
    log = shop_log(300, seed=1, same_for_all=False)
    refunds = log.drop_duplicates("customer").head(5)  # first purchases of five customers
    zero = pd.DataFrame(
        {
            "customer": ["z1", "z1", "z1", "z2", "z2"],
            "day": pd.to_datetime(
                ["2024-02-01", "2024-03-01", "2024-04-01", "2024-02-01", "2024-05-01"]
            ),
            "amount": [25.0, 0.0, 0.0, 30.0, -30.0],  # repeat spend 0, a refund
        }
    )
    negative = refunds.assign(day=refunds["day"] + pd.Timedelta(days=3), amount=-5.0)
    log = pd.concat([log, zero, negative], ignore_index=True)
    summary = summarise_transactions(log["customer"], log["day"], log["amount"])
    fit = fit_clv(summary)
    f = summary.frame
    repeaters = f[f["frequency"] > 0]
    expected_out = int((repeaters["monetary"] <= 0).sum())
    assert expected_out >= 2  # z1 and z2 at least
    assert fit.left_out == {"non-positive average value": expected_out}
    assert fit.value_customers == len(repeaters) - expected_out
    assert fit.gamma_gamma is not None and fit.gamma_gamma.params_["p"] > 0
    assert fit.to_dict()["left_out"]["non-positive average value"] == expected_out


def test_only_non_positive_values_give_a_warning_instead_of_a_fit():
    log = pd.DataFrame(
        {
            "customer": np.repeat([f"c{i}" for i in range(20)], 3),
            "day": np.tile(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]), 20),
            "amount": np.tile([10.0, 0.0, -1.0], 20),
        }
    )
    fit = fit_clv(summarise_transactions(log["customer"], log["day"], log["amount"]))
    assert fit.gamma_gamma is None
    assert any("Gamma-Gamma not fitted" in w for w in fit.warnings)
    assert fit.to_dict()["gamma_gamma"] is None


def test_log_without_heterogeneity_is_reported_as_degenerate():
    log = shop_log(400, seed=2, same_for_all=True)
    fit = fit_clv(summarise_transactions(log["customer"], log["day"], log["amount"]))
    text = " ".join(fit.warnings)
    assert "no heterogeneity in purchase rates" in text or "ran to the bound" in text
    assert "Gamma-Gamma" in text
    payload = fit.to_dict()
    assert payload["bgnbd"]["degenerate"] and payload["gamma_gamma"]["degenerate"]


def test_bgnbd_optimum_does_not_depend_on_row_order():
    log = shop_log(300, seed=3, same_for_all=False)
    summary = summarise_transactions(log["customer"], log["day"], log["amount"])
    f = summary.frame
    first = BetaGeoModel().fit(f["frequency"], f["recency"], f["T"])
    order = np.random.default_rng(4).permutation(len(f))
    again = BetaGeoModel().fit(
        f["frequency"].iloc[order], f["recency"].iloc[order], f["T"].iloc[order]
    )
    assert first.params_ == again.params_
    assert first.log_likelihood_ == again.log_likelihood_
    shuffled = log.sample(frac=1.0, random_state=5)
    resummarised = summarise_transactions(shuffled["customer"], shuffled["day"], shuffled["amount"])
    assert fit_clv(resummarised).to_dict() == fit_clv(summary).to_dict()


def test_gamma_gamma_gradient_is_exact():
    rng = np.random.default_rng(6)
    x = rng.integers(1, 12, 500).astype(float)
    m = rng.gamma(6, 1 / 6, 500) * rng.gamma(3, 1 / 3, 500)

    def value(theta: np.ndarray) -> float:
        return _gamma_gamma_objective(x, m, 0.0)(theta)[0]

    def grad(theta: np.ndarray) -> np.ndarray:
        return _gamma_gamma_objective(x, m, 0.0)(theta)[1]

    for theta in ([0.0, 0.0, 0.0], [1.8, 1.3, -0.9], [-1.0, 3.0, 2.0]):
        assert check_grad(value, grad, np.array(theta), epsilon=1e-7) < 1e-5


def test_gamma_gamma_fit_on_repeat_buyers_is_quick_and_order_free():
    rng = np.random.default_rng(7)
    n = 20_000
    x = rng.integers(1, 20, n).astype(float)
    nu = rng.gamma(3.74, 1 / 15.44, n)  # each customer's rate ν ~ Gamma(q, γ)
    m = rng.gamma(6.25 * x, 1 / (nu * x))  # mean of x values ~ Gamma(p, ν): Gamma(px, νx)
    fit = GammaGammaModel().fit(x, m)
    order = rng.permutation(n)
    assert GammaGammaModel().fit(x[order], m[order]).params_ == fit.params_
    assert fit.warnings_ == []
    # Simulated from p 6.25, q 3.74, γ 15.44: the fit finds them within 10%.
    for name, truth in (("p", 6.25), ("q", 3.74), ("gamma", 15.44)):
        assert fit.params_[name] == pytest.approx(truth, rel=0.1)


def test_holdout_error_is_a_percentage_by_frequency_group():
    log = shop_log(400, seed=8, same_for_all=False)
    summary = summarise_transactions(
        log["customer"], log["day"], log["amount"], calibration_end=dt.date(2024, 9, 30)
    )
    holdout = fit_clv(summary).holdout()
    assert holdout is not None
    expected = 100 * (holdout["predicted"] - holdout["actual"]) / holdout["actual"]
    assert holdout["error_pct"] == pytest.approx(expected)
    assert all("error_pct" in row for row in holdout["by_frequency"])
