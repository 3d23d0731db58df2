"""Customer lifetime value: BG/NBD, Gamma-Gamma and a bank's margin-based CLV.

Pure numpy/scipy (no Django). The estimators follow scikit-learn's conventions:
``__init__`` stores settings, ``fit`` returns ``self``, learned values end in ``_``.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting Your Customers" the Easy
Way: An Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275-284.
Fader, P. S. and Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
http://www.brucehardie.com/notes/025/
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

FloatArray = NDArray[np.float64]


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def bgnbd_log_likelihood(
    params: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer log-likelihood of the BG/NBD model (Fader, Hardie & Lee 2005, eq. 6).

    ``frequency`` is the number of repeat transactions x, ``recency`` the time of the last
    one t_x and ``T`` the length of observation, all in the same time unit.
    """
    r, alpha, a, b = np.asarray(params, dtype=np.float64)
    x, t_x, T_ = _arrays(frequency, recency, T)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T_)
    with np.errstate(divide="ignore", invalid="ignore"):
        a3 = np.where(
            x > 0,
            betaln(a + 1, np.maximum(b + x - 1, 1e-12))
            - betaln(a, b)
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + np.logaddexp(a2, a3)


def _bgnbd_objective(
    x: FloatArray, t_x: FloatArray, T: FloatArray, penalizer: float
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """Mean negative log-likelihood of BG/NBD and its exact gradient in log-parameters.

    The special functions depend on the integer ``x`` only, so they are evaluated once per
    distinct ``x`` and gathered. Customers without a repeat transaction (most of them) only
    need ``ln(α+T)``; the others need ``ln(α+t_x)`` and the mixture weight as well.
    """
    n = len(x)
    zero = x == 0
    T0 = T[zero]
    rep_x, rep_t, rep_T = x[~zero], t_x[~zero], T[~zero]
    ux, inv = np.unique(rep_x, return_inverse=True)
    n0 = int(zero.sum())

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(log_params)
        log_alpha = np.log(alpha)
        psi_ab, psi_a, psi_b, psi_r = digamma(a + b), digamma(a), digamma(b), digamma(r)
        # x = 0: ll = r ln α − r ln(α+T) (the Beta terms cancel).
        log_aT0 = np.log(alpha + T0)
        ll = r * (n0 * log_alpha - log_aT0.sum())
        g_r = n0 * log_alpha - log_aT0.sum()
        g_alpha = r * (n0 / alpha - (1.0 / (alpha + T0)).sum())
        g_a = 0.0
        g_b = 0.0
        if len(rep_x):
            # Per distinct x > 0: the terms of eq. (6) that do not involve time.
            g_bx = gammaln(b + ux)
            g_abx = gammaln(a + b + ux)
            d_bx, d_abx = digamma(b + ux), digamma(a + b + ux)
            bm1 = b + ux - 1
            lb_ab = betaln(a, b)
            c1 = gammaln(r + ux) - gammaln(r)
            c2 = gammaln(a) + g_bx - g_abx - lb_ab  # betaln(a, b+x) − betaln(a, b)
            c3 = gammaln(a + 1) + g_bx - np.log(bm1) - g_abx - lb_ab  # betaln(a+1, b+x−1) …
            rx = r + rep_x
            log_aT = np.log(alpha + rep_T)
            log_at = np.log(alpha + rep_t)
            a2 = c2[inv] - rx * log_aT
            a3 = c3[inv] - rx * log_at
            mix = np.logaddexp(a2, a3)
            w3 = np.exp(a3 - mix)
            w2 = 1.0 - w3
            ll += float(c1[inv].sum() + r * len(rep_x) * log_alpha + mix.sum())
            g_r += float(
                (digamma(r + ux) - psi_r)[inv].sum()
                + len(rep_x) * log_alpha
                - (w2 * log_aT + w3 * log_at).sum()
            )
            g_alpha += float(
                r * len(rep_x) / alpha - (rx * (w2 / (alpha + rep_T) + w3 / (alpha + rep_t))).sum()
            )
            # Sum the weights per distinct x, then combine with the per-x derivatives.
            w3_by_x = np.bincount(inv, weights=w3, minlength=len(ux))
            count_by_x = np.bincount(inv, minlength=len(ux)).astype(np.float64)
            w2_by_x = count_by_x - w3_by_x
            g_a = float(
                (w2_by_x * (psi_ab - d_abx)).sum()
                + (w3_by_x * (digamma(a + 1) - d_abx - psi_a + psi_ab)).sum()
            )
            g_b = float(
                (w2_by_x * (d_bx - d_abx - psi_b + psi_ab)).sum()
                + (w3_by_x * (d_bx - 1.0 / bm1 - d_abx - psi_b + psi_ab)).sum()
            )
        p = np.array([r, alpha, a, b])
        grad = np.array([g_r, g_alpha, g_a, g_b]) * p
        value = -float(ll) / n + penalizer * float(np.sum(p**2))
        return value, -grad / n + penalizer * 2 * p**2

    return objective


LOG_BOUND = 25.0  # BG/NBD parameters stay within e^±25 during the fit


class BetaGeoModel:
    """BG/NBD model of repeat transactions: how many more, and is the customer still alive.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (0 reproduces the published maximum likelihood fit).
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BetaGeoModel:
        x, t_x, T_ = _arrays(frequency, recency, T)
        if len(x) == 0:
            raise ValueError("BG/NBD needs at least one customer")
        if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T_ + 1e-9):
            raise ValueError("need frequency >= 0 and 0 <= recency <= T for every customer")
        # Sums over customers in one order whatever the order of the rows, so the optimum
        # does not move with it (floating-point addition is not associative).
        order = np.lexsort((T_, t_x, x))
        x, t_x, T_ = x[order], t_x[order], T_[order]
        scale = 1.0 / max(float(T_.max()), 1e-9)  # fit on a unit time scale for stability
        objective = _bgnbd_objective(x, t_x * scale, T_ * scale, self.penalizer)
        # Bounded in log space: on data with hardly any dropout (frequent bank transactions)
        # the likelihood keeps rising as a → 0 and b → ∞; the bounds stop the walk there.
        with np.errstate(all="ignore"):
            result = minimize(
                objective,
                np.zeros(4),  # r = α = a = b = 1 on the unit time scale
                jac=True,
                method="L-BFGS-B",
                bounds=[(-LOG_BOUND, LOG_BOUND)] * 4,
                options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 2000},
            )
        r, alpha, a, b = np.exp(result.x)
        self.params_ = {"r": r, "alpha": alpha / scale, "a": a, "b": b}
        # Back to the original time unit: rescaling time by s shifts the LL by −ln(s)·Σx.
        with np.errstate(all="ignore"):
            value, _grad = objective(result.x)
        penalty = self.penalizer * float(np.sum(np.exp(result.x) ** 2))
        self.log_likelihood_ = float(-(value - penalty) * len(x) + np.log(scale) * x.sum())
        self.n_customers_ = len(x)
        self.converged_ = _converged(result)
        self.warnings_ = bgnbd_warnings(result.x, converged=self.converged_)
        return self

    def _p(self) -> FloatArray:
        p = self.params_
        return np.array([p["r"], p["alpha"], p["a"], p["b"]])

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))."""
        r, alpha, a, b = self._p()
        x, t_x, T_ = _arrays(frequency, recency, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(
                x > 0,
                a / (b + x - 1) * np.exp((r + x) * (np.log(alpha + T_) - np.log(alpha + t_x))),
                0.0,
            )
        return 1.0 / (1.0 + odds)

    def expected_transactions(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: expected transactions in the next ``t`` periods (eq. 10)."""
        r, alpha, a, b = self._p()
        x, t_x, T_ = _arrays(frequency, recency, T)
        z = t / (alpha + T_ + t)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - ((alpha + T_) / (alpha + T_ + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        return head * tail * self.probability_alive(x, t_x, T_)

    def expected_transactions_new_customer(self, t: float) -> float:
        """E[X(t)] for a customer just acquired (eq. 7)."""
        r, alpha, a, b = self._p()
        z = t / (alpha + t)
        return float(
            (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
        )


def gamma_gamma_log_likelihood(
    params: ArrayLike, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Per-customer log-likelihood of the Gamma-Gamma spend model (Fader & Hardie 2013)."""
    p, q, gamma = np.asarray(params, dtype=np.float64)
    x, m = _arrays(frequency, monetary_value)
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )


def _converged(result: Any) -> bool:
    """Converged, or stopped by the line search with a vanishing gradient (a flat optimum)."""
    free = np.abs(result.x) < LOG_BOUND - 1e-3  # the gradient at a bound may stay non-zero
    return bool(result.success) or float(np.max(np.abs(result.jac[free]), initial=0.0)) < 1e-6


HETEROGENEITY_LIMIT = 1e3  # a gamma or beta shape above this: the mixing has collapsed


def _at_bound(log_params: FloatArray, names: tuple[str, ...]) -> list[str]:
    return [n for n, v in zip(names, log_params, strict=True) if abs(v) >= LOG_BOUND - 1e-3]


def bgnbd_warnings(log_params: ArrayLike, *, converged: bool = True) -> list[str]:
    """Plain warnings about a BG/NBD fit (log-parameters on the unit time scale).

    r → ∞ (with α): every customer buys at the same rate, so r and α mean nothing apart;
    a and b → ∞: every customer has the same dropout probability a/(a+b); a → 0: hardly
    anyone drops out, P(alive) ≈ 1; a parameter at the bound of the fit: the likelihood
    kept rising towards a limit and the number is where the search stopped.
    """
    theta = np.asarray(log_params, dtype=np.float64)
    r, _alpha, a, b = np.exp(theta)
    out: list[str] = []
    bound = _at_bound(theta, ("r", "alpha", "a", "b"))
    if bound:
        out.append(
            f"BG/NBD: {', '.join(bound)} ran to the bound of the fit; the likelihood rises "
            "towards a limit, so these numbers are not estimates"
        )
    if r > HETEROGENEITY_LIMIT:
        out.append(
            "BG/NBD: no heterogeneity in purchase rates (r is huge): customers buy at one "
            "common rate, r/alpha; r and alpha mean nothing apart"
        )
    if a > HETEROGENEITY_LIMIT and b > HETEROGENEITY_LIMIT:
        out.append(
            "BG/NBD: no heterogeneity in dropout (a and b are huge): every customer has the "
            "same dropout probability a/(a+b)"
        )
    if a < 1 / HETEROGENEITY_LIMIT:
        out.append("BG/NBD: hardly any dropout (a → 0): P(alive) is close to 1 for everyone")
    if not converged:
        out.append("BG/NBD: the fit did not converge")
    return out


def gamma_gamma_warnings(log_params: ArrayLike, *, converged: bool = True) -> list[str]:
    """Plain warnings about a Gamma-Gamma fit (log-parameters on the unit value scale).

    q → ∞ (with γ): customers' average values do not differ (no heterogeneity), only the
    common mean pγ/(q−1) means something; p → ∞: a customer's transactions all have the same
    value; a parameter at the bound: the search stopped at a limit, not an estimate.
    """
    theta = np.asarray(log_params, dtype=np.float64)
    p, q, _gamma = np.exp(theta)
    out: list[str] = []
    bound = _at_bound(theta, ("p", "q", "gamma"))
    if bound:
        out.append(
            f"Gamma-Gamma: {', '.join(bound)} ran to the bound of the fit; the likelihood "
            "rises towards a limit, so these numbers are not estimates"
        )
    if q > HETEROGENEITY_LIMIT:
        out.append(
            "Gamma-Gamma: no heterogeneity in average value (q is huge): customers' mean "
            "spend does not differ; only the common mean p·gamma/(q−1) means something"
        )
    if p > HETEROGENEITY_LIMIT:
        out.append("Gamma-Gamma: p is huge: each customer's transactions have (nearly) one value")
    if not converged:
        out.append("Gamma-Gamma: the fit did not converge")
    return out


def _gamma_gamma_objective(
    x: FloatArray, m: FloatArray, penalizer: float
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """Mean negative Gamma-Gamma log-likelihood and its exact gradient in log-parameters.

    ℓ = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ+mx)
    (Fader & Hardie 2013). The gamma functions depend on the integer x only, so they are
    evaluated once per distinct x; per customer only ln(γ + mx) remains.
    """
    n = len(x)
    ux, inv = np.unique(x, return_inverse=True)
    count = np.bincount(inv).astype(np.float64)
    spend = m * x
    log_m = np.log(m)
    const = float((x * log_m).sum() + (x * np.log(x)).sum())  # Σ x ln m + Σ x ln x
    sum_log_m = float(log_m.sum())

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(log_params)
        px = p * ux
        log_g = np.log(gamma + spend)
        sum_xl = float((x * log_g).sum())
        sum_l = float(log_g.sum())
        ll = (
            float((count * (gammaln(px + q) - gammaln(px))).sum())
            - n * gammaln(q)
            + n * q * np.log(gamma)
            + p * const
            - sum_log_m
            - p * sum_xl
            - q * sum_l
        )
        d_pq = digamma(px + q)
        g_p = float((count * ux * (d_pq - digamma(px))).sum()) + const - sum_xl
        g_q = float((count * d_pq).sum()) - n * digamma(q) + n * np.log(gamma) - sum_l
        g_gamma = n * q / gamma - float(((p * x + q) / (gamma + spend)).sum())
        prm = np.array([p, q, gamma])
        grad = np.array([g_p, g_q, g_gamma]) * prm
        value = -float(ll) / n + penalizer * float(np.sum(prm**2))
        return value, -grad / n + penalizer * 2 * prm**2

    return objective


class GammaGammaModel:
    """Gamma-Gamma model of the average value of a customer's transactions.

    Fit it on customers with at least one repeat transaction and a positive average value.
    The fit maximises the likelihood with its exact gradient (L-BFGS-B, bounded in log
    space like BG/NBD), on values scaled to a mean of 1; ``warnings_`` says when the data
    show no heterogeneity or a parameter ran to the bound.
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaModel:
        x, m = _arrays(frequency, monetary_value)
        if len(x) == 0 or np.any(x <= 0) or np.any(~(m > 0)) or not np.all(np.isfinite(m)):
            raise ValueError("Gamma-Gamma needs frequency > 0 and monetary value > 0")
        order = np.lexsort((m, x))  # one summation order whatever the order of the rows
        x, m = x[order], m[order]
        scale = 1.0 / float(np.mean(m))
        objective = _gamma_gamma_objective(x, m * scale, self.penalizer)
        with np.errstate(all="ignore"):
            result = minimize(
                objective,
                np.zeros(3),
                jac=True,
                method="L-BFGS-B",
                bounds=[(-LOG_BOUND, LOG_BOUND)] * 3,
                options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 2000},
            )
        p, q, gamma = np.exp(result.x)
        self.params_ = {"p": p, "q": q, "gamma": gamma / scale}
        self.log_likelihood_ = float(gamma_gamma_log_likelihood([p, q, gamma / scale], x, m).sum())
        self.converged_ = _converged(result)
        self.warnings_ = gamma_gamma_warnings(result.x, converged=self.converged_)
        return self

    def expected_average_value(self, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray:
        """E[M | x, m̄] = (γ + m̄x) p / (px + q − 1); the population mean when x = 0."""
        p, q, gamma = self.params_["p"], self.params_["q"], self.params_["gamma"]
        x, m = _arrays(frequency, monetary_value)
        population = p * gamma / (q - 1)
        return np.where(x > 0, (gamma + m * x) * p / (p * x + q - 1), population)


# Net interest margin (a year) the bank earns per unit of balance, by product category,
# and the yearly fee income rate; figures in the range Chinese retail banks report.
DEFAULT_MARGINS: Mapping[str, float] = {
    "deposit": 0.018,
    "time_deposit": 0.008,
    "wealth": 0.006,
    "fund": 0.008,
    "insurance": 0.010,
    "loan": 0.020,
    "credit_card": 0.060,
}


@dataclass(frozen=True)
class BankClvSettings:
    horizon_months: int = 36
    yearly_discount_rate: float = 0.08
    margins: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MARGINS))


def bank_clv(
    *,
    balances: Mapping[str, ArrayLike],
    monthly_fees: ArrayLike,
    p_alive: ArrayLike,
    monthly_retention: ArrayLike,
    settings: BankClvSettings | None = None,
) -> FloatArray:
    """Expected discounted margin over a horizon, per customer, in CNY.

    CLV = Σ_{m=1..H} P(alive) · s^m · (Σ_k balance_k · NIM_k / 12 + fees) / (1+d)^(m/12),
    where ``s`` is the monthly retention probability and ``d`` the yearly discount rate.
    ``balances`` maps a product category to an array of each customer's balance in it.
    """
    cfg = settings or BankClvSettings()
    fees = np.asarray(monthly_fees, dtype=np.float64)
    margin = fees.copy()
    for category, values in balances.items():
        margin = margin + np.asarray(values, dtype=np.float64) * cfg.margins.get(category, 0.0) / 12
    s = np.clip(np.asarray(monthly_retention, dtype=np.float64), 0.0, 1.0)
    months = np.arange(1, cfg.horizon_months + 1)
    discount = (1 + cfg.yearly_discount_rate) ** (-months / 12)
    # Σ s^m / (1+d)^(m/12) for each customer, vectorised over customers × months.
    weights = (s[:, None] ** months[None, :] * discount[None, :]).sum(axis=1)
    return np.asarray(p_alive, dtype=np.float64) * margin * weights


# -- from a transaction log --------------------------------------------------------------------


@dataclass
class TransactionSummary:
    """Per-customer BG/NBD inputs from a transaction log (time unit: weeks).

    ``frame`` has, per customer first seen by the calibration end: ``frequency`` (repeat
    transaction days), ``recency`` (first to last transaction day), ``T`` (first day to the
    calibration end), ``monetary`` (mean value of the repeat days, NaN without repeats) and,
    with a hold-out period, ``holdout_frequency`` (transaction days after the calibration
    end). ``holdout_weeks`` is the hold-out length (0 without one).
    """

    frame: pd.DataFrame
    calibration_end: dt.date
    observation_end: dt.date
    holdout_weeks: float


def summarise_transactions(
    customers: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    *,
    calibration_end: dt.date | None = None,
) -> TransactionSummary:
    """Collapse a transaction log into BG/NBD and Gamma-Gamma inputs.

    Transactions on the same day by the same customer are one transaction (their amounts
    added), as in Fader, Hardie & Lee (2005). Without ``calibration_end`` the whole log is
    the calibration period.
    """
    log = pd.DataFrame(
        {
            "customer": np.asarray(customers),
            "day": pd.to_datetime(np.asarray(dates)).normalize(),
            "amount": np.asarray(amounts, dtype=np.float64),
        }
    )
    daily = log.groupby(["customer", "day"], sort=True)["amount"].sum().reset_index()
    # Rounded so the day's total does not depend on the order its rows were added in.
    daily["amount"] = daily["amount"].round(6)
    last_day = daily["day"].max()
    cal_end = pd.Timestamp(calibration_end) if calibration_end else last_day
    cal = daily[daily["day"] <= cal_end]
    grouped = cal.groupby("customer")
    first = grouped["day"].min()
    last = grouped["day"].max()
    count = grouped.size()
    # Mean value of the repeat transactions: all days but the first.
    repeat = cal[cal["day"] > cal["customer"].map(first)]
    monetary = repeat.groupby("customer")["amount"].mean().reindex(first.index)
    week = np.timedelta64(7, "D")
    frame = pd.DataFrame(
        {
            "frequency": (count - 1).astype(float),
            "recency": (last - first) / week,
            "T": (cal_end - first) / week,
            "monetary": monetary,
        }
    )
    holdout_weeks = 0.0
    if calibration_end is not None and last_day > cal_end:
        later = daily[(daily["day"] > cal_end) & daily["customer"].isin(frame.index)]
        frame["holdout_frequency"] = (
            later.groupby("customer").size().reindex(frame.index).fillna(0).astype(float)
        )
        holdout_weeks = float((last_day - cal_end) / week)
    return TransactionSummary(
        frame=frame,
        calibration_end=cal_end.date(),
        observation_end=last_day.date(),
        holdout_weeks=holdout_weeks,
    )


HOLDOUT_TOP_FREQUENCY = 7  # the hold-out check groups customers with this many repeats or more


@dataclass
class ClvFit:
    """BG/NBD and Gamma-Gamma fitted on a summarised transaction log (see :func:`fit_clv`).

    ``gamma_gamma`` is None when fewer than two repeat buyers have a positive average value;
    ``left_out`` counts the repeat buyers Gamma-Gamma did not learn from, by reason.
    """

    summary: TransactionSummary
    bgnbd: BetaGeoModel
    gamma_gamma: GammaGammaModel | None
    repeat_buyers: int  # customers with one repeat day or more
    value_customers: int = 0  # the repeat buyers Gamma-Gamma learns from
    left_out: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def holdout(self) -> dict[str, Any] | None:
        """Predicted and actual repeat transactions after the calibration end.

        In total and by calibration-period frequency (0, 1, …, 7+), as in Fader, Hardie &
        Lee (2005, fig. 3): means per customer, and the error of the prediction as a
        percentage of the actual count; ``None`` without a hold-out period.
        """
        summary = self.summary
        if summary.holdout_weeks <= 0:
            return None
        f = summary.frame
        predicted = self.bgnbd.expected_transactions(
            summary.holdout_weeks, f["frequency"], f["recency"], f["T"]
        )
        top = HOLDOUT_TOP_FREQUENCY
        by = pd.DataFrame(
            {
                "group": np.minimum(f["frequency"].to_numpy(), top).astype(int),
                "actual": f["holdout_frequency"].to_numpy(),
                "predicted": predicted,
            }
        ).groupby("group")
        actual = float(f["holdout_frequency"].sum())
        return {
            "weeks": summary.holdout_weeks,
            "end": summary.observation_end.isoformat(),
            "actual": actual,
            "predicted": float(predicted.sum()),
            "error_pct": _error_pct(float(predicted.sum()), actual),
            "by_frequency": [
                {
                    "frequency": f"{g}+" if g == top else str(g),
                    "customers": int(len(rows)),
                    "actual": float(rows["actual"].mean()),
                    "predicted": float(rows["predicted"].mean()),
                    "error_pct": _error_pct(
                        float(rows["predicted"].sum()), float(rows["actual"].sum())
                    ),
                }
                for g, rows in by
            ],
        }

    def to_dict(self) -> dict[str, Any]:
        """The fitted parameters, warnings and the hold-out check, plain values for JSON."""
        bg, gg = self.bgnbd, self.gamma_gamma
        out: dict[str, Any] = {
            "customers": len(self.summary.frame),
            "calibration_end": self.summary.calibration_end.isoformat(),
            "bgnbd": {
                **{k: float(v) for k, v in bg.params_.items()},
                "log_likelihood": bg.log_likelihood_,
                "degenerate": bool(bg.warnings_),
            },
            "gamma_gamma": None,
            "repeat_buyers": self.repeat_buyers,
            "value_customers": self.value_customers,
            "left_out": dict(self.left_out),
            "warnings": list(self.warnings),
        }
        if gg is not None:
            out["gamma_gamma"] = {
                **{k: float(v) for k, v in gg.params_.items()},
                "log_likelihood": gg.log_likelihood_,
                "degenerate": bool(gg.warnings_),
            }
        holdout = self.holdout()
        if holdout is not None:
            out["holdout"] = holdout
        return out


def _error_pct(predicted: float, actual: float) -> float | None:
    return 100.0 * (predicted - actual) / actual if actual > 0 else None


def fit_clv(summary: TransactionSummary) -> ClvFit:
    """BG/NBD on every customer of ``summary``, Gamma-Gamma on its repeat buyers.

    Gamma-Gamma models positive values: repeat buyers whose average repeat value is zero or
    negative (refunds, zero-value entries) are left out and counted.
    """
    f = summary.frame
    bg = BetaGeoModel().fit(f["frequency"], f["recency"], f["T"])
    repeaters = f[f["frequency"] > 0]
    valued = repeaters[repeaters["monetary"] > 0]
    left_out = {"non-positive average value": int(len(repeaters) - len(valued))}
    warnings = list(bg.warnings_)
    gg: GammaGammaModel | None = None
    if len(valued) >= 2:
        gg = GammaGammaModel().fit(valued["frequency"], valued["monetary"])
        warnings += gg.warnings_
    else:
        warnings.append(
            f"Gamma-Gamma not fitted: {len(valued)} repeat buyers with a positive average value"
        )
    return ClvFit(
        summary=summary,
        bgnbd=bg,
        gamma_gamma=gg,
        repeat_buyers=len(repeaters),
        value_customers=len(valued),
        left_out=left_out,
        warnings=warnings,
    )
